r"""Multichannel importance sampling of tau^- decay phase space (rest frame, candidates for accept-reject).

A candidate decay tau -> h_1 ... h_m nu is built from two-body splits. Each *channel* fixes the
hadron order p and one of two topologies:

* chain (GENBOD, :func:`muonbsm.generator.decays.kinematics.nbody_rest`): sub-systems
  (h_p1 h_p2), (h_p1 h_p2 h_p3), ..., Q = (all hadrons), Q + nu = tau;
* tree (m >= 4): Q -> A + B with A = (h_p1 ... h_p(m-2)) a chain and B = (h_p(m-1) h_p(m)) a pair,
  for resonances that share no hadron (omega rho in five pions).

The masses are sampled top-down: Q from the channel's tabulated density g_{c,Q} (100 bins, below),
then M_A and M_B (tree), then the chain masses M_j of the first j hadrons, each uniform in its
kinematic range [sum_{i<j} m_i, M_{j+1} - m_j] (tree: M_A in [sum_A m, Q - sum_B m], M_B in
[sum_B m, Q - M_A]) unless a resonance is attached to it: then a Breit-Wigner-uniform mixture
(:func:`kinematics.sample_mass_mixture`, 80 % Breit-Wigner). Resonances: rho(770) in pi pi pairs of
charge +-1 or pi+ pi-, K*(892) in K pi pairs, omega(782) in pi+ pi- pi0 triples (four or more
hadrons), a1(1260) -> rho pi (both levels) in pi- 3pi0 (in 2pi- pi+ pi0 they do not raise the
efficiency beyond the omega channels' and cost time), omega + rho trees in five pions.
Every intermediate mass M enters the Lorentz-invariant phase space as
dM^2 R_2(M) = 2 pi p*(M) dM (James, CERN 68-15), so for either topology the phase-space density
of a candidate x under channel c is

.. math:: f_c(x) = \frac{g_{c,Q}(Q)\prod_j g_{c,j}(M_j \mid \mathrm{bounds})}{\prod_{\rm splits} p^*(x)},
          \qquad f(x) = \sum_c \alpha_c f_c(x),

and its weight is 1/f(x), so that candidates weighted by w |M|^2 follow the decay distribution for
any channel mixture (tested: E_c[h/f_c] equals the flat phase-space integral of h for every
channel). The alpha_c start at 15 % flat and equal shares and the Q tables from the weights of a
flat pilot (6 x 10^4 decays); then three pilot rounds of 2 x 10^5 candidates update the alpha_c by
the variance-reducing alpha_c <- alpha_c sqrt(<f_c w^2 / f>) (Kleiss & Pittau, Comput. Phys.
Commun. 83 (1994) 141; floor 2 %) and refill each channel's Q table with the weights w alpha_c f_c / f
of the rate it samples (85 % histogram, 15 % uniform). The densities of all channels are evaluated
by one numba kernel (:func:`_density_kernel`).

*Cross mass*, for two resonances that share hadrons and peak together (two omegas sharing
pi+ pi0 in 2pi- pi+ pi0, two rhos sharing a pion in three pions): a chain ending in
M_low h_a -> M_mid, M_mid h_b -> Q, whose mass m_x of all hadrons but h_a (omega: h_1 h_2 h_b,
rho: h_1 h_b) is linear in the decay angle: in the M_mid rest frame
s_x = Q^2 + m_a^2 - 2 (M_mid + E_b) E_a + 2 p_a p_b cos(theta_ab). The channel draws m_x from
the resonance's mixture on the range that cos(theta_ab) in [-1, 1] allows and sets the angle from it,
which multiplies f_c by g(cos)/(1/2) = 2 p_a p_b g_x(m_x) / m_x.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from typing import Callable

import numba
import numpy as np
from numpy.typing import NDArray

from muonbsm.constants import M_TAU
from muonbsm.events import charge_of
from muonbsm.generator.decays import kinematics as kin
from muonbsm.generator.phase_space import boost

__all__ = ["Channel", "QTable", "Sampler", "channels", "build_sampler"]

F64 = NDArray[np.float64]
_RHO, _KSTAR, _OMEGA, _A1 = (0.775, 0.149), (0.892, 0.050), (0.782, 0.0085), (1.23, 0.45)
_FLAT_FRACTION, _BW_FRACTION, _Q_BINS, _ALPHA_ITERATIONS, _PILOT_ROUND = 0.15, 0.8, 100, 3, 200_000


@dataclass(frozen=True)
class Channel:
    """Hadron order ``perm`` (table indices), resonances (j, mass, width [GeV]) of the mass M_j of
    its first j hadrons, for a tree the resonance (mass, width) of the pair of its last two, and
    for a chain the resonance ``cross`` of the hadrons other than the last but one, sampled
    through the angle between the last two (module docstring)."""

    perm: tuple[int, ...]
    resonances: tuple[tuple[int, float, float], ...] = ()
    pair: tuple[float, float] | None = None
    cross: tuple[float, float] | None = None


def _rho_like(q: NDArray, i: int, j: int) -> bool:
    """A pion pair that can come from a rho: charge +-1, or pi+ pi-."""
    return abs(q[i] + q[j]) == 1 or (q[i] != 0 and q[i] + q[j] == 0)


def channels(hadron_ids: tuple[int, ...]) -> tuple[Channel, ...]:
    """Sampling channels for hadrons with PDG ids ``hadron_ids`` (flat channel first)."""
    ids = np.array(hadron_ids)
    q = charge_of(ids)
    m = len(ids)
    out = [Channel(tuple(range(m)))]
    if m < 3:
        return tuple(out)
    pions = {i for i in range(m) if abs(ids[i]) in (211, 111)}
    kaons = {i for i in range(m) if abs(ids[i]) in (321, 311, 310, 130)}

    def rest(*first: int) -> tuple[int, ...]:
        return first + tuple(k for k in range(m) if k not in first)

    for i, j in combinations(range(m), 2):
        if {i, j} <= pions and _rho_like(q, i, j):
            out.append(Channel(rest(i, j), ((2, *_RHO),)))
            for a, b in ((i, j), (j, i)) if m == 3 else ():  # a second rho: the pair with `b` swapped for the third pion
                k = rest(a, b)[2]
                if k in pions and _rho_like(q, a, k):
                    out.append(Channel((a, b, k), ((2, *_RHO),), cross=_RHO))
        elif len({i, j} & pions) == 1 and len({i, j} & kaons) == 1 and abs(q[i] + q[j]) <= 1:
            out.append(Channel(rest(i, j), ((2, *_KSTAR),)))
    def omega_like(trip: tuple[int, ...]) -> bool:
        return set(trip) <= pions and sorted(q[list(trip)]) == [-1, 0, 1]

    omega = False
    if m >= 4:
        for trip in combinations(range(m), 3):
            if omega_like(trip):
                omega = True
                out.append(Channel(rest(*trip), ((3, *_OMEGA),)))
                other = rest(*trip)[3:]
                if m == 5 and set(other) <= pions and _rho_like(q, *other):
                    out.append(Channel(rest(*trip), ((3, *_OMEGA),), pair=_RHO))
                for a in trip if m == 4 else ():  # a second omega: the triple with `a` swapped for the fourth hadron
                    pair_ = tuple(h for h in trip if h != a)
                    if omega_like(tuple(sorted((*pair_, *other)))):
                        out.append(Channel((*pair_, a, *other), ((3, *_OMEGA),), cross=_OMEGA))
    if m == 4 and len(pions) == 4 and not omega:  # a1 -> rho pi + pion (pi- 3pi0)
        for i, j in combinations(range(m), 2):
            if _rho_like(q, i, j):
                out.extend(Channel(rest(i, j, k), ((2, *_RHO), (3, *_A1))) for k in range(m) if k not in (i, j))
    return tuple(out)


@dataclass(frozen=True)
class QTable:
    """Tabulated densities of the hadronic mass Q [GeV], one per channel: bin edges ``(B + 1,)``,
    cumulative ``(C, B + 1)`` and per-bin density [GeV^-1] ``(C, B)``."""

    edges: F64
    cdf: F64
    density: F64

    @classmethod
    def from_histograms(cls, edges: F64, hist: F64) -> QTable:
        """Tables from non-negative histograms ``(C, B)``: 85 % the normalised histogram, 15 % uniform
        (uniform for an empty histogram)."""
        total, uniform = hist.sum(axis=1, keepdims=True), 1.0 / hist.shape[1]
        prob = 0.85 * np.divide(hist, total, out=np.full(hist.shape, uniform), where=total > 0) + 0.15 * uniform
        cdf = np.concatenate([np.zeros((len(prob), 1)), np.cumsum(prob, axis=1)], axis=1)
        return cls(edges, cdf, prob / np.diff(edges))

    def sample(self, c: int, n: int, rng: np.random.Generator) -> F64:
        """``n`` masses Q [GeV] from the table of channel ``c``."""
        u = rng.random(n)
        cdf = self.cdf[c]
        b = np.clip(np.searchsorted(cdf, u, side="right") - 1, 0, self.density.shape[1] - 1)
        return self.edges[b] + (u - cdf[b]) / (cdf[b + 1] - cdf[b]) * (self.edges[b + 1] - self.edges[b])


@numba.njit(cache=True)
def _lam(big: float, m1: float, m2: float) -> float:  # pragma: no cover - compiled
    """Kallen function lambda(big^2, m1^2, m2^2) [GeV^4], clipped at 0: p* = sqrt(lambda) / (2 big)."""
    return max((big * big - (m1 + m2) ** 2) * (big * big - (m1 - m2) ** 2), 0.0)


@numba.njit(cache=True)
def _mass_pdf(x: float, lo: float, hi: float, m0: float, width: float, fraction: float) -> tuple[float, float]:  # pragma: no cover - compiled
    """Density [GeV^-1] of a mass on [lo, hi] as (numerator, denominator): uniform (width 0) or the
    mixture of :func:`kinematics.mass_mixture_pdf` (one division per channel in the caller)."""
    if width == 0.0:
        return 1.0, hi - lo
    gm = m0 * width
    norm = np.arctan((hi * hi - m0 * m0) / gm) - np.arctan((lo * lo - m0 * m0) / gm)
    d = (x * x - m0 * m0) ** 2 + gm * gm
    return fraction * 2.0 * x * gm * (hi - lo) + (1.0 - fraction) * norm * d, norm * d * (hi - lo)


@numba.njit(cache=True)
def _cross_range(m_low: float, m_mid: float, q_mass: float, m_a: float, m_b: float) -> tuple[float, float, float]:  # pragma: no cover - compiled
    """Centre s_c [GeV^2] and half-range 2 p_a p_b [GeV^2] of the cross mass squared, and p_a p_b.

    Chain M_mid -> M_low + a, Q -> M_mid + b; in the M_mid rest frame
    s_x = (Q - p_a)^2 = Q^2 + m_a^2 - 2 (M_mid + E_b) E_a + 2 p_a p_b cos(theta_ab).
    """
    e_a = (m_mid * m_mid + m_a * m_a - m_low * m_low) / (2.0 * m_mid)
    e_b = (q_mass * q_mass - m_mid * m_mid - m_b * m_b) / (2.0 * m_mid)
    papb = np.sqrt(_lam(m_mid, m_low, m_a) * _lam(q_mass, m_mid, m_b)) / (4.0 * m_mid * m_mid)
    return q_mass * q_mass + m_a * m_a - 2.0 * (m_mid + e_b) * e_a, 2.0 * papb, papb


@numba.njit(cache=True)
def _cross_ranges(m_low: F64, m_mid: F64, q_mass: F64, m_a: float, m_b: float) -> tuple[F64, F64]:  # pragma: no cover - compiled
    """:func:`_cross_range` (centre, half-range) for arrays of chain masses [GeV]."""
    centre, half = np.empty(m_low.size), np.empty(m_low.size)
    for i in range(m_low.size):
        centre[i], half[i], _ = _cross_range(m_low[i], m_mid[i], q_mass[i], m_a, m_b)
    return centre, half


@numba.njit(cache=True)
def _cross_pdf(m_x: float, m_low: float, m_mid: float, q_mass: float, m_a: float, m_b: float,
               m0: float, width: float, fraction: float) -> tuple[float, float]:  # pragma: no cover - compiled
    """Density of cos(theta_ab) relative to isotropy (1/2), as (numerator, denominator): the cross
    mass m_x has the mixture density g_x on [sqrt(s_c - 2 p_a p_b), sqrt(s_c + 2 p_a p_b)], so
    g(cos) / (1/2) = 2 g_x(m_x) |dm_x/dcos| = 2 g_x(m_x) p_a p_b / m_x."""
    centre, half, papb = _cross_range(m_low, m_mid, q_mass, m_a, m_b)
    a, d = _mass_pdf(m_x, np.sqrt(max(centre - half, 0.0)), np.sqrt(centre + half), m0, width, fraction)
    return 2.0 * papb * a, d * m_x


@numba.njit(cache=True)
def _cross_mass(mom: F64, ev: int, skip: int, m: int) -> float:  # pragma: no cover - compiled
    """Invariant mass [GeV] of the ``m`` hadrons of candidate ``ev`` without hadron ``skip``."""
    s0 = s1 = s2 = s3 = 0.0
    for i in range(m):
        if i != skip:
            s0 += mom[ev, i, 0]
            s1 += mom[ev, i, 1]
            s2 += mom[ev, i, 2]
            s3 += mom[ev, i, 3]
    return np.sqrt(max(s0 * s0 - s1 * s1 - s2 * s2 - s3 * s3, 0.0))


@numba.njit(cache=True)
def _density_kernel(mom: F64, perms: NDArray[np.int64], res: F64, pair: F64, cross: F64, masses: F64,
                    edges: F64, density: F64, bw_fraction: float, out: F64) -> None:  # pragma: no cover - compiled
    """Fill ``out[ev, c]`` with f_c(x) of the module docstring for candidates ``mom`` (n, m + 1, 4).

    ``res[c, j]`` = (mass, width) of the resonance on M_j (width 0: uniform); ``pair[c]`` that of a
    tree's last pair (width 0: a chain); ``cross[c]`` that of a chain's cross mass (width 0: none).
    M_j is the mass of the first j hadrons of the channel's order (M_1 = m_perm0; chain: M_m = Q;
    tree: M_{m-2} = M_A). Each split contributes p* = sqrt(lambda)/(2 M), so
    f_c = g_{c,Q} prod g_j prod (2 M) / sqrt(prod lambda), times 2 p_a p_b g_x(m_x) / m_x for a cross mass.
    """
    n, n_ch, m = mom.shape[0], perms.shape[0], perms.shape[1]
    big = np.empty(m)
    for ev in range(n):
        q0 = q1 = q2 = q3 = 0.0
        for i in range(m):
            q0 += mom[ev, i, 0]
            q1 += mom[ev, i, 1]
            q2 += mom[ev, i, 2]
            q3 += mom[ev, i, 3]
        q_mass = np.sqrt(max(q0 * q0 - q1 * q1 - q2 * q2 - q3 * q3, 0.0))
        b = min(max(np.searchsorted(edges, q_mass, side="right") - 1, 0), density.shape[1] - 1)
        lam_q = _lam(M_TAU, q_mass, 0.0)
        for c in range(n_ch):
            g_q = density[c, b] * 2.0 * M_TAU
            tree = pair[c, 1] > 0.0
            k = m - 2 if tree else m
            h = perms[c, 0]
            big[0] = masses[h]
            c0, c1, c2, c3 = mom[ev, h, 0], mom[ev, h, 1], mom[ev, h, 2], mom[ev, h, 3]
            for j in range(1, k):
                h = perms[c, j]
                c0 += mom[ev, h, 0]
                c1 += mom[ev, h, 1]
                c2 += mom[ev, h, 2]
                c3 += mom[ev, h, 3]
                big[j] = np.sqrt(max(c0 * c0 - c1 * c1 - c2 * c2 - c3 * c3, 0.0))
            if not tree:
                big[m - 1] = q_mass
            num, den, lam = g_q, 1.0, lam_q
            if cross[c, 1] > 0.0:
                m_x = _cross_mass(mom, ev, perms[c, m - 2], m)
                a, d = _cross_pdf(m_x, big[m - 3], big[m - 2], q_mass, masses[perms[c, m - 2]],
                                  masses[perms[c, m - 1]], cross[c, 0], cross[c, 1], bw_fraction)
                num *= a
                den *= d
            lo = masses[perms[c, 0]]
            for j in range(1, k):  # split M_{j+1} -> M_j + m_j and the density of M_j (j >= 2)
                mj = masses[perms[c, j]]
                lam *= _lam(big[j], big[j - 1], mj)
                num *= 2.0 * big[j]
                if j >= 2:
                    a, d = _mass_pdf(big[j - 1], lo, big[j] - mj, res[c, j, 0], res[c, j, 1], bw_fraction)
                    num *= a
                    den *= d
                lo += mj
            if tree:
                h1, h2 = perms[c, m - 2], perms[c, m - 1]
                b1, b2 = masses[h1], masses[h2]
                s0, s1 = mom[ev, h1, 0] + mom[ev, h2, 0], mom[ev, h1, 1] + mom[ev, h2, 1]
                s2, s3 = mom[ev, h1, 2] + mom[ev, h2, 2], mom[ev, h1, 3] + mom[ev, h2, 3]
                m_b = np.sqrt(max(s0 * s0 - s1 * s1 - s2 * s2 - s3 * s3, 0.0))
                m_a = big[k - 1]
                lam *= _lam(m_b, b1, b2) * _lam(q_mass, m_a, m_b)
                num *= 4.0 * m_b * q_mass
                a, d = _mass_pdf(m_a, lo, q_mass - b1 - b2, res[c, k, 0], res[c, k, 1], bw_fraction)
                a2, d2 = _mass_pdf(m_b, b1 + b2, q_mass - m_a, pair[c, 0], pair[c, 1], bw_fraction)
                num *= a * a2
                den *= d * d2
            f = num / (den * np.sqrt(lam))
            out[ev, c] = f if np.isfinite(f) else np.inf


def _channel_arrays(chs: tuple[Channel, ...], m: int) -> tuple[NDArray[np.int64], F64, F64, F64]:
    """Kernel inputs: orders (C, m), level resonances (C, m + 1, 2), pair and cross resonances (C, 2)."""
    perms = np.array([ch.perm for ch in chs], dtype=np.int64)
    res = np.zeros((len(chs), m + 1, 2))
    pair, cross = np.zeros((len(chs), 2)), np.zeros((len(chs), 2))
    for c, ch in enumerate(chs):
        for j, mass, width in ch.resonances:
            res[c, j] = mass, width
        if ch.pair is not None:
            pair[c] = ch.pair
        if ch.cross is not None:
            cross[c] = ch.cross
    return perms, res, pair, cross


def _channel_densities(chs: tuple[Channel, ...], table: QTable, masses: F64, mom: F64) -> F64:
    """Phase-space density f_c(x) of every channel at the candidates ``mom``, ``(n, channels)``."""
    out = np.empty((len(mom), len(chs)))
    _density_kernel(np.ascontiguousarray(mom), *_channel_arrays(chs, masses.size), masses, table.edges, table.density,
                    _BW_FRACTION, out)
    return out


def _draw(lo: F64, hi: F64, resonance: tuple[float, float] | None, rng: np.random.Generator) -> F64:
    if resonance is None:
        return lo + rng.random(lo.shape) * (hi - lo)
    return kin.sample_mass_mixture(lo, hi, resonance[0], resonance[1], _BW_FRACTION, rng)[0]


def _sample_channel(ch: Channel, q_mass: F64, masses: F64, rng: np.random.Generator) -> F64:
    """Candidates ``(n, m + 1, 4)`` [GeV] of channel ``ch`` at hadronic masses ``q_mass`` ``(n,)``
    (hadrons in table order, neutrino last)."""
    m, n = masses.size, q_mass.size
    mp = masses[list(ch.perm)]
    res = {j: (mass, width) for j, mass, width in ch.resonances}
    k = m - 2 if ch.pair is not None else m
    big = np.empty((n, k))  # big[:, j - 1] = M_j
    big[:, 0] = mp[0]
    if ch.pair is not None:
        sum_b = mp[m - 2] + mp[m - 1]
        big[:, k - 1] = _draw(np.full(n, mp[:k].sum()), q_mass - sum_b, res.get(k), rng)
        m_b = _draw(np.full(n, sum_b), q_mass - big[:, k - 1], ch.pair, rng)
    else:
        big[:, k - 1] = q_mass
    for j in range(k - 1, 1, -1):
        big[:, j - 1] = _draw(np.full(n, mp[:j].sum()), big[:, j] - mp[j], res.get(j), rng)
    cos_ab = None
    if ch.cross is not None:
        centre, half = _cross_ranges(big[:, m - 3], big[:, m - 2], q_mass, mp[m - 2], mp[m - 1])
        m_x = _draw(np.sqrt(np.clip(centre - half, 0.0, None)), np.sqrt(centre + half), ch.cross, rng)
        cos_ab = np.clip((m_x * m_x - centre) / np.where(half > 0, half, 1.0), -1.0, 1.0)
    if ch.pair is None:
        mom = kin.chain_rest(np.column_stack([big, np.full(n, M_TAU)]), np.concatenate([mp, [0.0]]), rng, cos_ab)
    else:
        a_rest = kin.chain_rest(big, mp[:k], rng)
        b_rest = np.stack(kin.two_body_rest(m_b, mp[m - 2], mp[m - 1], kin.isotropic_unit_vectors(n, rng)), axis=1)
        p_a, p_b = kin.two_body_rest(q_mass, big[:, k - 1], m_b, kin.isotropic_unit_vectors(n, rng))
        p_q, p_nu = kin.two_body_rest(M_TAU, q_mass, 0.0, kin.isotropic_unit_vectors(n, rng))
        hadrons = boost(np.concatenate([boost(a_rest, p_a), boost(b_rest, p_b)], axis=1), p_q)
        mom = np.concatenate([hadrons, p_nu[:, None]], axis=1)
    out = np.empty_like(mom)
    out[:, list(ch.perm)] = mom[:, :m]
    out[:, m] = mom[:, m]
    return out


@dataclass(frozen=True)
class Sampler:
    """Channels, channel fractions and Q table of one mode (build with :func:`build_sampler`)."""

    channels: tuple[Channel, ...]
    alphas: F64
    table: QTable
    masses: F64

    def propose(self, n: int, rng: np.random.Generator) -> tuple[F64, F64]:
        """``n`` rest-frame candidates ``(n, m + 1, 4)`` [GeV] (hadrons in table order, neutrino last) and weights 1/f."""
        pick = rng.choice(len(self.channels), size=n, p=self.alphas)
        mom = np.empty((n, self.masses.size + 1, 4))
        for c in np.unique(pick):
            idx = np.flatnonzero(pick == c)
            mom[idx] = _sample_channel(self.channels[c], self.table.sample(c, idx.size, rng), self.masses, rng)
        return mom, 1.0 / (_channel_densities(self.channels, self.table, self.masses, mom) @ self.alphas)


def build_sampler(hadron_ids: tuple[int, ...], hadron_masses: tuple[float, ...], me0: Callable[[F64], F64], seed: int) -> Sampler:
    """Sampler for hadrons ``hadron_ids`` with masses [GeV]; ``me0`` is the unpolarised squared
    matrix element of candidate momenta ``(n, m + 1, 4)``; pilots seeded with ``seed``.

    Every channel's Q table starts from a flat pilot of 6e4 decays; then each of the
    ``_ALPHA_ITERATIONS`` rounds draws ``_PILOT_ROUND`` candidates from the current sampler and
    updates the channel fractions (module docstring) and each channel's Q table, filled with its
    share of the weights, w alpha_c f_c / f (the part of the rate that channel c samples).
    """
    chs = channels(tuple(hadron_ids))
    alphas = np.full(len(chs), (1.0 - _FLAT_FRACTION) / max(len(chs) - 1, 1))
    alphas[0] = _FLAT_FRACTION if len(chs) > 1 else 1.0
    masses = np.array(hadron_masses, dtype=np.float64)
    rng = np.random.default_rng(seed)
    mom, w = kin.nbody_rest(M_TAU, np.concatenate([masses, [0.0]]), 60_000, rng)
    w = w * me0(mom)
    edges = np.linspace(masses.sum(), M_TAU, _Q_BINS + 1)
    hist, _ = np.histogram(kin.invariant_mass(mom[:, :-1].sum(axis=1)), edges, weights=w)
    sampler = Sampler(chs, alphas, QTable.from_histograms(edges, np.tile(hist, (len(chs), 1))), masses)
    for _ in range(_ALPHA_ITERATIONS):
        mom, _ = sampler.propose(_PILOT_ROUND, rng)
        dens = _channel_densities(chs, sampler.table, masses, mom)
        total = dens @ sampler.alphas
        w = me0(mom) / total
        share = sampler.alphas * dens / total[:, None]  # (n, C): alpha_c f_c / f
        score = sampler.alphas * np.sqrt(np.mean((w * w)[:, None] * dens / total[:, None], axis=0))
        new = np.maximum(score / score.sum(), 0.02) if len(chs) > 1 else np.ones(1)
        b = np.clip(np.searchsorted(edges, kin.invariant_mass(mom[:, :-1].sum(axis=1)), side="right") - 1, 0, _Q_BINS - 1)
        hist = np.stack([np.bincount(b, weights=w * share[:, c], minlength=_Q_BINS) for c in range(len(chs))])
        sampler = Sampler(chs, new / new.sum(), QTable.from_histograms(edges, hist), masses)
    return sampler
