"""Speed of the mu+ -> e+ e+ e- nu nubar matrix elements (oracle vs numba kernel).

Prints events/s (wall clock, best of 3) and CPU us/event of: flat 5-body phase space
(``muonbsm.generator.phase_space.flat_decay``), the oracle ``muon_decay.me2_ic``, the numba
``muon_decay_fast.me2_ic`` / ``me2_signal`` with 1 and 2 threads, and the ratio
ME cost / phase-space cost. CPU time (process_time) is less sensitive to other jobs on a
shared machine. Usage: ``python benchmarks/me_ic_speed.py [n_events]``.
"""

from __future__ import annotations

import sys
import time

import numba
import numpy as np

from muonbsm.constants import M_E, M_MU
from muonbsm.generator import phase_space as ps
from muonbsm.generator.processes.mu3e import matrix_element_oracle as oracle
from muonbsm.generator.processes.mu3e import matrix_element as fast
from muonbsm.models.mu3e import dark_photon, scalar

POL = np.array([0.0, 0.0, -0.86])
MASSES = [M_E, M_E, M_E, 0.0, 0.0]


def _timing(func, n: int, repeat: int = 3) -> tuple[float, float]:
    """(events/s wall clock, CPU microseconds per event), best of ``repeat``."""
    wall, cpu = np.inf, np.inf
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        func()
        wall, cpu = min(wall, time.perf_counter() - t0), min(cpu, time.process_time() - c0)
    return n / wall, 1e6 * cpu / n


def main(n: int = 200_000) -> None:
    rng = np.random.default_rng(1)
    p, _ = ps.flat_decay(M_MU, MASSES, n, rng)
    mom = [np.ascontiguousarray(p[:, i]) for i in range(5)]
    r_ps, c_ps = _timing(lambda: ps.flat_decay(M_MU, MASSES, n, rng), n)
    print(f"flat 5-body phase space (numpy):  {r_ps:10.0f} ev/s   cpu {c_ps:6.2f} us/ev")
    n_or = 2000
    small = [x[:n_or] for x in mom]
    r_or, c_or = _timing(lambda: oracle.me2_ic(*small, POL), n_or, repeat=1)
    print(f"oracle me2_ic (numpy 4x4):        {r_or:10.0f} ev/s   cpu {c_or:6.2f} us/ev")
    fast.me2_ic(*small, POL)  # compile or load the numba cache
    models = {"dark photon": dark_photon(0.02, 1e-4), "scalar (e, mu)": scalar(0.02, 1e-4, 1e-4)}
    for model in models.values():
        fast.me2_signal(*small, POL, model)
    for threads in (1, 2):
        numba.set_num_threads(threads)
        r, c = _timing(lambda: fast.me2_ic(*mom, POL), n)
        print(
            f"fast me2_ic, {threads} thread(s):          {r:10.0f} ev/s   cpu {c:6.2f} us/ev   "
            f"wall ratio ME/phase space {r_ps / r:.2f}, speed-up vs oracle {r / r_or:.0f}"
        )
        for name, model in models.items():
            r, c = _timing(lambda: fast.me2_signal(*mom, POL, model), n)
            print(f"fast me2_signal {name:15s} {threads}t: {r:10.0f} ev/s   cpu {c:6.2f} us/ev")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200_000)
