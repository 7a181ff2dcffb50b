r"""Hadronic currents and the spin-dependent V-A matrix element for tau^- -> nu_tau + hadrons.

:math:`\mathcal M = \frac{G_F}{\sqrt 2}\bar u_\nu\gamma^\mu(1-\gamma_5)u_\tau J_\mu`, tau spin density
:math:`(\slashed p + m)(1 + P\gamma_5\slashed s)/2`, so that
:math:`|\mathcal M|^2 \propto \mathrm{Tr}[\slashed k\gamma^\mu\slashed P'\gamma^\nu(1-\gamma_5)]J_\mu J^*_\nu`,
:math:`P' = p - P m s` (:func:`hadronic_me`). Which current each mode uses follows Pythia 8's
tau decays (Ilten, arXiv:1211.6730, Sec. 3 and Table 2; the ``meMode`` of its decay table);
the currents are written here from their physics sources:

* ``pseudoscalar`` (pi, K): J = p_h (f_pi, f_K absorbed in the branching ratio);
* ``vector_rho`` (pi- pi0, K- K0): J = sum_i w_i BW^P_i(s) (p_a - p_b)_perp, rho(770), rho(1450),
  rho(1700) with the weights of Kuhn & Santamaria, Z. Phys. C 48 (1990) 445 (KS) as fitted in
  Pythia (one rho width for both modes, the pi pi0 running width);
* ``vector_scalar_kpi`` (K pi): K*(892) + K*(1410) vector plus the scalar K0*(800) term,
  Finkemeier & Mirkes, Z. Phys. C 72 (1996) 619 (hep-ph/9601275);
* ``three_pion``: CLEO, Phys. Rev. D 61 (2000) 012002 (hep-ex/9902022),
  :mod:`~muonbsm.generator.decays.tau_currents_3pi`;
* ``three_meson_kaon``: Finkemeier & Mirkes, Z. Phys. C 69 (1996) 243 (hep-ph/9503474),
  :mod:`~muonbsm.generator.decays.tau_currents_kaons`;
* ``four_pion``/``five_pion``: Bondar et al. (Novosibirsk), Comput. Phys. Commun. 146 (2002) 139;
  Kuhn & Was (hep-ph/0602162), :mod:`~muonbsm.generator.decays.tau_currents_multipion`;
* ``phase_space``: the isotropic spectral function H^{mu nu} = Q^mu Q^nu - Q^2 g^{mu nu}
  (hadrons flat in phase space), handled in :mod:`~muonbsm.generator.decays.tau`.

Breit-Wigners (:func:`bw_running`): :math:`BW_L(s) = M^2 / (M^2 - s - i \Gamma M^2/\sqrt s\,(p(s)/p(M))^{2L+1})`
with p the two-body momentum of the decay products (KS Eq. 3.13 for L = 1); fixed width
:math:`M^2/(M^2 - s - iM\Gamma)`. ``_perp`` is the part transverse to the hadronic momentum Q.
All momenta are ``(n, 4)`` (E, px, py, pz) arrays [GeV].

>>> import numpy as np
>>> k = np.array([[1.0, 0.0, 0.0, -1.0]]); p = np.array([[1.0, 0.0, 0.0, 0.0]])
>>> float(hadronic_me(np.array([[1.0, 0.0, 0.0, 1.0]], dtype=complex), k, p)[0])
4.0
"""

from __future__ import annotations

from typing import cast

import numba
import numpy as np
from numpy.typing import NDArray

from muonbsm.constants import M_PI, M_PI0, pdg_mass

__all__ = [
    "M_RHO",
    "G_RHO",
    "M_KSTAR",
    "G_KSTAR",
    "hadronic_me",
    "bw_running",
    "bw_fixed",
    "weights",
    "epsilon_vector",
    "dot",
    "perp",
    "rho_form_factor",
    "two_meson_current",
    "Vec",
    "vec_row",
    "vec_dot",
    "vec_add",
    "vec_sub",
    "vec_lower",
    "vec_pair_s",
]

F64 = NDArray[np.float64]
C128 = NDArray[np.complex128]

