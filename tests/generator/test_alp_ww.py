"""Flavour-conserving pseudoscalar mu Pb -> mu Pb a at 160 GeV: exact vs Weizsaecker-Williams.

WW with theta-dependent t_min (Liu, McKeen, Miller, PRD 95, 036010 (2017), arXiv:1609.06781;
pseudoscalar 2->2 amplitude from Liu, Miller, PRD 96, 016004 (2017), arXiv:1705.01633):

    dsigma/(dx dcos theta) = 2 alpha^2 (g^2/4pi) |k| E (1-x) A(u)/u^2 chi(t_min(theta)),
    A = x^2/(1-x) + 2 m_a^2/u^2 (u x + m_a^2 (1-x) + m^2 x^2),
    u = -m_a^2 (1-x)/x - (m^2 + E^2 theta^2) x,  t_min = (u / (2E(1-x)))^2,
    chi = int_{t_min}^{m_a^2 + m^2} dt (t - t_min)/t^2 G2(t).

The improved WW (IWW) uses t_min = (m_a^2/2E)^2 for all angles and integrates u analytically.
"""

import math

import numpy as np
import pytest

from muonbsm.constants import ALPHA, GEV2_TO_PB, M_MU
from muonbsm.generator.processes.alp import form_factors as nucleus
from muonbsm.generator.processes.alp.cross_section import alp_cross_section


def _gl(n, a, b):
    g, w = np.polynomial.legendre.leggauss(n)
    return 0.5 * (b - a) * (g + 1) + a, 0.5 * (b - a) * w


def _chi(tmin, tmax, Z, A, n=96):
    s, w = _gl(n, 0.0, 1.0)
    l0 = np.log(tmin)[..., None]
    span = np.log(tmax) - l0
    t = np.exp(l0 + span * s)
    f = (t - tmin[..., None]) / t * nucleus.g2(t, Z, A) * span
    return np.where(tmax > tmin, np.sum(f * w, axis=-1), 0.0)


def _a22(u, x, m_a, m):
    return x**2 / (1 - x) + 2 * m_a**2 / u**2 * (u * x + m_a**2 * (1 - x) + m**2 * x**2)


def ww_sigma(energy, m_a, g, Z, A, m=M_MU, n=96, improved=False):
    """sigma_WW [pb] (theta-dependent t_min) or sigma_IWW [pb] for coupling g a mu-bar i gamma5 mu."""
    y, wy = _gl(n, math.log(m / energy), math.log1p(-m_a / energy))
    x = 1 - np.exp(y)
    jx = (1 - x) * wy
    beta = np.sqrt(1 - m_a**2 / (x * energy) ** 2)
    tmax = m_a**2 + m**2
    pref = g**2 / (4 * math.pi) * ALPHA**2
    if improved:
        chi = _chi(np.array([(m_a**2 / (2 * energy)) ** 2]), tmax, Z, A)[0]
        u_max = -m_a**2 * (1 - x) / x - m**2 * x
        s, ws = _gl(64, 0.0, 1.0)
        v = -u_max[:, None] / s
        integral = np.sum(_a22(-v, x[:, None], m_a, m) / v**2 * v / s * ws, axis=1)
        return float(np.sum(pref * chi * beta * (1 - x) * integral * jx) * GEV2_TO_PB)
    th_c = np.sqrt(m**2 + (1 - x) * m_a**2 / x**2) / energy
    s, ws = _gl(n, 0.0, 1.0)
    lo = np.log(1e-4 * th_c)[:, None]
    span = np.log(np.minimum(np.pi, 1e3 * th_c))[:, None] - lo
    th = np.exp(lo + span * s)
    jt = np.sin(th) * th * span * ws
    xx = x[:, None]
    u = -m_a**2 * (1 - xx) / xx - (m**2 + th**2 * energy**2) * xx
    chi = _chi((u / (2 * energy * (1 - xx))) ** 2, tmax, Z, A)
    d = 2 * pref * (beta * x * energy)[:, None] * energy * (1 - xx) * _a22(u, xx, m_a, m) / u**2 * chi
    return float(np.sum(np.sum(d * jt, axis=1) * jx) * GEV2_TO_PB)


@pytest.mark.slow
@pytest.mark.parametrize("m_a", [0.05, 0.5])
def test_exact_agrees_with_ww_for_light_alps(m_a):
    g = 1e-3
    exact = alp_cross_section("Pb", 160.0, m_a, flavour="mumu", couplings=(0.0, g),
                              rel_precision=1.5e-3, seed=1)
    ww = ww_sigma(160.0, m_a, g, 82, 207.2)
    assert exact.sigma_pb == pytest.approx(ww, rel=0.01)


def test_iww_overestimates_heavy_alps():
    g = 1e-3
    exact = alp_cross_section("Pb", 160.0, 2.0, flavour="mumu", couplings=(0.0, g),
                              rel_precision=0.02, seed=1)
    assert exact.sigma_pb / ww_sigma(160.0, 2.0, g, 82, 207.2, improved=True) < 0.5
