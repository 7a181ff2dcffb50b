r"""Event generation runs: train, probe the maximum weight, write shards, assemble the output.

A run (:func:`generate`) holds an exclusive lock on its output (:mod:`muonbsm.generator.lock`),
computes or reloads a verified plan (:mod:`muonbsm.generator.checkpoint`), lets the executor's
workers write one shard per chunk (:mod:`muonbsm.generator.shards`) and then either renames the
work directory into a *dataset directory* (ordered shards + ``_manifest.json``) or merges the
shards, streamed one at a time, into a single file (``merge=True``; LHE and HepMC3 outputs are
always merged). The output appears only complete.

**One rate per sample.** With :math:`w_i = f(x_i)J(y_i)` over all :math:`N_c` trial points of
channel c and stored event weights :math:`w'_j`:

* weighted samples store :math:`w'_i = w_i/N_c` for every :math:`w_i > 0`, and
  ``rate`` :math:`=\sum_j w'_j` (= ``sum_w``: exactly the sum of the weights in the output);
* unweighted samples store :math:`w'_j = \max(w_j, w_{max,c})/N_c` for the accepted points,
  and ``rate`` is the estimate from all trial points :math:`\sum_c \bar w_c` (lower variance
  than the hit-or-miss ``sum_w``, which agrees within its binomial error);
* ``rate_error`` :math:`=\sqrt{\sum_c (\overline{w^2}_c - \bar w_c^2)/N_c}` in both cases: the
  Monte Carlo error of the mean over all trials, zero-weight ones included;
* ``overweight_fraction`` is the share of the integral carried above the threshold,
  :math:`\sum_i\max(w_i-w_{max},0)/\sum_i w_i`: the quantity the card's
  ``[training] overweight_fraction`` bounds on the probe sample; ``n_overweight_events``
  counts the events stored with a weight above the unweighted one.

These names (``rate``, ``rate_error``, ``rate_unit`` = "BR" or "pb", ``sum_w``, ``sum_w2``,
``n_events``, ``n_trials``) are the same in :class:`RunSummary`, the file metadata, the manifest,
the CLI output, and the LHE/HepMC3 cross-section records (written from ``rate``/``rate_error``).
"""

from __future__ import annotations

import logging
import math
import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import awkward as ak
import numpy as np

from muonbsm import io, seeds
from muonbsm.errors import InputError, MuonbsmIOError
from muonbsm.generator.checkpoint import WorkDir, grid_from_json, grid_to_json
from muonbsm.generator.executors import Executor, SerialExecutor, make_executor
from muonbsm.generator.fingerprint import card_description, run_fingerprint
from muonbsm.generator.lock import OutputLock
from muonbsm.generator.progress import Progress
from muonbsm.generator.publish import DISK_ERRORS, check_space, disk_error, expected_bytes, merge_shards, publish_dataset, remove
from muonbsm.generator.sampling import AnyProcess, Grid, channels_of, hypercube_weights, max_weight, run_chunk, train
from muonbsm.generator.shards import RunContext, ShardSummary, ShardTask, write_shard
from muonbsm.hashing import digest
from muonbsm.io.dataset import MANIFEST
from muonbsm.io.metadata import package_versions

__all__ = ["RunSummary", "TrainingOptions", "Terminated", "plan_trials", "generate", "run_card", "sample_events",
           "MANIFEST"]

log = logging.getLogger("muonbsm")

_MERGE_ONLY = (".lhe", ".lhe.gz", ".hepmc", ".hepmc3")


@dataclass(frozen=True)
class TrainingOptions:
    """vegas training: ``nitn`` measured iterations of ``neval`` points after ``nitn // 2``
    adaptation iterations (per channel); ``n_probe`` points per channel to find the
    unweighting threshold at which at most ``overweight_fraction`` of the integral lies above
    it (see :func:`muonbsm.generator.sampling.max_weight`)."""

    nitn: int = 10
    neval: int = 200_000
    n_probe: int = 1_000_000
    overweight_fraction: float = 1e-3


