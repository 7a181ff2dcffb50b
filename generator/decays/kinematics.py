"""Vectorised relativistic decay kinematics: boosts, rotations, two- and n-body decays, vertices.

Four-vectors are numpy arrays ``[..., 4] = (E, px, py, pz)`` in GeV; vertices are ``[..., 3]``
in mm. Every function works on whole arrays of decays at once (no loop over events).

Formulas (PDG Review "Kinematics", Sec. 49 of RPP 2024):

* two-body momentum in the rest frame of M: ``p* = sqrt(lambda(M^2, m1^2, m2^2)) / (2M)``,
  ``lambda(a, b, c) = a^2 + b^2 + c^2 - 2ab - 2ac - 2bc`` (RPP Eq. 49.17);
* boost of a rest-frame vector p* to the frame where the parent has four-momentum P, mass M:
  ``E = (E_P E* + P.p*) / M``, ``p = p* + P [ (P.p*) / (M (E_P + M)) + E* / M ]``;
* n-body phase space by the GENBOD recursion (F. James, CERN 68-15): intermediate masses
  from sorted uniforms, weight ``prod_i p*_i`` proportional to the Lorentz-invariant phase space;
* decay length in the lab: ``L = (|p|/M) c tau X``, X ~ Exp(1) (RPP Eq. 49.9 with beta gamma = |p|/M).

>>> import numpy as np
>>> rng = np.random.default_rng(1)
>>> parent = np.array([[10.0, 0.0, 0.0, np.sqrt(100.0 - 1.0)]])
>>> d1, d2 = two_body_decay(parent, 0.1, 0.2, rng)
>>> bool(np.allclose(d1 + d2, parent))
True
"""

from __future__ import annotations

import numba
import numpy as np
from numpy.typing import ArrayLike, NDArray

from muonbsm.generator.dirac import minkowski_dot
from muonbsm.generator.phase_space import boost, kallen

__all__ = [
    "two_body_momentum",
    "invariant_mass",
    "rotate_z_to",
    "rest_to_lab",
    "unit_vectors",
    "isotropic_unit_vectors",
    "two_body_rest",
    "two_body_decay",
    "nbody_rest",
    "chain_rest",
    "mass_mixture_pdf",
    "sample_mass_mixture",
    "flight_directions",
    "decay_vertices",
]

F64 = NDArray[np.float64]


def two_body_momentum(m_parent: ArrayLike, m1: ArrayLike, m2: ArrayLike) -> F64:
    """Daughter momentum [GeV] in the rest frame of a parent of mass ``m_parent`` [GeV].

    Raises ValueError when ``m_parent < m1 + m2`` (decay closed).

    >>> round(float(two_body_momentum(1.0, 0.0, 0.0)), 6)
    0.5
    """
    mp = np.asarray(m_parent, dtype=np.float64)
    if np.any(mp < np.asarray(m1) + np.asarray(m2) - 1e-12):
        raise ValueError("m_parent must be >= m1 + m2 (decay kinematically closed)")
    lam = np.clip(kallen(mp * mp, np.square(m1), np.square(m2)), 0.0, None)
    return np.sqrt(lam) / (2.0 * mp)


def invariant_mass(p: F64) -> F64:
    """Invariant mass ``sqrt(max(p.p, 0))`` [GeV] of four-vectors ``p[..., 4]``."""
    return np.sqrt(np.clip(minkowski_dot(p, p), 0.0, None))


