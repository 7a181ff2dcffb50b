"""Tests of the ALP decayer: modes and charges, conservation, decay lengths, bad input."""

from __future__ import annotations

import awkward as ak
import numpy as np
import pytest

from muonbsm.constants import HBARC_GEV_MM, M_MU, M_TAU
from muonbsm.generator.decays import alp
from muonbsm.generator.decays import kinematics as kin
from muonbsm.generator.phase_space import boost


def _alps(n: int, m_a: float, rng: np.random.Generator) -> np.ndarray:
    p = rng.normal(size=(n, 3)) * 200.0
    return np.column_stack([np.sqrt(np.sum(p**2, axis=1) + m_a**2), p])


def test_modes_charges_and_conservation():
    rng = np.random.default_rng(1)
    n = 100_000
    p = _alps(n, 10.0, rng)
    res = alp.decay_alps(p, rng, br_mu_minus_tau_plus=0.2, br_mu_plus_tau_minus=0.3, br_chi_chibar=0.5, m_chi=3.0)
    frac = np.bincount(res.mode, minlength=3) / n
    assert np.allclose(frac, [0.2, 0.3, 0.5], atol=4 * np.sqrt(0.25 / n))
    pdg = ak.to_numpy(res.daughters.pdg)
    for code, (_, ids) in alp.ALP_MODES.items():
        assert np.all(pdg[res.mode == code] == ids)
    d = res.daughters
    total = np.column_stack([ak.to_numpy(ak.sum(d[f], axis=1)) for f in ("E", "px", "py", "pz")])
    assert np.max(np.abs(total - p) / p[:, :1]) < 1e-9
    mom = np.stack([ak.to_numpy(d[f]) for f in ("E", "px", "py", "pz")], axis=-1)
    masses = kin.invariant_mass(mom)
    expect = np.where(res.mode[:, None] == 2, 3.0, np.array([M_MU, M_TAU]))
    assert np.allclose(masses, expect, atol=1e-5)
    assert np.all(ak.to_numpy(ak.sum(d.charge, axis=1)) == 0)
    assert np.all(res.n_charged == np.where(res.mode == 2, 0, 2))
    assert np.all(res.vertices == 0)


def test_isotropic_in_rest_frame():
    rng = np.random.default_rng(2)
    n = 50_000
    p = np.tile([np.hypot(5.0, 300.0), 0.0, 0.0, 300.0], (n, 1))
    res = alp.decay_alps(p, rng, br_mu_minus_tau_plus=1.0, br_mu_plus_tau_minus=0.0)
    mu = res.daughters[:, 0]
    mom = np.column_stack([ak.to_numpy(mu[f]) for f in ("E", "px", "py", "pz")])
    rest = boost(mom, np.column_stack([p[:, 0], -p[:, 1:]]))
    cos_t = rest[:, 3] / np.linalg.norm(rest[:, 1:], axis=1)
    assert abs(cos_t.mean()) < 4 * np.sqrt(1 / 3 / n)
    assert np.mean(cos_t**2) == pytest.approx(1 / 3, abs=4 * np.sqrt(4 / 45 / n))


def test_long_lived_decay_length():
    rng = np.random.default_rng(3)
    n = 100_000
    m_a, pz, width = 2.0, 400.0, 1e-14
    p = np.tile([np.hypot(m_a, pz), 0.0, 0.0, pz], (n, 1))
    start = np.tile([0.0, 0.0, 10.0], (n, 1))
    res = alp.decay_alps(p, rng, br_mu_minus_tau_plus=0.5, br_mu_plus_tau_minus=0.5, total_width_gev=width, production_vertex=start)
    length = res.vertices[:, 2] - 10.0
    assert length.mean() == pytest.approx(pz / m_a * HBARC_GEV_MM / width, rel=4 / np.sqrt(n))
    assert np.allclose(ak.to_numpy(res.daughters.vz[:, 1]), res.vertices[:, 2], rtol=1e-6)


def test_reproducible_and_mother_index():
    p = _alps(100, 8.0, np.random.default_rng(4))
    kw = {"br_mu_minus_tau_plus": 0.5, "br_mu_plus_tau_minus": 0.5, "mother_index": np.arange(100)}
    a = alp.decay_alps(p, np.random.default_rng(5), **kw)
    b = alp.decay_alps(p, np.random.default_rng(5), **kw)
    assert np.array_equal(a.mode, b.mode)
    assert ak.all(a.daughters.E == b.daughters.E)
    assert np.all(ak.to_numpy(a.daughters.mother) == np.arange(100)[:, None])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"br_mu_minus_tau_plus": 0.7}, "branching"),
        ({"br_chi_chibar": 0.5, "br_mu_minus_tau_plus": 0.25, "br_mu_plus_tau_minus": 0.25}, "m_chi"),
        ({"m_a": 1.5}, "m_mu \\+ m_tau"),
        ({"total_width_gev": -1.0}, "total_width_gev"),
        ({"m_a": -1.0}, "p_alp"),
    ],
)
def test_bad_input(kwargs, match):
    m_a = kwargs.pop("m_a", 5.0)
    p = np.array([[np.sqrt(100.0 + m_a * abs(m_a)), 0.0, 0.0, 10.0]])
    args = {"br_mu_minus_tau_plus": 0.5, "br_mu_plus_tau_minus": 0.5} | kwargs
    with pytest.raises(ValueError, match=match):
        alp.decay_alps(p, np.random.default_rng(0), **args)
