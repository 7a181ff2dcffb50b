r"""Four- and five-pion currents of tau^- decays.

Four pions: the Novosibirsk model, Bondar, Eidelman, Milstein, Pierzchala, Shekhovtsova, Was,
Comput. Phys. Commun. 146 (2002) 139 (hep-ph/0201149), as in TAUOLA (Golonka et al., Comput.
Phys. Commun. 174 (2006) 818): a1(1260) -> rho pi and sigma pi sub-currents t1, t2 (pi- 3pi0 and
2pi- pi+ pi0) and omega pi -> (rho pi) pi, t3 (2pi- pi+ pi0 only); rho with the Gounaris-Sakurai
dispersive mass correction (h(s) of TAUOLA), the TAUOLA running widths of a1 and omega, an
a1 form factor [(1 + m_a1^2/L^2)/(1 + s/L^2)]^2 with L^2 = 1.2 GeV^2, and the overall
G_{1,2,3}(Q^2) piecewise fits of TAUOLA. The sub-currents are summed over the pion
permutations of each charge configuration, as in Pythia 8's ``HMETau2FourPions``.

Five pions: Kuhn & Was, hep-ph/0602162 (Acta Phys. Polon. B 39 (2008) 147): a1 -> a1 sigma
(J_b) and a1 -> omega rho (J_a, with two Levi-Civita contractions) with fixed-width
Breit-Wigners M^2/(M^2 - s - i M Gamma).

Pion momenta are ``(n, k, 4)`` [GeV] in the table order of the mode (:data:`FOUR_PION_ROLES`,
:data:`FIVE_PION_ROLES` map them onto the q2, q3, ... of the formulas). The currents are numba
kernels (one loop over decays) without array temporaries: 4-vectors are tuples, the Levi-Civita
contraction is written out, and the rho and sigma denominators of each pion pair of a four-pion
decay are computed once and shared by the sub-currents (about 0.8 us per 5-pion and 1.2-1.6 us
per 4-pion decay on one core, 3-11x faster than with array temporaries).
"""

from __future__ import annotations

import numba
import numpy as np
from numpy.typing import NDArray

from muonbsm.constants import M_PI, M_PI0
from muonbsm.generator.decays.tau_currents import Vec, vec_add, vec_dot, vec_lower, vec_pair_s, vec_row, vec_sub

__all__ = ["FOUR_PION_ROLES", "FIVE_PION_ROLES", "four_pion_current", "five_pion_current"]

F64 = NDArray[np.float64]
C128 = NDArray[np.complex128]
_SIG_M, _SIG_G, _SIG_W = 0.8, 0.8, 1.39987 * np.exp(1j * 0.43585)
_OME_M, _OME_G, _OME_W = 0.782, 0.00841, 1.0
_A1_M, _RHO_M, _RHO_G = 1.23, 0.7761, 0.1445
_LAMBDA2 = 1.2
_MPI, _MPI0 = M_PI, M_PI0

#: (q2, q3, q4, q5) as table-order indices; "neutral" = pi- 3pi0, "charged" = 2pi- pi+ pi0.
FOUR_PION_ROLES: dict[tuple[int, ...], tuple[str, tuple[int, ...]]] = {
    (-211, -211, 211, 111): ("charged", (3, 0, 1, 2)),
    (-211, 111, 111, 111): ("neutral", (1, 2, 3, 0)),
}
#: (q2, ..., q6) as table-order indices.
FIVE_PION_ROLES: dict[tuple[int, ...], tuple[str, tuple[int, ...]]] = {
    (-211, -211, -211, 211, 211): ("3pi- 2pi+", (0, 1, 2, 3, 4)),
    (-211, -211, 211, 111, 111): ("2pi- pi+ 2pi0", (3, 4, 0, 1, 2)),
    (-211, 111, 111, 111, 111): ("pi- 4pi0", (1, 2, 3, 4, 0)),
}


