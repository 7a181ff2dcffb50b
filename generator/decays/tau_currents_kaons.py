r"""Currents of the three-meson tau^- modes with kaons (K pi pi, K K pi, K_S/K_L pairs).

Finkemeier & Mirkes, Z. Phys. C 69 (1996) 243 (hep-ph/9503474), Sec. 3 and their Table 1 of
resonance parameters (as coded in TAUOLA and Pythia 8's ``HMETau2ThreeMesonsWithKaons``).
With the mesons (q2, q3, q4) assigned per mode (:data:`ROLES`), s1 = Q^2, s2 = (q3 + q4)^2,
s3 = (q2 + q4)^2, s4 = (q2 + q3)^2,

.. math:: J = [(F_3 - F_2) q_2 + (F_1 - F_3) q_3 + (F_2 - F_1) q_4]_\perp + i F_4\,\epsilon^{\mu}(q_2, q_3, q_4),

with F3 = 0: F1, F2 the axial-vector form factors (a1 or K1(1270)/K1(1400) propagators times
K*(892)/K*(1410) or rho p-wave Breit-Wigners, their SU(3) Clebsch-Gordan factors), F4 the
Wess-Zumino anomalous (vector) form factor, normalised by 1/(8 pi^2 f_pi^2). The a1 propagator
is that of Kuhn & Santamaria, Z. Phys. C 48 (1990) 445, Eqs. (3.16)-(3.18).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from muonbsm.generator.decays.tau_currents import bw_fixed, bw_running, dot, epsilon_vector, perp

__all__ = ["ROLES", "kaon_current", "a1_propagator_ks"]

F64 = NDArray[np.float64]
_M_K, _M_PI, _F_PI = 0.49765, 0.13957, 0.0942
# (mass, width [GeV], weight)
_RHO_A = ((0.773, 0.145, 1.0), (1.370, 0.510, -0.145))
_RHO_V = ((0.773, 0.145, 1.0), (1.500, 0.220, -6.5 / 26.0), (1.750, 0.120, -1.0 / 26.0))
_KST_A = ((0.892, 0.050, 1.0), (1.412, 0.227, -0.135))
_KST_V = ((0.892, 0.050, 1.0), (1.412, 0.227, -6.5 / 26.0), (1.714, 0.323, -1.0 / 26.0))
_K1_A = ((1.270, 0.090, 0.33), (1.402, 0.174, 1.0))
_K1_B = ((1.270, 0.090, 1.0),)
_OMEGA = ((0.782, 0.00843, 1.0), (1.020, 0.00443, 0.05))
_SQ2 = np.sqrt(2.0)

#: Table-order indices of (q2, q3, q4) per mode (tau^- daughters without the neutrino).
ROLES: dict[tuple[int, ...], tuple[str, tuple[int, int, int]]] = {
    (-321, -211, 211): ("PimPipKm", (0, 1, 2)),
    (-321, 321, -211): ("PimKmKp", (0, 2, 1)),
    (-311, -211, 111): ("Pi0PimK0b", (1, 0, 2)),
    (-321, 311, 111): ("Pi0K0Km", (0, 2, 1)),
    (-321, 111, 111): ("Pi0Pi0Km", (1, 2, 0)),
    (-211, 310, 130): ("KlPimKs", (1, 0, 2)),
    (-211, 310, 310): ("PimKsKs", (1, 0, 2)),
    (-211, 130, 130): ("KlKlPim", (1, 0, 2)),
}


def _t(s: F64, table: tuple, m1: float, m2: float) -> NDArray:
    """Weighted p-wave Breit-Wigners (running width into m1, m2) normalised to the weight sum."""
    return sum(w * bw_running(s, m, g, m1, m2, 1) for m, g, w in table) / sum(w for _, _, w in table)


def _tf(s: F64, table: tuple) -> NDArray:
    """Weighted fixed-width Breit-Wigners normalised to the weight sum."""
    return sum(w * bw_fixed(s, m, g) for m, g, w in table) / sum(w for _, _, w in table)


def a1_propagator_ks(s: F64) -> NDArray:
    """KS a1 Breit-Wigner, m_a1 = 1.251, Gamma_a1 = 0.475 GeV, running width g(s)/g(m_a1^2) (Eq. 3.16)."""
    m_a1, g_a1 = 1.251, 0.475

    def g(x: F64) -> F64:
        x = np.asarray(x, dtype=np.float64)
        d = x - 9 * _M_PI**2
        low = 4.1 * d**3 * (1 - 3.3 * d + 5.8 * d * d)
        high = x * (1.623 + 10.38 / x - 9.32 / x**2 + 0.65 / x**3)
        return np.where(x < 9 * _M_PI**2, 0.0, np.where(x < (0.773 + _M_PI) ** 2, low, high))

    return m_a1**2 / (m_a1**2 - s - 1j * m_a1 * g_a1 * g(s) / g(np.float64(m_a1**2)))


def _form_factors(name: str, s1: F64, s2: F64, s3: F64, s4: F64) -> tuple:
    ka = {x: _t(v, _KST_A, _M_PI, _M_K) for x, v in (("2", s2), ("3", s3), ("4", s4))}
    ra3, ra2 = _t(s3, _RHO_A, _M_PI, _M_PI), _t(s2, _RHO_A, _M_PI, _M_PI)
    a1 = a1_propagator_ks(s1)
    k1a, k1b = _tf(s1, _K1_A), _tf(s1, _K1_B)
    rv, kv = _t(s1, _RHO_V, _M_PI, _M_PI), _t(s1, _KST_V, _M_PI, _M_K)
    om = _tf(s3, _OMEGA)
    c = _SQ2 - 1.0
    if name == "PimKmKp":
        f1, f2, f4 = a1 * ka["2"] / 2, a1 * ra3 / 2, c * rv * (_SQ2 * om + ka["2"])
    elif name in ("PimKsKs", "KlKlPim"):
        f1, f2, f4 = -a1 * (ka["2"] + ka["4"]) / 2, a1 * ka["4"] / 2, c * rv * (ka["2"] - ka["4"])
    elif name == "KlPimKs":
        f1, f2 = a1 * (ka["2"] - ka["4"]) / 2, a1 * (2 * ra3 + ka["4"]) / 2
        f4 = -c * rv * (2 * _SQ2 * om + ka["2"] + ka["4"])
    elif name == "Pi0K0Km":
        f1, f2, f4 = a1 * (ka["2"] - ka["4"]) / 2, a1 * (2 * ra3 + ka["4"]) / 2, -c * rv * (ka["4"] - ka["2"])
    elif name == "Pi0Pi0Km":
        f1, f2, f4 = k1a * ka["2"], k1a * ka["3"], kv * (ka["2"] - ka["3"])
    elif name == "PimPipKm":
        f1, f2, f4 = k1b * ra2, k1a * ka["3"], -kv * (ra2 + ka["3"])
    elif name == "Pi0PimK0b":
        f1, f2 = k1a * (ka["2"] - ka["4"]), 2 * k1b * ra3 + k1a * ka["4"]
        f4 = kv * (2 * ra3 + ka["2"] + ka["4"])
    else:
        raise ValueError(f"unknown kaon mode {name!r}")
    return -f1 / 3.0, f2 / 3.0, f4 / (8 * np.pi**2 * _F_PI**2)


def kaon_current(daughters: tuple[int, ...], hadrons: F64) -> NDArray[np.complex128]:
    """Current J ``(n, 4)`` [GeV] for meson momenta ``(n, 3, 4)`` in the table order of ``daughters``."""
    name, (i2, i3, i4) = ROLES[tuple(daughters[:3])]
    q2, q3, q4 = hadrons[:, i2], hadrons[:, i3], hadrons[:, i4]
    q = q2 + q3 + q4
    s1, s2, s3, s4 = dot(q, q), dot(q3 + q4, q3 + q4), dot(q2 + q4, q2 + q4), dot(q2 + q3, q2 + q3)
    f1, f2, f4 = _form_factors(name, s1, s2, s3, s4)
    j = perp(-f2[:, None] * q2 + f1[:, None] * q3 + (f2 - f1)[:, None] * q4, q)
    return j + 1j * f4[:, None] * epsilon_vector(q2, q3, q4)
