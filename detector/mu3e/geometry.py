"""Helix propagation in the Mu3e solenoid, layer crossings and the stopping target.

A charged track of transverse momentum p_T [GeV] in a uniform field B [T] along +z moves on a
helix of radius (PDG, "Passage of particles", Eq. for the gyroradius)

    R [mm] = 1000 p_T / (0.299792458 B),

around the centre ``c = r0 + h R (sin phi, -cos phi)`` with ``h = sign(q)`` (positive charges
turn clockwise seen from +z) and ``z = z0 + R psi tan(lambda)`` after the turning angle psi,
``tan(lambda) = p_z / p_T``. With ``d = |c|`` the squared distance to the beam axis is

    r(psi)^2 = d^2 + R^2 + 2 d R cos(e0 + psi),                            (1)

so the largest radius reached is ``d + R`` (a track whose apex is below a layer never
reaches it, whatever its p_z) and a cylinder of radius rho is crossed outward at
``psi_out = (-a - e0) mod 2 pi`` and inward at ``psi_in = psi_out + 2 a`` with
``cos a = (rho^2 - d^2 - R^2) / (2 d R)``, for tracks starting inside the cylinder.

Multiple scattering and energy loss are ignored. Units: GeV, mm, T, rad.

>>> import numpy as np
>>> round(float(helix_radius_mm(np.array(0.0111), 1.0)), 1)  # p_T reaching L3 from the axis
37.0
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np
from numpy.typing import NDArray

from muonbsm.detector.mu3e.config import Geometry

__all__ = [
    "C_GEV_PER_T_M",
    "Helix",
    "TrackAcceptance",
    "helix_radius_mm",
    "make_helix",
    "crossings",
    "track_acceptance",
    "sample_target_vertex",
]

#: p [GeV] = C_GEV_PER_T_M * B [T] * R [m] for a unit charge.
C_GEV_PER_T_M = 0.299792458
TWO_PI = 2.0 * np.pi


def helix_radius_mm(pt_gev: NDArray[np.float64], b_tesla: float) -> NDArray[np.float64]:
    """Helix radius [mm] of a unit-charge track with transverse momentum ``pt_gev`` [GeV]."""
    return np.asarray(pt_gev) / (C_GEV_PER_T_M * b_tesla) * 1e3


@dataclass(frozen=True)
class Helix:
    """Helix parameters of Eq. (1) [mm, rad]; arrays of a common shape."""

    radius: NDArray[np.float64]
    centre_distance: NDArray[np.float64]
    phase0: NDArray[np.float64]
    r0: NDArray[np.float64]
    z0: NDArray[np.float64]
    tan_lambda: NDArray[np.float64]

    @property
    def max_radius(self) -> NDArray[np.float64]:
        """Largest distance from the beam axis reached, d + R [mm]."""
        return self.centre_distance + self.radius

    def z_at(self, psi: NDArray[np.float64]) -> NDArray[np.float64]:
        """z [mm] after the turning angle ``psi`` [rad]."""
        return self.z0 + self.radius * psi * self.tan_lambda


def make_helix(px, py, pz, charge, x0, y0, z0, b_tesla: float) -> Helix:
    """Helix of tracks with momenta ``px, py, pz`` [GeV], charge [e], start ``x0, y0, z0`` [mm].

    All arrays broadcast; neutral tracks get the sign of a positive charge (callers select
    charged tracks).
    """
    px, py, pz, x0, y0, z0 = (np.asarray(a, dtype=np.float64) for a in (px, py, pz, x0, y0, z0))
    h = np.where(np.asarray(charge) < 0, -1.0, 1.0)
    pt = np.hypot(px, py)
    radius = helix_radius_mm(pt, b_tesla)
    with np.errstate(divide="ignore", invalid="ignore"):
        ux, uy = px / pt, py / pt
        tan_lambda = pz / pt
    xc = x0 + h * radius * uy
    yc = y0 - h * radius * ux
    theta0 = np.arctan2(h * ux, -h * uy)  # angle of (start - centre)
    delta0 = theta0 - np.arctan2(yc, xc)
    return Helix(radius, np.hypot(xc, yc), np.mod(-h * delta0, TWO_PI), np.hypot(x0, y0), z0, tan_lambda)


def crossings(helix: Helix, rho: float) -> tuple[NDArray[np.bool_], NDArray[np.float64], NDArray[np.float64]]:
    """First outward and inward crossing of the cylinder of radius ``rho`` [mm].

    Returns ``(crosses, psi_out, psi_in)``; psi [rad] is NaN where the helix never reaches
    ``rho`` or starts outside it. Later crossings are at ``psi + 2 pi k``.
    """
    d, R = helix.centre_distance, helix.radius
    with np.errstate(divide="ignore", invalid="ignore"):
        cos_a = (rho**2 - d**2 - R**2) / (2.0 * d * R)
    crosses = (np.abs(cos_a) <= 1.0) & (helix.r0 < rho) & (R > 0)
    a = np.arccos(np.clip(np.where(crosses, cos_a, 0.0), -1.0, 1.0))
    psi_out = np.where(crosses, np.mod(-a - helix.phase0, TWO_PI), np.nan)
    return crosses, psi_out, psi_out + 2.0 * a


@dataclass(frozen=True)
class TrackAcceptance:
    """Geometric acceptance of tracks.

    ``layers_hit``: central layers hit on the first outward pass (in radius and z);
    ``reaches``: (..., n_layers) radius reached, ignoring z; ``short``: four hits (L1-L4
    outward, or with ``inner_recurl_short`` L1-L2 out and back); ``extra_hits``: recurl hits
    in the recurl layers after the first apex; ``long``: short with at least two extra hits.
    """

    layers_hit: NDArray[np.int8]
    reaches: NDArray[np.bool_]
    short: NDArray[np.bool_]
    long: NDArray[np.bool_]
    extra_hits: NDArray[np.int16]


@numba.njit(cache=True)
def _acceptance_kernel(px, py, pz, q, x0, y0, z0, b_tesla, radii, halfs, zcs, recurl, stations, max_turns,
                       inner_recurl_short, layers_hit, reaches, short, long, extra):
    """Per track: Eq. (1) helix, outward crossing of every layer (hit if |z - z_c| <= half
    length), then the recurl crossings (inward at psi_in + 2 pi k, outward at psi_out + 2 pi k
    for k >= 1, k < max_turns) counted in any station; results written into the outputs."""
    n_layers = radii.size
    for i in range(px.size):
        pt = np.hypot(px[i], py[i])
        if pt <= 0.0:
            continue
        h = -1.0 if q[i] < 0 else 1.0
        radius = pt / (C_GEV_PER_T_M * b_tesla) * 1e3
        ux, uy = px[i] / pt, py[i] / pt
        xc, yc = x0[i] + h * radius * uy, y0[i] - h * radius * ux
        d = np.hypot(xc, yc)
        phase0 = np.mod(-h * (np.arctan2(h * ux, -h * uy) - np.arctan2(yc, xc)), TWO_PI)
        step = radius * pz[i] / pt
        r0 = np.hypot(x0[i], y0[i])
        all_out, inner_back, consecutive = True, True, True
        n_extra = 0
        for j in range(n_layers):
            rho = radii[j]
            cos_a = (rho * rho - d * d - radius * radius) / (2.0 * d * radius) if d > 0 else 2.0
            crosses = abs(cos_a) <= 1.0 and r0 < rho
            reaches[i, j] = crosses
            hit_out = False
            if crosses:
                a = np.arccos(cos_a)
                psi_out = np.mod(-a - phase0, TWO_PI)
                psi_in = psi_out + 2.0 * a
                hit_out = abs(z0[i] + step * psi_out - zcs[j]) <= halfs[j]
                if j < 2:
                    inner_back = inner_back and abs(z0[i] + step * psi_in - zcs[j]) <= halfs[j]
                if recurl[j]:
                    for k in range(max_turns):
                        for m in range(2):
                            if m == 1 and k == 0:
                                continue
                            z = z0[i] + step * ((psi_in if m == 0 else psi_out) + TWO_PI * k)
                            for s in range(stations.size):
                                if abs(z - stations[s]) <= halfs[j]:
                                    n_extra += 1
                                    break
            elif j < 2:
                inner_back = False
            consecutive = consecutive and hit_out
            if consecutive:
                layers_hit[i] += 1
            all_out = all_out and hit_out
        is_short = all_out
        if inner_recurl_short and n_layers > 2 and layers_hit[i] >= 2 and not reaches[i, 2] and inner_back:
            is_short = True
        short[i] = is_short
        long[i] = all_out and n_extra >= 2
        extra[i] = n_extra


def track_acceptance(px, py, pz, charge, x0, y0, z0, geometry: Geometry, inner_recurl_short: bool = False) -> TrackAcceptance:
    """Propagate tracks [GeV, e, mm] through ``geometry`` and classify them (no scattering).

    Any broadcastable shapes; compiled loop over tracks (the helix algebra of
    :func:`make_helix` and :func:`crossings`, which the tests use as its oracle).
    """
    arrays = np.broadcast_arrays(*(np.asarray(a, dtype=np.float64) for a in (px, py, pz, charge, x0, y0, z0)))
    shape = arrays[0].shape
    flat = [np.array(a, dtype=np.float64, order="C").reshape(-1) for a in arrays]
    n, n_layers = flat[0].size, len(geometry.layers)
    layers_hit = np.zeros(n, dtype=np.int8)
    reaches = np.zeros((n, n_layers), dtype=np.bool_)
    short = np.zeros(n, dtype=np.bool_)
    long = np.zeros(n, dtype=np.bool_)
    extra = np.zeros(n, dtype=np.int16)
    lay = geometry.layers
    _acceptance_kernel(*flat, float(geometry.b_tesla), np.array([l.radius_mm for l in lay]),
                       np.array([l.half_length_mm for l in lay]), np.array([l.z_center_mm for l in lay]),
                       np.array([l.name in geometry.recurl_layers for l in lay]),
                       np.array((0.0,) + geometry.recurl_z_centers_mm), int(geometry.max_turns),
                       bool(inner_recurl_short), layers_hit, reaches, short, long, extra)
    return TrackAcceptance(layers_hit.reshape(shape), reaches.reshape(shape + (n_layers,)), short.reshape(shape),
                           long.reshape(shape), extra.reshape(shape))


def sample_target_vertex(n: int, geometry: Geometry, rng: np.random.Generator) -> tuple[NDArray[np.float64], ...]:
    """Muon decay points [mm] uniform on the surface of the hollow double-cone target.

    The cone radius is ``r(z) = R_t (1 - 2|z|/L)`` for ``|z| <= L/2``; uniform in surface area
    means the density of z is proportional to r(z) (triangular), phi uniform. Returns
    ``(x, y, z)``, each of shape ``(n,)``.
    """
    if n < 0:
        raise ValueError(f"n: must be >= 0, got {n}")
    u = rng.random((3, n))
    s = 1.0 - np.sqrt(u[0])  # |z| / (L/2), density 2 (1 - s)
    z = np.where(u[1] < 0.5, -1.0, 1.0) * s * 0.5 * geometry.target_length_mm
    r = geometry.target_radius_mm * (1.0 - s)
    phi = TWO_PI * u[2]
    return r * np.cos(phi), r * np.sin(phi), z