def rotate_z_to(v: F64, direction: F64) -> F64:
    """Rotate 3-vectors (or the spatial part of four-vectors) so that +z maps onto ``direction``.

    ``v`` has shape ``(n, 3)``, ``(n, 4)``, ``(n, k, 3)`` or ``(n, k, 4)``; ``direction`` is ``(n, 3)``
    (normalised internally, a zero vector means no rotation). Uses the rotation about
    ``z x d`` by the angle between z and d (Rodrigues' formula).
    """
    d = np.asarray(direction, dtype=np.float64)
    norm = np.linalg.norm(d, axis=-1, keepdims=True)
    d = np.where(norm > 0, d / np.where(norm > 0, norm, 1.0), np.array([0.0, 0.0, 1.0]))
    cos_t = d[:, 2]
    sin_t = np.hypot(d[:, 0], d[:, 1])
    safe = sin_t > 1e-15
    ux = np.where(safe, -d[:, 1] / np.where(safe, sin_t, 1.0), 1.0)
    uy = np.where(safe, d[:, 0] / np.where(safe, sin_t, 1.0), 0.0)
    sin_t = np.where(safe, sin_t, 0.0)
    cos_t = np.where(safe, cos_t, np.sign(cos_t))
    # rotation matrix about the unit axis (ux, uy, 0) by angle t
    c1 = 1.0 - cos_t
    rot = np.empty((d.shape[0], 3, 3))
    rot[:, 0, 0] = cos_t + ux * ux * c1
    rot[:, 0, 1] = ux * uy * c1
    rot[:, 0, 2] = uy * sin_t
    rot[:, 1, 0] = ux * uy * c1
    rot[:, 1, 1] = cos_t + uy * uy * c1
    rot[:, 1, 2] = -ux * sin_t
    rot[:, 2, 0] = -uy * sin_t
    rot[:, 2, 1] = ux * sin_t
    rot[:, 2, 2] = cos_t
    out = np.array(v, dtype=np.float64, copy=True)
    spatial = out[..., 1:] if out.shape[-1] == 4 else out
    if out.ndim == 2:
        spatial[...] = np.einsum("nij,nj->ni", rot, spatial)
    else:
        spatial[...] = np.einsum("nij,nkj->nki", rot, spatial)
    return out


@numba.njit(cache=True)
def _rest_to_lab_kernel(rest: F64, parent: F64, out: F64) -> None:  # pragma: no cover - compiled
    """Boost along z by the parent's beta gamma, then the rotation of :func:`rotate_z_to`."""
    n, k = rest.shape[0], rest.shape[1]
    for ev in range(n):
        px, py, pz = parent[ev, 1], parent[ev, 2], parent[ev, 3]
        pabs = np.sqrt(px * px + py * py + pz * pz)
        mass = np.sqrt(max(parent[ev, 0] ** 2 - pabs * pabs, 0.0))
        gamma, bg = parent[ev, 0] / mass, pabs / mass
        dx, dy, dz = (px / pabs, py / pabs, pz / pabs) if pabs > 0.0 else (0.0, 0.0, 1.0)
        sin_t = np.sqrt(dx * dx + dy * dy)
        ux, uy = (-dy / sin_t, dx / sin_t) if sin_t > 1e-15 else (1.0, 0.0)
        cos_t = dz if sin_t > 1e-15 else np.sign(dz)
        c1 = 1.0 - cos_t
        for j in range(k):
            e, x, y, z = rest[ev, j, 0], rest[ev, j, 1], rest[ev, j, 2], rest[ev, j, 3]
            e, z = gamma * e + bg * z, gamma * z + bg * e
            out[ev, j, 0] = e
            out[ev, j, 1] = (cos_t + ux * ux * c1) * x + ux * uy * c1 * y + uy * sin_t * z
            out[ev, j, 2] = ux * uy * c1 * x + (cos_t + uy * uy * c1) * y - ux * sin_t * z
            out[ev, j, 3] = -uy * sin_t * x + ux * sin_t * y + cos_t * z


def rest_to_lab(rest: F64, parent: F64) -> F64:
    """Four-momenta ``rest`` ``(n, k, 4)`` [GeV], given in the rest frame of ``parent`` ``(n, 4)``
    with +z along its flight direction (helicity frame), in the frame of ``parent``.

    Equal to ``boost(rotate_z_to(rest, flight_directions(parent)), parent)``: the boost along z by
    beta gamma = |p|/M, then the rotation of +z onto the flight direction (one pass, numba).
    """
    out = np.empty_like(rest, dtype=np.float64)
    _rest_to_lab_kernel(np.ascontiguousarray(rest, dtype=np.float64), np.ascontiguousarray(parent, dtype=np.float64), out)
    return out


