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
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from muonbsm.constants import pdg_mass
from muonbsm.generator.decays.tau_currents import bw_running, dot, perp, weights

__all__ = ["three_pion_current", "a1_width_cleo"]

F64 = NDArray[np.float64]
# rho(770), rho(1450): mass, width [GeV]; p-wave and d-wave couplings (amplitude, phase [rad])
_RHO = ((0.7743, 0.1491), (1.370, 0.386))
_RHO_P = weights(((1.0, 0.0), (0.12, 3.11018)))
_RHO_D = weights(((0.37, -0.471239), (0.87, 1.66504)))
# sigma, f0(1370), f2(1270): mass, width [GeV], coupling
_SIGMA = (0.860, 0.880, 2.1 * np.exp(1j * 0.722566))
_F0 = (1.186, 0.350, 0.77 * np.exp(-1j * 1.69646))
_F2 = (1.275, 0.185, 0.71 * np.exp(1j * 1.75929))
_M_A1 = 1.331


def a1_width_cleo(s: F64) -> F64:
    r""":math:`m_{a1}\Gamma_{a1}(s)` [GeV^2] of the CLEO fit: pi- pi- pi+, pi0 pi0 pi- and K K* channels."""
    s = np.asarray(s, dtype=np.float64)
    pic, pin, m_k, m_ks = 0.1753, 0.1676, 0.496, 0.894

    def piece(th: float, a: tuple, b: tuple) -> F64:
        x = s - th
        low = a[0] * x**3 * (1.0 + a[1] * x + a[2] * x * x)
        high = b[0] + b[1] * s + b[2] * s**2 + b[3] * s**3 + b[4] * s**4
        return np.where(s < th, 0.0, np.where(s < 0.823, low, high))

    charged = piece(pic, (5.80900, -3.00980, 4.5792), (-13.91400, 27.67900, -13.39300, 3.19240, -0.10487))
    neutral = piece(pin, (6.28450, -2.95950, 4.33550), (-15.41100, 32.08800, -17.66600, 4.93550, -0.37498))
    thr = (m_ks + m_k) ** 2
    kk = np.where(s > thr, 0.5 * np.sqrt(np.clip((s - thr) * (s - (m_ks - m_k) ** 2), 0.0, None)) / s, 0.0)
    return 0.2384**2 / 1.0252088 * (charged + neutral + 4.7621**2 * kk)


def _rho(s: F64, m1: float, m2: float, w: NDArray) -> NDArray:
    return sum(wi * bw_running(s, m, g, m1, m2, 1) for wi, (m, g) in zip(w, _RHO))


def _iso(s: F64, m1: float, m2: float) -> NDArray:
    """sigma + f0 s-wave amplitude in a pi pi pair of invariant mass^2 s."""
    return _SIGMA[2] * bw_running(s, _SIGMA[0], _SIGMA[1], m1, m2, 0) + _F0[2] * bw_running(s, _F0[0], _F0[1], m1, m2, 0)


def _f2(s: F64, m1: float, m2: float) -> NDArray:
    return _F2[2] * bw_running(s, _F2[0], _F2[1], m1, m2, 2)


