"""Throughput of IC generation with 1 and 2 local worker processes (including their start-up),
and byte-identity of the two merged output files (issue 7; see run_engine.py for issue 11).

Usage: ``python benchmarks/workers_scaling.py [N=2e6]``
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from muonbsm.generator.executors import make_executor
from muonbsm.generator.generate import TrainingOptions, generate
from muonbsm.generator.processes.mu3e.process import InternalConversion
from muonbsm.generator.sampling import train_channels


def main() -> None:
    n = int(float(sys.argv[1])) if len(sys.argv) > 1 else 2_000_000
    process = InternalConversion()
    training = TrainingOptions(nitn=6, neval=100_000)
    grids = train_channels(process, 3, nitn=training.nitn, neval=training.neval)
    rates = {}
    with tempfile.TemporaryDirectory() as d:
        for workers in (1, 2):
            t0 = time.perf_counter()
            generate(process, Path(d) / f"w{workers}.parquet", n, seed=3, grids=grids, training=training,
                     executor=make_executor(workers, "processes"), progress=False, merge=True)
            rates[workers] = n / (time.perf_counter() - t0)
        same = (Path(d) / "w1.parquet").read_bytes() == (Path(d) / "w2.parquet").read_bytes()
    print(f"weighted IC events/s: 1 worker {rates[1]:,.0f}, 2 workers {rates[2]:,.0f}, ratio {rates[2] / rates[1]:.2f}")
    print(f"output files identical: {same}")


if __name__ == "__main__":
    main()
