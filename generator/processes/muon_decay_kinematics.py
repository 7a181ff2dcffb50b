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

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from muonbsm.constants import M_E, M_MU
from muonbsm.generator.phase_space import invariant_mass_squared, two_body_decay, two_body_weight

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
        (GeV^4 with a fixed pair mass).
        """
        u = np.atleast_2d(u)
        n = u.shape[0]
        if self.fixed_mass:
            s_ee = np.full(n, self.mee_lo**2)
            jac = np.ones(n)
            v = np.concatenate([np.zeros((n, 1)), u], axis=1)
        else:
            s_ee, jac = self._mee_squared(u[:, 0])
            jac = jac / _TWO_PI
            v = u
        m_ee = np.sqrt(s_ee)
        me = np.full(n, self.m_e)
        # R = (e+_2 nu nubar)
        s_r_lo, s_r_hi = self.m_e**2, (self.m_mu - m_ee) ** 2
        s_r = s_r_lo + (s_r_hi - s_r_lo) * v[:, 1]
        m_r = np.sqrt(s_r)
        # N = (nu nubar)
        s_n_hi = (m_r - self.m_e) ** 2
        s_n = s_n_hi * v[:, 2]
        m_n = np.sqrt(s_n)
        jac = jac * (s_r_hi - s_r_lo) / _TWO_PI * s_n_hi / _TWO_PI

        muon = np.zeros((n, 4))
        muon[:, 0] = self.m_mu
        pair, rest = two_body_decay(muon, m_ee, m_r, 2 * v[:, 3] - 1, _TWO_PI * v[:, 4])
        e1, em = two_body_decay(pair, me, me, 2 * v[:, 5] - 1, _TWO_PI * v[:, 6])
        e2, nunu = two_body_decay(rest, me, m_n, 2 * v[:, 7] - 1, _TWO_PI * v[:, 8])
        nu, nubar = two_body_decay(nunu, np.zeros(n), np.zeros(n), 2 * v[:, 9] - 1, _TWO_PI * v[:, 10])
        jac = jac * (
            two_body_weight(self.m_mu, m_ee, m_r)
            * two_body_weight(m_ee, me, me)
            * two_body_weight(m_r, me, m_n)
            * two_body_weight(m_n, 0.0, 0.0)
        )
        return np.stack([e1, e2, em, nu, nubar], axis=1), jac

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