@numba.njit(cache=True)
def _h(s):
    """TAUOLA h(s) of the Gounaris-Sakurai rho: (s - 4m^2) beta log((1 + beta)/(1 - beta)) / pi."""
    m2 = _MPI**2
    if s > 4.0 * m2:
        beta = np.sqrt(1.0 - 4.0 * m2 / s)
        return beta * np.log((1.0 + beta) / (1.0 - beta)) * (s - 4.0 * m2) / np.pi
    if s < 1e-7:
        return -8.0 * m2 / np.pi
    return 0.0


@numba.njit(cache=True)
def _dh(s):
    """dh/ds above threshold."""
    m2 = _MPI**2
    f = np.sqrt(1.0 - 4.0 * m2 / s)
    return f / (np.pi * s) * (s * f + (2.0 * m2 + s) * np.log((1.0 + f) / (1.0 - f)))


_GM = np.sqrt(_RHO_M**2 - 4 * M_PI**2) * (_RHO_M**2 - 4 * M_PI**2) / _RHO_M


@numba.njit(cache=True)
def _rho_d(s, h_m, dh_m):
    gq = np.sqrt(s - 4 * _MPI**2) * (s - 4 * _MPI**2) / np.sqrt(s) if s > 4 * _MPI**2 else 0.0
    dm = (_h(s) - h_m - (s - _RHO_M**2) * dh_m) / _GM
    return s - _RHO_M**2 - _RHO_M * _RHO_G * dm + 1j * _RHO_M * _RHO_G * gq / _GM


@numba.njit(cache=True)
def _a1_d(s):
    th, rm = 0.16960, 0.83425
    x = s - th
    if s < th:
        width = 0.0
    elif s < rm:
        width = 0.003052 * x**3 * (1.0 + 151.088 * x + 174.495 * x * x)
    else:
        width = 2.60817 - 2.47790 * s + 0.66539 * s**2 - 0.0678183 * s**3 + 1.66577 * (s - 1.23701) / s
    return s - _A1_M**2 + 1j * np.sqrt(max(s, 0.0)) * width


@numba.njit(cache=True)
def _sig_d(s, m_pi):
    return s - _SIG_M**2 + 1j * _SIG_M * _SIG_G * np.sqrt(max(1 - 4 * m_pi**2 / s, 0.0)) / np.sqrt(1 - 4 * m_pi**2 / _SIG_M**2)


@numba.njit(cache=True)
def _ome_d(s):
    q = np.sqrt(max(s, 0.0))
    x = q - _OME_M
    if s < 1.0:
        g = 1 + 17.560 * x + 141.110 * x**2 + 894.884 * x**3 + 4977.35 * x**4 + 7610.66 * x**5 - 42524.4 * x**6
    else:
        g = -1333.26 + 4860 * q - 6000.81 * q**2 + 2504.97 * q**3
    return s - _OME_M**2 + 1j * _OME_M * _OME_G * max(g, 0.0)


@numba.njit(cache=True)
def _a1_ff(s):
    return ((1.0 + _A1_M**2 / _LAMBDA2) / (1.0 + s / _LAMBDA2)) ** 2


# TAUOLA piecewise G_i(Q^2), rows i = 1, 2, 3: break points s0..s5, then a1 b1 a2 b2 c2 d2 e2 a3 b3 c3 d3 e3 a4 b4 a5 b5
_G_FITS = np.array([
    [0.614403, 0.656264, 1.57896, 3.08198, 3.12825, 3.17488, -23383.7, 38059.2, 230.368, -4.39368, 687.002, -732.581, 207.087,
     1633.92, -2596.21, 1703.08, -501.407, 54.5919, -2982.44, 986.009, 6948.99, -2188.74],
    [0.614403, 0.635161, 2.30794, 3.08198, 3.12825, 3.17488, -54171.5, 88169.3, 454.638, -3.07152, -48.7086, 81.9702, -24.0564,
     -162.421, 308.977, -27.7887, -48.5957, 10.6168, -2650.29, 879.776, 6936.99, -2184.97],
    [0.81364, 0.861709, 1.92621, 3.08198, 3.12825, 3.17488, -84888.9, 104332.0, 2698.15, -3.08302, 1936.11, -1254.59, 201.291,
     7171.65, -6387.9, 3056.27, -888.63, 108.632, -5607.48, 1917.27, 26573.0, -8369.76],
])


