"""Track-reconstruction efficiency maps on (p, lambda) grids: CSV I/O, validation, defaults.

A map gives the probability that a track is reconstructed *given* that it is geometrically
accepted (the convention of the Mu3e TDR maps, Figs. 19.1 and 19.4, as used in Knapen et al., App. C):
one map for short tracks and one for the short -> long "upgrade" of a geometrically long
track. ``p`` is the total momentum [GeV] and ``lambda = pi/2 - theta`` the dip angle [rad].
Outside the grid the efficiency is 0.

CSV format: ``#`` comment lines (provenance), then the header
``p_low_GeV,p_high_GeV,lambda_low,lambda_high,efficiency`` (``p_low_MeV,p_high_MeV`` are
accepted for user-digitised maps), one row per bin, all bins of a rectangular grid present.

The default maps are derived from the geometry: the plateau efficiency (configuration) in
every bin where the helix acceptance of tracks from the target is non-zero, 0 elsewhere.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from muonbsm.detector.mu3e.config import Mu3eConfig
from muonbsm.detector.mu3e.geometry import sample_target_vertex, track_acceptance

__all__ = [
    "EfficiencyMap",
    "DEFAULT_P_EDGES",
    "DEFAULT_LAMBDA_EDGES",
    "load_map",
    "write_map",
    "acceptance_map",
    "default_maps",
    "write_default_maps",
]

#: Default grid: 1 MeV bins in p up to 55 MeV, 5 degree bins in lambda.
DEFAULT_P_EDGES = np.linspace(0.0, 0.055, 56)
DEFAULT_LAMBDA_EDGES = np.linspace(-np.pi / 2, np.pi / 2, 37)
_HEADERS = {
    ("p_low_GeV", "p_high_GeV", "lambda_low", "lambda_high", "efficiency"): 1.0,
    ("p_low_MeV", "p_high_MeV", "lambda_low", "lambda_high", "efficiency"): 1e-3,
}


@dataclass(frozen=True)
class EfficiencyMap:
    """Values [0, 1] of shape (n_p, n_lambda) on bin edges ``p_edges`` [GeV], ``lambda_edges`` [rad]."""

    p_edges: NDArray[np.float64]
    lambda_edges: NDArray[np.float64]
    values: NDArray[np.float64]
    provenance: str = ""

    def __post_init__(self) -> None:
        for name, edges in (("p_edges", self.p_edges), ("lambda_edges", self.lambda_edges)):
            if edges.ndim != 1 or edges.size < 2 or not np.all(np.diff(edges) > 0):
                raise ValueError(f"{name}: must be a strictly increasing 1D grid of >= 2 edges")
        if self.values.shape != (self.p_edges.size - 1, self.lambda_edges.size - 1):
            raise ValueError(f"values: shape {self.values.shape} does not match the grid "
                             f"({self.p_edges.size - 1}, {self.lambda_edges.size - 1})")
        if not np.all(np.isfinite(self.values)) or self.values.min() < 0 or self.values.max() > 1:
            raise ValueError("values: efficiencies must be finite and in [0, 1]")

    def __call__(self, p: NDArray[np.float64], lam: NDArray[np.float64]) -> NDArray[np.float64]:
        """Efficiency at momentum ``p`` [GeV] and dip angle ``lam`` [rad]; 0 outside the grid."""
        p, lam = np.broadcast_arrays(np.asarray(p, dtype=np.float64), np.asarray(lam, dtype=np.float64))
        ip = np.searchsorted(self.p_edges, p, side="right") - 1
        il = np.searchsorted(self.lambda_edges, lam, side="right") - 1
        ok = (ip >= 0) & (ip < self.values.shape[0]) & (il >= 0) & (il < self.values.shape[1])
        return np.where(ok, self.values[np.where(ok, ip, 0), np.where(ok, il, 0)], 0.0)


def _grid_from_bins(low: NDArray, high: NDArray, name: str) -> tuple[NDArray, NDArray]:
    lows = np.unique(low)
    highs = np.unique(high)
    if lows.size != highs.size or np.any(highs <= lows) or np.any(lows[1:] != highs[:-1]):
        raise ValueError(f"{name}: bins must be contiguous and non-overlapping (high of one bin = low of the next)")
    return np.append(lows, highs[-1]), np.searchsorted(lows, low)


def load_map(path: str | Path) -> EfficiencyMap:
    """Read and validate an efficiency-map CSV (format in the module docstring)."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"path: efficiency map {path} does not exist")
    lines = path.read_text().splitlines()
    provenance = "\n".join(l[1:].strip() for l in lines if l.startswith("#"))
    body = [l for l in lines if l.strip() and not l.startswith("#")]
    if not body:
        raise ValueError(f"path: {path} has no header/data rows")
    rows = list(csv.reader(io.StringIO("\n".join(body))))
    header = tuple(h.strip() for h in rows[0])
    if header not in _HEADERS:
        raise ValueError(f"path: {path} header must be one of {[','.join(h) for h in _HEADERS]}, got {','.join(header)}")
    try:
        data = np.array([[float(x) for x in r] for r in rows[1:]], dtype=np.float64)
    except ValueError as exc:
        raise ValueError(f"path: {path} has a non-numeric entry: {exc}") from exc
    if data.ndim != 2 or data.shape[0] == 0 or data.shape[1] != 5:
        raise ValueError(f"path: {path} needs at least one row of 5 columns")
    data[:, :2] *= _HEADERS[header]
    p_edges, ip = _grid_from_bins(data[:, 0], data[:, 1], f"{path}: p bins")
    l_edges, il = _grid_from_bins(data[:, 2], data[:, 3], f"{path}: lambda bins")
    if l_edges[0] < -np.pi / 2 - 1e-9 or l_edges[-1] > np.pi / 2 + 1e-9 or p_edges[0] < 0:
        raise ValueError(f"path: {path} needs p >= 0 and lambda within [-pi/2, pi/2] rad")
    values = np.full((p_edges.size - 1, l_edges.size - 1), np.nan)
    counts = np.zeros(values.shape, dtype=int)
    np.add.at(counts, (ip, il), 1)
    if np.any(counts != 1):
        raise ValueError(f"path: {path} must list every (p, lambda) bin exactly once "
                         f"({int((counts == 0).sum())} missing, {int((counts > 1).sum())} repeated)")
    values[ip, il] = data[:, 4]
    try:
        return EfficiencyMap(p_edges, l_edges, values, provenance)
    except ValueError as exc:
        raise ValueError(f"path: {path}: {exc}") from exc


