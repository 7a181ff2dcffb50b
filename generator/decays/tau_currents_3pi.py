r"""Three-pion current of tau^- -> (3 pi)^- nu with the CLEO isoscalar terms.

CLEO Collaboration, Phys. Rev. D 61 (2000) 012002 (hep-ex/9902022), Sec. IV and Table II:
the a1(1260) decays to rho pi (S and D wave, rho(770) and rho(1450)), sigma pi, f0(1370) pi and
f2(1270) pi. With q2, q3 the like-sign (identical) pions, q4 the odd one, s1 = Q^2,
s2 = (q3 + q4)^2, s3 = (q2 + q4)^2, s4 = (q2 + q3)^2, the current is

.. math:: J = BW_{a1}(s_1)\,[(F_3 - F_2) q_2 + (F_1 - F_3) q_3 + (F_2 - F_1) q_4]_\perp

with the form factors of the CLEO amplitudes (rho: p-wave running width, sigma/f0: s-wave,
f2: d-wave; :func:`~muonbsm.generator.decays.tau_currents.bw_running`) and the CLEO a1
propagator :math:`m_{a1}^2/(m_{a1}^2 - s - i\,m_{a1}\Gamma_{a1}(s))`, whose running width is the
CLEO fit of the 3 pi (charged and neutral) and K K* channels (hep-ex/9902022 Eq. (12) and
Fig. 6; the polynomial parametrisation and the parameter values below are those of the CLEO
fit as used in Herwig++ and Pythia 8's ``HMETau2ThreePions``). The neutral mode's F2 is the
Bose image of F1 (q2 <-> q3): F2(s2, s3) = -F1(s3, s2), as in the charged mode, so that J is
symmetric under the exchange of the two pi0 (tested).

Pythia 8.3 (8.317 included) codes the pi0 pi0 pi- F2 differently (p-wave rho weight divided by 3
and of opposite sign, d-wave not divided by 3), which breaks that symmetry: in its own output
the first pi0 listed gives <m(pi0 pi-)> = 0.678 GeV and the second 0.756 GeV (5e4 decays,
chi2 = 2.6e4 for 19 bins). ``bose=False`` reproduces Pythia's form (diagnostic only): with it the
shapes agree with Pythia (chi2/ndf 1.4 at 5e4 decays), with the default they differ (about 70).
Herwig's ThreePionCLEOCurrent (imode 1, pi0 pi0 pi+) codes F2 as the Bose image of F1 as we do
(Herwig 7, Decay/WeakCurrents/ThreePionCLEOCurrent.cc); Pythia 8 (``HMETau2ThreePions::F2``,
neutral branch: p-wave rho weight divided by 3 and with opposite sign, d-wave not divided by 3)
does not.

The current is one numba kernel (a loop over decays, scalar arithmetic; each Breit-Wigner is
evaluated once per pair and shared by the form factors; about 0.4-0.5 us per decay on one core,
4x faster than the numpy expressions).
"""

from __future__ import annotations

import numba
import numpy as np
from numpy.typing import NDArray

from muonbsm.constants import pdg_mass
from muonbsm.generator.decays.tau_currents import vec_add, vec_dot, vec_pair_s, vec_row, weights

__all__ = ["three_pion_current", "a1_width_cleo"]

F64 = NDArray[np.float64]
# rho(770), rho(1450): mass, width [GeV]; p-wave and d-wave couplings (amplitude, phase [rad])
_RHO = ((0.7743, 0.1491), (1.370, 0.386))
_RHO_P = weights(((1.0, 0.0), (0.12, 3.11018)))
_RHO_D = weights(((0.37, -0.471239), (0.87, 1.66504)))
_P0, _P1, _D0, _D1 = complex(_RHO_P[0]), complex(_RHO_P[1]), complex(_RHO_D[0]), complex(_RHO_D[1])
# sigma, f0(1370), f2(1270): mass, width [GeV], coupling
_SIGMA = (0.860, 0.880, 2.1 * np.exp(1j * 0.722566))
_F0 = (1.186, 0.350, 0.77 * np.exp(-1j * 1.69646))
_F2 = (1.275, 0.185, 0.71 * np.exp(1j * 1.75929))
_C_SIGMA, _C_F0, _C_F2 = complex(_SIGMA[2]), complex(_F0[2]), complex(_F2[2])
_M_A1 = 1.331
_M_A1_SQ = _M_A1**2
# a1 running width: threshold, x^3 (1 + a x + b x^2) below s = 0.823 GeV^2, quartic in s above
_A1_CH = (0.1753, 5.80900, -3.00980, 4.5792, -13.91400, 27.67900, -13.39300, 3.19240, -0.10487)
_A1_NE = (0.1676, 6.28450, -2.95950, 4.33550, -15.41100, 32.08800, -17.66600, 4.93550, -0.37498)
_KK_THR, _KK_DIFF2 = (0.894 + 0.496) ** 2, (0.894 - 0.496) ** 2  # (m_K* +- m_K)^2 [GeV^2]
_A1_NORM, _KK_G2 = 0.2384**2 / 1.0252088, 4.7621**2


