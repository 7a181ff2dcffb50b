"""Run-engine throughput and overheads (issue 11, item 7), in one run, as numbers and ratios.

Prints, on the machine at hand:

* weighted IC events/s with the full LO matrix element, end to end to shards (plan given,
  workers already started), with 1 and 2 local worker processes, and their ratio
  (targets on 2 cores: >= 4e5 ev/s with 2 workers, ratio >= 1.8);
* flat 5-body phase-space points/s on one core: the IC map (photon-pair channel, numba), the
  signal map (:class:`MuonDecayChannel`, numba) and plain numpy :func:`flat_decay`
  (target >= 7e5);
* the driver's CPU time per chunk over a worker's CPU time per chunk (target < 1%), and the
  efficiency projected for 100 workers, ``1 / max(1, N d / c)`` (the driver saturates when N
  workers ask more of it than one chunk's compute);
* peak RSS of the driver and of the largest worker; run it with two values of N to see that it
  is flat in N (target < 1 GB at 1e8 events).

Usage: ``python benchmarks/run_engine.py [N=2e6] [chunk=200000]``. The machine is shared:
state its load with the numbers.
"""

from __future__ import annotations

import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def _cpu() -> tuple[float, float]:
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, kids.ru_utime + kids.ru_stime


def _phase_space_rates(n: int = 400_000) -> dict[str, float]:
    import numba

    from muonbsm.constants import M_E, M_MU
    from muonbsm.generator.phase_space import flat_decay
    from muonbsm.generator.processes.mu3e.kinematics import MuonDecayChannel
    from muonbsm.generator.processes.mu3e.photon_channel import PhotonPairChannel

    numba.set_num_threads(1)
    rng = np.random.default_rng(1)
    out = {}
    ic = PhotonPairChannel(2 * M_E, M_MU - M_E, s3_log=True)
    sig = MuonDecayChannel(0.02, 0.02)
    for name, fn in (("IC map (photon-pair channel, numba)", lambda: ic.momenta(rng.random((n, ic.dim)))),
                     ("signal map (MuonDecayChannel, numba)", lambda: sig.momenta(rng.random((n, sig.dim)))),
                     ("flat_decay (numpy)", lambda: flat_decay(M_MU, [M_E, M_E, M_E, 0, 0], n, rng))):
        fn()
        t0 = time.perf_counter()
        fn()
        out[name] = n / (time.perf_counter() - t0)
    numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    return out


def main() -> None:
    n = int(float(sys.argv[1])) if len(sys.argv) > 1 else 2_000_000
    chunk = int(float(sys.argv[2])) if len(sys.argv) > 2 else 200_000
    from muonbsm.generator.executors import ProcessExecutor
    from muonbsm.generator.generate import TrainingOptions, generate
    from muonbsm.generator.processes.mu3e.process import InternalConversion
    from muonbsm.generator.sampling import train_channels

    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (shared machine)")
    process = InternalConversion()
    training = TrainingOptions(nitn=6, neval=100_000)
    grids = train_channels(process, 3, nitn=training.nitn, neval=training.neval)
    rates, ratio_cpu, rss = {}, {}, {}
    with tempfile.TemporaryDirectory(dir=".") as d:
        for workers in (1, 2):
            with ProcessExecutor(workers) as ex:
                generate(process, Path(d) / f"warm{workers}.parquet", 20_000, seed=3, grids=grids, training=training,
                         chunk_size=10_000, executor=ex, progress=False)  # workers import and load kernels
                own0, kids0 = _cpu()
                t0 = time.perf_counter()
                s = generate(process, Path(d) / f"w{workers}.parquet", n, seed=3, grids=grids, training=training,
                             chunk_size=chunk, executor=ex, progress=False)
                rates[workers] = n / (time.perf_counter() - t0)
                own1 = _cpu()[0]
            kids1 = _cpu()[1]
            ratio_cpu[workers] = ((own1 - own0) / s.n_shards, (kids1 - kids0) / s.n_shards)
            rss[workers] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, \
                resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"weighted IC events/s, full LO ME, end to end to shards ({n:,} events, chunk {chunk:,}):")
    print(f"  1 worker  {rates[1]:>10,.0f}")
    print(f"  2 workers {rates[2]:>10,.0f}   target >= 400,000")
    print(f"  ratio 2/1 {rates[2] / rates[1]:>10.2f}   target >= 1.8")
    for name, rate in _phase_space_rates().items():
        print(f"flat 5-body phase space, one core, {name}: {rate:,.0f} points/s   target >= 700,000")
    per_cpu = chunk / ratio_cpu[1][1]
    print(f"  events per worker CPU second {per_cpu:,.0f} (load-independent): 2 idle cores would give "
          f"{2 * per_cpu:,.0f} ev/s")
    d_chunk, c_chunk = ratio_cpu[2]
    frac = d_chunk / c_chunk
    print(f"driver CPU per chunk {1e3 * d_chunk:.1f} ms, worker CPU per chunk {c_chunk:.2f} s: {100 * frac:.2f}%   target < 1%")
    print(f"projected efficiency with 100 workers: {100 / max(1.0, 100 * frac):.0f}%")
    print(f"peak RSS for {n:,} events (driver, largest worker): "
          f"{rss[1][0]:,.0f} MB, {rss[1][1]:,.0f} MB (1 worker); {rss[2][0]:,.0f} MB, {rss[2][1]:,.0f} MB (2 workers)")
    print("  target < 1024 MB; workers hold one chunk and the driver none: rerun with another N to see it flat")


if __name__ == "__main__":
    main()
