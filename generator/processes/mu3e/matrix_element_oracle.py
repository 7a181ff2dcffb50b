r"""Oracle matrix elements of polarised mu+ decays, with explicit 4x4 Dirac matrices.

Slow and explicit: every spinor and gamma matrix is built with :mod:`muonbsm.generator.dirac`
and all helicities (including those killed by V-A) are summed. The fast kernels in
:mod:`muonbsm.generator.processes.mu3e.matrix_element` are tested against this module.

Physics (Fermi theory, V-A, LO, exact lepton masses)
----------------------------------------------------
Effective Lagrangian (h.c. part, which mediates mu+ decay):
:math:`\mathcal L = -\frac{G_F}{\sqrt2}[\bar\mu\gamma^\alpha(1-\gamma_5)\nu_\mu]
[\bar\nu_e\gamma_\alpha(1-\gamma_5)e]`, so that for
:math:`\mu^+(P)\to e^+(p_e)\,\nu_e(p_\nu)\,\bar\nu_\mu(p_{\bar\nu})`

.. math:: M_s = \frac{G_F}{\sqrt2}\,[\bar v(P,s)\gamma^\alpha(1-\gamma_5)v(p_{\bar\nu})]
          [\bar u(p_\nu)\gamma_\alpha(1-\gamma_5)v(p_e)] .

A vertex insertion :math:`i\Gamma` (photon: :math:`\Gamma = e\,\gamma^\beta\varepsilon_\beta`,
same sign for mu and e, equal charges) on the muon or the positron line comes with the
propagator :math:`i(\slashed k + m)/(k^2 - m^2)`, :math:`k` along the fermion flow:
:math:`k = q - P` on the muon line, :math:`k = -(p_e + q)` on the positron line, giving

.. math:: L = \frac{G_F}{\sqrt2}\Big\{[\bar v(P)\Gamma_\mu S_\mu\gamma^\alpha(1-\gamma_5)v(p_{\bar\nu})]
          [\bar u(p_\nu)\gamma_\alpha(1-\gamma_5)v(p_e)] + [\bar v(P)\gamma^\alpha(1-\gamma_5)
          v(p_{\bar\nu})][\bar u(p_\nu)\gamma_\alpha(1-\gamma_5)S_e\Gamma_e v(p_e)]\Big\}

(common factors of i dropped). Current conservation (Ward identity) of the sum is tested.
Muon polarisation: :math:`|M|^2 = \sum_{s,s'}\rho_{ss'}M_sM^*_{s'}`,
:math:`\rho = (1 + \vec P\cdot\vec\sigma)/2` in the rest frame (spin along z), all final spins
summed. For P = 0 this is the spin average. Rates: :math:`\Gamma = \frac{1}{2m_\mu}\int|M|^2
d\Phi_n`, with :math:`d\Phi_n = (2\pi)^4\delta^4\prod d^3p/((2\pi)^32E)`.

Momenta: arrays ``(n, 4)`` = (E, px, py, pz) in GeV; the muon is at rest unless the keyword
``pmu`` (``(n, 4)``) is given (then the spin basis is the helicity basis of the muon and
``pol`` refers to it; used for Lorentz-invariance tests with ``pol = 0``).
Matrix elements are returned in GeV^(-2) (Michel, 3 bodies) and GeV^(-4) (5 bodies).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from muonbsm.constants import E_CHARGE, G_F, M_E, M_MU
from muonbsm.generator import dirac as d
from muonbsm.models.mu3e import XModel

__all__ = ["me2_michel", "me2_ic", "me2_ic_true_pair", "me2_signal", "muon_rest_momentum"]

#: 2 gamma^alpha P_L = gamma^alpha (1 - gamma5), shape (4, 4, 4) = [alpha, row, col].
_G_VA = np.einsum("mab,bc->mac", d.GAMMA, 2.0 * d.PROJ_L)
_ETA = np.array([1.0, -1.0, -1.0, -1.0])


def muon_rest_momentum(n: int) -> NDArray[np.float64]:
    """Four-momentum ``(n, 4)`` of a muon at rest, (M_MU, 0, 0, 0) in GeV."""
    out = np.zeros((n, 4))
    out[:, 0] = M_MU
    return out


def _prepare(pol: NDArray, pmu: NDArray | None, n: int) -> tuple[NDArray, NDArray]:
    rho = np.broadcast_to(d.spin_density(pol), (n, 2, 2))
    pmu = muon_rest_momentum(n) if pmu is None else np.asarray(pmu, dtype=float)
    return rho, pmu


def _mdot(a: NDArray, b: NDArray) -> NDArray:
    """Minkowski contraction over the last index of complex arrays."""
    return np.einsum("...a,...a->...", a * _ETA, b)


def _bar(psi: NDArray) -> NDArray:
    return d.spinor_bar(psi)


def _va_col(v: NDArray) -> NDArray:
    """``gamma^alpha (1 - gamma5) v`` for spinors ``(n, h, 4)`` -> ``(n, h, alpha, 4)``."""
    return np.einsum("mab,nhb->nhma", _G_VA, v)


def _va_row(ub: NDArray) -> NDArray:
    """``ubar gamma^alpha (1 - gamma5)`` for rows ``(n, h, 4)`` -> ``(n, h, alpha, 4)``."""
    return np.einsum("nha,mab->nhmb", ub, _G_VA)


def _propagator(k: NDArray, mass: float) -> NDArray:
    """Fermion propagator numerator over denominator ``(kslash + m)/(k^2 - m^2)`` -> ``(n, 4, 4)``."""
    den = d.minkowski_dot(k, k) - mass**2
    return (d.slash(k) + mass * d.IDENTITY) / den[:, None, None]


def _currents(pmu: NDArray, pe: NDArray, pnu: NDArray, pnubar: NDArray) -> dict[str, NDArray]:
    """Spinor building blocks of the two Fermi currents (all helicities)."""
    return {
        "vbar_mu": _bar(d.v_spinor(pmu, M_MU)),  # (n, s, 4)
        "va_nubar": _va_col(d.v_spinor(pnubar, 0.0)),  # (n, h, alpha, 4)
        "ubar_nu_va": _va_row(_bar(d.u_spinor(pnu, 0.0))),  # (n, h, alpha, 4)
        "v_e": d.v_spinor(pe, M_E),  # (n, h, 4)
    }


def _line_with_insertion(
    pmu: NDArray, pe: NDArray, pnu: NDArray, pnubar: NDArray, q: NDArray, ins_mu: NDArray, ins_e: NDArray
) -> NDArray:
    """Amplitude (without G_F/sqrt2) with one insertion on the muon or the positron line.

    ``ins_mu``, ``ins_e``: vertex matrices ``(n, a, b, 4, 4)`` (a, b = helicities of the
    emitted pair). Returns ``(n, s, h_nubar, h_nu, h_e, a, b)``.
    """
    c = _currents(pmu, pe, pnu, pnubar)
    j_mu = np.einsum("nsa,nhma->nshm", c["vbar_mu"], c["va_nubar"])
    j_e = np.einsum("nkma,nja->nkjm", c["ubar_nu_va"], c["v_e"])
    s_mu = _propagator(q - pmu, M_MU)
    s_e = _propagator(-(pe + q), M_E)
    row = np.einsum("nsa,nxyab,nbc->nsxyc", c["vbar_mu"], ins_mu, s_mu)
    j_mu_ins = np.einsum("nsxyc,nhmc->nshxym", row, c["va_nubar"])
    col = np.einsum("nab,nxybc,njc->njxya", s_e, ins_e, c["v_e"])
    j_e_ins = np.einsum("nkma,njxya->nkjxym", c["ubar_nu_va"], col)
    t1 = np.einsum("nshxym,nkjm->nshkjxy", j_mu_ins * _ETA, j_e)
    t2 = np.einsum("nshm,nkjxym->nshkjxy", j_mu * _ETA, j_e_ins)
    return t1 + t2


def _contract_rho(amp: NDArray, rho: NDArray) -> NDArray:
    """``sum_{s,s'} rho_{ss'} M_s M*_{s'}`` summed over all other indices; amp ``(n, s, ...)``."""
    a = amp.reshape(amp.shape[0], 2, -1)
    return np.einsum("nst,nsk,ntk->n", rho, a, np.conj(a)).real


def me2_michel(pe: NDArray, pnu: NDArray, pnubar: NDArray, pol: NDArray, pmu: NDArray | None = None) -> NDArray:
    r"""|M|^2 of mu+ -> e+ nu_e nubar_mu (GeV^-2), muon spin density (1 + P.sigma)/2.

    Unpolarised: :math:`|M|^2 = 64 G_F^2 (P\cdot p_\nu)(p_e\cdot p_{\bar\nu})`.
    """
    pe = np.asarray(pe, dtype=float)
    n = pe.shape[0]
    rho, pmu = _prepare(pol, pmu, n)
    c = _currents(pmu, pe, np.asarray(pnu, float), np.asarray(pnubar, float))
    j_mu = np.einsum("nsa,nhma->nshm", c["vbar_mu"], c["va_nubar"])
    j_e = np.einsum("nkma,nja->nkjm", c["ubar_nu_va"], c["v_e"])
    amp = G_F / np.sqrt(2.0) * np.einsum("nshm,nkjm->nshkj", j_mu * _ETA, j_e)
    return _contract_rho(amp, rho)


def _vector_vertex(eps: NDArray, g_v: float, g_a: float) -> NDArray:
    """``eps_mu gamma^mu (g_V + g_A gamma5)`` for ``eps`` ``(..., 4)`` (upper index) -> ``(..., 4, 4)``."""
    es = np.einsum("...m,mab->...ab", eps, d.GAMMA_LOWER)
    return es @ (g_v * d.IDENTITY + g_a * d.GAMMA5)


def _scalar_vertex(amp: NDArray, g_s: float, g_p: float) -> NDArray:
    """``amp (g_S + i g_P gamma5)`` for scalar ``amp`` ``(...)`` -> ``(..., 4, 4)``."""
    return amp[..., None, None] * (g_s * d.IDENTITY + 1j * g_p * d.GAMMA5)


def _pair_current(pa: NDArray, pm: NDArray, g1: float, g2: float, kind: str) -> NDArray:
    """Decay current of (e+ ``pa``, e- ``pm``): vector ``ubar gamma^b (g1 + g2 g5) v`` -> ``(n, a, b, 4)``
    (a = e+ helicity, b = e- helicity); scalar ``ubar (g1 + i g2 g5) v`` -> ``(n, a, b)``."""
    ubar = _bar(d.u_spinor(pm, M_E))
    v = d.v_spinor(pa, M_E)
    if kind == "vector":
        gam = np.einsum("mab,bc->mac", d.GAMMA, g1 * d.IDENTITY + g2 * d.GAMMA5)
        return np.einsum("nya,mab,nxb->nxym", ubar, gam, v)
    gam = g1 * d.IDENTITY + 1j * g2 * d.GAMMA5
    return np.einsum("nya,ab,nxb->nxy", ubar, gam, v)


def _photon_pairing(pmu, pa, pb, pm, pnu, pnubar) -> NDArray:
    """Diagrams with the photon attached to the pair (pb, pm), Michel positron pa.

    Returns ``(n, s, h_nubar, h_nu, h_a, h_b, h_m)`` including G_F/sqrt2, e^2 and the photon
    propagator -g/q^2."""
    q = pb + pm
    cur = _pair_current(pb, pm, E_CHARGE, 0.0, "vector")
    eps = -cur / d.minkowski_dot(q, q)[:, None, None, None]
    ins = _vector_vertex(eps, E_CHARGE, 0.0)
    return G_F / np.sqrt(2.0) * _line_with_insertion(pmu, pa, pnu, pnubar, q, ins, ins)


def me2_ic(p1, p2, pm, pnu, pnubar, pol, pmu: NDArray | None = None) -> NDArray:
    r"""|M|^2 of mu+ -> e+(p1) e+(p2) e-(pm) nu_e nubar_mu (GeV^-4), full LO (4 diagrams).

    :math:`M = M_1(p_1, p_2) - M_1(p_2, p_1)`, with :math:`M_1` the photon on the pair
    (p2, pm). The identical-particle factor 1/2! is NOT included: apply it in the rate.
    """
    p1, p2, pm, pnu, pnubar = (np.asarray(x, dtype=float) for x in (p1, p2, pm, pnu, pnubar))
    rho, pmu = _prepare(pol, pmu, p1.shape[0])
    m_a = _photon_pairing(pmu, p1, p2, pm, pnu, pnubar)  # (n,s,h,k,h1,h2,hm)
    m_b = _photon_pairing(pmu, p2, p1, pm, pnu, pnubar)  # (n,s,h,k,h2,h1,hm)
    return _contract_rho(m_a - np.swapaxes(m_b, 4, 5), rho)


def me2_ic_true_pair(p1, p2, pm, pnu, pnubar, pol, pmu: NDArray | None = None) -> NDArray:
    r"""|M_1|^2 (GeV^-4): only the two diagrams with the photon on the pair (p2, pm), p1 the
    Michel positron (no exchange term, no 1/2!). Used for the dark-photon identity."""
    p1, p2, pm, pnu, pnubar = (np.asarray(x, dtype=float) for x in (p1, p2, pm, pnu, pnubar))
    rho, pmu = _prepare(pol, pmu, p1.shape[0])
    return _contract_rho(_photon_pairing(pmu, p1, p2, pm, pnu, pnubar), rho)


def me2_signal(p_e, p_xpos, pm, pnu, pnubar, pol, model: XModel, pmu: NDArray | None = None) -> NDArray:
    r"""Narrow-width numerator |N|^2 (GeV^-2) of mu+ -> e+ nu nubar X, X -> e+(p_xpos) e-(pm).

    :math:`|M_5|^2 = |N|^2/((q^2-M^2)^2 + M^2\Gamma^2)`, :math:`q = p_{xpos} + p_m` (on shell).
    Vector X: propagator numerator :math:`-g^{\beta\delta} + q^\beta q^\delta/M^2`;
    scalar: 1. Emission from the muon and the positron line are added (interference).
    No exchange diagram: in the narrow-width limit the pairing (p_xpos, pm) is definite.
    The X -> ee vertex uses ``model.decay_couplings`` (see :class:`XModel`).
    """
    p_e, p_xpos, pm, pnu, pnubar = (np.asarray(x, dtype=float) for x in (p_e, p_xpos, pm, pnu, pnubar))
    rho, pmu = _prepare(pol, pmu, p_e.shape[0])
    q = p_xpos + pm
    dec = _pair_current(p_xpos, pm, *model.decay_couplings, model.kind)
    if model.kind == "vector":
        qd = _mdot(q[:, None, None, :], dec)
        eps = -dec + q[:, None, None, :] * (qd / model.mass**2)[..., None]
        ins_mu = _vector_vertex(eps, *model.couplings_mu)
        ins_e = _vector_vertex(eps, *model.couplings_e)
    else:
        ins_mu = _scalar_vertex(dec, *model.couplings_mu)
        ins_e = _scalar_vertex(dec, *model.couplings_e)
    amp = G_F / np.sqrt(2.0) * _line_with_insertion(pmu, p_e, pnu, pnubar, q, ins_mu, ins_e)
    return _contract_rho(amp, rho)