def unit_vectors(cos_theta: ArrayLike, phi: ArrayLike) -> F64:
    """Unit 3-vectors ``(n, 3)`` with polar angle ``arccos(cos_theta)`` and azimuth ``phi`` [rad]."""
    c = np.asarray(cos_theta, dtype=np.float64)
    s = np.sqrt(np.clip(1.0 - c * c, 0.0, None))
    ph = np.asarray(phi, dtype=np.float64)
    return np.stack([s * np.cos(ph), s * np.sin(ph), c], axis=-1)


def isotropic_unit_vectors(n: int, rng: np.random.Generator) -> F64:
    """``n`` isotropically distributed unit 3-vectors, shape ``(n, 3)``."""
    return unit_vectors(rng.uniform(-1.0, 1.0, n), rng.uniform(0.0, 2.0 * np.pi, n))


def two_body_rest(m_parent: ArrayLike, m1: ArrayLike, m2: ArrayLike, directions: F64) -> tuple[F64, F64]:
    """Daughter four-momenta ``(n, 4)`` [GeV] in the parent rest frame, daughter 1 along ``directions``."""
    mp = np.asarray(m_parent, dtype=np.float64)
    p = two_body_momentum(mp, m1, m2)
    n = directions.shape[0]
    p = np.broadcast_to(p, (n,))
    e1 = np.sqrt(p * p + np.square(np.broadcast_to(m1, (n,))))
    e2 = np.sqrt(p * p + np.square(np.broadcast_to(m2, (n,))))
    d1 = np.concatenate([e1[:, None], p[:, None] * directions], axis=-1)
    d2 = np.concatenate([e2[:, None], -p[:, None] * directions], axis=-1)
    return d1, d2


def flight_directions(parent: F64) -> F64:
    """Unit flight directions ``(n, 3)`` of ``parent`` four-momenta (``+z`` for a parent at rest)."""
    vec = np.asarray(parent, dtype=np.float64)[:, 1:]
    norm = np.linalg.norm(vec, axis=-1, keepdims=True)
    return np.where(norm > 0, vec / np.where(norm > 0, norm, 1.0), np.array([0.0, 0.0, 1.0]))


def two_body_decay(
    parent: F64,
    m1: ArrayLike,
    m2: ArrayLike,
    rng: np.random.Generator,
    cos_theta: ArrayLike | None = None,
) -> tuple[F64, F64]:
    """Decay ``parent`` ``(n, 4)`` [GeV] into two daughters of masses ``m1, m2`` [GeV]; lab momenta.

    Isotropic in the parent rest frame unless ``cos_theta`` ``(n,)`` is given: then it is the
    cosine of the angle of daughter 1 with the parent flight direction (helicity frame), the
    azimuth being uniform. Returns ``(p1, p2)``, each ``(n, 4)`` [GeV].
    """
    parent = np.asarray(parent, dtype=np.float64)
    n = parent.shape[0]
    mp = invariant_mass(parent)
    if cos_theta is None:
        dirs = isotropic_unit_vectors(n, rng)
    else:
        c = np.asarray(cos_theta, dtype=np.float64)
        if np.any(np.abs(c) > 1.0):
            raise ValueError("cos_theta must lie in [-1, 1]")
        dirs = rotate_z_to(unit_vectors(c, rng.uniform(0.0, 2.0 * np.pi, n)), flight_directions(parent))
    d1, d2 = two_body_rest(mp, m1, m2, dirs)
    return boost(d1, parent), boost(d2, parent)


