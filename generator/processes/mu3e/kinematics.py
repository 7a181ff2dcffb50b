r"""Five-body kinematics of :math:`\mu^+ \to e^+_1\, e^+_2\, e^-\, \nu_e\, \bar\nu_\mu` at rest.

One phase-space channel, built from sequential two-body decays with the invariant masses
as explicit variables (hypercube coordinates ``u[:, k]``):

====  ==========================================================================
 k    variable
====  ==========================================================================
 0    :math:`s_{ee} = m^2(e^+_1 e^-)`, log-mapped in ``[lo^2, hi^2]`` (density ~ 1/s,
      the photon pole); absent when the mass is fixed (narrow resonance)
 1    :math:`s_R = m^2(e^+_2 \nu\bar\nu)`, linear in ``[m_e^2, (m_\mu - m_{ee})^2]``
 2    :math:`s_N = m^2(\nu\bar\nu)`, linear in ``[0, (m_R - m_e)^2]``
 3-4  :math:`\mu \to (e^+_1 e^-) + R`: direction of the pair in the muon rest frame
 5-6  :math:`(e^+_1 e^-) \to e^+_1 e^-`: direction of :math:`e^+_1` in the pair frame
 7-8  :math:`R \to e^+_2 + N`: direction of :math:`e^+_2` in the R frame
 9-10 :math:`N \to \nu_e \bar\nu_\mu`: direction of :math:`\nu_e` in the N frame
====  ==========================================================================

The weight of a point per unit hypercube volume (the inverse density ``1/g``) follows from
:mod:`muonbsm.generator.phase_space`:

.. math::
    w = \prod_{4\ \mathrm{decays}} \frac{|p^*|}{4\pi\sqrt{s}}\;
        \frac{1}{(2\pi)^3}\frac{ds_{ee}}{du_0}\frac{ds_R}{du_1}\frac{ds_N}{du_2}.

It depends only on the invariants, so :meth:`MuonDecayChannel.density` evaluates the density
this channel *would* have had for the other pairing :math:`(e^+_2 e^-)`, which is what the
two-channel weight for identical positrons needs.

Particle order in the returned momenta: ``[e+_1, e+_2, e-, nu_e, nubar_mu]``, shape (n, 5, 4).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from muonbsm.constants import M_E, M_MU
from numba import njit, prange

from muonbsm.generator.phase_space import invariant_mass_squared, two_body_weight

__all__ = ["MuonDecayChannel"]

FloatArray = NDArray[np.float64]
_TWO_PI = 2.0 * np.pi


@dataclass(frozen=True)
class MuonDecayChannel:
    """Phase-space map of the five-body muon decay with explicit :math:`m(e^+_1 e^-)`.

    Parameters
    ----------
    mee_lo, mee_hi
        Range [GeV] of the sampled pair mass :math:`m(e^+_1 e^-)`; clipped to the kinematic
        range ``[2 m_e, m_mu - m_e]``. With ``mee_lo == mee_hi`` the pair mass is fixed
        (narrow resonance) and the map has 10 dimensions; the :math:`ds_{ee}/2\\pi` factor
        is then left to the caller.
    m_mu, m_e
        Muon and electron masses [GeV] (parameters so tests can take limits).
    """

    mee_lo: float
    mee_hi: float
    m_mu: float = M_MU
    m_e: float = M_E

    def __post_init__(self) -> None:
        lo, hi = 2.0 * self.m_e, self.m_mu - self.m_e
        if not (lo <= self.mee_lo <= self.mee_hi <= hi):
            raise ValueError(
                f"m_ee range [{self.mee_lo}, {self.mee_hi}] GeV must satisfy {lo:.6g} <= lo <= hi <= {hi:.6g} GeV"
            )

    @property
    def fixed_mass(self) -> bool:
        """True when the pair mass is fixed (narrow-resonance signal)."""
        return self.mee_lo == self.mee_hi

    @property
    def dim(self) -> int:
        """Number of hypercube dimensions (11, or 10 with a fixed pair mass)."""
        return 10 if self.fixed_mass else 11

    def _mee_squared(self, u0: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Pair mass squared and its jacobian ds/du (log mapping)."""
        s_lo, s_hi = self.mee_lo**2, self.mee_hi**2
        log_ratio = np.log(s_hi / s_lo)
        s = s_lo * np.exp(log_ratio * u0)
        return s, s * log_ratio

    def momenta(self, u: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Map hypercube points ``u`` (n, dim) to momenta (n, 5, 4) [GeV] and weights (n,).

        The weight is the phase-space element per unit hypercube volume, in GeV^6
        (GeV^4 with a fixed pair mass). Compiled (numba), parallel over events.
        """
        u = np.ascontiguousarray(np.atleast_2d(u), dtype=np.float64)
        if u.shape[1] != self.dim:
            raise ValueError(f"u must have {self.dim} columns, got {u.shape[1]}")
        p = np.empty((u.shape[0], 5, 4))
        jac = np.empty(u.shape[0])
        _momenta_kernel(u, self.mee_lo, self.mee_hi, self.fixed_mass, self.m_mu, self.m_e, p, jac)
        return p, jac

    def density(self, p: FloatArray, pair: tuple[int, int] = (0, 2)) -> FloatArray:
        """Density per unit hypercube volume (1/weight) with which this channel generates the
        momenta ``p`` (n, 5, 4) when the sampled pair is ``pair`` (indices of e+ and e-);
        zero where that pair's mass lies outside ``[mee_lo, mee_hi]``.

        ``density(p, (0, 2))`` is ``1 / weight`` of :meth:`momenta`;
        ``density(p, (1, 2))`` is the density of the channel with the positrons exchanged.
        """
        if self.fixed_mass:
            raise ValueError("density() needs a channel with a sampled pair mass (mee_lo < mee_hi)")
        other = 1 - pair[0]
        nunu = p[:, 3] + p[:, 4]
        s_ee = invariant_mass_squared(p[:, pair[0]] + p[:, pair[1]])
        s_r = invariant_mass_squared(p[:, other] + nunu)
        s_n = np.maximum(invariant_mass_squared(nunu), 0.0)
        m_ee, m_r, m_n = np.sqrt(np.maximum(s_ee, 0.0)), np.sqrt(np.maximum(s_r, 0.0)), np.sqrt(s_n)
        inside = (m_ee >= self.mee_lo) & (m_ee <= self.mee_hi)
        s_lo, s_hi = self.mee_lo**2, self.mee_hi**2
        weight = (
            s_ee * np.log(s_hi / s_lo) / _TWO_PI
            * ((self.m_mu - m_ee) ** 2 - self.m_e**2) / _TWO_PI
            * (m_r - self.m_e) ** 2 / _TWO_PI
            * two_body_weight(self.m_mu, m_ee, m_r)
            * two_body_weight(m_ee, self.m_e, self.m_e)
            * two_body_weight(m_r, self.m_e, m_n)
            * two_body_weight(m_n, 0.0, 0.0)
        )
        with np.errstate(divide="ignore"):
            return np.where(inside & (weight > 0), 1.0 / np.where(weight > 0, weight, 1.0), 0.0)


@njit(cache=True, inline="always")
def _two_body(parent, m1, m2, cos_t, phi, out1, out2):  # pragma: no cover - compiled
    """Decay ``parent`` (4,) into masses m1, m2 with daughter-1 direction (cos_t, phi) in the
    parent rest frame; write the lab momenta into out1, out2; return |p*| / (4 pi m)."""
    m = math.sqrt(max(parent[0] ** 2 - parent[1] ** 2 - parent[2] ** 2 - parent[3] ** 2, 0.0))
    lam = (m * m - (m1 + m2) ** 2) * (m * m - (m1 - m2) ** 2)
    q = math.sqrt(max(lam, 0.0)) / (2.0 * m)
    sin_t = math.sqrt(max(1.0 - cos_t * cos_t, 0.0))
    d1, d2, d3 = q * sin_t * math.cos(phi), q * sin_t * math.sin(phi), q * cos_t
    e1, e2 = math.sqrt(q * q + m1 * m1), math.sqrt(q * q + m2 * m2)
    for sign, energy, out in ((1.0, e1, out1), (-1.0, e2, out2)):
        k1, k2, k3 = sign * d1, sign * d2, sign * d3
        pb = k1 * parent[1] + k2 * parent[2] + k3 * parent[3]
        e_lab = (parent[0] * energy + pb) / m
        f = (energy + e_lab) / (parent[0] + m)
        out[0] = e_lab
        out[1] = k1 + f * parent[1]
        out[2] = k2 + f * parent[2]
        out[3] = k3 + f * parent[3]
    return q / (4.0 * math.pi * m)


@njit(cache=True, parallel=True)
def _momenta_kernel(u, mee_lo, mee_hi, fixed, m_mu, m_e, p, jac):  # pragma: no cover - compiled
    """Fused channel map (see :class:`MuonDecayChannel`): fills p (n, 5, 4) and jac (n,)."""
    two_pi = 2.0 * math.pi
    s_lo, s_hi = mee_lo * mee_lo, mee_hi * mee_hi
    log_ratio = math.log(s_hi / s_lo)
    off = 1 if fixed else 0
    # per-event intermediate momenta live in preallocated rows: no heap allocation in the loop
    muon = np.zeros(4)
    muon[0] = m_mu
    scratch = np.empty((u.shape[0], 3, 4))
    for i in prange(u.shape[0]):
        if fixed:
            s_ee = s_lo
            w = 1.0
        else:
            s_ee = s_lo * math.exp(log_ratio * u[i, 0])
            w = s_ee * log_ratio / two_pi
        m_ee = math.sqrt(s_ee)
        s_r_lo, s_r_hi = m_e * m_e, (m_mu - m_ee) ** 2
        s_r = s_r_lo + (s_r_hi - s_r_lo) * u[i, 1 - off]
        m_r = math.sqrt(s_r)
        s_n_hi = (m_r - m_e) ** 2
        m_n = math.sqrt(s_n_hi * u[i, 2 - off])
        w *= (s_r_hi - s_r_lo) / two_pi * s_n_hi / two_pi
        pair, rest, nunu = scratch[i, 0], scratch[i, 1], scratch[i, 2]
        w *= _two_body(muon, m_ee, m_r, 2.0 * u[i, 3 - off] - 1.0, two_pi * u[i, 4 - off], pair, rest)
        w *= _two_body(pair, m_e, m_e, 2.0 * u[i, 5 - off] - 1.0, two_pi * u[i, 6 - off], p[i, 0], p[i, 2])
        w *= _two_body(rest, m_e, m_n, 2.0 * u[i, 7 - off] - 1.0, two_pi * u[i, 8 - off], p[i, 1], nunu)
        w *= _two_body(nunu, 0.0, 0.0, 2.0 * u[i, 9 - off] - 1.0, two_pi * u[i, 10 - off], p[i, 3], p[i, 4])
        jac[i] = w