@numba.njit(cache=True)
def _piece(s: float, c: tuple) -> float:
    if s < c[0]:
        return 0.0
    x = s - c[0]
    if s < 0.823:
        return c[1] * (x * x * x) * (1.0 + c[2] * x + c[3] * x * x)
    return c[4] + c[5] * s + c[6] * (s * s) + c[7] * (s * s * s) + c[8] * (s * s * s * s)


@numba.njit(cache=True)
def _a1_mgamma(s: float) -> float:
    r""":math:`m_{a1}\Gamma_{a1}(s)` [GeV^2] of the CLEO fit: pi- pi- pi+, pi0 pi0 pi- and K K* channels."""
    kk = 0.5 * np.sqrt(max((s - _KK_THR) * (s - _KK_DIFF2), 0.0)) / s if s > _KK_THR else 0.0
    return _A1_NORM * (_piece(s, _A1_CH) + _piece(s, _A1_NE) + _KK_G2 * kk)


@numba.njit(cache=True)
def _a1_width_array(s: F64) -> F64:  # pragma: no cover - compiled
    out = np.empty_like(s)
    for i in range(s.size):
        out[i] = _a1_mgamma(s[i])
    return out


def a1_width_cleo(s: F64) -> F64:
    r""":math:`m_{a1}\Gamma_{a1}(s)` [GeV^2] of the CLEO fit: pi- pi- pi+, pi0 pi0 pi- and K K* channels."""
    s = np.asarray(s, dtype=np.float64)
    return _a1_width_array(s.ravel()).reshape(s.shape)


@numba.njit(cache=True)
def _mom(x: float, m1: float, m2: float) -> float:
    return np.sqrt(max((x - (m1 + m2) ** 2) * (x - (m1 - m2) ** 2), 0.0)) / (2.0 * np.sqrt(x))


@numba.njit(cache=True)
def _bw(s: float, m0: float, g0: float, m1: float, m2: float, wave: int) -> complex:
    r"""Running-width Breit-Wigner :math:`M^2/(M^2 - s - i\Gamma_0 M^2/\sqrt s\,(p(s)/p(M))^{2L+1})`
    (:func:`~muonbsm.generator.decays.tau_currents.bw_running`), L = ``wave``."""
    ratio = _mom(s, m1, m2) / _mom(m0 * m0, m1, m2)
    return m0 * m0 / (m0 * m0 - s - 1j * g0 * m0 * m0 / np.sqrt(max(s, 1e-300)) * ratio ** (2 * wave + 1))


@numba.njit(cache=True)
def _rho_pd(s: float, m1: float, m2: float) -> tuple[complex, complex]:
    """rho(770) + rho(1450) sums with the p-wave and the d-wave weights in a pion pair."""
    r1, r2 = _bw(s, _RHO[0][0], _RHO[0][1], m1, m2, 1), _bw(s, _RHO[1][0], _RHO[1][1], m1, m2, 1)
    return _P0 * r1 + _P1 * r2, _D0 * r1 + _D1 * r2


@numba.njit(cache=True)
def _iso_f2(s: float, m1: float, m2: float) -> tuple[complex, complex]:
    """sigma + f0 s-wave and f2 d-wave amplitudes in a pion pair of invariant mass^2 s."""
    iso = _C_SIGMA * _bw(s, _SIGMA[0], _SIGMA[1], m1, m2, 0) + _C_F0 * _bw(s, _F0[0], _F0[1], m1, m2, 0)
    return iso, _C_F2 * _bw(s, _F2[0], _F2[1], m1, m2, 2)