def write_map(emap: EfficiencyMap, path: str | Path) -> None:
    """Write ``emap`` as CSV (GeV, rad) with its provenance as ``#`` comment lines."""
    ip, il = (g.ravel() for g in np.meshgrid(np.arange(emap.values.shape[0]), np.arange(emap.values.shape[1]), indexing="ij"))
    out = [f"# {line}" for line in emap.provenance.splitlines()]
    out.append(",".join(next(iter(_HEADERS))))
    for a, b in zip(ip, il):
        out.append(f"{emap.p_edges[a]:.6g},{emap.p_edges[a + 1]:.6g},{emap.lambda_edges[b]:.8g},"
                   f"{emap.lambda_edges[b + 1]:.8g},{emap.values[a, b]:.6g}")
    Path(path).write_text("\n".join(out) + "\n")


def acceptance_map(config: Mu3eConfig, kind: str, rng: np.random.Generator, n_per_bin: int = 400,
                   p_edges: NDArray = DEFAULT_P_EDGES, lambda_edges: NDArray = DEFAULT_LAMBDA_EDGES) -> EfficiencyMap:
    """Geometric acceptance fraction of ``kind`` ('short' or 'long') tracks per (p, lambda) bin.

    Tracks uniform in each bin, phi uniform, charge +-1, from decay points sampled on the
    target (``config.selection.sample_vertex``) or the origin.
    """
    if kind not in ("short", "long"):
        raise ValueError(f"kind: must be 'short' or 'long', got {kind!r}")
    n_p, n_l = p_edges.size - 1, lambda_edges.size - 1
    n = n_p * n_l * n_per_bin
    ip = np.repeat(np.arange(n_p), n_l * n_per_bin)
    il = np.tile(np.repeat(np.arange(n_l), n_per_bin), n_p)
    u = rng.random((4, n))
    p = p_edges[ip] + u[0] * np.diff(p_edges)[ip]
    lam = lambda_edges[il] + u[1] * np.diff(lambda_edges)[il]
    phi = 2 * np.pi * u[2]
    charge = np.where(u[3] < 0.5, -1.0, 1.0)
    if config.selection.sample_vertex:
        x0, y0, z0 = sample_target_vertex(n, config.geometry, rng)
    else:
        x0 = y0 = z0 = np.zeros(n)
    pt = p * np.cos(lam)
    acc = track_acceptance(pt * np.cos(phi), pt * np.sin(phi), p * np.sin(lam), charge, x0, y0, z0,
                           config.geometry, config.selection.inner_recurl_short)
    ok = (acc.short if kind == "short" else acc.long) & (pt >= config.selection.pt_min_gev)
    frac = ok.reshape(n_p, n_l, n_per_bin).mean(axis=-1)
    return EfficiencyMap(p_edges.copy(), lambda_edges.copy(), frac,
                         f"geometric acceptance of {kind} tracks, {n_per_bin} tracks per bin")


