"""The work directory of a run: the verified plan and the finished shards, for resuming.

``<dir>/.<output name>.work/`` (beside the output, owned by the run that holds the output's
lock, :mod:`muonbsm.generator.lock`) holds

* ``plan.json``: ``{"fingerprint", "plan", "digest"}`` with the trained vegas grids (bin edges),
  the unweighting thresholds and the chunk list; ``digest`` is :func:`muonbsm.hashing.digest` of
  the plan. A plan that does not parse, whose digest does not match, or of another fingerprint
  is discarded (one log line) and recomputed; nothing is ever unpickled.
* ``part-000012.parquet``: finished shards (:mod:`muonbsm.generator.shards`), each verified
  (fingerprint, chunk index, content hash) before reuse. A shard that fails is moved to
  ``<dir>/.<output name>.rejected/`` (the evidence is kept, never merged) and recomputed.

A work directory of another run configuration (another fingerprint) is discarded when a run
takes the lock; ``--fresh`` discards it unconditionally.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import vegas

from muonbsm.errors import IntegrityError
from muonbsm.generator.sampling import Grid
from muonbsm.generator.shards import SHARD_SUFFIX, ShardSummary, shard_name, verify_shard
from muonbsm.hashing import digest
from muonbsm.io.atomic import atomic_path

__all__ = ["WorkDir", "grid_to_json", "grid_from_json"]

log = logging.getLogger("muonbsm")


def grid_to_json(grid: Grid) -> dict[str, Any]:
    """A vegas grid as plain numbers (bin edges per dimension; floats round-trip exactly).

    vegas pads ``vmap.grid`` to the largest number of increments: each dimension keeps only its
    ``ninc[d] + 1`` edges (the padding would otherwise become bins of the rebuilt map)."""
    vmap = grid.vmap
    edges = [np.asarray(vmap.grid)[d, : int(vmap.ninc[d]) + 1].tolist() for d in range(vmap.dim)]
    return {"edges": edges, "integral": grid.integral, "error": grid.error,
            "chi2_dof": grid.chi2_dof, "neval": grid.neval}


def grid_from_json(data: dict[str, Any]) -> Grid:
    """Inverse of :func:`grid_to_json` (the rebuilt map maps points bit for bit like the original)."""
    return Grid(vegas.AdaptiveMap(data["edges"]), float(data["integral"]), float(data["error"]),
                float(data["chi2_dof"]), int(data["neval"]))


class WorkDir:
    """The work directory of ``output`` (see the module docstring)."""

    def __init__(self, output: str | os.PathLike[str]) -> None:
        out = Path(output)
        self.root = out.parent / f".{out.name}.work"
        self.rejected = out.parent / f".{out.name}.rejected"

    @property
    def plan_path(self) -> Path:
        """``plan.json``."""
        return self.root / "plan.json"

    def discard(self, reason: str) -> None:
        """Remove the work directory (the caller holds the output's lock)."""
        if self.root.exists():
            log.warning("%s: %s; discarding it", self.root, reason)
            shutil.rmtree(self.root)

    def prepare(self, fingerprint: str) -> None:
        """Create the directory; discard a state of another fingerprint; remove temporaries of
        dead writers (the lock guarantees no live run writes here)."""
        if self.root.exists():
            stored = self._read_plan_file()
            if stored is not None and stored.get("fingerprint") != fingerprint:
                self.discard("state of another run configuration or code version")
        self.root.mkdir(parents=True, exist_ok=True)
        for tmp in self.root.glob(".partial-*"):
            tmp.unlink(missing_ok=True)

    def _read_plan_file(self) -> dict[str, Any] | None:
        try:
            data = json.loads(self.plan_path.read_text())
        except FileNotFoundError:
            return None
        except (ValueError, UnicodeDecodeError) as exc:
            log.warning("%s: corrupt plan (%s); it will be recomputed", self.plan_path, exc)
            return None
        return data if isinstance(data, dict) else None

    def load_plan(self, fingerprint: str) -> dict[str, Any] | None:
        """The stored plan of ``fingerprint`` if it verifies, else None (logged)."""
        data = self._read_plan_file()
        if data is None:
            return None
        plan = data.get("plan")
        if data.get("fingerprint") != fingerprint or digest(plan) != data.get("digest"):
            log.warning("%s: plan failed verification (digest or fingerprint); it will be recomputed", self.plan_path)
            return None
        return plan

    def save_plan(self, fingerprint: str, plan: dict[str, Any]) -> None:
        """Store ``plan`` (JSON-ready) with its digest, atomically."""
        text = json.dumps({"fingerprint": fingerprint, "plan": plan, "digest": digest(plan)}, sort_keys=True)
        with atomic_path(self.plan_path) as tmp:
            tmp.write_text(text)

    def shard(self, index: int, fmt: str) -> Path:
        """Path of shard ``index``."""
        return self.root / shard_name(index, fmt)

    def verified_shards(self, fingerprint: str, n_chunks: int, fmt: str) -> dict[int, ShardSummary]:
        """The finished shards that verify; every other shard-like file is moved to the rejected
        directory with one log line naming it."""
        good: dict[int, ShardSummary] = {}
        for path in sorted(self.root.glob(f"part-*{SHARD_SUFFIX[fmt]}")):
            stem = path.name[len("part-"): -len(SHARD_SUFFIX[fmt])]
            try:
                index = int(stem)
                if not 0 <= index < n_chunks or path.name != shard_name(index, fmt):
                    raise IntegrityError(f"{path}: not a shard of this run (chunk index outside 0..{n_chunks - 1})")
                good[index] = verify_shard(path, fingerprint, index)
            except (IntegrityError, ValueError) as exc:
                self.reject(path, str(exc))
        return good

    def reject(self, path: Path, reason: str) -> None:
        """Move ``path`` out of the way (kept as evidence) and log one line."""
        self.rejected.mkdir(exist_ok=True)
        target = self.rejected / path.name
        os.replace(path, target)
        log.warning("rejected shard %s: %s; moved to %s, it will be recomputed", path, reason.split(": ", 1)[-1], target)
