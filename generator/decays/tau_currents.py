r"""Hadronic currents and the spin-dependent V-A matrix element for tau^- -> nu_tau + hadrons.

:math:`\mathcal M = \frac{G_F}{\sqrt 2}\bar u_\nu\gamma^\mu(1-\gamma_5)u_\tau J_\mu`, tau spin density
:math:`(\slashed p + m)(1 + P\gamma_5\slashed s)/2`, so that
:math:`|\mathcal M|^2 \propto \mathrm{Tr}[\slashed k\gamma^\mu\slashed P'\gamma^\nu(1-\gamma_5)]J_\mu J^*_\nu`,
:math:`P' = p - P m s` (:func:`hadronic_me`). Currents (:func:`current`):

* ``pseudoscalar``: J = p_h (f_pi, f_K absorbed in the branching ratio);
* ``rho``: J = F_rho(s) (p_pi - p_pi0)_perp, F_rho = (BW_rho + beta BW_rho')/(1 + beta),
  p-wave running widths, Kuhn & Santamaria, Z. Phys. C 48 (1990) 445 (KS);
* ``kstar``: J = BW_K*(s) (p_K - p_pi)_perp;
* ``a1``: J = BW_a1(Q^2) [F_rho(s13)(p1 - p3)_perp + F_rho(s23)(p2 - p3)_perp], p3 the odd pion,
  a1 running width g(Q^2) of KS as coded in TAUOLA (Jadach, Was, Decker, Kuhn, CPC 76 (1993) 361).

``_perp`` is the part transverse to the hadronic momentum Q. Resonance masses and widths [GeV]:
rho(770)^-, K*(892)^- and the rho', beta, a1 parameters of KS.

>>> import numpy as np
>>> k = np.array([[1.0, 0.0, 0.0, -1.0]]); p = np.array([[1.0, 0.0, 0.0, 0.0]])
>>> float(hadronic_me(np.array([[1.0, 0.0, 0.0, 1.0]], dtype=complex), k, p)[0])
4.0
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from muonbsm.constants import M_PI, M_PI0
from muonbsm.generator.decays import kinematics as kin

__all__ = ["M_RHO", "G_RHO", "M_KSTAR", "G_KSTAR", "M_A1", "G_A1", "hadronic_me", "two_body_current", "current"]

#: rho(770)^- mass and width [GeV] (PDG 2024).
M_RHO, G_RHO = 0.77526, 0.1491
_M_RHOP, _G_RHOP, _BETA_RHO = 1.370, 0.510, -0.145
#: K*(892)^- mass and width [GeV] (PDG 2024).
M_KSTAR, G_KSTAR = 0.89167, 0.0514
#: a1 mass and width [GeV] (Kuhn-Santamaria fit).
M_A1, G_A1 = 1.251, 0.599
_METRIC = np.array([1.0, -1.0, -1.0, -1.0])


def _dot(a: NDArray, b: NDArray) -> NDArray:
    return a[..., 0] * b[..., 0] - a[..., 1] * b[..., 1] - a[..., 2] * b[..., 2] - a[..., 3] * b[..., 3]


def hadronic_me(j: NDArray[np.complex128], k: NDArray[np.float64], p_prime: NDArray[np.float64]) -> NDArray[np.float64]:
    r"""Spin-dependent V-A squared matrix element (up to constants) for tau^- -> nu(k) + hadrons(J).

    Returns :math:`\mathrm{Tr}[\slashed k\gamma^\mu\slashed P'\gamma^\nu(1-\gamma_5)]J_\mu J^*_\nu / 4
    = 2\mathrm{Re}[(J\cdot k)(J^*\cdot P')] - (J\cdot J^*)(k\cdot P') + i\epsilon^{\alpha\mu\beta\nu}k_\alpha J_\mu P'_\beta J^*_\nu`
    (:math:`\gamma_5 = i\gamma^0\gamma^1\gamma^2\gamma^3`, so that the epsilon term is
    :math:`+2\det[k; a; P'; b]` for J = a + i b, lowered indices), with ``j`` ``(n, 4)`` complex [GeV],
    ``k`` the neutrino and ``p_prime`` = p - P m s ``(n, 4)`` [GeV].
    """
    if np.isrealobj(j):
        return 2.0 * _dot(j, k) * _dot(j, p_prime) - _dot(j, j) * _dot(k, p_prime)
    a, b = np.real(j), np.imag(j)
    sym = 2.0 * (_dot(a, k) * _dot(a, p_prime) + _dot(b, k) * _dot(b, p_prime)) - (_dot(a, a) + _dot(b, b)) * _dot(k, p_prime)
    if not np.any(b):
        return sym
    # antisymmetric part for J = a + i b: -Tr[k gamma^mu P' gamma^nu gamma5] a_mu b_nu-type term, which
    # with Tr[g0 g1 g2 g3 g5] = -4i (gamma5 = i g0 g1 g2 g3) equals +2 det[k; a; P'; b] (lowered
    # indices); checked against the explicit Dirac trace of muonbsm.generator.dirac in the tests
    lo = _METRIC
    return sym + 2.0 * _det4(k * lo, a * lo, p_prime * lo, b * lo)


def _det4(x: NDArray, y: NDArray, z: NDArray, w: NDArray) -> NDArray:
    """Determinant of the (n, 4, 4) matrices with rows x, y, z, w (Laplace expansion in 2x2 minors)."""

    def minor(u: NDArray, v: NDArray, i: int, j: int) -> NDArray:
        return u[:, i] * v[:, j] - u[:, j] * v[:, i]

    return (
        minor(x, y, 0, 1) * minor(z, w, 2, 3)
        - minor(x, y, 0, 2) * minor(z, w, 1, 3)
        + minor(x, y, 0, 3) * minor(z, w, 1, 2)
        + minor(x, y, 1, 2) * minor(z, w, 0, 3)
        - minor(x, y, 1, 3) * minor(z, w, 0, 2)
        + minor(x, y, 2, 3) * minor(z, w, 0, 1)
    )


def _pwave_width(s: NDArray, m0: float, g0: float, m1: float, m2: float) -> NDArray:
    root = np.sqrt(s)
    ratio = kin.two_body_momentum(np.maximum(root, m1 + m2), m1, m2) / kin.two_body_momentum(m0, m1, m2)
    return g0 * (m0 / root) * ratio**3


def _bw(s: NDArray, m0: float, width: NDArray) -> NDArray[np.complex128]:
    return m0 * m0 / (m0 * m0 - s - 1j * np.sqrt(s) * width)


def _f_rho(s: NDArray, m1: float = M_PI, m2: float = M_PI0) -> NDArray[np.complex128]:
    bw1 = _bw(s, M_RHO, _pwave_width(s, M_RHO, G_RHO, m1, m2))
    bw2 = _bw(s, _M_RHOP, _pwave_width(s, _M_RHOP, _G_RHOP, m1, m2))
    return (bw1 + _BETA_RHO * bw2) / (1.0 + _BETA_RHO)


def _a1_width(q2: NDArray) -> NDArray:
    """KS/TAUOLA running a1 width g(Q^2) normalised to g(m_a1^2) times Gamma_a1 [GeV]."""

    def g(x: NDArray) -> NDArray:
        x = np.asarray(x, dtype=np.float64)
        low = x < (M_RHO + M_PI) ** 2
        d = np.clip(x - 9.0 * M_PI**2, 0.0, None)
        return np.where(low, 4.1 * d**3 * (1.0 - 3.3 * d + 5.8 * d * d), x * (1.623 + 10.38 / x - 9.32 / x**2 + 0.65 / x**3))

    return G_A1 * g(q2) / g(np.array(M_A1**2))


def _perp(v: NDArray, q: NDArray) -> NDArray:
    return v - q * (_dot(q, v) / _dot(q, q))[:, None]


def two_body_current(model: str, hadrons: NDArray[np.float64]) -> tuple[NDArray[np.complex128], NDArray[np.float64]]:
    """Form factor ``(n,)`` and real vector ``(n, 4)`` [GeV] of the ``rho``/``kstar`` current J = F v."""
    q = hadrons[:, 0] + hadrons[:, 1]
    s = _dot(q, q)
    if model == "rho":
        form = _f_rho(s)
    elif model == "kstar":
        m1, m2 = (float(kin.invariant_mass(hadrons[:1, i])[0]) for i in (0, 1))
        form = _bw(s, M_KSTAR, _pwave_width(s, M_KSTAR, G_KSTAR, m1, m2))
    else:
        raise ValueError(f"model must be 'rho' or 'kstar', not {model!r}")
    return form, _perp(hadrons[:, 0] - hadrons[:, 1], q)


def current(model: str, hadrons: NDArray[np.float64]) -> NDArray[np.complex128]:
    """Hadronic current J ``(n, 4)`` [GeV] of ``model`` for hadron momenta ``(n, k, 4)`` [GeV] (table order)."""
    q = hadrons.sum(axis=1)
    if model == "pseudoscalar":
        return hadrons[:, 0].astype(np.complex128)
    if model in ("rho", "kstar"):
        form, vec = two_body_current(model, hadrons)
        return form[:, None] * vec
    if model == "a1":
        p1, p2, p3 = hadrons[:, 0], hadrons[:, 1], hadrons[:, 2]
        m_odd, m_like = float(kin.invariant_mass(p3[:1])[0]), float(kin.invariant_mass(p1[:1])[0])
        m_ch, m_neu = (M_PI, M_PI0)
        pair = (m_ch, m_neu) if abs(m_odd - m_like) > 1e-3 else (m_ch, m_ch)
        q2 = _dot(q, q)
        bw_a1 = _bw(q2, M_A1, _a1_width(q2) * M_A1 / np.sqrt(q2))
        f13, f23 = _f_rho(_dot(p1 + p3, p1 + p3), *pair), _f_rho(_dot(p2 + p3, p2 + p3), *pair)
        return bw_a1[:, None] * (f13[:, None] * _perp(p1 - p3, q) + f23[:, None] * _perp(p2 - p3, q))
    raise ValueError(f"unknown hadronic model {model!r}")
