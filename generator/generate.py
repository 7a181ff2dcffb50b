r"""Event generation runs: train, (probe the maximum weight,) generate chunks, stream to a file.

The fiducial rate of a run and its error come from the generated points themselves,

.. math::
    R = \frac{1}{N}\sum_i w_i, \qquad \delta R = \sqrt{\frac{\langle w^2\rangle - \langle w\rangle^2}{N}},

with :math:`w_i = f(x_i) J(y_i)` over all ``N`` trial points of the run, so the error is an
honest Monte Carlo error of exactly the sample in the file. Weighted events carry
:math:`w_i / N` (their sum *is* R); unweighted events carry :math:`\max(w_i, w_{max}) / N`.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import awkward as ak
import numpy as np

from muonbsm import io
from muonbsm.generator.checkpoint import Checkpoint, fingerprint
from muonbsm.generator.executors import Executor, SerialExecutor
from muonbsm.generator.progress import Progress
from muonbsm.generator.sampling import (
    STREAM_PROBE,
    Grid,
    Process,
    channels_of,
    hypercube_weights,
    max_weight,
    run_chunk,
    seed_sequence,
    train,
)
from muonbsm.io.metadata import package_versions

__all__ = ["RunSummary", "TrainingOptions", "plan_trials", "generate", "sample_events"]


@dataclass(frozen=True)
class TrainingOptions:
    """vegas training: ``nitn`` measured iterations of ``neval`` points after ``nitn // 2``
    adaptation iterations (per channel); ``n_probe`` points per channel to find the
    unweighting threshold (see :func:`muonbsm.generator.sampling.max_weight`)."""

    nitn: int = 10
    neval: int = 200_000
    n_probe: int = 1_000_000
    overweight_fraction: float = 1e-3


@dataclass
class RunSummary:
    """What a generation run measured (rates in the unit of the process: BR or pb)."""

    rate: float
    error: float
    unit: str
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
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A flat dict for JSON and file metadata."""
        return asdict(self)


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
        raise ValueError("the fiducial rate is zero in every channel: the cuts leave no phase space")
    raw = total * weights / weights.sum()
    n = np.floor(raw).astype(int)
    n[np.argsort(raw - n)[::-1][: total - n.sum()]] += 1
    return [int(v) for v in n]


def _plan(process: Process, n_events: int, seed: int, unweighted: bool, chunk_size: int,
          training: TrainingOptions, grids: list[Grid] | None) -> dict[str, Any]:
    r"""Train each channel (unless ``grids`` are given), find the unweighting thresholds and
    share the trials among channels.

    Weighted: trials in proportion to the channel integrals. Unweighted: channel c gets
    :math:`N_c = w_{max,c}/\kappa` trials, so every accepted event carries the same weight
    :math:`\kappa` (``w_max_c / N_c``), and the expected number of events is the target plus a
    four-sigma margin.
    """
    chans = channels_of(process)
    grids = grids or [train(ch, seed, nitn=training.nitn, neval=training.neval, index=i) for i, ch in enumerate(chans)]
    if len(grids) != len(chans):
        raise ValueError(f"got {len(grids)} grids for {len(chans)} channels")
    w_max: list[float | None] = [None] * len(chans)
    if unweighted:
        accepted = []
        for i, (ch, grid) in enumerate(zip(chans, grids)):
            rng = np.random.default_rng(seed_sequence(seed, STREAM_PROBE, i))
            probe, _ = hypercube_weights(ch, grid, training.n_probe, rng)
            w_max[i] = max_weight(probe, training.overweight_fraction) if np.any(probe > 0) else 0.0
            accepted.append(float(np.minimum(probe, w_max[i]).mean()))  # = w_max * efficiency
        expected_eff = sum(accepted) / sum(w_max)
        kappa = sum(accepted) / _with_margin(n_events, expected_eff)
        trials = [int(math.ceil(w / kappa)) if w > 0 else 0 for w in w_max]
        w_max = [kappa * n if n else 0.0 for n in trials]  # >= the threshold: equal event weights kappa
    else:
        trials = _split(n_events, [g.integral for g in grids])
    chunks = [(c, min(chunk_size, n - k)) for c, n in enumerate(trials) for k in range(0, n, chunk_size)]
    return {"grids": grids, "w_max": w_max, "trials": trials, "chunks": chunks}