class Terminated(KeyboardInterrupt):
    """The run received SIGTERM (``signum``); raised in the driver to stop and clean up."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


@dataclass
class RunSummary:
    """What a generation run measured; rates in ``rate_unit`` (BR or pb). See the module
    docstring for the definitions. ``seconds`` and ``executor`` describe the execution and are
    never written into the data."""

    rate: float
    rate_error: float
    rate_unit: str
    sum_w: float
    sum_w2: float
    n_events: int
    n_trials: int
    unweighted: bool
    seed: int
    training_rate: float
    training_error: float
    training_chi2_dof: float
    unweighting_efficiency: float | None = None
    max_weight: float | None = None
    overweight_fraction: float | None = None
    n_overweight_events: int | None = None
    channel_rates: list[float] = field(default_factory=list)
    channel_trials: list[int] = field(default_factory=list)
    n_shards: int = 0
    fingerprint: str = ""
    output: str = ""
    layout: str = ""
    seconds: float = 0.0
    executor: str = ""

    def to_dict(self) -> dict[str, Any]:
        """A flat dict for JSON output."""
        return asdict(self)

    def data_fields(self) -> dict[str, Any]:
        """The fields stored with the data (no execution details, no output path)."""
        out = self.to_dict()
        for key in ("seconds", "executor", "output", "layout"):
            out.pop(key)
        return out


def plan_trials(n_events: int, efficiency: float) -> int:
    """Trial points for ``n_events`` unweighted events at hit-or-miss ``efficiency``, with a
    four-sigma margin so a run yields at least ``n_events`` with probability > 0.9999."""
    return int(math.ceil(_with_margin(n_events, efficiency) / efficiency))


def _with_margin(n_events: int, efficiency: float) -> float:
    return n_events + 4.0 * math.sqrt(n_events * max(1.0 - efficiency, 0.0))


def _split(total: int, shares: list[float]) -> list[int]:
    """Split ``total`` trials over channels in proportion to ``shares`` (largest remainder)."""
    weights = np.asarray(shares, dtype=float)
    if not np.any(weights > 0):
        raise InputError("the fiducial rate is zero in every channel: the cuts leave no phase space")
    raw = total * weights / weights.sum()
    n = np.floor(raw).astype(int)
    n[np.argsort(raw - n)[::-1][: total - n.sum()]] += 1
    return [int(v) for v in n]


def _plan(process: AnyProcess, n_events: int, seed: int, unweighted: bool, chunk_size: int,
          training: TrainingOptions, grids: list[Grid] | None) -> dict[str, Any]:
    r"""Train each channel (unless ``grids`` are given), find the unweighting thresholds and
    share the trials among channels; a JSON-ready dict.

    Weighted: trials in proportion to the channel integrals. Unweighted: channel c gets
    :math:`N_c = w_{max,c}/\kappa` trials, so every accepted event carries the same weight
    :math:`\kappa` (``w_max_c / N_c``), and the expected number of events is the target plus a
    four-sigma margin.
    """
    chans = channels_of(process)
    grids = grids or [train(ch, seed, nitn=training.nitn, neval=training.neval, index=i) for i, ch in enumerate(chans)]
    if len(grids) != len(chans):
        raise InputError(f"got {len(grids)} grids for {len(chans)} channels")
    grids = [grid_from_json(grid_to_json(g)) for g in grids]  # what a resumed run reloads, bit for bit
    w_max: list[float | None] = [None] * len(chans)
    if unweighted:
        accepted = []
        caps: list[float] = []  # the channel maximum weights
        for i, (ch, grid) in enumerate(zip(chans, grids)):
            probe, _ = hypercube_weights(ch, grid, training.n_probe, seeds.rng(seed, "generation.probe", i))
            caps.append(max_weight(probe, training.overweight_fraction) if np.any(probe > 0) else 0.0)
            accepted.append(float(np.minimum(probe, caps[i]).mean()))  # = w_max * efficiency
        if not sum(caps):
            raise InputError("the fiducial rate is zero in every channel: the cuts leave no phase space")
        expected_eff = sum(accepted) / sum(caps)
        kappa = sum(accepted) / _with_margin(n_events, expected_eff)
        trials = [int(math.ceil(w / kappa)) if w > 0 else 0 for w in caps]
        w_max = [kappa * n if n else 0.0 for n in trials]  # >= the threshold: equal event weights kappa
    else:
        trials = _split(n_events, [g.integral for g in grids])
    chunks = [[c, min(chunk_size, n - k)] for c, n in enumerate(trials) for k in range(0, n, chunk_size)]
    return {"grids": [grid_to_json(g) for g in grids], "w_max": w_max, "trials": trials, "chunks": chunks}


def _summarise(plan: dict[str, Any], shards: list[ShardSummary], unweighted: bool, seed: int, unit: str,
               fingerprint: str) -> RunSummary:
    trials = plan["trials"]
    n_ch = len(trials)
    sum_f, sum_f2 = np.zeros(n_ch), np.zeros(n_ch)
    for s in shards:
        sum_f[s.channel] += s.sum_f
        sum_f2[s.channel] += s.sum_f2
    n = np.maximum(np.asarray(trials, dtype=float), 1.0)
    means = sum_f / n
    variances = np.maximum(sum_f2 / n - means**2, 0.0) / n
    sum_w = math.fsum(s.sum_w for s in shards)
    n_events = sum(s.n_events for s in shards)
    grids = plan["grids"]
    kappa = next((w / t for w, t in zip(plan["w_max"], trials) if w and t), None) if unweighted else None
    total_f = float(sum_f.sum())
    return RunSummary(
        rate=float(means.sum()) if unweighted else sum_w,
        rate_error=float(math.sqrt(variances.sum())),
        rate_unit=unit,
        sum_w=sum_w,
        sum_w2=math.fsum(s.sum_w2 for s in shards),
        n_events=n_events,
        n_trials=int(sum(trials)),
        unweighted=unweighted,
        seed=seed,
        training_rate=float(sum(g["integral"] for g in grids)),
        training_error=float(math.sqrt(sum(g["error"] ** 2 for g in grids))),
        training_chi2_dof=float(max(g["chi2_dof"] for g in grids)),
        unweighting_efficiency=n_events / max(sum(trials), 1) if unweighted else None,
        max_weight=kappa,
        overweight_fraction=(math.fsum(s.excess for s in shards) / total_f if total_f > 0 else 0.0) if unweighted else None,
        n_overweight_events=sum(s.n_overweight for s in shards) if unweighted else None,
        channel_rates=means.tolist(),
        channel_trials=[int(t) for t in trials],
        n_shards=len(shards),
        fingerprint=fingerprint,
    )


@contextmanager
def _signals_raise() -> Iterator[None]:
    """SIGTERM raises :class:`Terminated` in the driver (SIGINT raises KeyboardInterrupt), so the
    executor stops its workers and temporaries are removed on the way out."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: object) -> None:
        raise Terminated(signum)

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def generate(
    process: AnyProcess,
    output: str | os.PathLike[str],
    n_events: int,
    *,
    seed: int,
    unweighted: bool = False,
    chunk_size: int = 200_000,
    training: TrainingOptions = TrainingOptions(),
    executor: Executor | None = None,
    merge: bool = False,
    fresh: bool = False,
    metadata: dict[str, Any] | None = None,
    description: dict[str, Any] | None = None,
    grids: list[Grid] | None = None,
    progress: bool = True,
) -> RunSummary:
    """Generate ``n_events`` events of ``process`` into ``output`` and return the summary.

    ``output`` [path]: with ``merge=False`` a *dataset directory* of that name, holding
    ``part-000000.parquet`` ... (ROOT shards ``part-*.root`` if the name ends in ``.root``) and
    ``_manifest.json``; with ``merge=True`` one file in the format of its suffix (.parquet,
    .root, .lhe, .lhe.gz, .hepmc, .hepmc3; LHE and HepMC3 are always merged).
    Weighted runs evaluate ``n_events`` points; unweighted runs as many as the measured
    unweighting efficiency requires for at least ``n_events`` accepted events.
    ``chunk_size``: trial points per shard. ``executor``: where tasks run (default serial; the
    caller closes it). ``fresh``: discard a previous state of this output. ``metadata``: extra
    JSON stored with the data. ``description``: what determines the events, for the
    fingerprint (default: ``process.describe()``); ``grids``: pre-trained grids (benchmarks).

    Reruns resume from the verified shards of the same fingerprint (work directory
    ``.<name>.work`` beside the output). Raises :class:`~muonbsm.errors.OutputLockedError` if
    another live run holds ``output`` and :class:`~muonbsm.errors.MuonbsmIOError` (one line,
    with the space needed) when the disk is full or not writable.
    """
    if isinstance(n_events, bool) or n_events < 1:
        raise InputError(f"n_events must be >= 1, got {n_events}")
    if isinstance(chunk_size, bool) or chunk_size < 1:
        raise InputError(f"chunk_size must be >= 1, got {chunk_size}")
    suffix = io.check_suffix(output)
    merge = merge or suffix in _MERGE_ONLY
    fmt = "root" if suffix == ".root" else "parquet"
    out = Path(output).absolute()
    if out.is_dir() and merge:
        raise InputError(f"output {output}: is a directory; a merged output must be a file name")
    if out.is_file() and not merge:
        log.warning("%s: an existing file will be replaced by a dataset directory", out)
    start = time.monotonic()
    describe = description if description is not None else getattr(process, "describe", lambda: {"process": repr(process)})()
    fp = run_fingerprint({"description": describe, "seed": seed, "n_events": n_events, "chunk_size": chunk_size,
                          "unweighted": unweighted, "training": asdict(training), "shard_format": fmt,
                          "grids": None if grids is None else digest([grid_to_json(g) for g in grids])})
    unit = getattr(process, "unit", "BR")
    owned = executor is None
    executor = executor or SerialExecutor()
    work = WorkDir(out)
    done: dict[int, ShardSummary] = {}
    plan: dict[str, Any] = {}
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        with OutputLock(out), _signals_raise():
            try:
                if fresh:
                    work.discard("--fresh")
                    remove(out)
                work.prepare(fp)
                plan = work.load_plan(fp) or {}
                if not plan:
                    plan = _plan(process, n_events, seed, unweighted, chunk_size, training, grids)
                    work.save_plan(fp, plan)
                chunks = plan["chunks"]
                done = work.verified_shards(fp, len(chunks), fmt)
                if done:
                    log.info("%s: resuming, %d of %d shards verified", work.root, len(done), len(chunks))
                run_meta = {"process": describe, "seed": seed, "chunk_size": chunk_size, "n_chunks": len(chunks),
                            "fingerprint": fp, "versions": package_versions(), **(metadata or {})}
                context = RunContext(process, [grid_from_json(g) for g in plan["grids"]], seed, fp, str(work.root), fmt,
                                     run_meta, executor.single_thread)
                tasks = [ShardTask(i, c, n, plan["trials"][c], plan["w_max"][c]) for i, (c, n) in enumerate(chunks) if i not in done]
                with Progress(sum(plan["trials"]), "generate", enabled=progress) as bar:
                    bar.update(sum(s.n_trials for s in done.values()))
                    checked = False
                    for summary in executor.run(write_shard, context, tasks):
                        done[summary.index] = summary
                        bar.update(summary.n_trials)
                        if not checked:
                            checked = True
                            check_space(out, work, done, plan, merge)
                shards = [done[i] for i in range(len(chunks))]
                summary = _summarise(plan, shards, unweighted, seed, unit, fp)
                meta = {**run_meta, **summary.data_fields()}
                if merge:
                    merge_shards(work, shards, out, meta)
                else:
                    publish_dataset(work, shards, out, meta, fmt)
            except BaseException:
                # stop the workers (SIGTERM, errors), then remove what they left half-written,
                # still under the lock: nobody else writes here
                executor.close(abort=True)
                for tmp in work.root.glob(".partial-*"):
                    tmp.unlink(missing_ok=True)
                raise
    except OSError as exc:
        if isinstance(exc, MuonbsmIOError) or exc.errno not in DISK_ERRORS:
            raise
        raise disk_error(exc, out, work, expected_bytes(done, plan, merge) if plan else None,
                          len(plan.get("chunks", []))) from None
    finally:
        if owned:
            executor.close()
    summary.seconds = time.monotonic() - start
    summary.executor = getattr(executor, "description", type(executor).__name__)
    summary.output, summary.layout = str(output), "file" if merge else "dataset"
    return summary


