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

import numpy as np

from muonbsm import io
from muonbsm.generator.checkpoint import Checkpoint, fingerprint
from muonbsm.generator.executors import Executor, SerialExecutor
from muonbsm.generator.progress import Progress
from muonbsm.generator.sampling import (
    STREAM_PROBE,
    Grid,
    Process,
    hypercube_weights,
    max_weight,
    run_chunk,
    seed_sequence,
    train,
)
from muonbsm.io.metadata import package_versions

__all__ = ["RunSummary", "TrainingOptions", "plan_trials", "generate"]


@dataclass(frozen=True)
class TrainingOptions:
    """vegas training: ``nitn`` measured iterations of ``neval`` points after ``nitn // 2``
    adaptation iterations; ``n_probe`` points to find the unweighting threshold."""

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
    mean_needed = n_events + 4.0 * math.sqrt(n_events * (1.0 - efficiency))
    return int(math.ceil(mean_needed / efficiency))


def _plan(process: Process, n_events: int, seed: int, unweighted: bool, chunk_size: int,
          training: TrainingOptions, grid: Grid | None) -> dict[str, Any]:
    """Train (unless ``grid`` is given), probe the unweighting threshold, and size the chunks."""
    grid = grid or train(process, seed, nitn=training.nitn, neval=training.neval)
    w_max = None
    n_trials = n_events
    if unweighted:
        probe_rng = np.random.default_rng(seed_sequence(seed, STREAM_PROBE))
        probe, _ = hypercube_weights(process, grid, training.n_probe, probe_rng)
        w_max = max_weight(probe, training.overweight_fraction)
        efficiency = float(np.minimum(probe, w_max).mean() / w_max)
        n_trials = plan_trials(n_events, efficiency)
    sizes = [chunk_size] * (n_trials // chunk_size) + ([n_trials % chunk_size] if n_trials % chunk_size else [])
    return {"grid": grid, "w_max": w_max, "n_trials": n_trials, "sizes": sizes}


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
    grid: Grid | None = None,
    progress: bool = True,
    resume: bool = True,
) -> RunSummary:
    """Generate ``n_events`` events of ``process`` into ``output`` (.root or .parquet).

    Weighted runs evaluate ``n_events`` points; unweighted runs evaluate as many as the
    measured unweighting efficiency requires for at least ``n_events`` accepted events.
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
    key = fingerprint({"process": getattr(process, "describe", lambda: repr(process))(), "seed": seed,
                       "n_events": n_events, "unweighted": unweighted, "chunk_size": chunk_size,
                       "training": asdict(training), "grid": grid is not None})
    checkpoint = Checkpoint(output, key) if resume else None
    plan = checkpoint.plan() if checkpoint else None
    if plan is None:
        plan = _plan(process, n_events, seed, unweighted, chunk_size, training, grid)
        if checkpoint:
            checkpoint.save_plan(plan)
    grid, w_max, n_trials, sizes = plan["grid"], plan["w_max"], plan["n_trials"], plan["sizes"]
    todo = [i for i in range(len(sizes)) if not (checkpoint and checkpoint.done(i))]
    tasks = [(process, grid, i, seed, sizes[i], n_trials, w_max) for i in todo]

    sum_w = sum_w2 = 0.0
    n_stored = n_over = 0
    with io.atomic_path(output) as tmp:
        writer = io.writer_for(tmp)
        results = iter(executor.map(run_chunk, tasks))
        with Progress(n_trials, "generate", enabled=progress) as bar:
            for i in range(len(sizes)):
                if checkpoint and checkpoint.done(i):
                    chunk = checkpoint.load_chunk(i)
                else:
                    chunk = next(results)
                    if checkpoint:
                        checkpoint.save_chunk(i, chunk)
                writer.write(chunk.events)
                sum_w += chunk.sum_w
                sum_w2 += chunk.sum_w2
                n_stored += len(chunk.events)
                n_over += chunk.n_overweight
                bar.update(chunk.n_trials)
        mean = sum_w / n_trials
        error = math.sqrt(max(sum_w2 / n_trials - mean**2, 0.0) / n_trials)
        summary = RunSummary(
            rate=mean,
            error=error,
            unit=getattr(process, "unit", "BR"),
            n_events=n_stored,
            n_trials=n_trials,
            unweighted=unweighted,
            seed=seed,
            training_rate=grid.integral,
            training_error=grid.error,
            training_chi2_dof=grid.chi2_dof,
            unweighting_efficiency=(n_stored / n_trials) if unweighted else None,
            max_weight=(w_max / n_trials) if unweighted else None,
            overweight_fraction=(n_over / max(n_stored, 1)) if unweighted else None,
        )
        meta = {
            "summary": summary.to_dict(),
            "process": getattr(process, "describe", lambda: {})(),
            "chunk_size": chunk_size,
            "n_chunks": len(sizes),
            "versions": package_versions(),
            **(metadata or {}),
        }
        meta["summary"].pop("seconds")
        writer.close(meta)
    if checkpoint:
        checkpoint.clear()
    summary.seconds = time.monotonic() - start
    return summary
