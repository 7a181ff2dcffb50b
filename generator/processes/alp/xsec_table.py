"""Tables of sigma(mu N -> tau N a)(E, m_a): CSV writer with an on-disk cache, and a reader that
interpolates log-log for folding with beam spectra.

CSV format: ``#`` header lines (process, target with Z, A and nuclear mass, units, coupling
normalisation, t cut-off, precision, seed, package version), then the columns
``energy_gev,m_a_gev,sigma_pb,sigma_err_pb``. sigma scales as ``(C/Lambda)^2`` at fixed theta.

The cache is a JSON file per configuration (target, C/Lambda, theta, t_max, precision, seed) in
``cache_dir`` (default ``$MUONBSM_CACHE`` or ``~/.cache/muonbsm``); computed points are reused.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike, NDArray

from muonbsm.constants import M_MU, M_TAU
from muonbsm.hashing import digest
from muonbsm.generator.processes.alp.cross_section import alp_cross_section
from muonbsm.generator.progress import Progress
from muonbsm.generator.processes.alp.kinematics import threshold_energy
from muonbsm.targets import Target, get_target

__all__ = ["compute_grid", "write_xsec_table", "read_xsec_table", "XsecTable", "default_cache_dir"]

_COLUMNS = "energy_gev,m_a_gev,sigma_pb,sigma_err_pb"


def default_cache_dir() -> Path:
    """``$MUONBSM_CACHE`` or ``~/.cache/muonbsm``."""
    return Path(os.environ.get("MUONBSM_CACHE", Path.home() / ".cache" / "muonbsm"))


def _version() -> str:
    try:
        from importlib.metadata import version
        return version("muonbsm")
    except Exception:  # noqa: BLE001 - package metadata missing in a source checkout
        return "unknown"


def _config(tgt: Target, c_over_lambda: float, theta: float, t_max: float, rel_precision: float,
            seed: int) -> dict:
    return {"target": tgt.name, "Z": tgt.Z, "A": tgt.A, "M_gev": round(tgt.nucleus_mass, 9),
            "c_over_lambda_tev_inv": c_over_lambda, "theta": theta, "t_max_gev2": t_max,
            "rel_precision": rel_precision, "seed": seed}


def compute_grid(target: str | Target, energies: ArrayLike, masses: ArrayLike, *,
                 c_over_lambda: float = 1.0, theta: float = 0.0, t_max: float = 1.0,
                 rel_precision: float = 0.005, seed: int = 0, cache_dir: str | Path | None = None,
                 use_cache: bool = True, neval: int = 6000) -> tuple[NDArray, NDArray]:
    """sigma and its error [pb] on the grid ``energies`` [GeV] x ``masses`` [GeV] (shape (nE, nm)).

    Points below threshold are 0. Masses are run in increasing order at each energy and each
    integration starts from the vegas map adapted at the previous mass (fewer warm-up iterations).
    """
    tgt = get_target(target)
    energies = np.asarray(energies, dtype=float)
    masses = np.asarray(masses, dtype=float)
    if np.any(masses <= 0) or np.any(energies <= 0):
        raise ValueError("energies and masses must be > 0 GeV")
    cfg = _config(tgt, c_over_lambda, theta, t_max, rel_precision, seed)
    cache_file = None
    cache: dict[str, list[float]] = {}
    if use_cache:
        key = digest(cfg)[:16]
        cache_file = Path(cache_dir or default_cache_dir()) / f"alp_xsec_{tgt.name}_{key}.json"
        if cache_file.exists():
            cache = json.loads(cache_file.read_text())["points"]
    sig = np.zeros((len(energies), len(masses)))
    err = np.zeros_like(sig)
    order = np.argsort(masses)
    with Progress(len(energies) * len(masses), "cross-section grid", unit="pt") as bar:
        for i, e in enumerate(energies):
            _grid_row(tgt, float(e), masses, order, i, sig, err, cache, c_over_lambda, theta, t_max,
                             rel_precision, seed, neval, bar)
    if cache_file is not None:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache_file.with_suffix(".tmp")
        tmp.write_text(json.dumps({"config": cfg, "points": cache}))
        tmp.replace(cache_file)
    return sig, err


def _grid_row(tgt: Target, e: float, masses: NDArray, order: NDArray, i: int, sig: NDArray, err: NDArray,
              cache: dict, c_over_lambda: float, theta: float, t_max: float, rel_precision: float, seed: int,
              neval: int, bar: Progress) -> None:
    """Fill row ``i`` (beam energy ``e`` [GeV]) of the grid, masses in increasing order, each
    integration warm-started from the vegas map of the previous mass."""
    warm = None
    for j in order:
        bar.update(1)
        m = float(masses[j])
        pkey = f"{e:.10g},{m:.10g}"
        if pkey in cache:
            sig[i, j], err[i, j] = cache[pkey]
            continue
        if e <= threshold_energy(M_MU, M_TAU, m, tgt.nucleus_mass):
            cache[pkey] = [0.0, 0.0]
            continue
        res = alp_cross_section(tgt, e, m, c_over_lambda, theta, t_max=t_max, rel_precision=rel_precision,
                                seed=seed, neval=neval, warm_start=warm)
        if res.integrator is not None:
            warm = res.integrator
        sig[i, j], err[i, j] = res.sigma_pb, res.sigma_err_pb
        cache[pkey] = [res.sigma_pb, res.sigma_err_pb]


def write_xsec_table(target: str | Target, energies: ArrayLike, masses: ArrayLike,
                     path: str | Path, *, c_over_lambda: float = 1.0, theta: float = 0.0,
                     t_max: float = 1.0, rel_precision: float = 0.005, seed: int = 0,
                     cache_dir: str | Path | None = None, use_cache: bool = True) -> Path:
    """Compute (or take from the cache) the grid and write it as CSV to ``path``; returns the path.

    Energies and masses in GeV; sigma in pb at the given C/Lambda [TeV^-1] and theta [rad].
    The file appears only when complete (written to a temporary name, then renamed).
    """
    tgt = get_target(target)
    energies = np.asarray(energies, dtype=float)
    masses = np.asarray(masses, dtype=float)
    sig, err = compute_grid(tgt, energies, masses, c_over_lambda=c_over_lambda, theta=theta,
                            t_max=t_max, rel_precision=rel_precision, seed=seed,
                            cache_dir=cache_dir, use_cache=use_cache)
    header = [
        "muonbsm cross-section table: mu N -> tau N a (exact 2->3, vegas), Batell et al. 2024 (arXiv:2407.15942) model Eq. 2",
        f"target: {tgt.name} Z={tgt.Z} A={tgt.A:g} M_nucleus={tgt.nucleus_mass:.4f} GeV "
        "(form factors Batell et al., Eqs. 16-20)",
        "units: energy_gev [GeV], m_a_gev [GeV], sigma_pb [pb], sigma_err_pb [pb] (MC error)",
        f"coupling: C/Lambda = {c_over_lambda:g} TeV^-1, theta = {theta:g} rad; sigma scales "
        "as (C/Lambda)^2 at fixed theta",
        f"t_max = {t_max:g} GeV^2; rel_precision = {rel_precision:g}; seed = {seed}; "
        f"muonbsm {_version()}",
    ]
    ee, mm = np.meshgrid(energies, masses, indexing="ij")
    data = np.column_stack([ee.ravel(), mm.ravel(), sig.ravel(), err.ravel()])
    path = Path(path)
    tmp = path.with_name(path.name + ".part")
    with open(tmp, "w") as fh:
        for line in header:
            fh.write(f"# {line}\n")
        fh.write(_COLUMNS + "\n")
        np.savetxt(fh, data, delimiter=",", fmt="%.10g")
    tmp.replace(path)
    return path


@dataclass
class XsecTable:
    """sigma(E, m_a) [pb] on a grid, with log-log interpolation.

    ``__call__(energy, m_a)`` interpolates log sigma bilinearly in (log E, log m_a) when the four
    surrounding grid values are positive, and sigma itself linearly otherwise (near threshold).
    Energies below the grid give ``fill_below`` (default 0); outside the grid otherwise ValueError.
    """

    energies: NDArray
    masses: NDArray
    sigma_pb: NDArray
    sigma_err_pb: NDArray
    header: list[str]
    fill_below: float = 0.0

    def __call__(self, energy: ArrayLike, m_a: float) -> NDArray:
        e = np.atleast_1d(np.asarray(energy, dtype=float))
        if not self.masses[0] <= m_a <= self.masses[-1]:
            raise ValueError(f"m_a must be in [{self.masses[0]}, {self.masses[-1]}] GeV, got {m_a}")
        if np.any(e > self.energies[-1]):
            raise ValueError(f"energy must be <= {self.energies[-1]} GeV (table range)")
        out = np.full(e.shape, float(self.fill_below))
        inside = e >= self.energies[0]
        le, lm = np.log(self.energies), np.log(self.masses)
        j = int(np.clip(np.searchsorted(lm, np.log(m_a)) - 1, 0, len(lm) - 2))
        fm = (np.log(m_a) - lm[j]) / (lm[j + 1] - lm[j])
        ei = e[inside]
        i = np.clip(np.searchsorted(le, np.log(ei)) - 1, 0, len(le) - 2)
        fe = (np.log(ei) - le[i]) / (le[i + 1] - le[i])
        c = [self.sigma_pb[i, j], self.sigma_pb[i + 1, j], self.sigma_pb[i, j + 1],
             self.sigma_pb[i + 1, j + 1]]
        w = [(1 - fe) * (1 - fm), fe * (1 - fm), (1 - fe) * fm, fe * fm]
        pos = np.all(np.stack(c) > 0, axis=0)
        with np.errstate(divide="ignore"):
            logv = sum(wk * np.log(np.where(pos, ck, 1.0)) for wk, ck in zip(w, c))
        lin = sum(wk * ck for wk, ck in zip(w, c))
        out[inside] = np.where(pos, np.exp(logv), lin)
        return out


def read_xsec_table(path: str | Path, fill_below: float = 0.0) -> XsecTable:
    """Read a table written by :func:`write_xsec_table`; returns an :class:`XsecTable` interpolator."""
    path = Path(path)
    header = [ln[1:].strip() for ln in path.read_text().splitlines() if ln.startswith("#")]
    data = np.loadtxt(path, delimiter=",", comments="#", skiprows=len(header) + 1, ndmin=2)
    energies = np.unique(data[:, 0])
    masses = np.unique(data[:, 1])
    if len(energies) < 2 or len(masses) < 2 or len(data) != len(energies) * len(masses):
        raise ValueError(f"{path}: need a full grid with >= 2 energies and >= 2 masses")
    ie = np.searchsorted(energies, data[:, 0])
    im = np.searchsorted(masses, data[:, 1])
    sig = np.zeros((len(energies), len(masses)))
    err = np.zeros_like(sig)
    sig[ie, im] = data[:, 2]
    err[ie, im] = data[:, 3]
    return XsecTable(energies, masses, sig, err, header, fill_below)