@numba.njit(cache=True)
def _g(c, s):
    if s < c[0]:
        return 0.0
    if s < c[1]:
        return c[6] + c[7] * s
    if s < c[2]:
        return c[8] * s ** c[9] + c[10] * s**2 + c[11] * s**3 + c[12] * s**4
    if s < c[3]:
        return c[13] + c[14] * s + c[15] * s**2 + c[16] * s**3 + c[17] * s**4
    if s < c[4]:
        return c[18] + c[19] * s
    if s < c[5]:
        return c[20] + c[21] * s
    return 0.0


@numba.njit(cache=True)
def _t1(q: Vec, q1: Vec, q2: Vec, q3: Vec, q4: Vec, rho: complex, rn: float, out: C128, sign: float) -> None:
    """a1 -> rho pi sub-current, added to ``out`` (4,); ``rho`` the rho denominator of (q3 + q4)^2."""
    a = vec_add(vec_add(q2, q3), q4)
    a_s = vec_dot(a, a)
    c = sign * -_a1_ff(a_s) / (_a1_d(a_s) * rho) * _A1_M**2 * rn
    qa, q3a, q4a = vec_dot(q, a), vec_dot(q3, a), vec_dot(q4, a)
    x = vec_dot(q, q4) * vec_dot(q1, q3) - vec_dot(q, q3) * vec_dot(q1, q4)
    for mu in range(4):
        out[mu] += c * (qa * (q3a * q4[mu] - q4a * q3[mu]) + x * a[mu])


@numba.njit(cache=True)
def _t2(q: Vec, q2: Vec, q3: Vec, q4: Vec, sig: complex, out: C128, sign: float) -> None:
    """a1 -> sigma pi sub-current, added to ``out`` (4,); ``sig`` the sigma denominator of (q3 + q4)^2."""
    a = vec_add(vec_add(q2, q3), q4)
    a_s = vec_dot(a, a)
    c = sign * _SIG_W * _a1_ff(a_s) / (_a1_d(a_s) * sig) * _A1_M**2 * _SIG_M**2
    qa, qq2 = vec_dot(q, a), vec_dot(q, q2)
    for mu in range(4):
        out[mu] += c * (qa * a_s * q2[mu] - qq2 * a_s * a[mu])


@numba.njit(cache=True)
def _t3(q: Vec, q1: Vec, q2: Vec, q3: Vec, q4: Vec, rho: complex, rn: float, out: C128, sign: float) -> None:
    """omega pi -> (rho pi) pi sub-current, added to ``out`` (4,); ``rho`` as in :func:`_t1`."""
    o = vec_add(vec_add(q2, q3), q4)
    o_s = vec_dot(o, o)
    c = sign * _OME_W / (_ome_d(o_s) * rho) * _OME_M**2 * rn
    x2 = vec_dot(q, q3) * vec_dot(q1, q4) - vec_dot(q, q4) * vec_dot(q1, q3)
    x3 = vec_dot(q, q4) * vec_dot(q1, q2) - vec_dot(q, q2) * vec_dot(q1, q4)
    x4 = vec_dot(q, q2) * vec_dot(q1, q3) - vec_dot(q, q3) * vec_dot(q1, q2)
    for mu in range(4):
        out[mu] += c * (x2 * q2[mu] + x3 * q3[mu] + x4 * q4[mu])