def run_card(card: dict[str, Any], *, output: str | os.PathLike[str] | None = None, events: int | None = None,
             seed: int | None = None, workers: int | None = None, scheduler: str | None = None,
             merge: bool | None = None, fresh: bool = False, progress: bool = True) -> RunSummary:
    """Generate the sample of a validated run card (:func:`muonbsm.cards.parse_card`).

    Keyword arguments override the card's ``[run]`` keys (``output``, ``events``, ``seed``,
    ``workers``). ``workers``: ``None`` -> the card's (1 = serial in this process), an explicit
    number -> that many local worker processes; ``scheduler``: a dask address or ``"local"``.
    ``merge``: one file instead of a dataset directory (default: the card's, else False).
    """
    from muonbsm.generator.processes.registry import build_process

    run = dict(card["run"])
    for key, value in (("output", output), ("events", events), ("seed", seed)):
        if value is not None:
            run[key] = value
    card = {**card, "run": run}
    process = build_process(card)
    if scheduler is not None:
        executor = make_executor(workers or run.get("workers", 1), scheduler)
    elif workers is not None:
        executor = make_executor(workers, "processes")
    else:
        executor = make_executor(run.get("workers", 1))
    with executor:
        return generate(
            process, str(run["output"]), int(run["events"]), seed=int(run["seed"]), unweighted=run["unweighted"],
            chunk_size=run["chunk_size"], training=TrainingOptions(**card["training"]), executor=executor,
            merge=bool(run.get("merge", False) if merge is None else merge), fresh=fresh,
            metadata={"card": card.get("source", {}).get("text", ""), "card_parsed": card_description(card)},
            description={"card": card_description(card)}, progress=progress,
        )


