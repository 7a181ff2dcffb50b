r"""Shards: one chunk of events per file, written by the worker that generated it.

A generation task (:class:`ShardTask`) runs on any executor (this process, a local worker
process, a dask worker): it generates chunk ``index`` (:func:`muonbsm.generator.sampling.run_chunk`)
and writes it as one complete file ``part-<index:06d>.parquet`` (or ``.root``), under a hidden
temporary name, fsynced and renamed into place (:func:`muonbsm.io.atomic_path`). The driver
receives only the small :class:`ShardSummary` (Monte Carlo sums, counts, hashes), never events.

Every shard carries in its metadata (Parquet key-value ``muonbsm``, ROOT ``metadata`` string)
under the key ``shard``: its chunk ``index`` and ``channel``, the run ``fingerprint``
(:mod:`muonbsm.generator.fingerprint`), the Monte Carlo sums and ``content_sha256``, the
:func:`muonbsm.hashing.arrays_digest` of its event columns (:func:`content_columns`).
:func:`verify_shard` checks all three before a shard is reused or merged; the file's own
SHA-256 goes to the dataset manifest.

Sums per shard (trial weights :math:`w_i = f(x_i) J_i` of all ``n_trials`` points, stored event
weights :math:`w'_j`): ``sum_f`` :math:`=\sum_i w_i`, ``sum_f2`` :math:`=\sum_i w_i^2`,
``excess`` :math:`=\sum_i \max(w_i - w_{max}, 0)`, ``sum_w`` :math:`=\sum_j w'_j`,
``sum_w2`` :math:`=\sum_j w'^2_j`.
"""

from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import awkward as ak
import numpy as np

from muonbsm.errors import IntegrityError
from muonbsm.hashing import arrays_digest, file_digest
from muonbsm.io.atomic import atomic_path

__all__ = ["ShardTask", "ShardSummary", "RunContext", "shard_name", "content_columns", "write_shard",
           "verify_shard", "read_shard_metadata", "SHARD_SUFFIX"]

#: shard file suffix per shard format
SHARD_SUFFIX = {"parquet": ".parquet", "root": ".root"}


def shard_name(index: int, fmt: str) -> str:
    """File name of shard ``index`` in format ``fmt`` (``part-000012.parquet``)."""
    return f"part-{index:06d}{SHARD_SUFFIX[fmt]}"


@dataclass(frozen=True)
class ShardTask:
    """Chunk ``index`` of phase-space channel ``channel``: ``n_trials`` of the channel's
    ``n_trials_total`` points, unweighted against ``w_max`` (None: weighted)."""

    index: int
    channel: int
    n_trials: int
    n_trials_total: int
    w_max: float | None


@dataclass
class RunContext:
    """What every task of a run shares (sent once per worker): the process, the trained grids,
    the master seed, the fingerprint, the shard directory (absolute) and format, the run
    metadata copied into each shard, and whether numba should use one thread."""

    process: Any
    grids: list[Any]
    seed: int
    fingerprint: str
    directory: str
    fmt: str
    meta: dict[str, Any]
    single_thread: bool = False


@dataclass(frozen=True)
class ShardSummary:
    """What the driver learns of a finished shard (see the module docstring for the sums)."""

    index: int
    channel: int
    file: str
    n_trials: int
    n_events: int
    sum_f: float
    sum_f2: float
    excess: float
    n_overweight: int
    sum_w: float
    sum_w2: float
    content_sha256: str
    file_sha256: str
    bytes: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return asdict(self)


def content_columns(events: ak.Array) -> list[tuple[str, np.ndarray]]:
    """The event columns in canonical order for the content hash: particle counts, each particle
    field (flattened), then ``weight`` and the per-event scalars by name."""
    particles = events["particles"]
    cols = [("particles.@counts", ak.to_numpy(ak.num(particles, axis=1)).astype(np.int64))]
    for name in ak.fields(particles):
        cols.append((f"particles.{name}", ak.to_numpy(ak.flatten(particles[name], axis=1))))
    for name in sorted(f for f in ak.fields(events) if f != "particles"):
        cols.append((name, ak.to_numpy(events[name])))
    return cols


def write_shard(ctx: RunContext, task: ShardTask) -> ShardSummary:
    """Generate and write shard ``task.index`` (runs on a worker); returns its summary."""
    from muonbsm import io
    from muonbsm.generator.sampling import channels_of, run_chunk

    if ctx.single_thread:
        import numba

        numba.set_num_threads(1)
    channel = channels_of(ctx.process)[task.channel]
    chunk = run_chunk(channel, ctx.grids[task.channel], task.index, ctx.seed, task.n_trials,
                      task.n_trials_total, task.w_max)
    weights = ak.to_numpy(chunk.events["weight"])
    info = {"index": task.index, "channel": task.channel, "fingerprint": ctx.fingerprint,
            "n_trials": chunk.n_trials, "n_events": len(chunk.events), "sum_f": chunk.sum_w,
            "sum_f2": chunk.sum_w2, "excess": chunk.excess, "n_overweight": chunk.n_overweight,
            "sum_w": math.fsum(weights), "sum_w2": math.fsum(weights * weights),
            "content_sha256": arrays_digest(content_columns(chunk.events))}
    path = Path(ctx.directory) / shard_name(task.index, ctx.fmt)
    with atomic_path(path) as tmp:
        writer = io.writer_for(tmp)
        writer.write(chunk.events)
        writer.close({**ctx.meta, "shard": info})
    return _summary(path, info)


def _summary(path: Path, info: dict[str, Any]) -> ShardSummary:
    keep = {k: v for k, v in info.items() if k != "fingerprint"}
    return ShardSummary(file=path.name, file_sha256=file_digest(path), bytes=path.stat().st_size, **keep)


def read_shard_metadata(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The metadata dict of a shard file, without reading its events."""
    from muonbsm.io.parquet import read_parquet_metadata
    from muonbsm.io.root import read_root_metadata

    return (read_root_metadata if str(path).endswith(".root") else read_parquet_metadata)(path)


def verify_shard(path: str | os.PathLike[str], fingerprint: str, index: int) -> ShardSummary:
    """Check that ``path`` is shard ``index`` of the run ``fingerprint`` with intact content;
    return its summary or raise :class:`~muonbsm.errors.IntegrityError` saying what failed."""
    from muonbsm import io

    path = Path(path)
    try:
        info = read_shard_metadata(path)["shard"]
    except Exception as exc:  # unreadable footer, foreign file, truncation
        raise IntegrityError(f"{path}: unreadable shard metadata ({type(exc).__name__}: {exc})") from None
    if info.get("fingerprint") != fingerprint:
        raise IntegrityError(f"{path}: belongs to another run (fingerprint {str(info.get('fingerprint'))[:12]}..., "
                             f"this run {fingerprint[:12]}...)")
    if info.get("index") != index:
        raise IntegrityError(f"{path}: holds chunk {info.get('index')}, expected chunk {index}")
    try:
        events, _ = io.read(path)
        content = arrays_digest(content_columns(events))
    except Exception as exc:
        raise IntegrityError(f"{path}: unreadable events ({type(exc).__name__}: {exc})") from None
    if content != info.get("content_sha256") or len(events) != info.get("n_events"):
        raise IntegrityError(f"{path}: content hash mismatch (the events were altered)")
    return _summary(path, info)