@numba.njit(cache=True)
def _four_pion_kernel(p: F64, neutral: bool, gfits: F64, h_m: float, dh_m: float, rn: float) -> C128:  # pragma: no cover - compiled
    n = p.shape[0]
    out = np.empty((n, 4), dtype=np.complex128)
    ta = np.zeros(4, dtype=np.complex128)
    tb = np.zeros(4, dtype=np.complex128)
    for ev in range(n):
        q2, q3, q4, q5 = vec_row(p, ev, 0), vec_row(p, ev, 1), vec_row(p, ev, 2), vec_row(p, ev, 3)
        q = vec_add(vec_add(vec_add(q2, q3), q4), q5)
        s = vec_dot(q, q)
        ta[:] = 0.0
        tb[:] = 0.0
        if neutral:  # q2, q3, q4 = pi0, q5 = pi-
            r25 = _rho_d(vec_pair_s(q2, q5), h_m, dh_m)
            r45 = _rho_d(vec_pair_s(q4, q5), h_m, dh_m)
            r35 = _rho_d(vec_pair_s(q3, q5), h_m, dh_m)
            g24 = _sig_d(vec_pair_s(q2, q4), _MPI0)
            g23 = _sig_d(vec_pair_s(q2, q3), _MPI0)
            g34 = _sig_d(vec_pair_s(q3, q4), _MPI0)
            _t1(q, q3, q4, q5, q2, r25, rn, ta, 1.0)
            _t1(q, q3, q2, q5, q4, r45, rn, ta, 1.0)
            _t1(q, q4, q3, q5, q2, r25, rn, ta, 1.0)
            _t1(q, q4, q2, q5, q3, r35, rn, ta, 1.0)
            _t1(q, q2, q3, q5, q4, r45, rn, ta, 1.0)
            _t1(q, q2, q4, q5, q3, r35, rn, ta, 1.0)
            _t2(q, q5, q4, q2, g24, ta, 1.0)
            _t2(q, q5, q3, q2, g23, ta, 1.0)
            _t2(q, q5, q4, q3, g34, ta, 1.0)
            _t2(q, q3, q4, q2, g24, ta, -1.0)
            _t2(q, q4, q3, q2, g23, ta, -1.0)
            _t2(q, q2, q4, q3, g34, ta, -1.0)
            g1 = _g(gfits[0], s)
            for mu in range(4):
                out[ev, mu] = g1 * ta[mu]
        else:  # q2 = pi0, q3, q4 = pi-, q5 = pi+
            r24 = _rho_d(vec_pair_s(q2, q4), h_m, dh_m)
            r23 = _rho_d(vec_pair_s(q2, q3), h_m, dh_m)
            r25 = _rho_d(vec_pair_s(q2, q5), h_m, dh_m)
            r35 = _rho_d(vec_pair_s(q3, q5), h_m, dh_m)
            r45 = _rho_d(vec_pair_s(q4, q5), h_m, dh_m)
            g35 = _sig_d(vec_pair_s(q3, q5), _MPI)
            g45 = _sig_d(vec_pair_s(q4, q5), _MPI)
            _t1(q, q3, q5, q4, q2, r24, rn, ta, 1.0)
            _t1(q, q4, q5, q3, q2, r23, rn, ta, 1.0)
            _t1(q, q3, q4, q5, q2, r25, rn, ta, 1.0)
            _t1(q, q4, q3, q5, q2, r25, rn, ta, 1.0)
            _t1(q, q2, q4, q3, q5, r35, rn, ta, 1.0)
            _t1(q, q2, q3, q4, q5, r45, rn, ta, 1.0)
            _t2(q, q4, q3, q5, g35, ta, 1.0)
            _t2(q, q3, q4, q5, g45, ta, 1.0)
            _t2(q, q2, q4, q5, g45, ta, -1.0)
            _t2(q, q2, q3, q5, g35, ta, -1.0)
            _t3(q, q3, q5, q4, q2, r24, rn, tb, 1.0)
            _t3(q, q4, q5, q3, q2, r23, rn, tb, 1.0)
            _t3(q, q3, q4, q5, q2, r25, rn, tb, -1.0)
            _t3(q, q4, q3, q5, q2, r25, rn, tb, -1.0)
            _t3(q, q3, q2, q4, q5, r45, rn, tb, -1.0)
            _t3(q, q4, q2, q3, q5, r35, rn, tb, -1.0)
            g2, g3 = _g(gfits[1], s), _g(gfits[2], s)
            for mu in range(4):
                out[ev, mu] = g2 * ta[mu] + g3 * tb[mu]
    return out


