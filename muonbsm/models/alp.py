r"""Lepton-flavour-violating ALP with a mu-tau coupling and a dark Dirac fermion.

Model (seed paper 000, Batell et al., Eqs. 1-4):

.. math::
    \mathcal L \supset -i\,a\,\bar\mu\,(s + p\,\gamma_5)\,\tau + \mathrm{h.c.}
    - i g_\chi\, a\, \bar\chi\gamma_5\chi,

with ``s = (C/Lambda)(m_tau - m_mu) sin(theta)`` and ``p = (C/Lambda)(m_tau + m_mu) cos(theta)``
(Batell et al., Eq. 2, exact lepton masses). On the public interface C/Lambda is in TeV^-1; inside,
all couplings are in GeV units (s, p dimensionless, C/Lambda in GeV^-1).

Contents: coupling conversions, partial widths per charge mode, branching ratios, the
one-loop (g-2)_mu shift (Batell et al., Eqs. 8-9, closed form with series near m_a = m_tau, and the
Feynman-parameter integral it comes from) and the DM annihilation rates (Batell et al., Eqs. 13-14).

>>> s, p = couplings(1.0, 0.0)
>>> round(p, 6) == round(1e-3 * (M_TAU + M_MU), 6) and s == 0.0
True
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.integrate import quad

from muonbsm.constants import GEV2_TO_PB, M_MU, M_TAU

__all__ = [
    "TEV_INV",
    "GEV2_CM3_PER_S",
    "couplings",
    "couplings_to_c_theta",
    "g_mutau",
    "width_mutau_per_mode",
    "width_mutau",
    "width_chichi",
    "branching_ratios",
    "loop_f",
    "loop_g",
    "amu_closed_form",
    "amu_feynman",
    "sigmav_chichi_to_mutau",
    "sigmav_chichi_to_aa",
]

#: 1 TeV^-1 in GeV^-1.
TEV_INV: float = 1e-3
#: <sigma v> of 1 GeV^-2 in cm^3/s: (hbar c)^2 * c.
GEV2_CM3_PER_S: float = GEV2_TO_PB * 1e-36 * 2.99792458e10


def _check_nonneg(name: str, value: float) -> None:
    if not np.all(np.asarray(value) >= 0.0):
        raise ValueError(f"{name} must be >= 0, got {value}")


def couplings(c_over_lambda: float, theta: float, m_light: float = M_MU,
              m_heavy: float = M_TAU) -> tuple[float, float]:
    """Scalar and pseudoscalar couplings ``(s, p)`` (dimensionless) of Batell et al., Eq. 2.

    ``c_over_lambda`` in TeV^-1 (>= 0), ``theta`` in rad, masses in GeV.
    ``s = (C/Lambda)(m_heavy - m_light) sin(theta)``, ``p = (C/Lambda)(m_heavy + m_light) cos(theta)``.
    """
    _check_nonneg("c_over_lambda", c_over_lambda)
    c = c_over_lambda * TEV_INV
    return c * (m_heavy - m_light) * math.sin(theta), c * (m_heavy + m_light) * math.cos(theta)


def couplings_to_c_theta(s: float, p: float, m_light: float = M_MU,
                         m_heavy: float = M_TAU) -> tuple[float, float]:
    """Inverse of :func:`couplings`: ``(C/Lambda [TeV^-1], theta [rad])`` from ``(s, p)``."""
    a = s / (m_heavy - m_light)
    b = p / (m_heavy + m_light)
    return math.hypot(a, b) / TEV_INV, math.atan2(a, b)


def g_mutau(c_over_lambda: float) -> float:
    """Batell et al., Eq. 3 coupling ``g = C m_tau / Lambda`` (dimensionless); C/Lambda in TeV^-1."""
    _check_nonneg("c_over_lambda", c_over_lambda)
    return c_over_lambda * TEV_INV * M_TAU


def width_mutau_per_mode(m_a: ArrayLike, s: float, p: float, m_light: float = M_MU,
                         m_heavy: float = M_TAU) -> NDArray:
    r"""Width [GeV] of ONE charge mode, ``a -> mu^- tau^+`` or ``a -> mu^+ tau^-``.

    :math:`\Gamma = \frac{m_a}{8\pi}\lambda^{1/2}[s^2(1-(m_\tau+m_\mu)^2/m_a^2)
    + p^2(1-(m_\tau-m_\mu)^2/m_a^2)]`; it reduces to Batell et al., Eq. 5 for m_mu -> 0.
    Zero below threshold ``m_a <= m_tau + m_mu``.
    """
    m_a = np.asarray(m_a, dtype=float)
    if np.any(m_a <= 0):
        raise ValueError("m_a must be > 0 GeV")
    with np.errstate(invalid="ignore", divide="ignore"):
        bp = 1.0 - (m_heavy + m_light) ** 2 / m_a**2
        bm = 1.0 - (m_heavy - m_light) ** 2 / m_a**2
        lam = np.sqrt(np.clip(bp * bm, 0.0, None))
        w = m_a / (8 * math.pi) * lam * (s**2 * bp + p**2 * bm)
    return np.where(bp > 0, w, 0.0)


def width_mutau(m_a: ArrayLike, s: float, p: float) -> NDArray:
    """Total mu-tau width [GeV], both charge modes: ``2 * width_mutau_per_mode``."""
    return 2.0 * width_mutau_per_mode(m_a, s, p)


def width_chichi(m_a: ArrayLike, g_chi: float, m_chi: float) -> NDArray:
    """``Gamma(a -> chi chibar) = g_chi^2 m_a beta / (8 pi)`` [GeV] (Batell et al., Eq. 7), 0 below threshold."""
    m_a = np.asarray(m_a, dtype=float)
    _check_nonneg("m_chi", m_chi)
    b2 = 1.0 - 4.0 * m_chi**2 / m_a**2
    return np.where(b2 > 0, g_chi**2 * m_a * np.sqrt(np.clip(b2, 0, None)) / (8 * math.pi), 0.0)


def branching_ratios(m_a: float, c_over_lambda: float, theta: float, g_chi: float = 0.0,
                     m_chi: float = 0.0) -> dict[str, float]:
    """Branching ratios of the ALP: keys ``mu-tau+``, ``mu+tau-``, ``chichi`` and ``width`` [GeV].

    C/Lambda in TeV^-1, masses in GeV. Raises ValueError if no channel is open.
    """
    s, p = couplings(c_over_lambda, theta)
    w1 = float(width_mutau_per_mode(m_a, s, p))
    wc = float(width_chichi(m_a, g_chi, m_chi)) if g_chi > 0 else 0.0
    tot = 2 * w1 + wc
    if tot <= 0:
        raise ValueError(f"no open decay channel for m_a = {m_a} GeV (need m_a > m_tau + m_mu "
                         "or m_a > 2 m_chi with g_chi > 0)")
    return {"mu-tau+": w1 / tot, "mu+tau-": w1 / tot, "chichi": wc / tot, "width": tot}


def _series_coeffs(r: float, kind: str) -> float:
    """Power series in u = r - 1 of the loop integrals (|u| < 0.1), 25 terms."""
    u = r - 1.0
    n = np.arange(25)
    if kind == "g":
        return float(np.sum(4.0 * (-u) ** n / ((n + 1) * (n + 2) * (n + 3))))
    return float(np.sum(2.0 * (-u) ** n / ((n + 2) * (n + 3) * (n + 4))))


def loop_g(r: float) -> float:
    r"""Batell et al., Eq. 9 ``g(x) = 2x^2 ln x/(x-1)^3 + (1-3x)/(x-1)^2`` = :math:`2\int_0^1 y^2/(y + x(1-y))dy`.

    ``r = m_a^2/m_tau^2`` > 0; a series in (r - 1) is used for |r - 1| < 0.1.
    """
    if r <= 0:
        raise ValueError(f"r = m_a^2/m_tau^2 must be > 0, got {r}")
    if abs(r - 1.0) < 0.1:
        return _series_coeffs(r, "g")
    return 2 * r**2 * math.log(r) / (r - 1) ** 3 + (1 - 3 * r) / (r - 1) ** 2


def loop_f(r: float) -> float:
    r"""Batell et al., Eq. 9 ``f(x) = 2x^2(2x-1)ln x/(x-1)^4 - (5-19x+20x^2)/(3(x-1)^3)``.

    Equals :math:`2g(x) - 2\int_0^1 (y^2-y^3)/(y + x(1-y))dy`; series for |r - 1| < 0.1.
    """
    if r <= 0:
        raise ValueError(f"r = m_a^2/m_tau^2 must be > 0, got {r}")
    if abs(r - 1.0) < 0.1:
        return 2 * _series_coeffs(r, "g") - 2 * _series_coeffs(r, "f")
    return (2 * r**2 * (2 * r - 1) * math.log(r) / (r - 1) ** 4
            - (5 - 19 * r + 20 * r**2) / (3 * (r - 1) ** 3))


def amu_closed_form(m_a: float, c_over_lambda: float, theta: float) -> float:
    r"""ALP shift of a_mu, Batell et al., Eq. 8 (leading orders in m_mu/m_tau):

    :math:`a_\mu = -\frac{g^2}{16\pi^2}\frac{m_\mu^2}{m_\tau^2}[f(x) + \frac{m_\tau}{m_\mu}g(x)\cos2\theta]`,
    ``g = C m_tau/Lambda``, ``x = m_a^2/m_tau^2``. m_a in GeV, C/Lambda in TeV^-1.
    """
    if m_a <= 0:
        raise ValueError(f"m_a must be > 0 GeV, got {m_a}")
    g = g_mutau(c_over_lambda)
    r = m_a**2 / M_TAU**2
    return -(g**2 / (16 * math.pi**2)) * (M_MU / M_TAU) ** 2 * (
        loop_f(r) + (M_TAU / M_MU) * loop_g(r) * math.cos(2 * theta))


def amu_feynman(m_a: float, c_over_lambda: float, theta: float, *, exact: bool = True) -> float:
    r"""a_mu from the one-loop Feynman-parameter integral (Leveille 1978, scalar exchange):

    :math:`a_\mu = \frac{m_\mu^2}{8\pi^2}\int_0^1 dy\,\frac{s^2 y^2(1-y+\epsilon)
    + p^2 y^2(1-y-\epsilon)}{m_\mu^2y^2 + (m_\tau^2-m_\mu^2)y + m_a^2(1-y)}`, ``epsilon = m_tau/m_mu``.

    ``exact=True``: exact (s, p) and denominator. ``exact=False``: the expansion behind seed
    Eq. 8 (denominator ``m_tau^2 y + m_a^2 (1-y)``, ``s^2+p^2 -> g^2``,
    ``epsilon (s^2-p^2) -> -g^2 (epsilon cos 2theta + 2)``), which equals
    :func:`amu_closed_form` identically.
    """
    if m_a <= 0:
        raise ValueError(f"m_a must be > 0 GeV, got {m_a}")
    eps = M_TAU / M_MU
    if exact:
        s, p = couplings(c_over_lambda, theta)
        ssum, sdif = s**2 + p**2, eps * (s**2 - p**2)

        def den(y: float) -> float:
            return M_MU**2 * y**2 + (M_TAU**2 - M_MU**2) * y + m_a**2 * (1 - y)
    else:
        g = g_mutau(c_over_lambda)
        ssum, sdif = g**2, -g**2 * (eps * math.cos(2 * theta) + 2.0)

        def den(y: float) -> float:
            return M_TAU**2 * y + m_a**2 * (1 - y)
    val = quad(lambda y: (ssum * (y**2 - y**3) + sdif * y**2) / den(y), 0.0, 1.0,
               epsabs=0.0, epsrel=1e-12, limit=200)[0]
    return M_MU**2 / (8 * math.pi**2) * val


def sigmav_chichi_to_mutau(m_chi: float, m_a: float, c_over_lambda: float, g_chi: float) -> float:
    r"""Non-relativistic <sigma v> of chi chibar -> mu tau (both charges), Batell et al., Eq. 13, in cm^3/s.

    :math:`\langle\sigma v\rangle = \frac{g^2 g_\chi^2 (4m_\chi^2-m_\tau^2)^2}
    {16\pi m_\chi^2 (4m_\chi^2-m_a^2)^2}` (m_mu -> 0). Masses in GeV, C/Lambda in TeV^-1.
    """
    if 2 * m_chi <= M_TAU:
        raise ValueError(f"m_chi must be > m_tau/2 = {M_TAU / 2:.4f} GeV, got {m_chi}")
    g = g_mutau(c_over_lambda)
    sv = g**2 * g_chi**2 * (4 * m_chi**2 - M_TAU**2) ** 2 / (
        16 * math.pi * m_chi**2 * (4 * m_chi**2 - m_a**2) ** 2)
    return sv * GEV2_CM3_PER_S


def sigmav_chichi_to_aa(m_chi: float, m_a: float, g_chi: float, x_fo: float = 20.0) -> float:
    r"""Thermal <sigma v> of chi chibar -> a a (p-wave), Batell et al., Eq. 14, in cm^3/s:

    :math:`\frac{6}{x_{fo}}\frac{g_\chi^4}{24\pi}\frac{m_\chi^2(m_\chi^2-m_a^2)^2}{(2m_\chi^2-m_a^2)^4}
    \sqrt{1-m_a^2/m_\chi^2}`, ``x_fo = m_chi/T_fo``. Requires m_chi > m_a.
    """
    if m_chi <= m_a:
        raise ValueError(f"m_chi must be > m_a = {m_a} GeV, got {m_chi}")
    sv = (6 / x_fo) * g_chi**4 / (24 * math.pi) * m_chi**2 * (m_chi**2 - m_a**2) ** 2 / (
        2 * m_chi**2 - m_a**2) ** 4 * math.sqrt(1 - m_a**2 / m_chi**2)
    return sv * GEV2_CM3_PER_S
