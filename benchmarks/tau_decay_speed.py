"""Speed and validation of the fast tau decayer against the Pythia 8 backend.

Decays taus of fixed energy along +z with both decayers and prints decays/s, the speed
ratio, and chi2/ndf of: 3-prong fraction, BR(tau -> mu nu nu), charged-track multiplicity,
charged-energy fraction E(charged daughters)/E_tau (20 bins), per polarisation.

    python benchmarks/tau_decay_speed.py --n-pythia 20000 --n-fast 400000 --energy 100 --pol 0 1 -1

Needs ``pip install muonbsm[pythia]`` for the Pythia part (skipped with a message otherwise).
"""

from __future__ import annotations

import argparse
import time

import awkward as ak
import numpy as np
from scipy import stats

from muonbsm.constants import M_TAU
from muonbsm.generator.decays import tau
from muonbsm.generator.decays.records import DecayResult


def observables(res: DecayResult, energy: float) -> dict[str, np.ndarray]:
    """Per-tau charged multiplicity, charged-energy fraction and muon flag."""
    d = res.daughters
    charged = d.charge != 0
    return {
        "n_charged": np.asarray(res.n_charged),
        "charged_fraction": ak.to_numpy(ak.sum(d.E[charged], axis=1)) / energy,
        "has_muon": ak.to_numpy(ak.any(abs(d.pdg) == 13, axis=1)),
    }


def chi2_hist(a: np.ndarray, b: np.ndarray, edges: np.ndarray) -> tuple[float, int]:
    """chi2 and ndf between the normalised histograms of samples a and b (Pearson, both errors)."""
    ha, _ = np.histogram(a, edges)
    hb, _ = np.histogram(b, edges)
    fa, fb = ha / a.size, hb / b.size
    var = ha / a.size**2 + hb / b.size**2
    keep = var > 0
    return float(np.sum((fa - fb)[keep] ** 2 / var[keep])), int(keep.sum() - 1)


def chi2_fraction(xa: np.ndarray, xb: np.ndarray) -> tuple[float, int]:
    """chi2 (ndf 1) of the difference of two binomial fractions."""
    pa, pb = xa.mean(), xb.mean()
    return float((pa - pb) ** 2 / (pa * (1 - pa) / xa.size + pb * (1 - pb) / xb.size)), 1


def compare(fast: dict[str, np.ndarray], pyth: dict[str, np.ndarray]) -> dict[str, tuple[float, int]]:
    """All chi2/ndf comparisons between the two decayers."""
    return {
        "3-prong fraction": chi2_fraction(fast["n_charged"] == 3, pyth["n_charged"] == 3),
        "BR(tau -> mu nu nu)": chi2_fraction(fast["has_muon"], pyth["has_muon"]),
        "charged multiplicity": chi2_hist(fast["n_charged"], pyth["n_charged"], np.arange(-0.5, 7.0)),
        "charged energy fraction": chi2_hist(fast["charged_fraction"], pyth["charged_fraction"], np.linspace(0, 1, 21)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-pythia", type=int, default=5000)
    parser.add_argument("--n-fast", type=int, default=200_000)
    parser.add_argument("--energy", type=float, default=100.0, help="tau energy [GeV]")
    parser.add_argument("--pol", type=float, nargs="+", default=[0.0], help="tau helicity polarisations")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    p = np.array([args.energy, 0.0, 0.0, np.sqrt(args.energy**2 - M_TAU**2)])
    tau.decay_taus(np.tile(p, (20_000, 1)), np.full(20_000, 15), rng)  # warm-up: pilot maxima, numba compilation
    try:
        from muonbsm.generator.decays import tau_pythia

        tau_pythia.import_pythia()
    except ImportError as exc:
        tau_pythia = None
        print(f"Pythia part skipped: {exc}")
    for pol in args.pol:
        t0 = time.perf_counter()
        fast = tau.decay_taus(np.tile(p, (args.n_fast, 1)), np.full(args.n_fast, 15), rng, polarization=np.full(args.n_fast, pol))
        rate_fast = args.n_fast / (time.perf_counter() - t0)
        print(f"P = {pol:+.2f}, E = {args.energy} GeV: fast decayer {rate_fast:.3g} decays/s")
        if tau_pythia is None:
            continue
        t0 = time.perf_counter()
        pyth = tau_pythia.decay_taus_pythia(np.tile(p, (args.n_pythia, 1)), np.full(args.n_pythia, 15), rng, polarization=np.full(args.n_pythia, pol))
        rate_py = args.n_pythia / (time.perf_counter() - t0)
        print(f"  Pythia 8 {rate_py:.3g} decays/s; speed ratio fast/Pythia = {rate_fast / rate_py:.1f}")
        obs_f, obs_p = observables(fast, args.energy), observables(pyth, args.energy)
        print(f"  3-prong: fast {np.mean(obs_f['n_charged'] == 3):.4f}, Pythia {np.mean(obs_p['n_charged'] == 3):.4f}; "
              f"BR(mu nu nu): fast {obs_f['has_muon'].mean():.4f}, Pythia {obs_p['has_muon'].mean():.4f}")
        for name, (chi2, ndf) in compare(obs_f, obs_p).items():
            print(f"  {name:26s} chi2/ndf = {chi2:6.1f}/{ndf:<3d} p = {stats.chi2.sf(chi2, ndf):.3f}")


if __name__ == "__main__":
    main()
