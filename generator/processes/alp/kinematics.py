r"""Exact kinematics of ``l_in(p) + N(P_i) -> l_out(p') + N(P_f) + a(k)`` in the nucleus rest frame.

Variables (Liu-McKeen-Miller type, physics note alp_lfv.md Sec. 2): ``x = E_a/E``, the ALP polar
angle ``theta_a`` (ALP azimuth 0, i.e. k in the x-z plane; the azimuth is integrated as 2 pi),
``t = -q^2 > 0`` with ``q = P_i - P_f`` and ``phi_q``, the azimuth of the 3-vector q about
``V = p - k``. The beam is along +z. All energies in GeV, t in GeV^2.

Relations (exact in the nuclear mass M):
``E_k = xE``, ``|k| = sqrt(E_k^2 - m_a^2)``, ``W = E - E_k``, ``q^0 = -t/2M``,
``|q| = sqrt(t + t^2/4M^2)``, ``E' = W - t/2M``,
``cos(q, V) = (D0 - t(1 + W/M)) / (2|V||q|)`` with ``D0 = W^2 - |V|^2 - m_out^2 = (p-k)^2 - m_out^2``,
``p' = V + q``, ``P_f = (M + t/2M, -q)``.

The t range for given (x, theta_a) solves ``a t^2 + b t + c <= 0`` with ``a = (1+W/M)^2 - |V|^2/M^2``,
``b = -2 D0 (1+W/M) - 4|V|^2``, ``c = D0^2``, together with ``E' >= m_out``, i.e.
``t <= 2M(W - m_out)`` (squaring loses the sign of E').
Differences of large numbers are rewritten (e.g. ``E - |p| = m^2/(E + |p|)``) so that the
kinematics stays accurate at 10 TeV with t ~ 1e-10 GeV^2.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["Kinematics", "threshold_energy", "collinear_scale", "t_limits", "build_kinematics"]


@dataclass
class Kinematics:
    """Four-vectors ``[..., 4]`` (GeV) and derived scalars of a 2->3 phase-space point.

    ``d1 = (p-k)^2 - m_out^2`` and ``d2 = (p'+k)^2 - m_in^2`` are the propagator denominators
    (GeV^2), ``v_abs = |V|``, ``p_abs = |p|``, ``k_abs = |k|`` (GeV).
    """

    p: NDArray
    k: NDArray
    pprime: NDArray
    P_i: NDArray
    P_f: NDArray
    q: NDArray
    d1: NDArray
    d2: NDArray
    v_abs: NDArray
    p_abs: float
    k_abs: NDArray


def threshold_energy(m_in: float, m_out: float, m_a: float, M: float) -> float:
    """Lab threshold energy [GeV] of l_in N -> l_out N a: ``s = (m_out + M + m_a)^2``."""
    return ((m_out + M + m_a) ** 2 - m_in**2 - M**2) / (2.0 * M)


def _vk(energy: float, x: NDArray, theta: NDArray, m_in: float, m_a: float):
    """|p|, E_k, |k|, W, |V|^2 and W^2 - |V|^2 (stable), for arrays x, theta."""
    p_abs = np.sqrt((energy - m_in) * (energy + m_in))
    e_k = x * energy
    k_abs = np.sqrt(np.clip((e_k - m_a) * (e_k + m_a), 0.0, None))
    w = energy - e_k
    s2 = np.sin(0.5 * theta) ** 2
    v2 = (p_abs - k_abs) ** 2 + 4.0 * p_abs * k_abs * s2
    # W - (|p| - |k|) = (E - |p|) - (E_k - |k|)
    dm = m_in**2 / (energy + p_abs) - m_a**2 / (e_k + k_abs)
    w2_minus_v2 = dm * (w + p_abs - k_abs) - 4.0 * p_abs * k_abs * s2
    return p_abs, e_k, k_abs, w, v2, w2_minus_v2


def collinear_scale(energy: float, x: ArrayLike, m_in: float, m_out: float, m_a: float) -> NDArray:
    """Characteristic ALP angle [rad] ``sqrt(|D0(theta=0)| / (|p||k|))`` for each x."""
    x = np.asarray(x, dtype=float)
    p_abs, _, k_abs, _, _, w2v2 = _vk(energy, x, np.zeros_like(x), m_in, m_a)
    return np.sqrt(np.abs(w2v2 - m_out**2) / np.maximum(p_abs * k_abs, 1e-300))


def t_limits(energy: float, x: ArrayLike, theta: ArrayLike, m_in: float, m_out: float,
             m_a: float, M: float) -> tuple[NDArray, NDArray]:
    """Physical ``(t_min, t_max)`` [GeV^2] for given x and ALP angle theta [rad].

    Where no physical t exists, ``t_max <= t_min`` (both may be NaN-free zeros).
    """
    x = np.asarray(x, dtype=float)
    theta = np.asarray(theta, dtype=float)
    _, e_k, _, w, v2, w2v2 = _vk(energy, x, theta, m_in, m_a)
    d0 = w2v2 - m_out**2
    g = 1.0 + w / M
    a = g * g - v2 / M**2
    b = -2.0 * d0 * g - 4.0 * v2
    c = d0 * d0
    disc = b * b - 4.0 * a * c
    ok = (disc >= 0) & (b < 0) & (w > m_out) & (e_k > m_a)
    sq = np.sqrt(np.where(ok, disc, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        t_lo = np.where(ok, 2.0 * c / (-b + sq), 0.0)
        t_hi = np.where(ok, np.minimum((-b + sq) / (2.0 * a), 2.0 * M * (w - m_out)), 0.0)
    return t_lo, t_hi


def build_kinematics(energy: float, x: ArrayLike, theta: ArrayLike, t: ArrayLike,
                     phi_q: ArrayLike, m_in: float, m_out: float, m_a: float,
                     M: float) -> Kinematics:
    """Four-vectors for arrays of (x, theta_a [rad], t [GeV^2], phi_q [rad]); t must be physical."""
    x, theta, t, phi_q = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (x, theta, t, phi_q)))
    p_abs, e_k, k_abs, w, v2, w2v2 = _vk(energy, x, theta, m_in, m_a)
    d0 = w2v2 - m_out**2
    v_abs = np.sqrt(v2)
    q_abs = np.sqrt(t + t * t / (4.0 * M**2))
    cosa = np.clip((d0 - t * (1.0 + w / M)) / (2.0 * v_abs * q_abs), -1.0, 1.0)
    sina = np.sqrt((1.0 - cosa) * (1.0 + cosa))
    st, ct = np.sin(theta), np.cos(theta)
    vx, vz = -k_abs * st, p_abs - k_abs * ct
    ex, ez = vx / v_abs, vz / v_abs          # unit vector along V (in x-z plane)
    px_, pz_ = ez, -ex                       # perpendicular unit vector in the x-z plane
    cph, sph = np.cos(phi_q), np.sin(phi_q)
    qx = q_abs * (cosa * ex + sina * cph * px_)
    qy = q_abs * sina * sph
    qz = q_abs * (cosa * ez + sina * cph * pz_)
    zero = np.zeros_like(x)
    shape = x.shape + (4,)
    p = np.broadcast_to(np.array([energy, 0.0, 0.0, p_abs]), shape).copy()
    k = np.stack([e_k, k_abs * st, zero, k_abs * ct], axis=-1)
    q0 = -t / (2.0 * M)
    q = np.stack([q0, qx, qy, qz], axis=-1)
    pprime = np.stack([w - t / (2.0 * M), vx + qx, qy, vz + qz], axis=-1)
    P_i = np.broadcast_to(np.array([M, 0.0, 0.0, 0.0]), shape).copy()
    P_f = np.stack([M - q0, -qx, -qy, -qz], axis=-1)
    # (p'+k)^2 - m_in^2 = (p+q)^2 - m_in^2 = 2 p.q - t
    d2 = 2.0 * (energy * q0 - p_abs * qz) - t
    return Kinematics(p, k, pprime, P_i, P_f, q, d0, d2, v_abs, p_abs, k_abs)