def sample_events(process: AnyProcess, n_events: int, *, seed: int,
                  training: TrainingOptions = TrainingOptions()) -> tuple[ak.Array, float, float]:
    """Weighted events in memory (no file): trains the channels, shares ``n_events`` points
    among them and returns ``(events, rate, rate_error)``; the sum of the weights is ``rate``.

    For small samples inside an analysis (efficiencies); use :func:`generate` for files.
    """
    plan = _plan(process, n_events, seed, False, n_events, training, None)
    chans = channels_of(process)
    grids = [grid_from_json(g) for g in plan["grids"]]
    chunks = [run_chunk(chans[c], grids[c], i, seed, n, plan["trials"][c]) for i, (c, n) in enumerate(plan["chunks"])]
    events = ak.concatenate([ch.events for ch in chunks]) if chunks else ak.Array([])
    trials = np.maximum(np.asarray(plan["trials"], dtype=float), 1.0)
    sums = np.zeros((len(chans), 2))
    for (c, _), ch in zip(plan["chunks"], chunks):
        sums[c] += (ch.sum_w, ch.sum_w2)
    means = sums[:, 0] / trials
    error = math.sqrt(float(np.sum(np.maximum(sums[:, 1] / trials - means**2, 0.0) / trials)))
    return events, float(means.sum()), error