@numba.njit(cache=True)
def _form_factors(s1: float, s2: float, s3: float, s4: float, m2: float, m3: float, m4: float,
                  charged: bool, bose: bool) -> tuple[complex, complex, complex]:
    """(F1, F2, F3) without the a1 propagator; m2, m3, m4 the masses of q2, q3, q4.

    ``bose=False`` gives the neutral-mode F2 as coded in Pythia 8.3 ``HMETau2ThreePions::F2``
    (p-wave rho weight divided by 3 and d-wave not, opposite p-wave sign), which is not the Bose
    image of F1; kept only to quantify that difference (``benchmarks/tau_decay_speed.py``).
    """
    p2, d2 = _rho_pd(s2, m3, m4)
    p3, d3 = _rho_pd(s3, m2, m4)
    if charged:  # pi- pi- pi+: the like-sign pairs are pi- pi+ (s2, s3); s4 the pi- pi- pair
        (iso2, t2), (iso3, t3) = _iso_f2(s2, m3, m4), _iso_f2(s3, m2, m4)
        f1 = (-p2 - d3 / 3.0 * (s2 - s4) - 2.0 / 3.0 * iso3
              + 0.5 * (s4 - s3) * t2 - (4 * m2**2 - s3) * (s1 + s3 - m2**2) / (18 * s3) * t3)
        f2 = -(-p3 - d2 / 3.0 * (s3 - s4) - 2.0 / 3.0 * iso2
               + 0.5 * (s4 - s2) * t3 - (4 * m2**2 - s2) * (s1 + s2 - m2**2) / (18 * s2) * t2)
        f3 = (-(d2 * (s3 - s4) - d3 * (s2 - s4)) / 3.0
              - 2.0 / 3.0 * iso2 + 2.0 / 3.0 * iso3
              - (4 * m2**2 - s2) * (s1 + s2 - m2**2) / (18 * s2) * t2
              + (4 * m2**2 - s3) * (s1 + s3 - m2**2) / (18 * s3) * t3)
        return f1, f2, f3
    # pi0 pi0 pi-: the charged-neutral pairs (s2, s3) carry the rho; s4 the pi0 pi0 pair the isoscalars
    iso4, t4 = _iso_f2(s4, m2, m3)
    iso = 2.0 / 3.0 * iso4 + (s1 - m4**2 + s4) * (4 * m2**2 - s4) / (18 * s4) * t4
    f1 = p2 - d3 / 3.0 * (s4 - s2 - m4**2 + m2**2) + iso
    if bose:
        f2 = -(p3 - d2 / 3.0 * (s4 - s3 - m4**2 + m3**2) + iso)
    else:
        f2 = -(-p3 / 3.0 - d2 * (s4 - s3 - m4**2 + m3**2) + iso)
    f3 = (d3 * (s4 - s2 - m4**2 + m2**2) - d2 * (s4 - s3 - m4**2 + m3**2)) / 3.0
    f3 = f3 - 0.5 * (s2 - s3) * t4
    return f1, f2, f3


@numba.njit(cache=True)
def _three_pion_kernel(p: F64, m2: float, m3: float, m4: float, charged: bool, bose: bool) -> NDArray[np.complex128]:  # pragma: no cover - compiled
    n = p.shape[0]
    out = np.empty((n, 4), dtype=np.complex128)
    for ev in range(n):
        q2, q3, q4 = vec_row(p, ev, 0), vec_row(p, ev, 1), vec_row(p, ev, 2)
        q = vec_add(vec_add(q2, q3), q4)
        s1 = vec_dot(q, q)
        f1, f2, f3 = _form_factors(s1, vec_pair_s(q3, q4), vec_pair_s(q2, q4), vec_pair_s(q2, q3), m2, m3, m4, charged, bose)
        a1 = _M_A1_SQ / (_M_A1_SQ - s1 - 1j * _a1_mgamma(s1))
        c2, c3, c4 = f3 - f2, f1 - f3, f2 - f1
        j = (c2 * q2[0] + c3 * q3[0] + c4 * q4[0], c2 * q2[1] + c3 * q3[1] + c4 * q4[1],
             c2 * q2[2] + c3 * q3[2] + c4 * q4[2], c2 * q2[3] + c3 * q3[3] + c4 * q4[3])
        proj = (q[0] * j[0] - q[1] * j[1] - q[2] * j[2] - q[3] * j[3]) / s1  # perp: J - Q (Q.J)/Q^2
        for mu in range(4):
            out[ev, mu] = a1 * (j[mu] - q[mu] * proj)
    return out


def three_pion_current(daughters: tuple[int, ...], hadrons: F64, bose: bool = True) -> NDArray[np.complex128]:
    """CLEO current J ``(n, 4)`` for pion momenta ``(n, 3, 4)`` [GeV] in the table order of ``daughters``.

    ``daughters`` (tau^-) is (pi0, pi0, pi-) or (pi-, pi-, pi+): the first two are the identical pions.
    """
    m2, m3, m4 = (pdg_mass(abs(daughters[i])) for i in range(3))
    p = np.ascontiguousarray(hadrons, dtype=np.float64)
    return _three_pion_kernel(p, m2, m3, m4, abs(daughters[0]) == 211, bool(bose))