#: rho(770) mass and width [GeV] of the two-meson vector current (KS fit as in Pythia 8).
M_RHO, G_RHO = 0.7746, 0.1490
#: K*(892) mass and width [GeV] of the K pi current (Finkemeier-Mirkes fit as in Pythia 8).
M_KSTAR, G_KSTAR = 0.89547, 0.04619
_METRIC = np.array([1.0, -1.0, -1.0, -1.0])
# rho, rho', rho'' (M, Gamma [GeV], |w|, phase) for pi- pi0 and K- K0
_RHO_VECTOR = ((M_RHO, G_RHO, 1.0, 0.0), (1.4080, 0.5020, 0.167, np.pi), (1.700, 0.235, 0.050, 0.0))
# K pi: vector K*(892), K*(1410) and scalar K0*(800) (Finkemeier-Mirkes), scalar coupling 0.465
_KPI_VECTOR = ((M_KSTAR, G_KSTAR, 1.0, 0.0), (1.414, 0.232, 0.075, 1.4399))
_KPI_SCALAR = (0.878, 0.499)
_KPI_SCALAR_COUPLING = 0.465


#: A 4-vector (E, px, py, pz) [GeV] as a tuple inside the numba current kernels (no array temporaries).
Vec = tuple[float, float, float, float]


@numba.njit(cache=True)
def vec_row(p: F64, ev: int, i: int) -> Vec:
    """Momentum ``i`` of decay ``ev`` of ``p`` (n, k, 4) as a 4-tuple (numba kernels)."""
    return (p[ev, i, 0], p[ev, i, 1], p[ev, i, 2], p[ev, i, 3])


@numba.njit(cache=True)
def vec_dot(a: Vec, b: Vec) -> float:
    """Minkowski product a.b (+, -, -, -) of 4-tuples (numba kernels)."""
    return a[0] * b[0] - a[1] * b[1] - a[2] * b[2] - a[3] * b[3]


@numba.njit(cache=True)
def vec_add(a: Vec, b: Vec) -> Vec:
    return (a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3])


@numba.njit(cache=True)
def vec_sub(a: Vec, b: Vec) -> Vec:
    return (a[0] - b[0], a[1] - b[1], a[2] - b[2], a[3] - b[3])


@numba.njit(cache=True)
def vec_lower(a: Vec) -> Vec:
    """Lowered components (a_0, -a_1, -a_2, -a_3)."""
    return (a[0], -a[1], -a[2], -a[3])


@numba.njit(cache=True)
def vec_pair_s(a: Vec, b: Vec) -> float:
    """Invariant mass^2 (a + b)^2 [GeV^2] of a pair (symmetric in a, b to the last bit)."""
    r = vec_add(a, b)
    return vec_dot(r, r)


def dot(a: NDArray, b: NDArray) -> NDArray:
    """Minkowski product (+, -, -, -) over the last axis (complex allowed, no conjugation)."""
    return a[..., 0] * b[..., 0] - a[..., 1] * b[..., 1] - a[..., 2] * b[..., 2] - a[..., 3] * b[..., 3]


def perp(v: NDArray, q: NDArray) -> NDArray:
    """Part of ``v`` (n, 4) transverse to ``q`` (n, 4): v - q (q.v)/q^2."""
    return v - q * (dot(q, v) / dot(q, q))[:, None]


def weights(pairs: tuple[tuple[float, float], ...]) -> NDArray[np.complex128]:
    """Complex resonance weights |w| e^{i phase} from (amplitude, phase [rad]) pairs."""
    return np.array([a * np.exp(1j * ph) for a, ph in pairs])


def bw_running(s: F64, m0: float, g0: float, m1: float, m2: float, wave: int) -> C128:
    r"""Breit-Wigner with the running width of an L = ``wave`` decay into masses m1, m2 [GeV].

    :math:`M^2/(M^2 - s - i\Gamma_0 M^2/\sqrt s\,(p(s)/p(M))^{2L+1})`, p = 0 below threshold.
    """
    s = np.asarray(s, dtype=np.float64)
    root = np.sqrt(np.clip(s, 1e-300, None))

    def mom(x: F64) -> F64:
        return np.sqrt(np.clip((x - (m1 + m2) ** 2) * (x - (m1 - m2) ** 2), 0.0, None)) / (2.0 * np.sqrt(x))

    ratio = mom(s) / mom(np.float64(m0 * m0))
    return m0 * m0 / (m0 * m0 - s - 1j * g0 * m0 * m0 / root * ratio ** (2 * wave + 1))