@numba.njit(cache=True)
def _genbod_kernel(inter: F64, masses: F64, cos_t: F64, phi: F64, out: F64) -> None:  # pragma: no cover - compiled
    """Build GENBOD momenta in place from subsystem masses ``inter`` (n, k) and angles (n, k-1)."""
    n, k = inter.shape
    for ev in range(n):
        out[ev, 0, 0] = masses[0]
        out[ev, 0, 1] = 0.0
        out[ev, 0, 2] = 0.0
        out[ev, 0, 3] = 0.0
        for i in range(1, k):
            big, small, mi = inter[ev, i], inter[ev, i - 1], masses[i]
            lam = (big * big - (small + mi) ** 2) * (big * big - (small - mi) ** 2)
            p = np.sqrt(max(lam, 0.0)) / (2.0 * big)
            c = cos_t[ev, i - 1]
            s = np.sqrt(max(1.0 - c * c, 0.0))
            ux, uy, uz = s * np.cos(phi[ev, i - 1]), s * np.sin(phi[ev, i - 1]), c
            # boost the subsystem 0..i-1 (at rest, mass `small`) to momentum -p u
            e_sub = np.sqrt(p * p + small * small)
            bx, by, bz = -p * ux, -p * uy, -p * uz
            for j in range(i):
                dot = out[ev, j, 1] * bx + out[ev, j, 2] * by + out[ev, j, 3] * bz
                e0 = out[ev, j, 0]
                coef = dot / (small * (e_sub + small)) + e0 / small
                out[ev, j, 0] = (e_sub * e0 + dot) / small
                out[ev, j, 1] += bx * coef
                out[ev, j, 2] += by * coef
                out[ev, j, 3] += bz * coef
            out[ev, i, 0] = np.sqrt(p * p + mi * mi)
            out[ev, i, 1] = p * ux
            out[ev, i, 2] = p * uy
            out[ev, i, 3] = p * uz


def nbody_rest(
    m_parent: float,
    masses: ArrayLike,
    n: int,
    rng: np.random.Generator,
    intermediate: F64 | None = None,
) -> tuple[F64, F64]:
    """GENBOD n-body phase space in the rest frame of a parent of mass ``m_parent`` [GeV].

    Returns momenta ``(n, k, 4)`` [GeV] (daughters in the order of ``masses``) and weights ``(n,)``
    ``prod_i p*_i`` [GeV^(k-1)], so that events weighted by them are distributed as the
    Lorentz-invariant phase space when the subsystem masses ``m_{0..i}`` are uniform in their
    ordered range (sorted uniforms, James CERN 68-15; used when ``intermediate`` is None).
    ``intermediate`` ``(n, k-2)`` gives the subsystem masses ``m_{0..i}``, i = 1..k-2 [GeV],
    drawn by the caller, who must then divide the weight by their density. The
    configuration is randomly oriented.
    """
    masses = np.asarray(masses, dtype=np.float64)
    k = masses.size
    if k < 2:
        raise ValueError("masses must have at least 2 entries")
    t_kin = m_parent - masses.sum()
    if t_kin <= 0:
        raise ValueError("m_parent must exceed the sum of the daughter masses")
    inter = np.empty((n, k))  # invariant mass of the subsystem of daughters 0..i
    inter[:, 0] = masses[0]
    inter[:, -1] = m_parent
    if intermediate is None:
        r = np.sort(rng.random((n, k - 2)), axis=1)
        inter[:, 1:-1] = np.cumsum(masses)[1:-1] + r * t_kin
    else:
        inter[:, 1:-1] = intermediate
    lam = kallen(inter[:, 1:] ** 2, inter[:, :-1] ** 2, masses[1:] ** 2)
    weight = np.prod(np.sqrt(np.clip(lam, 0.0, None)) / (2.0 * inter[:, 1:]), axis=1)
    return chain_rest(inter, masses, rng), weight


def chain_rest(inter: F64, masses: F64, rng: np.random.Generator, cos_relative: F64 | None = None) -> F64:
    """Randomly oriented GENBOD momenta ``(n, k, 4)`` [GeV] from given sub-system masses.

    ``inter`` ``(n, k)`` [GeV] holds the invariant mass of daughters 0..i in column i (column 0
    is ``masses[0]``, column k-1 the parent's mass, per event); the momenta are in the parent
    rest frame, daughters in the order of ``masses`` ``(k,)``. Every split is isotropic, except
    that ``cos_relative`` ``(n,)``, if given, fixes the cosine of the angle between daughters k-3
    and k-2 in the rest frame of daughters 0..k-3 (split k-3 measured from the direction of
    split k-2, azimuth uniform).
    """
    n, k = inter.shape
    cos_t = rng.uniform(-1.0, 1.0, (n, k - 1))
    phi = rng.uniform(0.0, 2.0 * np.pi, (n, k - 1))
    if cos_relative is not None:
        u = rotate_z_to(unit_vectors(cos_relative, phi[:, k - 4]), unit_vectors(cos_t[:, k - 3], phi[:, k - 3]))
        cos_t[:, k - 4], phi[:, k - 4] = u[:, 2], np.arctan2(u[:, 1], u[:, 0])
    out = np.empty((n, k, 4))
    _genbod_kernel(np.ascontiguousarray(inter), np.asarray(masses, dtype=np.float64), cos_t, phi, out)
    return out


