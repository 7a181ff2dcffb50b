r"""Fast (numba) helicity amplitudes for mu+ -> e+ nu nubar (e+ e- | X), muon at rest.

Same physics, conventions and normalisation as the oracle
:mod:`muonbsm.generator.processes.mu3e.matrix_element_oracle` (see its docstring for the Lagrangian and the
amplitude), evaluated with two-component spinors (:mod:`muonbsm.generator.processes.mu3e.weyl`):

* only the left-handed neutrino and right-handed antineutrino contribute (V-A), so each
  Fermi current is one :math:`\psi_L^\dagger\bar\sigma^\alpha\chi_L` product;
* one routine computes "Fermi amplitude with one vertex insertion on the muon or the positron
  line" for all 2 (muon spin) x 8 (e+ e+ e- helicities) combinations; it serves the
  internal conversion (photon insertion, two pairings with the Fermi minus sign), the
  true-pair term and every X signal (vector or scalar insertion).

|M|^2 is :math:`\sum\rho_{ss'}M_sM_{s'}^*` over the muon spin, summed over final helicities.
Inputs: momenta ``(n, 4)`` in GeV, ``pol`` ``(3,)`` or ``(n, 3)``. Outputs ``(n,)`` in GeV^-4
(IC, true pair) or GeV^-2 (signal numerator |N|^2). Threads: ``numba.set_num_threads``.
The identical-positron factor 1/2! is NOT included in :func:`me2_ic`.

Cost (2-core shared machine, see ``benchmarks/me_ic_speed.py``): about 2-4 us CPU per IC event,
comparable to flat 5-body phase space. The first call compiles the kernel (15-60 s, then
cached by numba in ``__pycache__``).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange
from numpy.typing import NDArray

from muonbsm.constants import E_CHARGE, G_F, M_E, M_MU
from muonbsm.generator import dirac as d
from muonbsm.generator.processes.mu3e import weyl as w
from muonbsm.models.mu3e import XModel

__all__ = ["me2_michel", "me2_ic", "me2_ic_true_pair", "me2_signal"]

_CF = G_F / math.sqrt(2.0)
_CHUNK = 64
#: rows vbar(P, s) of the muon at rest, shape (2, 4): from the oracle spinors.
_VBAR_MU = np.ascontiguousarray(d.spinor_bar(d.v_spinor(np.array([M_MU, 0.0, 0.0, 0.0]), M_MU)))

# propagator modes of the inserted boson
_PHOTON, _MASSIVE_VECTOR, _SCALAR = 0, 1, 2


@njit(cache=True)
def _event_setup(pa_list, pm, pnu, pnb, vbar, vpos, uel, cpos, nrow):
    """Per-event spinors and the Fermi currents folded into two-spinors.

    ``vpos[k, h]`` = (vL, vR) of positron k; ``uel[h]`` = conj (uL, uR) of the electron;
    ``nrow[s]`` = 2 nu_L^dag (J_mu(s).sigmabar) with J_mu(s) = 2 vL(P,s)^dag sigmabar vL(nubar),
    so that J_mu(s).J_e^ins = nrow[s] . y_L; ``cpos[k, h]`` = 2 (J_e(k,h).sigmabar) vL(nubar) with
    J_e = 2 uL(nu)^dag sigmabar vL(p_k, h), so that J_mu^ins(s).J_e = lo(s) . cpos."""
    nb = w.v_lr(pnb[0], pnb[1], pnb[2], pnb[3], 0.0, 1)
    nu = w.u_lr(pnu[0], pnu[1], pnu[2], pnu[3], 0.0, -1)
    nu0, nu1 = nu[0].conjugate(), nu[1].conjugate()
    for h in range(2):
        um = w.u_lr(pm[0], pm[1], pm[2], pm[3], M_E, 1 - 2 * h)
        for a in range(4):
            uel[h, a] = um[a].conjugate()
    for s in range(2):
        j = w.row_sigmabar_col(vbar[s, 2], vbar[s, 3], nb[0], nb[1])
        r = w.row_mat(nu0, nu1, w.kdot_sigmabar(j[0], j[1], j[2], j[3]))
        nrow[s, 0], nrow[s, 1] = 4.0 * r[0], 4.0 * r[1]
    for k in range(len(pa_list)):
        pa = pa_list[k]
        for h in range(2):
            va = w.v_lr(pa[0], pa[1], pa[2], pa[3], M_E, 1 - 2 * h)
            for a in range(4):
                vpos[k, h, a] = va[a]
            j = w.row_sigmabar_col(nu0, nu1, va[0], va[1])
            c = w.mat_col(w.kdot_sigmabar(j[0], j[1], j[2], j[3]), nb[0], nb[1])
            cpos[k, h, 0], cpos[k, h, 1] = 4.0 * c[0], 4.0 * c[1]


@njit(cache=True)
def _pairing(amp, sign, swap, ka, kb, pa, pb, pm, vbar, vpos, uel, cpos, nrow, mode, c_mu, c_e, c_d, mass):
    """Add ``sign`` * amplitude (G_F/sqrt2 included) with the boson on the pair (positron kb,
    electron), Michel positron ka, to ``amp[s, h1, h2, hm]`` (ha, hb swapped if ``swap``)."""
    q0, q1, q2, q3 = pb[0] + pm[0], pb[1] + pm[1], pb[2] + pm[2], pb[3] + pm[3]
    # propagators: muon k = q - P, positron k = -(pa + q)
    k0 = q0 - M_MU
    kmu = w.kdot_sigma(k0, q1, q2, q3)
    dmu = sign * _CF / (k0 * k0 - q1 * q1 - q2 * q2 - q3 * q3 - M_MU * M_MU)
    e0, e1, e2, e3 = -(pa[0] + q0), -(pa[1] + q1), -(pa[2] + q2), -(pa[3] + q3)
    kel = w.kdot_sigma(e0, e1, e2, e3)
    de = sign * _CF / (e0 * e0 - e1 * e1 - e2 * e2 - e3 * e3 - M_E * M_E)
    vec = mode != _SCALAR
    if vec:  # chiral couplings cL = g1 - g2, cR = g1 + g2 of g1 + g2 gamma5
        dl, dr = c_d[0] - c_d[1] + 0j, c_d[0] + c_d[1] + 0j
        mul, mur = c_mu[0] - c_mu[1] + 0j, c_mu[0] + c_mu[1] + 0j
        el, er = c_e[0] - c_e[1] + 0j, c_e[0] + c_e[1] + 0j
    else:  # g1 + i g2 gamma5
        dl, dr = c_d[0] - 1j * c_d[1], c_d[0] + 1j * c_d[1]
        mul, mur = c_mu[0] - 1j * c_mu[1], c_mu[0] + 1j * c_mu[1]
        el, er = c_e[0] - 1j * c_e[1], c_e[0] + 1j * c_e[1]
    q2inv = 1.0 / (q0 * q0 - q1 * q1 - q2 * q2 - q3 * q3)
    for hb in range(2):
        vb = vpos[kb, hb]
        for hm in range(2):
            ul0, ul1, ur0, ur1 = uel[hm, 0], uel[hm, 1], uel[hm, 2], uel[hm, 3]
            if vec:
                jr = w.row_sigma_col(ur0, ur1, vb[2], vb[3])
                jl = w.row_sigmabar_col(ul0, ul1, vb[0], vb[1])
                c = (dr * jr[0] + dl * jl[0], dr * jr[1] + dl * jl[1], dr * jr[2] + dl * jl[2], dr * jr[3] + dl * jl[3])
                if mode == _PHOTON:
                    ep = (-q2inv * c[0], -q2inv * c[1], -q2inv * c[2], -q2inv * c[3])
                else:
                    qd = (q0 * c[0] - q1 * c[1] - q2 * c[2] - q3 * c[3]) / (mass * mass)
                    ep = (-c[0] + q0 * qd, -c[1] + q1 * qd, -c[2] + q2 * qd, -c[3] + q3 * qd)
                eps_s = w.kdot_sigma(ep[0], ep[1], ep[2], ep[3])
                eps_b = w.kdot_sigmabar(ep[0], ep[1], ep[2], ep[3])
                ds = 0j
            else:
                ds = (ur0 * vb[0] + ur1 * vb[1]) * dl + (ul0 * vb[2] + ul1 * vb[3]) * dr
                eps_s = (0j, 0j, 0j, 0j)
                eps_b = eps_s
            ya = _positron_insertion(vpos[ka, 0], vec, eps_s, eps_b, ds, el, er, kel, de)
            yb = _positron_insertion(vpos[ka, 1], vec, eps_s, eps_b, ds, el, er, kel, de)
            for s in range(2):
                if vec:
                    r = w.row_mat(vbar[s, 2], vbar[s, 3], eps_b)
                    w10, w11 = mul * r[0], mul * r[1]
                    r = w.row_mat(vbar[s, 0], vbar[s, 1], eps_s)
                    w20, w21 = mur * r[0], mur * r[1]
                else:
                    w10, w11 = ds * mul * vbar[s, 0], ds * mul * vbar[s, 1]
                    w20, w21 = ds * mur * vbar[s, 2], ds * mur * vbar[s, 3]
                r = w.row_mat(w10, w11, kmu)
                lo0, lo1 = (r[0] + M_MU * w20) * dmu, (r[1] + M_MU * w21) * dmu
                n0, n1 = nrow[s, 0], nrow[s, 1]
                t0 = lo0 * cpos[ka, 0, 0] + lo1 * cpos[ka, 0, 1] + n0 * ya[0] + n1 * ya[1]
                t1 = lo0 * cpos[ka, 1, 0] + lo1 * cpos[ka, 1, 1] + n0 * yb[0] + n1 * yb[1]
                if swap:
                    amp[s, hb, 0, hm] += t0
                    amp[s, hb, 1, hm] += t1
                else:
                    amp[s, 0, hb, hm] += t0
                    amp[s, 1, hb, hm] += t1


@njit(cache=True)
def _positron_insertion(va, vec, eps_s, eps_b, ds, el, er, kel, de):
    """Upper (left) half y_L of S_e Gamma_e v(pa): (kslash + m) Gamma v / (k^2 - m^2) (times de)."""
    if vec:
        wl = w.mat_col(eps_s, er * va[2], er * va[3])
        wr = w.mat_col(eps_b, el * va[0], el * va[1])
    else:
        wl = (ds * el * va[0], ds * el * va[1])
        wr = (ds * er * va[2], ds * er * va[3])
    y = w.mat_col(kel, wr[0], wr[1])
    return ((M_E * wl[0] + y[0]) * de, (M_E * wl[1] + y[1]) * de)


@njit(cache=True)
def _contract(amp, rho):
    out = 0.0
    for i in range(2):
        for j in range(2):
            for k in range(2):
                a0, a1 = amp[0, i, j, k], amp[1, i, j, k]
                out += (rho[0, 0] * a0 * a0.conjugate() + rho[1, 1] * a1 * a1.conjugate()).real
                out += 2.0 * (rho[0, 1] * a0 * a1.conjugate()).real
    return out


@njit(cache=True, parallel=True)
def _me2_kernel(p1, p2, pm, pnu, pnb, rho, vbar, mode, exchange, c_mu, c_e, c_d, mass):
    n = p1.shape[0]
    out = np.empty(n)
    nchunk = (n + _CHUNK - 1) // _CHUNK
    for c in prange(nchunk):
        amp = np.empty((2, 2, 2, 2), dtype=np.complex128)
        vpos = np.empty((2, 2, 4), dtype=np.complex128)
        uel = np.empty((2, 4), dtype=np.complex128)
        cpos = np.empty((2, 2, 2), dtype=np.complex128)
        nrow = np.empty((2, 2), dtype=np.complex128)
        for i in range(c * _CHUNK, min(n, (c + 1) * _CHUNK)):
            amp[:] = 0.0
            _event_setup((p1[i], p2[i]), pm[i], pnu[i], pnb[i], vbar, vpos, uel, cpos, nrow)
            for k in range(2 if exchange else 1):  # k = 1: exchanged positrons, Fermi minus sign
                pa, pb = (p1[i], p2[i]) if k == 0 else (p2[i], p1[i])
                _pairing(
                    amp, 1.0 - 2.0 * k, k == 1, k, 1 - k, pa, pb, pm[i], vbar, vpos, uel, cpos, nrow,
                    mode, c_mu, c_e, c_d, mass,
                )
            out[i] = _contract(amp, rho[i])
    return out


@njit(cache=True, parallel=True)
def _michel_kernel(pe, pnu, pnb, rho, vbar):
    n = pe.shape[0]
    out = np.empty(n)
    for i in prange(n):
        nb = w.v_lr(pnb[i, 0], pnb[i, 1], pnb[i, 2], pnb[i, 3], 0.0, 1)
        nu = w.u_lr(pnu[i, 0], pnu[i, 1], pnu[i, 2], pnu[i, 3], 0.0, -1)
        j0 = w.row_sigmabar_col(vbar[0, 2], vbar[0, 3], nb[0], nb[1])
        j1 = w.row_sigmabar_col(vbar[1, 2], vbar[1, 3], nb[0], nb[1])
        res = 0.0
        for h in range(2):
            va = w.v_lr(pe[i, 0], pe[i, 1], pe[i, 2], pe[i, 3], M_E, 1 - 2 * h)
            je = w.row_sigmabar_col(nu[0].conjugate(), nu[1].conjugate(), va[0], va[1])
            a0 = 4.0 * _CF * w.mdot(j0, je)
            a1 = 4.0 * _CF * w.mdot(j1, je)
            res += (rho[i, 0, 0] * a0 * a0.conjugate() + rho[i, 1, 1] * a1 * a1.conjugate()).real
            res += 2.0 * (rho[i, 0, 1] * a0 * a1.conjugate()).real
        out[i] = res
    return out


def _arrays(*ps: NDArray) -> list[NDArray]:
    out = [np.require(p, dtype=np.float64, requirements=["C", "W"]) for p in ps]  # one numba signature
    n = out[0].shape[0]
    for p in out:
        if p.shape != (n, 4):
            raise ValueError(f"momenta must all have shape (n, 4) = ({n}, 4), got {p.shape}")
    return out


def _rho(pol: NDArray, n: int) -> NDArray:
    return np.array(np.broadcast_to(d.spin_density(pol), (n, 2, 2)), dtype=np.complex128, order="C")


def me2_michel(pe: NDArray, pnu: NDArray, pnubar: NDArray, pol: NDArray) -> NDArray:
    """|M|^2 (GeV^-2) of mu+ -> e+ nu_e nubar_mu, as the oracle ``muon_decay.me2_michel``."""
    pe, pnu, pnubar = _arrays(pe, pnu, pnubar)
    return _michel_kernel(pe, pnu, pnubar, _rho(pol, pe.shape[0]), _VBAR_MU)


def _photon_call(p1, p2, pm, pnu, pnubar, pol, exchange: bool) -> NDArray:
    p1, p2, pm, pnu, pnubar = _arrays(p1, p2, pm, pnu, pnubar)
    ce = np.array([E_CHARGE, 0.0])
    return _me2_kernel(p1, p2, pm, pnu, pnubar, _rho(pol, p1.shape[0]), _VBAR_MU, _PHOTON, exchange, ce, ce, ce, 0.0)


def me2_ic(p1, p2, pm, pnu, pnubar, pol) -> NDArray:
    """Full LO |M|^2 (GeV^-4) of mu+ -> e+(p1) e+(p2) e-(pm) nu nubar; 1/2! NOT included."""
    return _photon_call(p1, p2, pm, pnu, pnubar, pol, True)


def me2_ic_true_pair(p1, p2, pm, pnu, pnubar, pol) -> NDArray:
    """|M_1|^2 (GeV^-4): photon on the pair (p2, pm) only (no exchange, no 1/2!)."""
    return _photon_call(p1, p2, pm, pnu, pnubar, pol, False)


def me2_signal(p_e, p_xpos, pm, pnu, pnubar, pol, model: XModel) -> NDArray:
    """Narrow-width numerator |N|^2 (GeV^-2) of mu+ -> e+ nu nubar X(-> e+(p_xpos) e-(pm)).

    As the oracle ``muon_decay.me2_signal``: no exchange diagram, q = p_xpos + pm on shell.
    """
    p_e, p_xpos, pm, pnu, pnubar = _arrays(p_e, p_xpos, pm, pnu, pnubar)
    mode = _MASSIVE_VECTOR if model.kind == "vector" else _SCALAR
    c_mu, c_e, c_d = (np.array(c, dtype=float) for c in (model.couplings_mu, model.couplings_e, model.decay_couplings))
    rho = _rho(pol, p_e.shape[0])
    return _me2_kernel(p_e, p_xpos, pm, pnu, pnubar, rho, _VBAR_MU, mode, False, c_mu, c_e, c_d, model.mass)
