"""Mu3e IC generation speed and unweighting efficiencies (issue 2 targets).

Prints, on this machine:

* weighted IC events/s with the full LO matrix element (the generation pass of
  :func:`muonbsm.generator.generate.generate`: vegas map, phase space, |M|^2, event records,
  writing to Parquet), and for flat 5-body phase space through the same pipeline
  (|M|^2 = 1), with the ratio of their costs; the same for the integrand evaluation alone;
* unweighting efficiencies, inclusive and with 1-MeV m_ee windows at 10, 40 and 80 MeV.

Targets: >= 2e5 weighted events/s on 2 cores, ME cost <= 5x flat phase space, unweighting
efficiency >= 10%.  Usage: ``python benchmarks/mu3e_generation.py [n_events] [workers]``.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from muonbsm.generator.processes.mu3e.cuts import MeeWindow
from muonbsm.generator.executors import make_executor
from muonbsm.generator.generate import TrainingOptions, generate
from muonbsm.generator.processes.mu3e.process import InternalConversion, flat_matrix_element
from muonbsm.generator.sampling import hypercube_weights, train_channels


def _rate(process, n, workers, tmp: Path, tag: str) -> tuple[float, float]:
    training = TrainingOptions(nitn=6, neval=100_000, n_probe=200_000)
    grids = train_channels(process, 1, nitn=training.nitn, neval=training.neval)
    rng = np.random.default_rng(0)
    for channel, grid in zip(process.channels, grids):
        hypercube_weights(channel, grid, 10_000, rng)  # compile
    t0 = time.perf_counter()
    for channel, grid in zip(process.channels, grids):
        hypercube_weights(channel, grid, n // len(grids), rng)
    t_eval = time.perf_counter() - t0
    t0 = time.perf_counter()
    generate(process, tmp / f"{tag}.parquet", n, seed=2, grids=grids, chunk_size=200_000, training=training,
             executor=make_executor(workers), progress=False)
    return n / (time.perf_counter() - t0), n / t_eval


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    workers = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        full, full_eval = _rate(InternalConversion(), n, workers, tmp, "ic")
        flat, flat_eval = _rate(InternalConversion(matrix_element=flat_matrix_element), n, workers, tmp, "flat")
    print(f"weighted IC events/s (full LO ME, generate -> Parquet, workers={workers}): {full:,.0f}   target >= 200,000")
    print(f"weighted flat-phase-space events/s (same pipeline):                  {flat:,.0f}")
    print(f"cost ratio full ME / flat phase space (whole run):                  {flat / full:.2f}   target <= 5")
    print(f"integrand only: {full_eval:,.0f} ev/s vs {flat_eval:,.0f} ev/s, ratio {flat_eval / full_eval:.2f}")
    training = TrainingOptions(nitn=10, neval=200_000, n_probe=1_000_000)
    for label, window in (("inclusive", None), ("10 MeV", (0.0095, 0.0105)), ("40 MeV", (0.0395, 0.0405)), ("80 MeV", (0.0795, 0.0805))):
        process = InternalConversion(mee_window=None if window is None else MeeWindow(*window))
        with tempfile.TemporaryDirectory() as d:
            s = generate(process, Path(d) / "u.parquet", 20_000, seed=3, unweighted=True, training=training, progress=False)
        print(f"unweighting efficiency {label:>9}: {s.unweighting_efficiency:.3f}  (overweight fraction {s.overweight_fraction:.1e}, "
              f"BR = {s.rate:.4e} +- {s.rate_error:.1e})   target >= 0.10")


if __name__ == "__main__":
    main()
