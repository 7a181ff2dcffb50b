r"""Longitudinal polarisation of the two taus of :math:`\mu N \to \tau N a`, :math:`a \to \mu\tau`.

Vertices (Batell, Davoudiasl, Marcarelli, Neil, Trojanowski 2024, arXiv:2407.15942, Eq. 2):
:math:`\mathcal L \supset -i a\bar\mu(s + p\gamma_5)\tau + i a\bar\tau(s - p\gamma_5)\mu`.
The operator :math:`\bar\tau(s - p\gamma_5)\mu` both turns a :math:`\mu^-` into a
:math:`\tau^-` (production) and creates :math:`\tau^-\mu^+` (the ALP decay), so both
:math:`\tau^-` see :math:`s - p\gamma_5 = (s-p)P_R + (s+p)P_L`: for :math:`s, p > 0` the
right-chiral :math:`\tau^-` dominates and both :math:`\tau^-` have positive helicity.

* Production tau: :math:`P = (|M_+|^2 - |M_-|^2)/(|M_+|^2 + |M_-|^2)`, the lab-frame (nucleus
  rest frame) helicity asymmetry from the helicity amplitudes of
  :func:`~muonbsm.generator.processes.alp.matrix_element.lepton_trace_polarized` with
  ``Gamma = s - p gamma5`` (tested against the trace with the spin projector
  :math:`(\slashed p' + m)(1 + \gamma_5\slashed n)/2`).
* ALP tau, in the ALP rest frame (two-body decay of a spin-0 particle, helicities equal), for
  :math:`a \to \mu^+\tau^-`:

  .. math::
      P^* = \frac{2 s p\,\lambda^{1/2}}{s^2\beta_+^2 + p^2\beta_-^2},\quad
      \beta_\pm^2 = 1 - (m_\tau \pm m_\mu)^2/m_a^2,\quad \lambda^{1/2} = \beta_+\beta_-,

  (the denominator is the width of :func:`muonbsm.models.alp.width_mutau_per_mode`); tested
  against explicit spinors ``u-bar(tau)(s - p gamma5) v(mu)``. Its lab-frame helicity is
  :math:`P = -P^*\, n_a\cdot n_{lab}` with the longitudinal spin vectors
  :math:`n_F^\mu = [(p\cdot F)p^\mu/m_\tau - m_\tau F^\mu]/\sqrt{(p\cdot F)^2 - m_\tau^2F^2}` of
  the frames F = ALP four-momentum and F = (1, 0, 0, 0) (the transverse part, from the Wigner
  rotation, is not kept: the decayer takes a longitudinal polarisation).
* Antitaus: the Lagrangian is CP invariant (both bilinears CP odd, the ALP CP odd), so a
  :math:`\tau^+` has minus the :math:`\tau^-` polarisation at the same invariants
  (:math:`\mu^+` beam; :math:`a \to \mu^-\tau^+`).

P vanishes for a pure scalar or a pure pseudoscalar (theta = pi/2 or 0): parity.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from muonbsm.constants import M_MU, M_TAU
from muonbsm.generator.dirac import minkowski_dot
from muonbsm.generator.processes.alp.kinematics import Kinematics
from muonbsm.generator.processes.alp.matrix_element import lepton_trace_polarized

__all__ = ["production_polarization", "alp_rest_frame_polarization", "lab_helicity"]


def production_polarization(kin: Kinematics, s: float, p: float, beam_charge: int = -1,
                            m_in: float = M_MU, m_out: float = M_TAU) -> NDArray:
    """Lab-frame helicity polarisation of the production tau (tau- for ``beam_charge = -1``).

    ``s, p``: couplings of :func:`muonbsm.models.alp.couplings` (dimensionless).
    """
    _, pol = lepton_trace_polarized(kin, s, -p, m_in, m_out)
    return pol if beam_charge < 0 else -pol


def alp_rest_frame_polarization(m_a: float, s: float, p: float, tau_charge: int) -> float:
    """Helicity polarisation P* of the ALP's tau in the ALP rest frame (module formula).

    ``tau_charge`` -1 (a -> mu+ tau-) or +1 (a -> mu- tau+); m_a [GeV] > m_tau + m_mu.
    """
    bp = 1.0 - (M_TAU + M_MU) ** 2 / m_a**2
    bm = 1.0 - (M_TAU - M_MU) ** 2 / m_a**2
    if bp <= 0:
        raise ValueError(f"m_a = {m_a} GeV is below the mu tau threshold")
    den = s * s * bp + p * p * bm
    val = 2.0 * s * p * math.sqrt(bp * bm) / den if den > 0 else 0.0
    return val if tau_charge < 0 else -val


def _longitudinal(p: NDArray, frame: NDArray, mass: float) -> NDArray:
    pf = minkowski_dot(p, frame)
    f2 = minkowski_dot(frame, frame)
    norm = np.sqrt(np.maximum(pf * pf - mass * mass * f2, 1e-300))
    return (pf[:, None] * p / mass - mass * frame) / norm[:, None]


def lab_helicity(p_tau: NDArray, p_alp: NDArray, pol_rest: NDArray | float) -> NDArray:
    """Lab helicity of taus ``p_tau`` (n, 4) [GeV] from ALPs ``p_alp`` (n, 4) with ALP-frame
    helicity ``pol_rest``: ``-pol_rest * n_a . n_lab`` (module docstring)."""
    lab = np.zeros_like(p_tau)
    lab[:, 0] = 1.0
    na = _longitudinal(p_tau, p_alp, M_TAU)
    nl = _longitudinal(p_tau, lab, M_TAU)
    return np.clip(-np.asarray(pol_rest) * minkowski_dot(na, nl), -1.0, 1.0)
