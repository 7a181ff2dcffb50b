"""Tests of the exact 2->3 kinematics of mu N -> tau N a."""

import numpy as np
import pytest

from muonbsm.constants import M_MU, M_TAU
from muonbsm.generator import dirac
from muonbsm.generator.processes.alp import kinematics as K

M = 193.0


def _points(energy, m_a, n=3000, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(m_a / energy, 1 - M_TAU / energy, n)
    th = np.exp(rng.uniform(np.log(1e-5), np.log(np.pi), n))
    lo, hi = K.t_limits(energy, x, th, M_MU, M_TAU, m_a, M)
    ok = hi > lo
    t = np.exp(np.log(lo[ok]) + rng.random(ok.sum()) * (np.log(hi[ok]) - np.log(lo[ok])))
    return x[ok], th[ok], t, rng.uniform(0, 2 * np.pi, ok.sum()), lo[ok], hi[ok]


@pytest.mark.parametrize("energy", [10.0, 160.0, 10000.0])
def test_conservation_and_mass_shells(energy):
    x, th, t, phi, _, _ = _points(energy, 2.0)
    assert len(x) > 100
    kin = K.build_kinematics(energy, x, th, t, phi, M_MU, M_TAU, 2.0, M)
    tot = kin.p + kin.P_i - kin.pprime - kin.P_f - kin.k
    assert np.abs(tot).max() < 1e-12 * energy
    assert np.allclose(dirac.minkowski_dot(kin.pprime, kin.pprime), M_TAU**2, rtol=0,
                       atol=1e-15 * energy**2 + 1e-12)
    assert np.allclose(dirac.minkowski_dot(kin.k, kin.k), 4.0, atol=1e-15 * energy**2 + 1e-12)
    assert np.allclose(-dirac.minkowski_dot(kin.q, kin.q), t, rtol=1e-6, atol=1e-15 * energy**2)
    assert np.all(kin.pprime[:, 0] >= M_TAU)
    d1 = dirac.minkowski_dot(kin.p - kin.k, kin.p - kin.k) - M_TAU**2
    assert np.allclose(kin.d1, d1, rtol=1e-6)


def test_t_limits_are_boundaries():
    energy, m_a = 50.0, 3.0
    x, th, _, _, lo, hi = _points(energy, m_a, seed=1)
    p_abs, _, _, w, v2, w2v2 = K._vk(energy, x, th, M_MU, m_a)
    d0 = w2v2 - M_TAU**2
    for t, capped in ((lo, False), (hi, True)):
        q = np.sqrt(t + t * t / (4 * M**2))
        c = (d0 - t * (1 + w / M)) / (2 * np.sqrt(v2) * q)
        on_edge = np.isclose(np.abs(c), 1.0, atol=1e-6)
        if capped:  # t_max is either a root or the E' = m_tau bound
            on_edge |= np.isclose(w - t / (2 * M), M_TAU, rtol=1e-9)
        assert np.all(on_edge)
    # t_min ~ (D0 / 2|V|)^2 in the forward, high-energy limit
    assert np.all(lo > 0)


def test_threshold():
    e_thr = K.threshold_energy(M_MU, M_TAU, 2.0, M)
    assert e_thr == pytest.approx(M_TAU + 2.0 + (M_TAU + 2.0) ** 2 / (2 * M) - M_MU**2 / (2 * M))
    lo, hi = K.t_limits(e_thr * (1 - 1e-6), np.linspace(0.01, 0.99, 99), np.full(99, 1e-3),
                        M_MU, M_TAU, 2.0, M)
    assert np.all(hi <= lo)