def bw_fixed(s: F64, m0: float, g0: float) -> C128:
    """Fixed-width Breit-Wigner (M^2 - i M Gamma) / (M^2 - s - i M Gamma) (1 at s = 0)."""
    # float64 array and Python complex promote to complex128; numpy's stubs say complexfloating
    return cast(C128, (m0 * m0 - 1j * m0 * g0) / (m0 * m0 - np.asarray(s) - 1j * m0 * g0))


def epsilon_vector(a: NDArray, b: NDArray, c: NDArray) -> NDArray:
    r"""Contravariant :math:`j^\mu = \epsilon^{\mu\nu\rho\sigma} a_\nu b_\rho c_\sigma`, :math:`\epsilon^{0123} = +1`."""
    al, bl, cl = a * _METRIC, b * _METRIC, c * _METRIC

    def det3(i: int, j: int, k: int) -> NDArray:
        return (
            al[..., i] * (bl[..., j] * cl[..., k] - bl[..., k] * cl[..., j])
            - al[..., j] * (bl[..., i] * cl[..., k] - bl[..., k] * cl[..., i])
            + al[..., k] * (bl[..., i] * cl[..., j] - bl[..., j] * cl[..., i])
        )

    # epsilon^{mu nu rho sigma} with mu fixed: sign of the permutation (mu, i, j, k)
    return np.stack([det3(1, 2, 3), -det3(0, 2, 3), det3(0, 1, 3), -det3(0, 1, 2)], axis=-1)


def hadronic_me(j: NDArray[np.complex128], k: NDArray[np.float64], p_prime: NDArray[np.float64]) -> NDArray[np.float64]:
    r"""Spin-dependent V-A squared matrix element (up to constants) for tau^- -> nu(k) + hadrons(J).

    Returns :math:`\mathrm{Tr}[\slashed k\gamma^\mu\slashed P'\gamma^\nu(1-\gamma_5)]J_\mu J^*_\nu / 4
    = 2\mathrm{Re}[(J\cdot k)(J^*\cdot P')] - (J\cdot J^*)(k\cdot P') + i\epsilon^{\alpha\mu\beta\nu}k_\alpha J_\mu P'_\beta J^*_\nu`
    (:math:`\gamma_5 = i\gamma^0\gamma^1\gamma^2\gamma^3`, so that the epsilon term is
    :math:`+2\det[k; a; P'; b]` for J = a + i b, lowered indices), with ``j`` ``(n, 4)`` complex [GeV],
    ``k`` the neutrino and ``p_prime`` = p - P m s ``(n, 4)`` [GeV].
    """
    if np.isrealobj(j):
        return 2.0 * dot(j, k) * dot(j, p_prime) - dot(j, j) * dot(k, p_prime)
    out = np.empty(j.shape[0])
    _complex_me_kernel(np.ascontiguousarray(j), np.ascontiguousarray(k, dtype=np.float64),
                       np.ascontiguousarray(p_prime, dtype=np.float64), out)
    return out


