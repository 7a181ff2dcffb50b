r"""Two-component (Weyl) building blocks for numba helicity amplitudes.

Same conventions as the oracle :mod:`muonbsm.generator.dirac` (chiral basis,
:math:`\psi = (\psi_L, \psi_R)`, :math:`\gamma^\mu = ((0,\sigma^\mu),(\bar\sigma^\mu,0))`,
:math:`\sigma^\mu = (1,\vec\sigma)`, :math:`\bar\sigma^\mu = (1,-\vec\sigma)`), so that

* :math:`\bar\psi\gamma^\mu P_L\chi = \psi_L^\dagger\bar\sigma^\mu\chi_L`,
* :math:`u(p,h) = (\sqrt{E-h|p|}\,\xi_h, \sqrt{E+h|p|}\,\xi_h)`,
  :math:`v(p,h) = i\gamma^2u(p,h)^* = (i\sigma^2u_R^*, -i\sigma^2u_L^*)`,
* :math:`k\cdot\sigma = k^0 - \vec k\cdot\vec\sigma`, :math:`k\cdot\bar\sigma = k^0 + \vec k\cdot\vec\sigma`.

All functions work on complex scalars / tuples (no allocation) and are ``numba.njit``-ed.
Two-spinors are tuples ``(c0, c1)``; four-vectors tuples ``(v0, v1, v2, v3)`` (upper index);
2x2 matrices tuples ``(m00, m01, m10, m11)``.
"""

from __future__ import annotations

import math

from numba import njit

__all__ = [
    "xi",
    "u_lr",
    "v_lr",
    "kdot_sigma",
    "kdot_sigmabar",
    "row_mat",
    "mat_col",
    "row_sigmabar_col",
    "row_sigma_col",
    "mdot",
]


@njit(cache=True)
def xi(px: float, py: float, pz: float, h: int) -> tuple[complex, complex]:
    """Helicity two-spinor xi_h(p) (h = +1 or -1), as ``dirac.helicity_two_spinors``."""
    pabs = math.sqrt(px * px + py * py + pz * pz)
    if pabs == 0.0:
        return (1.0 + 0j, 0j) if h > 0 else (0j, 1.0 + 0j)
    a = pabs + pz
    if a <= 1e-12 * pabs:
        return (0j, 1.0 + 0j) if h > 0 else (-1.0 + 0j, 0j)
    nrm = math.sqrt(2.0 * pabs * a)
    if h > 0:
        return (a / nrm + 0j, complex(px, py) / nrm)
    return (complex(-px, py) / nrm, a / nrm + 0j)


@njit(cache=True)
def u_lr(e: float, px: float, py: float, pz: float, mass: float, h: int):
    """Left and right two-spinors of u(p, h): returns (uL0, uL1, uR0, uR1)."""
    pabs = math.sqrt(px * px + py * py + pz * pz)
    sp = math.sqrt(e + pabs)
    sm = mass / sp
    x0, x1 = xi(px, py, pz, h)
    lo, hi = (sm, sp) if h > 0 else (sp, sm)
    return (lo * x0, lo * x1, hi * x0, hi * x1)


@njit(cache=True)
def v_lr(e: float, px: float, py: float, pz: float, mass: float, h: int):
    """Left and right two-spinors of v(p, h) = i gamma^2 u(p, h)^*: (vL0, vL1, vR0, vR1)."""
    l0, l1, r0, r1 = u_lr(e, px, py, pz, mass, h)
    # i sigma2 (a, b) = (b, -a)
    return (r1.conjugate(), -r0.conjugate(), -l1.conjugate(), l0.conjugate())


@njit(cache=True)
def kdot_sigma(k0, k1, k2, k3):
    """k_mu sigma^mu = k0 - k.sigma as (m00, m01, m10, m11); k may be complex."""
    return (k0 - k3, -(k1 - 1j * k2), -(k1 + 1j * k2), k0 + k3)


@njit(cache=True)
def kdot_sigmabar(k0, k1, k2, k3):
    """k_mu sigmabar^mu = k0 + k.sigma as (m00, m01, m10, m11)."""
    return (k0 + k3, k1 - 1j * k2, k1 + 1j * k2, k0 - k3)


@njit(cache=True)
def row_mat(r0, r1, m):
    """Row two-vector times 2x2 matrix."""
    return (r0 * m[0] + r1 * m[2], r0 * m[1] + r1 * m[3])


@njit(cache=True)
def mat_col(m, c0, c1):
    """2x2 matrix times column two-vector."""
    return (m[0] * c0 + m[1] * c1, m[2] * c0 + m[3] * c1)


@njit(cache=True)
def row_sigmabar_col(r0, r1, c0, c1):
    """Four-vector r sigmabar^mu c (upper index), sigmabar = (1, -sigma)."""
    return (
        r0 * c0 + r1 * c1,
        -(r0 * c1 + r1 * c0),
        -(-1j * r0 * c1 + 1j * r1 * c0),
        -(r0 * c0 - r1 * c1),
    )


@njit(cache=True)
def row_sigma_col(r0, r1, c0, c1):
    """Four-vector r sigma^mu c (upper index), sigma = (1, sigma)."""
    return (
        r0 * c0 + r1 * c1,
        r0 * c1 + r1 * c0,
        -1j * r0 * c1 + 1j * r1 * c0,
        r0 * c0 - r1 * c1,
    )


@njit(cache=True)
def mdot(a, b):
    """Minkowski product of two four-vector tuples (no conjugation)."""
    return a[0] * b[0] - a[1] * b[1] - a[2] * b[2] - a[3] * b[3]