def generate(
    process: Process,
    output: str | os.PathLike[str],
    n_events: int,
    *,
    seed: int,
    unweighted: bool = False,
    chunk_size: int = 200_000,
    training: TrainingOptions = TrainingOptions(),
    executor: Executor | None = None,
    metadata: dict[str, Any] | None = None,
    grids: list[Grid] | None = None,
    progress: bool = True,
    resume: bool = True,
) -> RunSummary:
    """Generate ``n_events`` events of ``process`` into ``output`` (.root or .parquet).

    Weighted runs evaluate ``n_events`` points; unweighted runs evaluate as many as the
    measured unweighting efficiency requires for at least ``n_events`` accepted events.
    A process with several phase-space channels shares the points among them (see
    :func:`_plan`); the fiducial rate is the sum of the channel estimates.
    With ``resume`` (default), finished chunks are kept in a work directory beside the output
    (:class:`~muonbsm.generator.checkpoint.Checkpoint`) and a rerun of the same run skips them;
    the final file is assembled in chunk order, so it does not depend on interruptions, the
    executor or the number of workers. It appears only when complete.
    """
    if n_events < 1:
        raise ValueError(f"n_events must be >= 1, got {n_events}")
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
    io.check_suffix(output)
    start = time.monotonic()
    executor = executor or SerialExecutor()
    chans = channels_of(process)
    key = fingerprint({"process": getattr(process, "describe", lambda: repr(process))(), "seed": seed,
                       "n_events": n_events, "unweighted": unweighted, "chunk_size": chunk_size,
                       "training": asdict(training), "grids": grids is not None})
    checkpoint = Checkpoint(output, key) if resume else None
    plan = checkpoint.plan() if checkpoint else None
    if plan is None:
        plan = _plan(process, n_events, seed, unweighted, chunk_size, training, grids)
        if checkpoint:
            checkpoint.save_plan(plan)
    grids, w_max, trials, chunks = plan["grids"], plan["w_max"], plan["trials"], plan["chunks"]
    todo = [i for i in range(len(chunks)) if not (checkpoint and checkpoint.done(i))]
    tasks = [(chans[chunks[i][0]], grids[chunks[i][0]], i, seed, chunks[i][1], trials[chunks[i][0]], w_max[chunks[i][0]])
             for i in todo]

    sums = np.zeros((len(chans), 2))
    n_stored = n_over = 0
    with io.atomic_path(output) as tmp:
        writer = io.writer_for(tmp)
        results = iter(executor.map(run_chunk, tasks))
        with Progress(sum(trials), "generate", enabled=progress) as bar:
            for i, (c, _) in enumerate(chunks):
                if checkpoint and checkpoint.done(i):
                    chunk = checkpoint.load_chunk(i)
                else:
                    chunk = next(results)
                    if checkpoint:
                        checkpoint.save_chunk(i, chunk)
                writer.write(chunk.events)
                sums[c] += (chunk.sum_w, chunk.sum_w2)
                n_stored += len(chunk.events)
                n_over += chunk.n_overweight
                bar.update(chunk.n_trials)
        n = np.maximum(np.asarray(trials, dtype=float), 1.0)
        means = sums[:, 0] / n
        variances = np.maximum(sums[:, 1] / n - means**2, 0.0) / n
        unweighted_eff = n_stored / sum(trials) if unweighted else None
        kappa = next((w / t for w, t in zip(w_max, trials) if w and t), None) if unweighted else None
        summary = RunSummary(
            rate=float(means.sum()),
            error=float(math.sqrt(variances.sum())),
            unit=getattr(process, "unit", "BR"),
            n_events=n_stored,
            n_trials=sum(trials),
            unweighted=unweighted,
            seed=seed,
            training_rate=float(sum(g.integral for g in grids)),
            training_error=float(math.sqrt(sum(g.error**2 for g in grids))),
            training_chi2_dof=float(max(g.chi2_dof for g in grids)),
            unweighting_efficiency=unweighted_eff,
            max_weight=kappa,
            overweight_fraction=(n_over / max(n_stored, 1)) if unweighted else None,
            extra={"channel_rates": means.tolist(), "channel_trials": list(trials)},
        )
        meta = {
            "summary": summary.to_dict(),
            "process": getattr(process, "describe", lambda: {})(),
            "chunk_size": chunk_size,
            "n_chunks": len(chunks),
            "versions": package_versions(),
            **(metadata or {}),
        }
        meta["summary"].pop("seconds")
        writer.close(meta)
    if checkpoint:
        checkpoint.clear()
    summary.seconds = time.monotonic() - start
    return summary


def sample_events(process: Process, n_events: int, *, seed: int,
                  training: TrainingOptions = TrainingOptions()) -> tuple[ak.Array, float, float]:
    """Weighted events in memory (no file): trains the channels, shares ``n_events`` points
    among them and returns ``(events, rate, error)``; the sum of the weights is ``rate``.

    For small samples inside an analysis (efficiencies); use :func:`generate` for files.
    """
    plan = _plan(process, n_events, seed, False, n_events, training, None)
    chans = channels_of(process)
    chunks = [run_chunk(chans[c], plan["grids"][c], i, seed, n, plan["trials"][c])
              for i, (c, n) in enumerate(plan["chunks"])]
    events = ak.concatenate([ch.events for ch in chunks]) if chunks else ak.Array([])
    trials = np.maximum(np.asarray(plan["trials"], dtype=float), 1.0)
    sums = np.zeros((len(chans), 2))
    for (c, _), ch in zip(plan["chunks"], chunks):
        sums[c] += (ch.sum_w, ch.sum_w2)
    means = sums[:, 0] / trials
    error = math.sqrt(float(np.sum(np.maximum(sums[:, 1] / trials - means**2, 0.0) / trials)))
    return events, float(means.sum()), error
