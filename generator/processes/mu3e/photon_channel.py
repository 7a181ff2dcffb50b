r"""A second five-body channel for m_ee windows: the window pair and the photon pair differ.

In a window at large m_ee the IC background is dominated by the *other* pairing: the
solitary e+ of a light (photon-pole) pair and that pair's e- make the window mass. This
channel samples the photon pair :math:`(e^+_2 e^-)` log-uniformly from threshold and puts the
window pair :math:`(e^+_1 e^-)` exactly in the window through the decay angle of the photon:

====  ==========================================================================
 k    variable
====  ==========================================================================
 0    :math:`s_3 = m^2(e^+_1 e^+_2 e^-)` in ``[(lo + m_e)^2, m_mu^2]``: linear, or with
      ``s3_log`` log-uniform in :math:`s_3 - m_e^2`, which follows the propagator
      :math:`1/((p_{e^+_1} + q)^2 - m_e^2)` of the photon radiated by the positron (collinear pole)
 1    :math:`s_\gamma = m^2(e^+_2 e^-)`, log in ``[(2m_e)^2, (m_3 - m_e)^2]``
 2    :math:`s_N = m^2(\nu\bar\nu)`, linear in ``[0, (m_\mu - m_3)^2]``
 3-4  :math:`\mu \to (e^+_1 e^+_2 e^-) + N`
 5-6  :math:`(e^+_1 e^+_2 e^-) \to e^+_1 + \gamma^*`
 7-8  :math:`\gamma^* \to e^+_2 e^-`: ``c`` = cosine between :math:`e^-` and :math:`e^+_1` in the
      :math:`\gamma^*` frame, uniform in the interval that maps onto the window, since
      :math:`m_1^2 = 2m_e^2 + 2(E_1^* E^* - |p_1^*||p^*| c)` is linear in c; azimuth about :math:`e^+_1`
 9-10 :math:`N \to \nu_e\bar\nu_\mu`
====  ==========================================================================

With the full m_ee range as "window" and ``s3_log``, this is the channel of photon emission
from the positron line in the inclusive sample. Weight per unit hypercube volume, as in :mod:`.muon_decay_kinematics`, with the photon decay's
two-body factor scaled by the sampled cosine range :math:`(c_{hi} - c_{lo})/2`.
Particle order: ``[e+_1, e+_2, e-, nu_e, nubar_mu]``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit, prange
from numpy.typing import NDArray

from muonbsm.constants import M_E, M_MU
from muonbsm.generator.phase_space import invariant_mass_squared, two_body_weight
from muonbsm.generator.processes.mu3e.kinematics import _two_body

__all__ = ["PhotonPairChannel"]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class PhotonPairChannel:
    """Channel with :math:`m(e^+_1 e^-) \\in [lo, hi]` (through the photon decay angle) and a
    log-sampled photon pair :math:`m(e^+_2 e^-) \\in` [``photon_lo``, ``photon_hi``] (default:
    the whole range); masses in GeV."""

    mee_lo: float
    mee_hi: float
    s3_log: bool = False
    photon_lo: float = 0.0
    photon_hi: float = M_MU
    m_mu: float = M_MU
    m_e: float = M_E
    dim: int = 11

    def __post_init__(self) -> None:
        lo, hi = 2.0 * self.m_e, self.m_mu - self.m_e
        if not (lo <= self.mee_lo < self.mee_hi <= hi):
            raise ValueError(f"m_ee window [{self.mee_lo}, {self.mee_hi}] GeV must lie in [{lo:.6g}, {hi:.6g}] GeV")
        if not self.photon_lo < self.photon_hi:
            raise ValueError(f"photon pair range [{self.photon_lo}, {self.photon_hi}] GeV: need lo < hi")

    @property
    def _s3_range(self) -> tuple[float, float]:
        lo = max(self.mee_lo, self.photon_lo, 2.0 * self.m_e)
        return (lo + self.m_e) ** 2, self.m_mu**2

    @property
    def _photon_range(self) -> tuple[float, float]:
        return max(self.photon_lo, 2.0 * self.m_e) ** 2, self.photon_hi**2

    def momenta(self, u: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Map hypercube points ``u`` (n, 11) to momenta (n, 5, 4) [GeV] and weights (n,) [GeV^6];
        points whose window interval is empty get weight 0."""
        u = np.ascontiguousarray(np.atleast_2d(u), dtype=np.float64)
        if u.shape[1] != self.dim:
            raise ValueError(f"u must have {self.dim} columns, got {u.shape[1]}")
        p = np.zeros((u.shape[0], 5, 4))
        jac = np.empty(u.shape[0])
        s3_lo, s3_hi = self._s3_range
        _photon_kernel(u, self.mee_lo, self.mee_hi, s3_lo, s3_hi, self.s3_log, *self._photon_range, self.m_mu, self.m_e, p, jac)
        return p, jac

    def _ds3_du(self, s3: FloatArray) -> FloatArray:
        """Jacobian ds3/du0 of the s3 mapping."""
        s3_lo, s3_hi = self._s3_range
        if self.s3_log:
            me2 = self.m_e**2
            return (s3 - me2) * np.log((s3_hi - me2) / (s3_lo - me2))
        return np.full_like(s3, s3_hi - s3_lo)

    def density(self, p: FloatArray, window: int, photon: int) -> FloatArray:
        """Density per unit hypercube volume with which this channel generates ``p`` (n, 5, 4)
        when positron ``window`` forms the window pair and positron ``photon`` the photon pair
        with the e- (index 2); zero where the window pair is outside the window."""
        me = self.m_e
        charged = p[:, 0] + p[:, 1] + p[:, 2]
        s3 = invariant_mass_squared(charged)
        sg_lo, sg_hi_max = self._photon_range
        s_g = np.maximum(invariant_mass_squared(p[:, photon] + p[:, 2]), 4 * me * me)
        s_w = invariant_mass_squared(p[:, window] + p[:, 2])
        s_n = np.maximum(invariant_mass_squared(p[:, 3] + p[:, 4]), 0.0)
        m3, m_g, m_n = np.sqrt(s3), np.sqrt(s_g), np.sqrt(s_n)
        c_lo, c_hi = _cos_range(m3, m_g, self.mee_lo, self.mee_hi, me)
        s3_lo, s3_hi = self._s3_range
        s_g_hi = np.minimum((m3 - me) ** 2, sg_hi_max)
        inside = ((s_w >= self.mee_lo**2) & (s_w <= self.mee_hi**2) & (s3 >= s3_lo) & (c_hi > c_lo)
                  & (s_g >= sg_lo) & (s_g <= s_g_hi) & (s_g_hi > sg_lo))
        s_g_hi = np.maximum(s_g_hi, sg_lo * (1 + 1e-12))
        weight = (
            self._ds3_du(s3) / (2 * np.pi)
            * s_g * np.log(s_g_hi / sg_lo) / (2 * np.pi)
            * (self.m_mu - m3) ** 2 / (2 * np.pi)
            * two_body_weight(self.m_mu, m3, m_n)
            * two_body_weight(m3, me, m_g)
            * two_body_weight(m_g, me, me) * np.maximum(c_hi - c_lo, 0.0) / 2.0
            * two_body_weight(m_n, 0.0, 0.0)
        )
        ok = inside & (weight > 0)
        return np.where(ok, 1.0 / np.where(ok, weight, 1.0), 0.0)


