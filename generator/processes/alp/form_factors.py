r"""Nuclear and atomic form factors for photon exchange with a nucleus (Batell et al. 2024 (arXiv:2407.15942), Eqs. 16-20).

``G2(t) = Z^2 F^2 = G_el^atom G_el^nuc + G_inel^atom G_inel^nuc`` with ``t = -q^2 > 0`` in GeV^2,
set to zero above a cut-off ``t_cut`` (seed: 1 GeV^2, where the dipole forms lose validity).

* Eq. 17/18 atomic screening: ``[a^2 t/(1 + a^2 t)]^2``, ``a = 111 Z^(-1/3)/m_e``,
  ``a' = 571.4 Z^(-2/3)/m_e`` (Bjorken et al. 2009 use 773 for a').
* Eq. 19 quasi-elastic nucleons (dipole):
  ``[Z(1 + mu_p^2 tau) + (A - Z) mu_n^2 tau] / ((1 + t/t0)^4 (1 + tau))``, ``tau = t/4m_p^2``.
* Eq. 20 coherent nucleus (Klein-Nystrand, Woods-Saxon approximation):
  ``9 Z^2 [(sin y - y cos y)/y^3]^2 / (1 + a0^2 t)^2``, ``y = R sqrt(t)``, ``R = 1.2 fm A^(1/3)``,
  ``a0 = 0.79 fm``; a Taylor series is used for y < 0.05.

>>> round(float(g2_elastic_nuclear(1e-12, 82, 207.2)) / 82**2, 6)
1.0
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from muonbsm.constants import HBARC_GEV_FM, M_E, M_PROTON

__all__ = [
    "T_CUT_DEFAULT",
    "g2_elastic_atomic",
    "g2_inelastic_atomic",
    "g2_elastic_nuclear",
    "g2_inelastic_nuclear",
    "g2",
]

#: Default form-factor cut-off in GeV^2 (Batell et al., Sec. III A).
T_CUT_DEFAULT: float = 1.0
_T0 = 0.71  # GeV^2, nucleon dipole scale
_MU_P = 2.79
_MU_N = 1.91
_A0_FM = 0.79
_R0_FM = 1.2


def _check_t(t: ArrayLike) -> NDArray:
    t = np.asarray(t, dtype=float)
    if np.any(t < 0):
        raise ValueError("t = -q^2 must be >= 0 GeV^2")
    return t


def g2_elastic_atomic(t: ArrayLike, Z: int) -> NDArray:
    """Atomic elastic screening factor, Batell et al., Eq. 17 (dimensionless); t in GeV^2."""
    t = _check_t(t)
    a2t = (111.0 * Z ** (-1.0 / 3.0) / M_E) ** 2 * t
    return (a2t / (1.0 + a2t)) ** 2


def g2_inelastic_atomic(t: ArrayLike, Z: int, a_prime_coeff: float = 571.4) -> NDArray:
    """Atomic inelastic screening factor, Batell et al., Eq. 18 (``a' = a_prime_coeff Z^(-2/3)/m_e``)."""
    t = _check_t(t)
    a2t = (a_prime_coeff * Z ** (-2.0 / 3.0) / M_E) ** 2 * t
    return (a2t / (1.0 + a2t)) ** 2


def g2_elastic_nuclear(t: ArrayLike, Z: int, A: float) -> NDArray:
    """Coherent nuclear form factor squared times Z^2, Batell et al., Eq. 20; t in GeV^2."""
    t = _check_t(t)
    r = _R0_FM * A ** (1.0 / 3.0) / HBARC_GEV_FM  # GeV^-1
    a0 = _A0_FM / HBARC_GEV_FM
    y = r * np.sqrt(t)
    y2 = y * y
    with np.errstate(invalid="ignore", divide="ignore"):
        j = np.where(y < 0.05,
                     1.0 / 3.0 - y2 / 30.0 + y2**2 / 840.0 - y2**3 / 45360.0,
                     (np.sin(y) - y * np.cos(y)) / np.where(y < 0.05, 1.0, y) ** 3)
    return 9.0 * Z**2 * (j / (1.0 + a0**2 * t)) ** 2


def g2_inelastic_nuclear(t: ArrayLike, Z: int, A: float) -> NDArray:
    """Quasi-elastic (incoherent nucleon) form factor, Batell et al., Eq. 19; t in GeV^2."""
    t = _check_t(t)
    tau = t / (4.0 * M_PROTON**2)
    return (Z * (1.0 + _MU_P**2 * tau) + (A - Z) * _MU_N**2 * tau) / (
        (1.0 + t / _T0) ** 4 * (1.0 + tau))


def g2(t: ArrayLike, Z: int, A: float, t_cut: float = T_CUT_DEFAULT,
       components: str = "all") -> NDArray:
    """Total ``G2(t) = Z^2 F^2`` of Batell et al., Eq. 16, zero for ``t > t_cut`` [GeV^2].

    ``components``: ``"all"``, ``"elastic"`` (coherent only) or ``"inelastic"`` (quasi-elastic).
    """
    if t_cut <= 0:
        raise ValueError(f"t_cut must be > 0 GeV^2, got {t_cut}")
    if components not in ("all", "elastic", "inelastic"):
        raise ValueError(f"components must be 'all', 'elastic' or 'inelastic', got {components!r}")
    t = _check_t(t)
    out = np.zeros_like(t)
    if components in ("all", "elastic"):
        out = out + g2_elastic_atomic(t, Z) * g2_elastic_nuclear(t, Z, A)
    if components in ("all", "inelastic"):
        out = out + g2_inelastic_atomic(t, Z) * g2_inelastic_nuclear(t, Z, A)
    return np.where(t <= t_cut, out, 0.0)