def _form_factors(s1: F64, s2: F64, s3: F64, s4: F64, m: tuple[float, float, float], charged: bool, bose: bool = True) -> tuple:
    """(F1, F2, F3) without the a1 propagator; m = (m2, m3, m4) of q2, q3, q4.

    ``bose=False`` gives the neutral-mode F2 as coded in Pythia 8.3 ``HMETau2ThreePions::F2``
    (p-wave rho weight divided by 3 and d-wave not, opposite p-wave sign), which is not the Bose
    image of F1; kept only to quantify that difference (``benchmarks/tau_decay_speed.py``).
    """
    m2, m3, m4 = m
    if charged:  # pi- pi- pi+: the like-sign pairs are pi- pi+ (s2, s3); s4 the pi- pi- pair
        f1 = (-_rho(s2, m3, m4, _RHO_P) - _rho(s3, m2, m4, _RHO_D) / 3.0 * (s2 - s4)
              - 2.0 / 3.0 * _iso(s3, m2, m4)
              + 0.5 * (s4 - s3) * _f2(s2, m3, m4) - (4 * m2**2 - s3) * (s1 + s3 - m2**2) / (18 * s3) * _f2(s3, m2, m4))
        f2 = -(-_rho(s3, m2, m4, _RHO_P) - _rho(s2, m3, m4, _RHO_D) / 3.0 * (s3 - s4)
               - 2.0 / 3.0 * _iso(s2, m3, m4)
               + 0.5 * (s4 - s2) * _f2(s3, m2, m4) - (4 * m2**2 - s2) * (s1 + s2 - m2**2) / (18 * s2) * _f2(s2, m3, m4))
        f3 = (-(_rho(s2, m3, m4, _RHO_D) * (s3 - s4) - _rho(s3, m2, m4, _RHO_D) * (s2 - s4)) / 3.0
              - 2.0 / 3.0 * _iso(s2, m3, m4) + 2.0 / 3.0 * _iso(s3, m2, m4)
              - (4 * m2**2 - s2) * (s1 + s2 - m2**2) / (18 * s2) * _f2(s2, m3, m4)
              + (4 * m2**2 - s3) * (s1 + s3 - m2**2) / (18 * s3) * _f2(s3, m2, m4))
        return f1, f2, f3
    # pi0 pi0 pi-: the charged-neutral pairs (s2, s3) carry the rho; s4 the pi0 pi0 pair the isoscalars
    iso = 2.0 / 3.0 * _iso(s4, m2, m3) + (s1 - m4**2 + s4) * (4 * m2**2 - s4) / (18 * s4) * _f2(s4, m2, m3)
    f1 = _rho(s2, m3, m4, _RHO_P) - _rho(s3, m2, m4, _RHO_D) / 3.0 * (s4 - s2 - m4**2 + m2**2) + iso
    if bose:
        f2 = -(_rho(s3, m2, m4, _RHO_P) - _rho(s2, m3, m4, _RHO_D) / 3.0 * (s4 - s3 - m4**2 + m3**2) + iso)
    else:
        f2 = -(-_rho(s3, m2, m4, _RHO_P) / 3.0 - _rho(s2, m3, m4, _RHO_D) * (s4 - s3 - m4**2 + m3**2) + iso)
    f3 = (_rho(s3, m2, m4, _RHO_D) * (s4 - s2 - m4**2 + m2**2) - _rho(s2, m3, m4, _RHO_D) * (s4 - s3 - m4**2 + m3**2)) / 3.0
    f3 = f3 - 0.5 * (s2 - s3) * _f2(s4, m2, m3)
    return f1, f2, f3


def three_pion_current(daughters: tuple[int, ...], hadrons: F64, bose: bool = True) -> NDArray[np.complex128]:
    """CLEO current J ``(n, 4)`` for pion momenta ``(n, 3, 4)`` [GeV] in the table order of ``daughters``.

    ``daughters`` (tau^-) is (pi0, pi0, pi-) or (pi-, pi-, pi+): the first two are the identical pions.
    """
    q2, q3, q4 = hadrons[:, 0], hadrons[:, 1], hadrons[:, 2]
    q = q2 + q3 + q4
    s1, s2, s3, s4 = dot(q, q), dot(q3 + q4, q3 + q4), dot(q2 + q4, q2 + q4), dot(q2 + q3, q2 + q3)
    m = (pdg_mass(abs(daughters[0])), pdg_mass(abs(daughters[1])), pdg_mass(abs(daughters[2])))
    charged = abs(daughters[0]) == 211
    f1, f2, f3 = _form_factors(s1, s2, s3, s4, m, charged, bose)
    a1 = _M_A1**2 / (_M_A1**2 - s1 - 1j * a1_width_cleo(s1))
    j = (f3 - f2)[:, None] * q2 + (f1 - f3)[:, None] * q3 + (f2 - f1)[:, None] * q4
    return a1[:, None] * perp(j, q)
