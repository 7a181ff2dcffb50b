"""Peak memory and throughput of a long streamed IC generation (issue 7).

Generates N weighted IC events (full LO matrix element) to Parquet in chunks and prints the
peak resident memory of the process tree, the throughput and the file size. Memory is bounded
by the chunk size and the number of chunks in flight, not by N.

Usage: ``python benchmarks/stream_memory.py [N=1e8] [workers=1] [chunk=200000]``
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

from muonbsm.generator.executors import make_executor
from muonbsm.generator.generate import TrainingOptions, generate
from muonbsm.generator.processes.mu3e.process import InternalConversion


def main() -> None:
    n = int(float(sys.argv[1])) if len(sys.argv) > 1 else 100_000_000
    workers = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    chunk = int(float(sys.argv[3])) if len(sys.argv) > 3 else 200_000
    with tempfile.TemporaryDirectory(dir=".") as d:
        out = Path(d) / "ic.parquet"
        t0 = time.perf_counter()
        s = generate(InternalConversion(), out, n, seed=7, chunk_size=chunk, training=TrainingOptions(nitn=6, neval=100_000),
                     executor=make_executor(workers), progress=False, merge=True)
        seconds = time.perf_counter() - t0
        size = out.stat().st_size
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"events: {s.n_events:,} weighted IC, chunk {chunk:,}, workers {workers}")
    print(f"peak RSS: {own:,.0f} MB (driver), {children:,.0f} MB (largest worker); target < 2048 MB")
    print(f"throughput: {n / seconds:,.0f} events/s including training ({seconds:.0f} s); file {size / 2**30:.2f} GiB")
    print(f"BR = {s.rate:.5e} +- {s.rate_error:.1e}")


if __name__ == "__main__":
    main()