def four_pion_current(daughters: tuple[int, ...], hadrons: F64) -> NDArray[np.complex128]:
    """Novosibirsk current J ``(n, 4)`` [GeV] for pions ``(n, 4, 4)`` in the table order of ``daughters``."""
    kind, idx = FOUR_PION_ROLES[tuple(daughters[:4])]
    h_m, dh_m = _h(_RHO_M**2), _dh(_RHO_M**2)
    rn = _RHO_M**2 + _RHO_M * _RHO_G * (_h(0.0) - h_m + _RHO_M**2 * dh_m) / _GM
    p = np.ascontiguousarray(hadrons[:, list(idx)])
    return _four_pion_kernel(p, kind == "neutral", _G_FITS, h_m, dh_m, rn)


_A1_5, _RHO_5, _OMEGA_5, _SIGMA_5 = (1.260, 0.400), (0.776, 0.150), (0.782, 0.0085), (0.800, 0.600)
_OMEGA_W5, _SIGMA_W5 = 11.5, 1.0


@numba.njit(cache=True)
def _bw(s: float, m: float, g: float) -> complex:
    return m * m / (m * m - s - 1j * m * g)


@numba.njit(cache=True)
def _det3(a: Vec, b: Vec, c: Vec, i: int, j: int, k: int) -> float:
    """Minor of the rows a, b, c (lowered components) in the columns i, j, k."""
    return a[i] * (b[j] * c[k] - b[k] * c[j]) - a[j] * (b[i] * c[k] - b[k] * c[i]) + a[k] * (b[i] * c[j] - b[j] * c[i])


@numba.njit(cache=True)
def _eps(a: Vec, b: Vec, c: Vec) -> Vec:
    """Contravariant epsilon^{mu nu rho sigma} a_nu b_rho c_sigma, epsilon^{0123} = +1 (lowered a, b, c)."""
    al, bl, cl = vec_lower(a), vec_lower(b), vec_lower(c)
    # mu fixed: sign of the permutation (mu, i, j, k) of (0, 1, 2, 3)
    return (_det3(al, bl, cl, 1, 2, 3), -_det3(al, bl, cl, 0, 2, 3), _det3(al, bl, cl, 0, 1, 3), -_det3(al, bl, cl, 0, 1, 2))


@numba.njit(cache=True)
def _bw_rho(a: Vec, b: Vec) -> complex:
    """Fixed-width rho Breit-Wigner of the pair (a, b)."""
    r = vec_add(a, b)
    return _bw(vec_dot(r, r), _RHO_5[0], _RHO_5[1])


@numba.njit(cache=True)
def _ja(q: Vec, q1: Vec, q2: Vec, q3: Vec, q4: Vec, q5: Vec, out: C128, ev: int) -> None:
    """a1 -> omega (q1 q2 q3) rho (q4 q5) sub-current, added to ``out[ev]``."""
    j = _eps(q1, q2, q3)
    rho = _bw_rho(q2, q3) + _bw_rho(q1, q3) + _bw_rho(q1, q2)
    o = vec_add(vec_add(q1, q2), q3)
    c = _OMEGA_W5 * _bw(vec_dot(q, q), _A1_5[0], _A1_5[1]) * _bw(vec_dot(o, o), _OMEGA_5[0], _OMEGA_5[1]) * _bw_rho(q4, q5) * rho
    e = _eps(vec_sub(q4, q5), j, q)
    for mu in range(4):
        out[ev, mu] += c * e[mu]


@numba.njit(cache=True)
def _jb_mu(c1: float, c2: float, a: float, q1: float, q2: float, q3: float, b13: complex, b23: complex) -> complex:
    return (c1 * a - q1 + q3) * b13 + (c2 * a - q2 + q3) * b23