def _dilate(mask: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """``mask`` grown by one bin along both axes (8-neighbourhood)."""
    padded = np.pad(mask, 1)
    out = np.zeros_like(mask)
    for di in (0, 1, 2):
        for dj in (0, 1, 2):
            out |= padded[di:di + mask.shape[0], dj:dj + mask.shape[1]]
    return out


def default_maps(config: Mu3eConfig, rng: np.random.Generator, n_per_bin: int = 400) -> tuple[EfficiencyMap, EfficiencyMap]:
    """Default (short, long-upgrade) maps: the configured plateau on the geometric support.

    The support is the set of bins with a non-zero sampled acceptance, grown by one bin so
    that edge bins with a tiny acceptance (missed by the finite sampling) are not zeroed:
    the maps are conditional on the acceptance, so outside the true support they never act.
    """
    out = []
    for kind, plateau in (("short", config.maps.plateau_short), ("long", config.maps.plateau_long)):
        acc = acceptance_map(config, kind, rng, n_per_bin)
        out.append(EfficiencyMap(acc.p_edges, acc.lambda_edges, np.where(_dilate(acc.values > 0), plateau, 0.0),
                                 acc.provenance))
    return out[0], out[1]


def write_default_maps(config: Mu3eConfig, directory: str | Path, seed: int = 20240, n_per_bin: int = 1000) -> list[Path]:
    """Build :func:`default_maps` with ``seed`` and write them with a provenance header."""
    rng = np.random.default_rng(seed)
    digest = hashlib.sha256(config.source.read_bytes()).hexdigest()[:12] if config.source else "in-memory"
    paths = []
    for (kind, plateau), emap in zip((("short", config.maps.plateau_short), ("long", config.maps.plateau_long)),
                                     default_maps(config, rng, n_per_bin)):
        prov = (f"Mu3e {kind}-track reconstruction efficiency given geometric acceptance (muonbsm default, approx.)\n"
                f"value = plateau {plateau} where the helix acceptance of {kind} tracks from the target is > 0 "
                f"(support grown by one bin), else 0\n"
                f"support from {n_per_bin} tracks per bin (uniform in bin, phi, charge +-1, vertex on the target)\n"
                f"built by muonbsm.detector.mu3e.maps.write_default_maps(seed={seed}, n_per_bin={n_per_bin}) from config {config.name} "
                f"(sha256 {digest}) on {datetime.now(timezone.utc).date().isoformat()}\n"
                "not a digitisation of the Mu3e TDR maps (Figs. 19.1, 19.4): replace with user maps when available\n"
                "units: p in GeV, lambda = pi/2 - theta in rad")
        path = Path(directory) / (config.maps.short.name if kind == "short" else config.maps.long_upgrade.name)
        write_map(EfficiencyMap(emap.p_edges, emap.lambda_edges, emap.values, prov), path)
        paths.append(path)
    return paths
