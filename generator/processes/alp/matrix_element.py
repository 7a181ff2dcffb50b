r"""Spin-averaged |M|^2 of ``l_in(p) N(P_i) -> l_out(p') N(P_f) a(k)`` (scalar nucleus, one photon).

From the Lagrangian ``-i a l_out-bar (s + p gamma5) l_in + h.c.`` (Batell et al. 2024 (arXiv:2407.15942) Eq. 2) and the scalar
nuclear vertex ``i e Z F(q^2) (P_i + P_f)^mu`` (Batell et al., Eq. 15), with photon propagator ``-i g/q^2``:

.. math::
    \overline{|M|^2} = \frac{(4\pi\alpha)^2 G_2(t)}{t^2}\,
    \tfrac12 \mathrm{Tr}[(\not p' + m_{out})\, O\, (\not p + m_{in})\, \bar O],\quad
    O = \not N \frac{\not p - \not k + m_{out}}{(p-k)^2 - m_{out}^2}\Gamma
      + \Gamma \frac{\not p' + \not k + m_{in}}{(p'+k)^2 - m_{in}^2}\not N,

``N = P_i + P_f``, ``Gamma = s + p gamma5``, ``O-bar = gamma0 O^dagger gamma0`` (alp_lfv.md Sec. 2).
The sign of the pseudoscalar term (``s - p gamma5`` for the h.c. vertex) does not enter the
unpolarised rate. Options: photon emission instead of the ALP (``Gamma -> e gamma^rho``, summed
with ``-g_{rho sigma}``), flavour-conserving emission (``m_out = m_in``) and the Ward-identity
check (``N -> q``).

:func:`lepton_trace` is the oracle: an explicit-matrix trace with :mod:`muonbsm.generator.dirac`.
:func:`lepton_trace_fast` computes the same quantity from compiled helicity amplitudes
(numerically stable at TeV energies; tested against the oracle).
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numpy.typing import NDArray

from muonbsm.constants import ALPHA
from muonbsm.generator import dirac
from muonbsm.generator.processes.alp.kinematics import Kinematics

__all__ = ["lepton_trace", "lepton_trace_fast", "lepton_trace_polarized", "amplitude_squared"]


def lepton_trace(kin: Kinematics, s: float, p: float, m_in: float, m_out: float, *,
                 emission: str = "alp", current: str = "nucleus") -> NDArray:
    """Oracle ``1/2 Tr[(p'+m_out) O (p+m_in) O-bar]`` [GeV^0 for the ALP; includes e^2 for photons].

    ``emission``: ``"alp"`` (vertex ``s + p gamma5``) or ``"photon"`` (vertex ``e gamma^rho``,
    polarisation sum ``-g``). ``current``: ``"nucleus"`` (``N = P_i + P_f``) or ``"q"``
    (``N -> q``, Ward identity: the result vanishes).
    """
    if emission not in ("alp", "photon"):
        raise ValueError(f"emission must be 'alp' or 'photon', got {emission!r}")
    if current not in ("nucleus", "q"):
        raise ValueError(f"current must be 'nucleus' or 'q', got {current!r}")
    n_vec = kin.P_i + kin.P_f if current == "nucleus" else kin.q
    eye = dirac.IDENTITY
    n_sl = dirac.slash(n_vec)
    a1 = (dirac.slash(kin.p - kin.k) + m_out * eye) / kin.d1[..., None, None]
    a2 = (dirac.slash(kin.pprime + kin.k) + m_in * eye) / kin.d2[..., None, None]
    x_out = dirac.slash(kin.pprime) + m_out * eye
    y_in = dirac.slash(kin.p) + m_in * eye
    if emission == "alp":
        vertices = [(1.0, s * eye + p * dirac.GAMMA5)]
    else:
        e = math.sqrt(4.0 * math.pi * ALPHA)
        vertices = [(-dirac.METRIC[r, r], e * dirac.GAMMA[r]) for r in range(4)]
    total = np.zeros(n_vec.shape[:-1])
    for sign, gam in vertices:
        o = n_sl @ a1 @ gam + gam @ a2 @ n_sl
        tr = np.trace(x_out @ o @ y_in @ dirac.dirac_bar(o), axis1=-2, axis2=-1)
        total = total + sign * 0.5 * tr.real
    return total


@numba.njit(cache=True)
def _slash_into(v0: float, v1: float, v2: float, v3: float, m: float, out: NDArray) -> None:
    """Chiral-basis ``v-slash + m`` into the 4x4 complex array ``out``."""
    out[:, :] = 0.0
    for i in range(4):
        out[i, i] = m
    # upper-right block: v0 - v.sigma ; lower-left block: v0 + v.sigma
    out[0, 2] = v0 - v3
    out[0, 3] = -(v1 - 1j * v2)
    out[1, 2] = -(v1 + 1j * v2)
    out[1, 3] = v0 + v3
    out[2, 0] = v0 + v3
    out[2, 1] = v1 - 1j * v2
    out[3, 0] = v1 + 1j * v2
    out[3, 1] = v0 - v3


@numba.njit(cache=True)
def _matvec(a: NDArray, v: NDArray, out: NDArray) -> None:
    for i in range(4):
        acc = 0.0 + 0.0j
        for j in range(4):
            acc += a[i, j] * v[j]
        out[i] = acc


@numba.njit(cache=True)
def _spinors_into(e: float, px: float, py: float, pz: float, m: float, out: NDArray) -> None:
    """Helicity spinors u(p, +1/2), u(p, -1/2) (P&S chiral basis) into ``out[2, 4]``.

    ``sqrt(E - |p|) = m / sqrt(E + |p|)`` and the half-angle form of the two-spinor keep them
    accurate for ultra-relativistic, nearly collinear momenta.
    """
    pa = math.sqrt(px * px + py * py + pz * pz)
    ep = math.sqrt(max(e + pa, 0.0))
    em = m / ep if ep > 0.0 else 0.0
    if pz >= 0.0:
        nrm = math.sqrt(2.0 * pa * (pa + pz)) if pa > 0.0 else 1.0
        a = (pa + pz) / nrm if pa > 0.0 else 1.0 + 0.0j
        b = (px + 1j * py) / nrm
    else:
        nrm = math.sqrt(2.0 * pa * (pa - pz))
        a = (px - 1j * py) / nrm
        b = (pa - pz) / nrm + 0.0j
    # xi_+ = (a, b); xi_- = (-conj(b), conj(a))
    out[0, 0] = em * a
    out[0, 1] = em * b
    out[0, 2] = ep * a
    out[0, 3] = ep * b
    out[1, 0] = -ep * np.conj(b)
    out[1, 1] = ep * np.conj(a)
    out[1, 2] = -em * np.conj(b)
    out[1, 3] = em * np.conj(a)


@numba.njit(cache=True, parallel=True)
def _helicity_kernel(p: NDArray, pp: NDArray, k: NDArray, nv: NDArray, d1: NDArray,
                     d2: NDArray, gam: NDArray, sgn: NDArray, m_in: float,
                     m_out: float) -> tuple[NDArray, NDArray]:
    n = p.shape[0]
    out = np.empty(n)
    diff = np.empty(n)
    nchunk = 16
    swap = np.array([2, 3, 0, 1])
    for c in numba.prange(nchunk):
        lo = c * n // nchunk
        hi = (c + 1) * n // nchunk
        nsl = np.empty((4, 4), np.complex128)
        a1 = np.empty((4, 4), np.complex128)
        a2 = np.empty((4, 4), np.complex128)
        ui = np.empty((2, 4), np.complex128)
        uo = np.empty((2, 4), np.complex128)
        w = np.empty(4, np.complex128)
        w2 = np.empty(4, np.complex128)
        v = np.empty(4, np.complex128)
        v2 = np.empty(4, np.complex128)
        for i in range(lo, hi):
            if d1[i] == 0.0 or d2[i] == 0.0 or not (math.isfinite(d1[i]) and math.isfinite(d2[i])):
                out[i] = 0.0   # a propagator pole hit exactly (measure zero): no contribution
                diff[i] = 0.0
                continue
            _slash_into(nv[i, 0], nv[i, 1], nv[i, 2], nv[i, 3], 0.0, nsl)
            _slash_into(p[i, 0] - k[i, 0], p[i, 1] - k[i, 1], p[i, 2] - k[i, 2],
                        p[i, 3] - k[i, 3], m_out, a1)
            _slash_into(pp[i, 0] + k[i, 0], pp[i, 1] + k[i, 1], pp[i, 2] + k[i, 2],
                        pp[i, 3] + k[i, 3], m_in, a2)
            _spinors_into(p[i, 0], p[i, 1], p[i, 2], p[i, 3], m_in, ui)
            _spinors_into(pp[i, 0], pp[i, 1], pp[i, 2], pp[i, 3], m_out, uo)
            inv1 = 1.0 / d1[i]
            inv2 = 1.0 / d2[i]
            acc = 0.0
            dacc = 0.0
            for r in range(gam.shape[0]):
                for lam in range(2):
                    # diagram 1: N-slash A1 Gamma u ; diagram 2: Gamma A2 N-slash u
                    _matvec(gam[r], ui[lam], w)
                    _matvec(a1, w, w2)
                    _matvec(nsl, w2, w)
                    _matvec(nsl, ui[lam], v)
                    _matvec(a2, v, v2)
                    _matvec(gam[r], v2, v)
                    for lp in range(2):
                        amp = 0.0 + 0.0j
                        for j in range(4):
                            amp += np.conj(uo[lp, j]) * (w[swap[j]] * inv1 + v[swap[j]] * inv2)
                        a2sq = sgn[r] * (amp.real * amp.real + amp.imag * amp.imag)
                        acc += a2sq
                        dacc += a2sq if lp == 0 else -a2sq
            out[i] = 0.5 * acc
            diff[i] = 0.5 * dacc
    return out, diff


def lepton_trace_fast(kin: Kinematics, s: float, p: float, m_in: float, m_out: float, *,
                      emission: str = "alp") -> NDArray:
    """Same quantity as :func:`lepton_trace` from compiled helicity amplitudes.

    ``1/2 sum_{spins} |u-bar(p') O u(p)|^2`` with explicit helicity spinors: the gauge
    cancellation between the two diagrams then happens in the amplitude (relative size |q|/m)
    rather than in the squared trace (|q|^2/E^2), which keeps double precision adequate at
    TeV energies and t ~ 1e-12 GeV^2. Tested against the trace oracle.
    """
    return _kernel_call(kin, s, p, m_in, m_out, emission)[0]


def lepton_trace_polarized(kin: Kinematics, s: float, p: float, m_in: float,
                           m_out: float) -> tuple[NDArray, NDArray]:
    r"""``(T, P)``: the spin-averaged trace ``T`` of :func:`lepton_trace_fast` and the lab-frame
    helicity polarisation ``P = (T_+ - T_-)/T`` of the outgoing lepton (``T_h``: the sum over the
    incoming spins at outgoing helicity h).

    The vertex is the one of the transition ``l_in -> l_out``, ``u-bar(p') Gamma u(p)`` with
    ``Gamma = s + p gamma5``. For ``mu- N -> tau- N a`` the h.c. term of Batell et al. 2024 (arXiv:2407.15942) Eq. 2,
    ``+i a tau-bar (s - p gamma5) mu``, gives ``Gamma = s - p gamma5``: call it with ``-p``
    (:func:`muonbsm.generator.processes.alp.polarization.production_polarization`). P is odd in ``s p`` (0 for a pure scalar or pseudoscalar:
    parity). Tested against the trace with the spin projector ``(1 + gamma5 n-slash)/2``.
    """
    tr, diff = _kernel_call(kin, s, p, m_in, m_out, "alp")
    return tr, np.divide(diff, tr, out=np.zeros_like(tr), where=tr > 0)


def _kernel_call(kin: Kinematics, s: float, p: float, m_in: float, m_out: float,
                 emission: str) -> tuple[NDArray, NDArray]:
    if emission == "alp":
        gam = (s * dirac.IDENTITY + p * dirac.GAMMA5)[None]
        sgn = np.array([1.0])
    elif emission == "photon":
        gam = math.sqrt(4.0 * math.pi * ALPHA) * dirac.GAMMA
        sgn = -np.diag(dirac.METRIC).copy()
    else:
        raise ValueError(f"emission must be 'alp' or 'photon', got {emission!r}")
    shape = kin.d1.shape
    flat = [np.ascontiguousarray(np.broadcast_to(v, shape + (4,)).reshape(-1, 4))
            for v in (kin.p, kin.pprime, kin.k, kin.P_i + kin.P_f)]
    res, diff = _helicity_kernel(*flat, np.ascontiguousarray(kin.d1.reshape(-1)),
                                 np.ascontiguousarray(kin.d2.reshape(-1)),
                                 np.ascontiguousarray(gam, dtype=np.complex128), sgn,
                                 float(m_in), float(m_out))
    return res.reshape(shape), diff.reshape(shape)


def amplitude_squared(kin: Kinematics, t: NDArray, g2_t: NDArray, s: float, p: float,
                      m_in: float, m_out: float, *, emission: str = "alp",
                      fast: bool = True) -> NDArray:
    """Spin-averaged ``|M|^2 = (4 pi alpha)^2 G2(t)/t^2 * trace`` (dimensionless).

    ``t`` [GeV^2] and ``g2_t = G2(t)`` arrays of the kinematics' shape. ``fast`` selects the
    compiled helicity-amplitude kernel, otherwise the explicit trace oracle is used.
    """
    if fast:
        tr = lepton_trace_fast(kin, s, p, m_in, m_out, emission=emission)
    else:
        tr = lepton_trace(kin, s, p, m_in, m_out, emission=emission)
    return (4.0 * math.pi * ALPHA) ** 2 * g2_t / (t * t) * tr
