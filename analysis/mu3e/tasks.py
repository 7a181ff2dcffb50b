"""The mass points of a Mu3e reach scan as independent tasks, run in local worker processes.

One task per mass: the IC background of its window, the signal of every model, their total
rates and :func:`~muonbsm.analysis.mu3e.scan.analyze_point`. A task reads and writes only
its own cache files (:class:`~muonbsm.analysis.mu3e.samples.SampleFactory`) and draws only
from its own streams (``("mass", i, ...)``, :mod:`muonbsm.seeds`), so the rows do not depend
on the number of workers or the order in which tasks finish. Workers are spawned
(``concurrent.futures.ProcessPoolExecutor``), one numba thread each; the rescaling factor is
computed once by the driver and handed to every task.

>>> format_bytes(946_000_000), format_bytes(12_345)
('946.0 MB', '12.3 kB')
"""

from __future__ import annotations

import multiprocessing
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from muonbsm.analysis.mu3e.samples import ModelSpec, SampleFactory, SampleSettings
from muonbsm.analysis.mu3e.scan import AnalysisSettings, analyze_point
from muonbsm.detector.mu3e.calibration import Rescaling

__all__ = ["MassTask", "MassResult", "run_mass", "run_masses", "cache_size", "format_bytes", "progress_printer"]


@dataclass(frozen=True)
class MassTask:
    """Everything one mass point needs (picklable): ``mass`` [GeV] with its scan ``index``."""

    mass: float
    index: int
    models: tuple[ModelSpec, ...]
    decays: tuple[float, ...]
    pairs: tuple[str, ...]
    samples: SampleSettings
    analysis: AnalysisSettings
    cache_dir: str
    rescaling: Rescaling


@dataclass
class MassResult:
    """Rows of one mass point and its wall-clock ``seconds`` per stage (``background``,
    ``signal``, ``rate``, ``analysis``)."""

    index: int
    rows: list[dict]
    seconds: dict[str, float] = field(default_factory=dict)


def run_mass(task: MassTask) -> MassResult:
    """Build (or read from the cache) the samples of one mass point and analyse them."""
    factory = SampleFactory(task.samples, task.cache_dir, task.rescaling)
    t: dict[str, float] = {"background": 0.0, "signal": 0.0, "rate": 0.0, "analysis": 0.0}
    start = time.monotonic()
    bkg = factory.background(task.mass, task.index)
    t["background"] = time.monotonic() - start
    rows: list[dict] = []
    for k, spec in enumerate(task.models):
        t0 = time.monotonic()
        sig = factory.signal(spec, task.mass, task.index, k)
        t1 = time.monotonic()
        br_ref, br_err = factory.total_rate(spec, task.mass, task.index, k)
        t2 = time.monotonic()
        rows += analyze_point(spec, task.mass, sig, bkg, br_ref, list(task.decays), list(task.pairs), task.analysis,
                              br_ref_error=br_err)
        t["signal"] += t1 - t0
        t["rate"] += t2 - t1
        t["analysis"] += time.monotonic() - t2
    return MassResult(task.index, rows, t)


def _init_worker() -> None:
    """One numba thread per worker process: the processes are the parallelism.

    Only the active thread count is lowered: changing ``NUMBA_NUM_THREADS`` in the environment
    after numba was imported makes its next compilation fail (the thread pool's size is fixed).
    """
    import numba

    numba.set_num_threads(1)


def run_masses(tasks: Sequence[MassTask], workers: int = 1,
               report: Callable[[MassResult, int, float], None] | None = None) -> list[MassResult]:
    """Run ``tasks`` in ``workers`` spawned processes (in this process for ``workers = 1``);
    ``report(result, n_done, elapsed_s)`` is called as each finishes. Results in task order."""
    start = time.monotonic()
    done: dict[int, MassResult] = {}
    if workers <= 1 or len(tasks) <= 1:
        for task in tasks:
            done[task.index] = run_mass(task)
            if report:
                report(done[task.index], len(done), time.monotonic() - start)
    else:
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(min(workers, len(tasks)), mp_context=ctx, initializer=_init_worker) as pool:
            futures = [pool.submit(run_mass, task) for task in tasks]
            for fut in as_completed(futures):
                res = fut.result()
                done[res.index] = res
                if report:
                    report(res, len(done), time.monotonic() - start)
    return [done[t.index] for t in tasks]


def cache_size(directory: str | Path) -> int:
    """Total size in bytes of the files under ``directory``."""
    return sum(p.stat().st_size for p in Path(directory).rglob("*") if p.is_file())


def format_bytes(n: float) -> str:
    """``n`` bytes as kB / MB / GB (powers of 1000)."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{int(n)} B"


def progress_printer(n_tasks: int, stream=sys.stderr) -> Callable[[MassResult, int, float], None]:
    """A ``report`` callback printing one line per finished mass point."""

    def report(res: MassResult, n_done: int, elapsed: float) -> None:
        r0 = res.rows[0] if res.rows else {}
        gains = ", ".join(f"{r['pair']}: {r['gain']:.2f}" for r in res.rows if r["decays"] == r0.get("decays")
                          and r["model"] == r0.get("model"))
        stages = ", ".join(f"{k} {v:.0f} s" for k, v in res.seconds.items())
        print(f"mu3e reach [{n_done}/{n_tasks}] m_X = {r0.get('mass_gev', float('nan')) * 1e3:.1f} MeV  "
              f"{r0.get('model', '')} gain {gains}  ({stages}; {elapsed:.0f} s elapsed)", file=stream, flush=True)

    return report
