"""Validation of the fast tau decayer against the optional Pythia 8 backend (pythia8mc)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from muonbsm.constants import M_TAU
from muonbsm.generator.decays import tau, tau_pythia

try:
    tau_pythia.import_pythia()
except ImportError:
    pytest.skip("pythia8mc not installed (pip install muonbsm[pythia])", allow_module_level=True)

pytestmark = [pytest.mark.pythia, pytest.mark.slow]

ENERGY = 100.0


def _observables(res) -> dict[str, np.ndarray]:
    import awkward as ak

    d = res.daughters
    return {
        "n_charged": np.asarray(res.n_charged),
        "fraction": ak.to_numpy(ak.sum(d.E[d.charge != 0], axis=1)) / ENERGY,
        "muon": ak.to_numpy(ak.any(abs(d.pdg) == 13, axis=1)),
    }


def _chi2(a: np.ndarray, b: np.ndarray, edges: np.ndarray) -> float:
    ha, _ = np.histogram(a, edges)
    hb, _ = np.histogram(b, edges)
    var = ha / a.size**2 + hb / b.size**2
    keep = var > 0
    chi2 = np.sum((ha / a.size - hb / b.size)[keep] ** 2 / var[keep])
    return float(stats.chi2.sf(chi2, keep.sum() - 1))


def test_pythia_output_structure_and_conservation():
    rng = np.random.default_rng(1)
    p = np.tile([ENERGY, 0.0, 0.0, np.sqrt(ENERGY**2 - M_TAU**2)], (200, 1))
    res = tau_pythia.decay_taus_pythia(p, np.full(200, -15), rng, mother_index=np.full(200, 2))
    import awkward as ak

    assert np.allclose(ak.to_numpy(ak.sum(res.daughters.E, axis=1)), ENERGY, rtol=1e-6)
    assert np.all(ak.to_numpy(ak.sum(res.daughters.charge, axis=1)) == 1)
    assert np.mean(res.mode >= 0) > 0.98
    assert ak.all(res.daughters.mother == 2)
    with pytest.raises(ValueError, match="pdg"):
        tau_pythia.decay_taus_pythia(p[:1], np.array([13]), rng)


@pytest.mark.parametrize("pol", [0.0, 1.0])
def test_fast_decayer_agrees_with_pythia(pol):
    """3-prong fraction, BR(mu nu nu), multiplicity and charged-energy fraction agree (p > 1e-3)."""
    rng = np.random.default_rng(2)
    n_py, n_fast = 3000, 60_000
    p = np.array([ENERGY, 0.0, 0.0, np.sqrt(ENERGY**2 - M_TAU**2)])
    py = _observables(tau_pythia.decay_taus_pythia(np.tile(p, (n_py, 1)), np.full(n_py, 15), rng, polarization=np.full(n_py, pol)))
    fa = _observables(tau.decay_taus(np.tile(p, (n_fast, 1)), np.full(n_fast, 15), rng, polarization=np.full(n_fast, pol)))
    f3_py, f3_fa = np.mean(py["n_charged"] == 3), np.mean(fa["n_charged"] == 3)
    assert abs(f3_py - f3_fa) < 4 * np.sqrt(f3_py * (1 - f3_py) / n_py)
    mu_py, mu_fa = py["muon"].mean(), fa["muon"].mean()
    assert abs(mu_py - mu_fa) < 4 * np.sqrt(mu_py * (1 - mu_py) / n_py)
    assert _chi2(py["n_charged"], fa["n_charged"], np.arange(-0.5, 7.0)) > 1e-3
    assert _chi2(py["fraction"], fa["fraction"], np.linspace(0, 1, 21)) > 1e-3
