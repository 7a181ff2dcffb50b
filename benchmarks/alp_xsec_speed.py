"""Speed of the exact sigma(mu Pb -> tau Pb a) integration (muonbsm issue 3).

Measures (1) one point (E = 1500 GeV, m_a = 2 GeV) at 0.5% and at 0.1% relative precision and
(2) Batell et al.'s 21 x 131 grid (E = 100 GeV - 10 TeV log-spaced, m_a = 1.77 - 99 GeV) at 0.5%.
By default the grid is timed on a measured subset of energies (all 131 masses each) and the full
grid time is extrapolated linearly in the number of energies; ``--full`` runs all of it.
Targets from the design note: <= 10 s per point at 0.5%, <= 30 min for the grid.

Usage: ``python benchmarks/alp_xsec_speed.py [--full] [--every N]``
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from muonbsm.generator.processes.alp.cross_section import alp_cross_section
from muonbsm.generator.processes.alp.xsec_table import compute_grid

SEED_MASSES = np.concatenate([[1.77], np.round(np.arange(2.0, 20.0001, 0.36), 2),
                              np.arange(21.0, 99.5, 1.0)])
SEED_ENERGIES = np.round(np.logspace(2, 4, 21))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--full", action="store_true", help="time the whole 21 x 131 grid")
    ap.add_argument("--every", type=int, default=5, help="subset: every N-th energy (default 5)")
    args = ap.parse_args()
    assert len(SEED_MASSES) == 131 and len(SEED_ENERGIES) == 21

    alp_cross_section("Pb", 200.0, 3.0, rel_precision=0.05)  # compile / warm caches
    for prec in (0.005, 0.001):
        r = alp_cross_section("Pb", 1500.0, 2.0, rel_precision=prec, seed=1)
        print(f"single point E=1500 GeV m_a=2 GeV rel_precision={prec}: sigma = {r.sigma_pb:.5g} "
              f"+- {r.sigma_err_pb:.2g} pb, {r.n_eval} evaluations, {r.time_s:.2f} s "
              f"(target <= 10 s at 0.5%; design-note baseline 60-120 s at 0.1%)")

    energies = SEED_ENERGIES if args.full else SEED_ENERGIES[::args.every]
    t0 = time.perf_counter()
    sig, _ = compute_grid("Pb", energies, SEED_MASSES, rel_precision=0.005, use_cache=False)
    dt = time.perf_counter() - t0
    n_nonzero = int(np.count_nonzero(sig))
    full = dt * len(SEED_ENERGIES) / len(energies)
    kind = "measured" if args.full else (
        f"EXTRAPOLATED from a measured subset of {len(energies)} energies x 131 masses "
        f"({dt:.1f} s, {n_nonzero} non-zero points)")
    print(f"grid 21 x 131 at 0.5%: {full / 60:.1f} min ({kind}); target <= 30 min")


if __name__ == "__main__":
    main()