def _cos_range(m3, m_g, lo, hi, me):
    """Interval of c (see module docstring) that maps onto m_1 in [lo, hi] (numpy or scalar)."""
    e1 = (m3 * m3 - me * me - m_g * m_g) / (2.0 * m_g)
    p1 = np.sqrt(np.maximum(e1 * e1 - me * me, 0.0))
    e_star = 0.5 * m_g
    p_star = np.sqrt(np.maximum(e_star * e_star - me * me, 0.0))
    denom = np.maximum(2.0 * p1 * p_star, 1e-300)
    base = 2.0 * me * me + 2.0 * e1 * e_star
    c_lo = np.maximum(-1.0, (base - hi * hi) / denom)
    c_hi = np.minimum(1.0, (base - lo * lo) / denom)
    return c_lo, c_hi


_cos_range_nb = njit(cache=True)(_cos_range)


@njit(cache=True, parallel=True)
def _photon_kernel(u, lo, hi, s3_lo, s3_hi, s3_log, sg_min, sg_max, m_mu, m_e, p, jac):  # pragma: no cover - compiled
    two_pi = 2.0 * math.pi
    me2 = m_e * m_e
    log_s3 = math.log((s3_hi - me2) / (s3_lo - me2))
    for i in prange(u.shape[0]):
        if s3_log:
            s3 = me2 + (s3_lo - me2) * math.exp(log_s3 * u[i, 0])
            ds3 = (s3 - me2) * log_s3
        else:
            s3 = s3_lo + (s3_hi - s3_lo) * u[i, 0]
            ds3 = s3_hi - s3_lo
        m3 = math.sqrt(s3)
        sg_lo, sg_hi = sg_min, min((m3 - m_e) ** 2, sg_max)
        if sg_hi <= sg_lo:
            jac[i] = 0.0
            continue
        log_ratio = math.log(sg_hi / sg_lo)
        s_g = sg_lo * math.exp(log_ratio * u[i, 1])
        m_g = math.sqrt(s_g)
        s_n = (m_mu - m3) ** 2 * u[i, 2]
        m_n = math.sqrt(s_n)
        c_lo, c_hi = _cos_range_nb(m3, m_g, lo, hi, m_e)
        if c_hi <= c_lo:
            jac[i] = 0.0
            continue
        w = ds3 / two_pi * s_g * log_ratio / two_pi * (m_mu - m3) ** 2 / two_pi
        muon = np.zeros(4)
        muon[0] = m_mu
        three, nunu, gam = np.empty(4), np.empty(4), np.empty(4)
        w *= _two_body(muon, m3, m_n, 2.0 * u[i, 3] - 1.0, two_pi * u[i, 4], three, nunu)
        w *= _two_body(three, m_e, m_g, 2.0 * u[i, 5] - 1.0, two_pi * u[i, 6], p[i, 0], gam)
        w *= _two_body(nunu, 0.0, 0.0, 2.0 * u[i, 9] - 1.0, two_pi * u[i, 10], p[i, 3], p[i, 4])
        # e+_1 in the photon rest frame: boost by -gamma velocity
        eg = gam[0]
        bx, by, bz = -gam[1], -gam[2], -gam[3]
        e1 = (eg * p[i, 0, 0] + bx * p[i, 0, 1] + by * p[i, 0, 2] + bz * p[i, 0, 3]) / m_g
        f = (p[i, 0, 0] + e1) / (eg + m_g)
        n1 = np.array([p[i, 0, 1] + f * bx, p[i, 0, 2] + f * by, p[i, 0, 3] + f * bz])
        n1 /= math.sqrt(n1[0] ** 2 + n1[1] ** 2 + n1[2] ** 2)
        # orthonormal frame (n1, a, b)
        ref = np.array([1.0, 0.0, 0.0]) if abs(n1[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
        a = ref - (ref[0] * n1[0] + ref[1] * n1[1] + ref[2] * n1[2]) * n1
        a /= math.sqrt(a[0] ** 2 + a[1] ** 2 + a[2] ** 2)
        b = np.array([n1[1] * a[2] - n1[2] * a[1], n1[2] * a[0] - n1[0] * a[2], n1[0] * a[1] - n1[1] * a[0]])
        c = c_lo + (c_hi - c_lo) * u[i, 7]
        sc = math.sqrt(max(1.0 - c * c, 0.0))
        phi = two_pi * u[i, 8]
        d = c * n1 + sc * (math.cos(phi) * a + math.sin(phi) * b)
        # e- along d in the photon frame: cos theta = d_z, phi = atan2(d_y, d_x)
        w *= _two_body(gam, m_e, m_e, d[2], math.atan2(d[1], d[0]), p[i, 2], p[i, 1])
        w *= 0.5 * (c_hi - c_lo)
        jac[i] = w