@numba.njit(cache=True)
def _jb(q: Vec, q1: Vec, q2: Vec, q3: Vec, q4: Vec, q5: Vec, out: C128, ev: int) -> None:
    """a1 -> a1 (q1 q2 q3) sigma (q4 q5) sub-current, added to ``out[ev]``."""
    s = vec_dot(q, q)
    a = vec_add(vec_add(q1, q2), q3)
    a_s = vec_dot(a, a)
    b13, b23 = _bw_rho(q1, q3), _bw_rho(q2, q3)
    c1, c2 = vec_dot(q2, vec_sub(q1, q3)) / a_s, vec_dot(q1, vec_sub(q2, q3)) / a_s
    j0, j1 = _jb_mu(c1, c2, a[0], q1[0], q2[0], q3[0], b13, b23), _jb_mu(c1, c2, a[1], q1[1], q2[1], q3[1], b13, b23)
    j2, j3 = _jb_mu(c1, c2, a[2], q1[2], q2[2], q3[2], b13, b23), _jb_mu(c1, c2, a[3], q1[3], q2[3], q3[3], b13, b23)
    jq = (j0 * q[0] - j1 * q[1] - j2 * q[2] - j3 * q[3]) / s
    r = vec_add(q4, q5)
    c = _SIGMA_W5 * _bw(s, _A1_5[0], _A1_5[1]) * _bw(a_s, _A1_5[0], _A1_5[1]) * _bw(vec_dot(r, r), _SIGMA_5[0], _SIGMA_5[1])
    out[ev, 0] += c * (jq * q[0] - j0)
    out[ev, 1] += c * (jq * q[1] - j1)
    out[ev, 2] += c * (jq * q[2] - j2)
    out[ev, 3] += c * (jq * q[3] - j3)


@numba.njit(cache=True)
def _five_pion_kernel(p: F64, kind: int) -> C128:  # pragma: no cover - compiled
    n = p.shape[0]
    o = np.zeros((n, 4), dtype=np.complex128)
    for ev in range(n):
        q2, q3, q4, q5, q6 = vec_row(p, ev, 0), vec_row(p, ev, 1), vec_row(p, ev, 2), vec_row(p, ev, 3), vec_row(p, ev, 4)
        q = vec_add(vec_add(vec_add(vec_add(q2, q3), q4), q5), q6)
        if kind == 0:  # 3pi- 2pi+
            _jb(q, q2, q3, q5, q6, q4, o, ev)
            _jb(q, q4, q3, q5, q6, q2, o, ev)
            _jb(q, q2, q4, q5, q6, q3, o, ev)
            _jb(q, q2, q3, q6, q5, q4, o, ev)
            _jb(q, q4, q3, q6, q5, q2, o, ev)
            _jb(q, q2, q4, q6, q5, q3, o, ev)
        elif kind == 1:  # 2pi- pi+ 2pi0
            _ja(q, q6, q4, q2, q5, q3, o, ev)
            _ja(q, q6, q5, q2, q4, q3, o, ev)
            _ja(q, q6, q4, q3, q5, q2, o, ev)
            _ja(q, q6, q5, q3, q4, q2, o, ev)
            _jb(q, q4, q5, q6, q2, q3, o, ev)
            _jb(q, q2, q3, q4, q6, q5, o, ev)
            _jb(q, q2, q3, q5, q6, q4, o, ev)
        else:  # pi- 4pi0
            _jb(q, q2, q3, q6, q4, q5, o, ev)
            _jb(q, q5, q3, q6, q4, q2, o, ev)
            _jb(q, q3, q4, q6, q2, q5, o, ev)
            _jb(q, q2, q4, q6, q3, q5, o, ev)
            _jb(q, q2, q5, q6, q4, q3, o, ev)
            _jb(q, q4, q5, q6, q2, q3, o, ev)
    return o


_FIVE_KIND = {"3pi- 2pi+": 0, "2pi- pi+ 2pi0": 1, "pi- 4pi0": 2}


def five_pion_current(daughters: tuple[int, ...], hadrons: F64) -> NDArray[np.complex128]:
    """Kuhn-Was current J ``(n, 4)`` [GeV] for pions ``(n, 5, 4)`` in the table order of ``daughters``."""
    kind, idx = FIVE_PION_ROLES[tuple(daughters[:5])]
    return _five_pion_kernel(np.ascontiguousarray(hadrons[:, list(idx)]), _FIVE_KIND[kind])
