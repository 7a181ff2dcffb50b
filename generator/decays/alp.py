r"""ALP decays a -> mu tau (both charge modes) and a -> chi chibar, vectorised.

The ALP is spin 0, so every two-body decay is isotropic in its rest frame. Branching ratios
are arguments (the widths live in :mod:`muonbsm.models.alp`; alp_lfv.md Sec. 4:
Gamma(a -> mu^- tau^+) = Gamma(a -> mu^+ tau^-) = (m_a / 8 pi) lambda^{1/2} [s^2 (1 - (m_tau + m_mu)^2/m_a^2)
+ p^2 (1 - (m_tau - m_mu)^2/m_a^2)], Gamma(a -> chi chibar) = g_chi^2 m_a beta_chi / 8 pi, seed Eqs. 5, 7).
Decays are prompt by default; with ``total_width_gev`` the decay vertex is displaced by
beta gamma c tau X, c tau = hbar c / Gamma, X ~ Exp(1) (long-lived ALPs near threshold; Batell et al., arXiv:2407.15942, Eq. 6).

Mode codes and daughters (in this order in each list; status 1, the taus undecayed so that
:func:`muonbsm.generator.decays.tau.decay_taus` can be applied to them):

====  ===================  ============  ======
code  channel              pdg           prongs
====  ===================  ============  ======
0     a -> mu^- tau^+      13, -15       2
1     a -> mu^+ tau^-      -13, 15       2
2     a -> chi chibar      52, -52       0
====  ===================  ============  ======

52 is the PDG Monte Carlo code for a spin-1/2 dark-matter particle (RPP "Monte Carlo particle
numbering scheme"). The taus are produced unpolarised on average (for pure scalar or pure
pseudoscalar couplings the two helicity configurations have equal rates).

>>> import numpy as np
>>> p = np.array([[np.hypot(5.0, 100.0), 0.0, 0.0, 100.0]])
>>> res = decay_alps(p, np.random.default_rng(0), br_mu_minus_tau_plus=0.5, br_mu_plus_tau_minus=0.5)
>>> int(res.daughters.pdg[0, 0]) in (13, -13), res.n_charged.tolist()
(True, [2])
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from muonbsm.constants import HBARC_GEV_MM, M_MU, M_TAU
from muonbsm.generator.decays import kinematics as kin
from muonbsm.generator.dirac import minkowski_dot
from muonbsm.generator.phase_space import boost
from muonbsm.generator.decays.records import DecayResult, make_daughters

__all__ = ["ALP_MODES", "CHI_PDG", "decay_alps"]

#: Mode code -> (name, daughter PDG ids).
ALP_MODES: dict[int, tuple[str, tuple[int, int]]] = {
    0: ("a -> mu- tau+", (13, -15)),
    1: ("a -> mu+ tau-", (-13, 15)),
    2: ("a -> chi chibar", (52, -52)),
}
#: PDG Monte Carlo id used for the dark Dirac fermion chi.
CHI_PDG = 52


def decay_alps(
    p_alp: ArrayLike,
    rng: np.random.Generator,
    *,
    br_mu_minus_tau_plus: float,
    br_mu_plus_tau_minus: float,
    br_chi_chibar: float = 0.0,
    m_chi: float | None = None,
    total_width_gev: float | None = None,
    production_vertex: ArrayLike | None = None,
    mother_index: ArrayLike | None = None,
) -> DecayResult:
    """Decay ALPs with four-momenta ``p_alp`` ``(n, 4)`` (E, px, py, pz) [GeV].

    The ALP mass is the invariant mass of each four-vector [GeV]. Branching ratios must be
    >= 0 and sum to 1 (1e-9); ``m_chi`` [GeV] is required when ``br_chi_chibar > 0``.
    ``total_width_gev`` [GeV] (None: prompt) sets c tau = hbar c / Gamma [mm]. Vertices [mm]
    start at ``production_vertex`` ``(n, 3)`` (default origin). Daughters get
    ``mother = mother_index`` (default 0, "the ALP"). Returns a :class:`DecayResult` with mode
    codes of :data:`ALP_MODES` and prongs 2 (mu, tau) or 0.
    """
    p_alp = np.asarray(p_alp, dtype=np.float64)
    if p_alp.ndim != 2 or p_alp.shape[1] != 4 or not np.all(np.isfinite(p_alp)):
        raise ValueError("p_alp must be a finite (n, 4) array of (E, px, py, pz) [GeV]")
    n = int(p_alp.shape[0])
    brs = np.array([br_mu_minus_tau_plus, br_mu_plus_tau_minus, br_chi_chibar], dtype=np.float64)
    if np.any(brs < 0) or abs(brs.sum() - 1.0) > 1e-9:
        raise ValueError("branching ratios must be >= 0 and sum to 1")
    m2 = minkowski_dot(p_alp, p_alp)
    if np.any(p_alp[:, 0] <= 0) or np.any(m2 <= 0):
        raise ValueError("p_alp must have E > 0 and positive invariant mass (E > |p|)")
    m_a = np.sqrt(m2)
    if brs[:2].sum() > 0 and np.any(m_a < M_MU + M_TAU):
        raise ValueError("ALP mass must exceed m_mu + m_tau for the mu tau modes")
    if brs[2] > 0 and (m_chi is None or m_chi < 0 or np.any(m_a < 2.0 * m_chi)):
        raise ValueError("m_chi must be given, >= 0 and below m_a / 2 when br_chi_chibar > 0")
    if total_width_gev is not None and not total_width_gev > 0:
        raise ValueError("total_width_gev must be > 0 (or None for prompt decays)")
    mother = np.zeros(n, dtype=np.int64) if mother_index is None else np.broadcast_to(np.asarray(mother_index), (n,))
    ctau = 0.0 if total_width_gev is None else HBARC_GEV_MM / total_width_gev
    vertices, _ = kin.decay_vertices(p_alp, ctau, rng, None if production_vertex is None else np.asarray(production_vertex))
    mode = rng.choice(3, size=n, p=brs / brs.sum())
    mass_table = np.array([[M_MU, M_TAU], [M_MU, M_TAU], [m_chi or 0.0, m_chi or 0.0]])
    m1, m2_ = mass_table[mode, 0], mass_table[mode, 1]
    d1, d2 = kin.two_body_rest(m_a, m1, m2_, kin.isotropic_unit_vectors(n, rng))
    lab = boost(np.stack([d1, d2], axis=1), p_alp)
    ids = np.array([ALP_MODES[c][1] for c in range(3)])[mode]
    daughters = make_daughters(np.full(n, 2), lab.reshape(-1, 4), ids.reshape(-1), vertices, np.repeat(mother, 2))
    return DecayResult(daughters, vertices, mode.astype(np.int64), np.where(mode == 2, 0, 2))
