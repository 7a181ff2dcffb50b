r"""Dirac algebra with explicit 4x4 matrices, vectorised over events.

This module is the *oracle*: slow, explicit and easy to check. Fast kernels elsewhere
(numba helicity amplitudes) are tested against it.

Conventions
-----------
* Metric ``g = diag(+1, -1, -1, -1)``; four-vectors are arrays ``[..., 4]`` ordered
  ``(E, px, py, pz)`` in GeV.
* Chiral (Weyl) basis, as in Peskin & Schroeder Eq. (3.40):
  :math:`\gamma^0 = \begin{pmatrix}0&1\\1&0\end{pmatrix}`,
  :math:`\gamma^i = \begin{pmatrix}0&\sigma^i\\-\sigma^i&0\end{pmatrix}`,
  :math:`\gamma_5 = i\gamma^0\gamma^1\gamma^2\gamma^3 = \mathrm{diag}(-1,-1,+1,+1)`,
  so that :math:`P_L = (1-\gamma_5)/2` projects on the upper two components.
* With :math:`\gamma_5 = i\gamma^0\gamma^1\gamma^2\gamma^3`,
  :math:`\mathrm{Tr}[\gamma^0\gamma^1\gamma^2\gamma^3\gamma_5] = -4i`, i.e.
  :math:`\mathrm{Tr}[\gamma^\mu\gamma^\nu\gamma^\rho\gamma^\sigma\gamma_5] = -4i\epsilon^{\mu\nu\rho\sigma}`
  with :math:`\epsilon^{0123} = +1` (:math:`\epsilon_{0123} = -1`). Code that needs the
  Levi-Civita tensor takes it from explicit traces, never from a typed sign convention.

>>> import numpy as np
>>> p = np.array([5.0, 1.0, 2.0, 3.0])
>>> ps = slash(p)
>>> bool(np.allclose(ps @ ps, minkowski_dot(p, p) * np.eye(4)))
True
>>> complex(np.trace(GAMMA[0] @ GAMMA[1] @ GAMMA[2] @ GAMMA[3] @ GAMMA5))
-4j

Spinors (helicity basis, P&S Eqs. 3.50-3.53 written with helicity two-spinors):
:math:`u(p,h) = (\sqrt{E - h|p|}\,\xi_h,\ \sqrt{E + h|p|}\,\xi_h)` with
:math:`(\hat p\cdot\vec\sigma)\xi_h = h\xi_h`, :math:`h = \pm 1`, and
:math:`v(p,h) = i\gamma^2 u(p,h)^*` (charge conjugate, P&S Eq. 3.145), which describes an
antifermion of *physical* helicity ``h``. For a particle at rest the helicity axis is +z, so
index 0/1 is spin up/down along z. Array index 0 <-> h = +1, index 1 <-> h = -1.

>>> m = 0.1; pz = 0.3; E = np.hypot(m, pz)
>>> u = u_spinor(np.array([E, 0.0, 0.0, pz]), m)
>>> bool(np.allclose(spinor_bar(u) @ u.T, 2 * m * np.eye(2)))
True
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "METRIC",
    "GAMMA",
    "GAMMA_LOWER",
    "GAMMA5",
    "IDENTITY",
    "PROJ_L",
    "PROJ_R",
    "minkowski_dot",
    "lower_index",
    "slash",
    "dirac_bar",
    "PAULI",
    "HELICITIES",
    "helicity_two_spinors",
    "u_spinor",
    "v_spinor",
    "spinor_bar",
    "spin_density",
]

_I2 = np.eye(2, dtype=complex)
_Z2 = np.zeros((2, 2), dtype=complex)
_PAULI = np.array(
    [[[0, 1], [1, 0]], [[0, -1j], [1j, 0]], [[1, 0], [0, -1]]],
    dtype=complex,
)

#: Minkowski metric diag(+1, -1, -1, -1).
METRIC: NDArray[np.float64] = np.diag([1.0, -1.0, -1.0, -1.0])
#: Upper-index gamma matrices gamma^mu, shape (4, 4, 4): [mu, row, col].
GAMMA: NDArray[np.complex128] = np.array(
    [np.block([[_Z2, _I2], [_I2, _Z2]])]
    + [np.block([[_Z2, s], [-s, _Z2]]) for s in _PAULI]
)
#: Lower-index gamma matrices gamma_mu = g_{mu nu} gamma^nu.
GAMMA_LOWER: NDArray[np.complex128] = np.einsum("mn,nab->mab", METRIC.astype(complex), GAMMA)
#: gamma_5 = i gamma^0 gamma^1 gamma^2 gamma^3.
GAMMA5: NDArray[np.complex128] = 1j * GAMMA[0] @ GAMMA[1] @ GAMMA[2] @ GAMMA[3]
IDENTITY: NDArray[np.complex128] = np.eye(4, dtype=complex)
#: Chiral projectors P_{L,R} = (1 -/+ gamma_5) / 2.
PROJ_L: NDArray[np.complex128] = 0.5 * (IDENTITY - GAMMA5)
PROJ_R: NDArray[np.complex128] = 0.5 * (IDENTITY + GAMMA5)


def minkowski_dot(a: NDArray, b: NDArray) -> NDArray:
    """Minkowski product ``a.b = a0 b0 - a.b`` of four-vectors ``[..., 4]`` (GeV^2)."""
    return a[..., 0] * b[..., 0] - a[..., 1] * b[..., 1] - a[..., 2] * b[..., 2] - a[..., 3] * b[..., 3]


def lower_index(p: NDArray) -> NDArray:
    """Covariant components ``p_mu = g_{mu nu} p^nu`` of four-vectors ``[..., 4]``."""
    return p * np.array([1.0, -1.0, -1.0, -1.0])


def slash(p: NDArray) -> NDArray[np.complex128]:
    """Feynman slash ``p-slash = gamma^mu p_mu`` for four-vectors ``[..., 4]`` -> ``[..., 4, 4]``."""
    return np.einsum("...m,mab->...ab", lower_index(np.asarray(p, dtype=float)).astype(complex), GAMMA)


def dirac_bar(m: NDArray[np.complex128]) -> NDArray[np.complex128]:
    """Dirac conjugate of a matrix, ``gamma^0 M^dagger gamma^0``, for ``[..., 4, 4]`` arrays."""
    return GAMMA[0] @ np.conj(np.swapaxes(m, -1, -2)) @ GAMMA[0]


#: Pauli matrices sigma^{1,2,3}, shape (3, 2, 2).
PAULI: NDArray[np.complex128] = _PAULI
#: Helicity labels (in units of 1/2) of the spinor index 0 and 1.
HELICITIES: tuple[int, int] = (1, -1)


def helicity_two_spinors(p: NDArray) -> NDArray[np.complex128]:
    r"""Two-spinors :math:`\xi_{\pm}` with :math:`(\hat p\cdot\vec\sigma)\xi_\pm = \pm\xi_\pm`.

    ``p`` is ``[..., 4]`` (GeV); returns ``[..., 2, 2]`` = [helicity index, component], with
    :math:`\xi_+ = (|p|+p_z,\ p_x + i p_y)/N`, :math:`\xi_- = (-(p_x - i p_y),\ |p|+p_z)/N`,
    :math:`N = \sqrt{2|p|(|p|+p_z)}`. Along -z (N = 0) the limit phi = 0 is used:
    :math:`\xi_+ = (0, 1)`, :math:`\xi_- = (-1, 0)`; at rest the axis is +z.
    """
    p = np.asarray(p, dtype=float)
    px, py, pz = p[..., 1], p[..., 2], p[..., 3]
    pabs = np.sqrt(px * px + py * py + pz * pz)
    at_rest = pabs == 0.0
    a = pabs + pz
    tiny = a <= 1e-12 * np.maximum(pabs, 1e-300)
    bad = tiny & ~at_rest
    norm = np.sqrt(np.where(tiny, 1.0, 2.0 * pabs * a))
    out = np.empty(p.shape[:-1] + (2, 2), dtype=complex)
    out[..., 0, 0] = np.where(tiny, 0.0, a / norm)
    out[..., 0, 1] = np.where(tiny, 1.0, (px + 1j * py) / norm)
    out[..., 1, 0] = np.where(tiny, -1.0, -(px - 1j * py) / norm)
    out[..., 1, 1] = np.where(tiny, 0.0, a / norm)
    out[at_rest] = np.eye(2)
    out[bad, 0] = [0.0, 1.0]
    out[bad, 1] = [-1.0, 0.0]
    return out


def _sqrt_e_minus_plus(p: NDArray, mass: float) -> tuple[NDArray, NDArray]:
    """``sqrt(E - |p|)`` and ``sqrt(E + |p|)``, the first as ``m / sqrt(E + |p|)`` (no cancellation)."""
    p = np.asarray(p, dtype=float)
    pabs = np.sqrt(np.sum(p[..., 1:] ** 2, axis=-1))
    ep = np.sqrt(p[..., 0] + pabs)
    return mass / ep, ep


def u_spinor(p: NDArray, mass: float) -> NDArray[np.complex128]:
    r"""Dirac spinors :math:`u(p,h)` in the chiral basis, ``[..., 2, 4]`` = [h index, component].

    ``p`` ``[..., 4]`` in GeV (on shell, ``p^2 = mass^2``), ``mass`` in GeV (0 allowed).
    Normalisation :math:`\bar u u = 2m`, :math:`\sum_h u\bar u = \slashed p + m`.
    """
    xi = helicity_two_spinors(p)
    em, ep = _sqrt_e_minus_plus(p, mass)
    # h = +1: upper sqrt(E - |p|), lower sqrt(E + |p|); h = -1: swapped.
    upper = np.stack([em, ep], axis=-1)[..., None] * xi
    lower = np.stack([ep, em], axis=-1)[..., None] * xi
    return np.concatenate([upper, lower], axis=-1)


def v_spinor(p: NDArray, mass: float) -> NDArray[np.complex128]:
    r"""Antifermion spinors :math:`v(p,h) = i\gamma^2 u(p,h)^*`, ``[..., 2, 4]``.

    ``h`` is the physical helicity (spin along +z at rest) of the antifermion.
    Normalisation :math:`\bar v v = -2m`, :math:`\sum_h v\bar v = \slashed p - m`.
    """
    return np.einsum("ab,...hb->...ha", 1j * GAMMA[2], np.conj(u_spinor(p, mass)))


def spinor_bar(psi: NDArray[np.complex128]) -> NDArray[np.complex128]:
    r"""Dirac adjoint :math:`\bar\psi = \psi^\dagger\gamma^0` of spinors ``[..., 4]`` (row vectors)."""
    return np.conj(psi) @ GAMMA[0]


def spin_density(pol: NDArray) -> NDArray[np.complex128]:
    r"""Spin density matrix :math:`\rho = (1 + \vec P\cdot\vec\sigma)/2` for ``pol`` ``[..., 3]``.

    Basis: spin up/down along z (index 0/1), as the rest-frame spinors above.
    Raises ValueError if ``|P| > 1``.
    """
    pol = np.asarray(pol, dtype=float)
    if pol.shape[-1:] != (3,):
        raise ValueError(f"pol must have shape (..., 3), got {pol.shape}")
    if np.any(np.sum(pol**2, axis=-1) > 1.0 + 1e-12):
        raise ValueError("pol: the polarisation vector must satisfy |P| <= 1")
    return 0.5 * (np.eye(2) + np.einsum("...i,iab->...ab", pol.astype(complex), _PAULI))
