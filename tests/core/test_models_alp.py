"""Tests of the LFV-ALP model: couplings, widths, (g-2)_mu closed forms, DM rates."""

import math

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.optimize import brentq

from muonbsm.constants import M_MU, M_TAU
from muonbsm.models import alp


def test_couplings_roundtrip_and_units():
    s, p = alp.couplings(1.0, 0.3)
    assert s == pytest.approx(1e-3 * (M_TAU - M_MU) * math.sin(0.3))
    assert p == pytest.approx(1e-3 * (M_TAU + M_MU) * math.cos(0.3))
    c, th = alp.couplings_to_c_theta(s, p)
    assert c == pytest.approx(1.0) and th == pytest.approx(0.3)
    assert alp.g_mutau(1.0) == pytest.approx(1.777e-3, rel=1e-3)  # seed: g ~ 2e-3
    with pytest.raises(ValueError, match="c_over_lambda"):
        alp.couplings(-1.0, 0.0)


def test_width_limits():
    s, p = alp.couplings(1.0, 0.4)
    assert alp.width_mutau_per_mode(M_TAU + M_MU - 1e-6, s, p) == 0.0
    # Batell et al., Eq. 5 (per charge mode) in the m_mu -> 0 limit
    g = alp.g_mutau(1.0)
    m_a = 15.0
    w = alp.width_mutau_per_mode(m_a, g * math.sin(0.4), g * math.cos(0.4), m_light=0.0)
    assert w == pytest.approx(g**2 / (8 * math.pi) * m_a * (1 - M_TAU**2 / m_a**2) ** 2, rel=1e-12)
    assert alp.width_mutau(m_a, s, p) == pytest.approx(2 * alp.width_mutau_per_mode(m_a, s, p))
    # Batell et al., Eq. 6: c tau ~ 1e-8 cm at C/Lambda = 1/TeV, m_a = 15 GeV (both modes)
    ctau_cm = 1.973e-14 / float(alp.width_mutau(m_a, s, p))
    assert 0.3e-8 < ctau_cm < 3e-8
    assert alp.width_chichi(3.0, 1.0, 1.0) == pytest.approx(3.0 * math.sqrt(1 - 4 / 9) / (8 * math.pi))


def test_branching_ratios():
    br = alp.branching_ratios(6.0, 1.0, 0.2, g_chi=1e-3, m_chi=1.0)
    assert br["mu-tau+"] == br["mu+tau-"]
    assert br["mu-tau+"] + br["mu+tau-"] + br["chichi"] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="no open decay channel"):
        alp.branching_ratios(1.0, 1.0, 0.0)


@pytest.mark.parametrize("r", [1e-3, 0.3, 0.95, 0.999, 1.0, 1.001, 1.05, 1.2, 4.0, 300.0])
def test_loop_functions_vs_feynman_parameter_integrals(r):
    gi = 2 * quad(lambda y: y**2 / (y + r * (1 - y)), 0, 1, epsrel=1e-13)[0]
    i2 = quad(lambda y: (y**2 - y**3) / (y + r * (1 - y)), 0, 1, epsrel=1e-13)[0]
    assert alp.loop_g(r) == pytest.approx(gi, rel=1e-9)
    assert alp.loop_f(r) == pytest.approx(2 * gi - 2 * i2, rel=1e-9)


def test_loop_functions_continuous_at_series_boundary():
    for fn in (alp.loop_f, alp.loop_g):
        assert fn(1.1 - 1e-9) == pytest.approx(fn(1.1 + 1e-9), rel=1e-7)
        assert fn(0.9 - 1e-9) == pytest.approx(fn(0.9 + 1e-9), rel=1e-7)
    assert alp.loop_g(1.0) == pytest.approx(2 / 3) and alp.loop_f(1.0) == pytest.approx(7 / 6)


@pytest.mark.parametrize("m_a,theta", [(0.5, 1.2), (M_TAU, math.pi / 2), (2.0, 0.3), (20.0, 2.0)])
def test_amu_closed_form_equals_feynman_integral(m_a, theta):
    closed = alp.amu_closed_form(m_a, 1.5, theta)
    assert closed == pytest.approx(alp.amu_feynman(m_a, 1.5, theta, exact=False), rel=1e-6)
    # exact masses differ only at relative order m_mu/m_tau of the subleading term
    assert closed == pytest.approx(alp.amu_feynman(m_a, 1.5, theta, exact=True), rel=0.05)


def test_amu_seed_benchmark():
    """Batell et al., Sec. IV: theta = pi/2, m_a ~ m_tau needs C/Lambda ~ 2 TeV^-1 for 249e-11."""
    c = brentq(lambda c: alp.amu_closed_form(M_TAU, c, math.pi / 2) - 249e-11, 0.1, 10.0)
    assert 1.7 < c < 2.1
    assert alp.amu_closed_form(M_TAU, 1.0, 0.0) < 0 < alp.amu_closed_form(M_TAU, 1.0, math.pi / 2)


def test_dm_rates():
    sv = alp.sigmav_chichi_to_mutau(1.0, 3.0, 1.0, 1.0)
    g = alp.g_mutau(1.0)
    ref = g**2 * (4 - M_TAU**2) ** 2 / (16 * math.pi * (4 - 9) ** 2) * alp.GEV2_CM3_PER_S
    assert sv == pytest.approx(ref)
    assert alp.GEV2_CM3_PER_S == pytest.approx(1.1673e-17, rel=1e-3)
    assert alp.sigmav_chichi_to_aa(3.0, 1.0, 0.1) > 0
    with pytest.raises(ValueError, match="m_chi"):
        alp.sigmav_chichi_to_aa(1.0, 3.0, 0.1)
    with pytest.raises(ValueError, match="m_chi"):
        alp.sigmav_chichi_to_mutau(0.5, 3.0, 1.0, 1.0)
    assert np.isfinite(sv)