def mass_mixture_pdf(m: F64, lo: F64, hi: F64, m0: float, width: float, fraction: float) -> F64:
    """Density [GeV^-1] of :func:`sample_mass_mixture` at masses ``m`` [GeV] in ``[lo, hi]``."""
    gm = m0 * width
    a_lo, a_hi = np.arctan((lo**2 - m0**2) / gm), np.arctan((hi**2 - m0**2) / gm)
    pdf_bw = 2.0 * m * gm / ((m * m - m0**2) ** 2 + gm**2) / (a_hi - a_lo)
    return fraction * pdf_bw + (1.0 - fraction) / (hi - lo)


def sample_mass_mixture(
    lo: F64, hi: F64, m0: float, width: float, fraction: float, rng: np.random.Generator
) -> tuple[F64, F64]:
    """Masses [GeV] in ``[lo, hi]`` from ``fraction`` x (Breit-Wigner in s) + rest x uniform in m.

    The Breit-Wigner part is a Cauchy density in ``s = m^2`` centred at ``m0^2`` with
    half-width ``m0 * width`` [GeV^2], truncated to ``[lo^2, hi^2]`` and sampled by inverse CDF.
    Returns ``(m, pdf(m))`` with pdf in GeV^-1 (:func:`mass_mixture_pdf`), for importance sampling.
    """
    lo, hi = np.asarray(lo, dtype=np.float64), np.asarray(hi, dtype=np.float64)
    gm = m0 * width
    a_lo, a_hi = np.arctan((lo**2 - m0**2) / gm), np.arctan((hi**2 - m0**2) / gm)
    u = rng.random(lo.shape)
    use_bw = rng.random(lo.shape) < fraction
    s_bw = m0**2 + gm * np.tan(a_lo + u * (a_hi - a_lo))
    m = np.where(use_bw, np.sqrt(np.clip(s_bw, lo**2, hi**2)), lo + u * (hi - lo))
    return m, mass_mixture_pdf(m, lo, hi, m0, width, fraction)


def decay_vertices(
    parent: F64,
    ctau_mm: ArrayLike,
    rng: np.random.Generator,
    production_vertex: F64 | None = None,
) -> tuple[F64, F64]:
    """Sample decay vertices [mm] of particles with four-momenta ``parent`` ``(n, 4)`` [GeV].

    ``ctau_mm`` is the proper decay length c*tau [mm] (scalar or ``(n,)``; 0 means prompt).
    The lab decay length is ``L = beta gamma c tau X`` with ``beta gamma = |p|/M``, X ~ Exp(1),
    along the flight direction. Returns ``(vertices (n, 3), L (n,))``; the production vertex
    defaults to the origin.
    """
    parent = np.asarray(parent, dtype=np.float64)
    n = parent.shape[0]
    ctau = np.broadcast_to(np.asarray(ctau_mm, dtype=np.float64), (n,))
    if np.any(ctau < 0) or not np.all(np.isfinite(ctau)):
        raise ValueError("ctau_mm must be finite and >= 0")
    m = invariant_mass(parent)
    pabs = np.linalg.norm(parent[:, 1:], axis=-1)
    length = np.where(ctau > 0, pabs / np.where(m > 0, m, 1.0) * ctau, 0.0) * rng.exponential(1.0, n)
    start = np.zeros((n, 3)) if production_vertex is None else np.asarray(production_vertex, dtype=np.float64)
    if start.shape != (n, 3):
        raise ValueError("production_vertex must have shape (n, 3)")
    return start + length[:, None] * flight_directions(parent), length