@numba.njit(cache=True)
def _complex_me_kernel(j: C128, k: F64, pp: F64, out: F64) -> None:  # pragma: no cover - compiled
    """:func:`hadronic_me` for complex J = a + i b, one loop over events.

    Symmetric part 2[(a.k)(a.P') + (b.k)(b.P')] - (a.a + b.b)(k.P'); antisymmetric part
    +2 det[k; a; P'; b] with lowered indices (Tr[g0 g1 g2 g3 g5] = -4i for gamma5 = i g0 g1 g2 g3),
    the determinant by Laplace expansion in 2x2 minors of the rows (k, a) and (P', b).
    """
    g = (1.0, -1.0, -1.0, -1.0)
    x, y, z, w = np.empty(4), np.empty(4), np.empty(4), np.empty(4)
    for ev in range(j.shape[0]):
        ak = bk = ap = bp = aa = bb = kp = 0.0
        for mu in range(4):
            ar, bi = j[ev, mu].real, j[ev, mu].imag
            ak += g[mu] * ar * k[ev, mu]
            bk += g[mu] * bi * k[ev, mu]
            ap += g[mu] * ar * pp[ev, mu]
            bp += g[mu] * bi * pp[ev, mu]
            aa += g[mu] * ar * ar
            bb += g[mu] * bi * bi
            kp += g[mu] * k[ev, mu] * pp[ev, mu]
            x[mu], y[mu], z[mu], w[mu] = g[mu] * k[ev, mu], g[mu] * ar, g[mu] * pp[ev, mu], g[mu] * bi
        det = ((x[0] * y[1] - x[1] * y[0]) * (z[2] * w[3] - z[3] * w[2])
               - (x[0] * y[2] - x[2] * y[0]) * (z[1] * w[3] - z[3] * w[1])
               + (x[0] * y[3] - x[3] * y[0]) * (z[1] * w[2] - z[2] * w[1])
               + (x[1] * y[2] - x[2] * y[1]) * (z[0] * w[3] - z[3] * w[0])
               - (x[1] * y[3] - x[3] * y[1]) * (z[0] * w[2] - z[2] * w[0])
               + (x[2] * y[3] - x[3] * y[2]) * (z[0] * w[1] - z[1] * w[0]))
        out[ev] = 2.0 * (ak * ap + bk * bp) - (aa + bb) * kp + 2.0 * det


def _sum_bw(s: F64, table: tuple, m1: float, m2: float, wave: int = 1) -> C128:
    w = weights(tuple((a, ph) for _, _, a, ph in table))
    return sum(wi * bw_running(s, m0, g0, m1, m2, wave) for wi, (m0, g0, _, _) in zip(w, table))


def rho_form_factor(s: F64) -> C128:
    """F_rho(s) = sum_i w_i BW^P_i(s) of the ``vector_rho`` current (pi pi0 running width), s [GeV^2]."""
    return _sum_bw(s, _RHO_VECTOR, M_PI0, M_PI)


def two_meson_current(model: str, daughters: tuple[int, ...], hadrons: F64) -> NDArray[np.complex128]:
    """Current J ``(n, 4)`` of the two-meson modes for hadron momenta ``(n, 2, 4)`` [GeV] (table order).

    ``vector_rho``: J = F_rho(s) (p_a - p_b)_perp, F_rho = sum_i w_i BW^P_i with the pi pi0 running
    width (KS). ``vector_scalar_kpi``: J = [F_V(s) (p_K - p_pi) - (p_K - p_pi).Q F_V'(s) Q] / sum w
    + c_S F_S(s) Q, F_V' = sum_i w_i BW_i / M_i^2 (Finkemeier-Mirkes), K the kaon, s = Q^2.
    """
    pa, pb = hadrons[:, 0], hadrons[:, 1]
    q = pa + pb
    s = dot(q, q)
    if model == "vector_rho":
        return rho_form_factor(s)[:, None] * perp(pa - pb, q)
    if model == "vector_scalar_kpi":
        is_kaon = abs(daughters[0]) in (321, 311)
        pk, ppi = (pa, pb) if is_kaon else (pb, pa)
        m_k, m_pi = pdg_mass(abs(daughters[0 if is_kaon else 1])), pdg_mass(abs(daughters[1 if is_kaon else 0]))
        d = pk - ppi
        w = weights(tuple((a, ph) for _, _, a, ph in _KPI_VECTOR))
        bws = [bw_running(s, m0, g0, m_pi, m_k, 1) for m0, g0, _, _ in _KPI_VECTOR]
        f_v = sum(wi * b for wi, b in zip(w, bws)) / w.sum()
        f_vm = sum(wi * b / m0**2 for wi, b, (m0, _, _, _) in zip(w, bws, _KPI_VECTOR)) / w.sum()
        f_s = bw_running(s, *_KPI_SCALAR, m_pi, m_k, 0)
        return f_v[:, None] * d - (dot(d, q) * f_vm)[:, None] * q + _KPI_SCALAR_COUPLING * f_s[:, None] * q
    raise ValueError(f"unknown two-meson model {model!r}")
