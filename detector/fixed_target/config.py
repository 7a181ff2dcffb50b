"""Fixed-target experiment configurations: beam, target, track resolution and selection.

An :class:`Experiment` is one (experiment, variant) pair of the seed's Figs. 6-7, e.g.
``NA64mu/projected`` or ``ThinPb1.5TeV/delta_2mm``. The defaults live in
``detector/data/fixed_target.toml`` (every number with its source); a user file with the same
schema replaces them. Unknown keys, wrong types and out-of-range values raise ``ValueError``
naming the experiment and the key.

Units: GeV, cm (target thickness), mm (track resolution delta), g/cm^2 (dE/dx coefficients).

>>> exps = load_experiments()
>>> e = get_experiment(exps, "NA64mu/projected")
>>> e.target, e.thickness_cm, e.beam.n_muons
('Pb', 22.4, 10000000000000.0)
"""

from __future__ import annotations

import csv
import math
import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from muonbsm.targets import get_target

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["Beam", "Selection", "Experiment", "DEFAULT_FILE", "load_experiments", "parse_experiment",
           "get_experiment", "read_spectrum", "TAU_DECAYS", "FLIGHT_TAUS", "CHANNELS", "ENERGY_LOSS"]

#: Package data file with the default experiments.
DEFAULT_FILE = "fixed_target.toml"
TAU_DECAYS = ("any", "muonic", "3prong")
FLIGHT_TAUS = ("all", "production", "alp")
CHANNELS = ("invisible", "visible")
ENERGY_LOSS = ("none", "continuous")


@dataclass(frozen=True)
class Beam:
    """Incident muons.

    ``energy_gev``: monochromatic energy [GeV], or ``spectrum_file``: CSV with columns
    ``energy_gev, dn_de`` (any normalisation; shape only) and optionally ``frac_mu_minus``.
    ``charge``: -1 (mu-), +1 (mu+) or 0 (unknown: each event's charge is drawn from the
    spectrum's ``frac_mu_minus``, default 1/2). ``n_muons``: muons on target (total).
    ``spectrum_nodes``: quadrature nodes (log-spaced bins) for folding with a spectrum.
    ``stand_in``: a monochromatic stand-in for an unknown spectrum (label it in results).
    """

    n_muons: float
    charge: int
    energy_gev: float | None = None
    spectrum_file: str | None = None
    spectrum_nodes: int = 6
    stand_in: bool = False

    def energy_nodes(self) -> tuple[NDArray, NDArray, NDArray]:
        """Quadrature of the spectrum: ``(E_i [GeV], w_i, f_minus_i)``, ``sum(w) = 1``.

        A monochromatic beam gives one node. For a spectrum, nodes are the log-centres of
        ``spectrum_nodes`` log-spaced bins spanning the file, ``w_i`` the muon fraction in bin i
        (trapezoidal integral of dN/dE), ``f_minus_i`` the mu- fraction (1/2 if absent).
        """
        f_default = {-1: 1.0, 1: 0.0, 0: 0.5}[self.charge]
        if self.spectrum_file is None:
            return np.array([float(self.energy_gev)]), np.array([1.0]), np.array([f_default])
        e, dnde, fmin = read_spectrum(self.spectrum_file)
        if self.charge != 0:
            fmin = np.full_like(e, f_default)
        edges = np.geomspace(e[0], e[-1], self.spectrum_nodes + 1)
        fine = np.unique(np.concatenate([e, edges]))
        dn = np.interp(fine, e, dnde)
        fm = np.interp(fine, e, fmin)
        w, f = np.empty(self.spectrum_nodes), np.empty(self.spectrum_nodes)
        for i in range(self.spectrum_nodes):
            m = (fine >= edges[i]) & (fine <= edges[i + 1])
            w[i] = np.trapezoid(dn[m], fine[m])
            f[i] = np.trapezoid(dn[m] * fm[m], fine[m]) / w[i] if w[i] > 0 else f_default
        return np.sqrt(edges[1:] * edges[:-1]), w / w.sum(), f


@dataclass(frozen=True)
class Selection:
    """Detector-level selection (see :mod:`muonbsm.detector.fixed_target.selection`).

    ``tau_decay``: required decay of every tau: ``any``, ``muonic`` (tau -> mu nu nu) or
    ``3prong`` (three charged prongs). ``delta_mm``: track resolution; every tau must fly more
    than delta before decaying (0: no cut). ``max_muon_energy_gev``: outgoing muon energy cut
    (None: none). ``no_extra_tracks``: the only charged final-state particles (nuclei excluded)
    are the signal muons. ``tau_decays_in_target``: the tau decay vertex lies inside the target
    (kink seen in the instrumented volume). ``charge_flip``: visible channel, the muon from the
    ALP has the charge opposite to the beam muon's. ``flight_taus``: which taus the delta and
    containment cuts apply to: ``all`` (default), ``production`` or ``alp`` (the ALP's tau;
    an event without one passes).
    """

    tau_decay: str = "any"
    delta_mm: float = 0.0
    max_muon_energy_gev: float | None = None
    no_extra_tracks: bool = False
    tau_decays_in_target: bool = False
    charge_flip: bool = True
    flight_taus: str = "all"


@dataclass(frozen=True)
class Experiment:
    """One experiment variant: beam, target material and thickness [cm], selection, channels.

    ``energy_loss``: ``none`` (sigma at the incident energy through the whole target) or
    ``continuous`` (-dE/dx = rho (a + b E), coefficients ``dedx_a`` [GeV cm^2/g] and
    ``dedx_b`` [cm^2/g]; the yield is averaged over the depth).
    """

    name: str
    variant: str
    beam: Beam
    target: str
    thickness_cm: float
    selection: Selection
    channels: tuple[str, ...] = ("invisible",)
    energy_loss: str = "none"
    dedx_a: float = 0.0
    dedx_b: float = 0.0
    description: str = ""
    source: str = ""

    @property
    def key(self) -> str:
        """``name/variant``."""
        return f"{self.name}/{self.variant}"

    @property
    def thickness_mm(self) -> float:
        """Target thickness [mm]."""
        return 10.0 * self.thickness_cm


def read_spectrum(path: str | Path) -> tuple[NDArray, NDArray, NDArray]:
    """Read a muon spectrum CSV (``energy_gev, dn_de[, frac_mu_minus]``, header, '#' comments).

    Returns sorted ``(E [GeV], dN/dE, f_minus)``; raises ValueError for a malformed file.
    """
    with open(path, newline="") as fh:
        rows = [r for r in csv.reader(line for line in fh if line.strip() and not line.startswith("#"))]
    if len(rows) < 3 or "energy_gev" not in rows[0] or "dn_de" not in rows[0]:
        raise ValueError(f"spectrum_file {path}: need a header with energy_gev, dn_de and >= 2 rows")
    head = [h.strip() for h in rows[0]]
    data = np.array([[float(v) for v in r] for r in rows[1:]])
    e, dn = data[:, head.index("energy_gev")], data[:, head.index("dn_de")]
    fm = data[:, head.index("frac_mu_minus")] if "frac_mu_minus" in head else np.full_like(e, 0.5)
    if np.any(e <= 0) or np.any(dn < 0) or np.any((fm < 0) | (fm > 1)):
        raise ValueError(f"spectrum_file {path}: need energy_gev > 0, dn_de >= 0, 0 <= frac_mu_minus <= 1")
    order = np.argsort(e)
    return e[order], dn[order], fm[order]


_BEAM_KEYS = {"n_muons", "charge", "energy_gev", "spectrum_file", "spectrum_nodes", "stand_in"}
_SEL_KEYS = {"tau_decay", "delta_mm", "max_muon_energy_gev", "no_extra_tracks", "tau_decays_in_target",
             "charge_flip", "flight_taus"}
_EXP_KEYS = {"name", "variant", "beam", "target", "thickness_cm", "selection", "channels", "energy_loss",
             "dedx_a", "dedx_b", "description", "source"}


def _check_keys(where: str, got: dict, allowed: set[str]) -> None:
    bad = set(got) - allowed
    if bad:
        raise ValueError(f"{where}: unknown key(s) {sorted(bad)}; allowed: {sorted(allowed)}")


def _positive(where: str, key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"{where}: {key} must be a finite number > 0, got {value!r}")
    return float(value)


def _parse_beam(where: str, d: dict, base: Path | None) -> Beam:
    _check_keys(f"{where}.beam", d, _BEAM_KEYS)
    n = _positive(f"{where}.beam", "n_muons", d.get("n_muons"))
    charge = d.get("charge")
    if charge not in (-1, 0, 1) or isinstance(charge, bool):
        raise ValueError(f"{where}.beam: charge must be -1, +1 or 0 (unknown), got {charge!r}")
    energy, spec = d.get("energy_gev"), d.get("spectrum_file")
    if (energy is None) == (spec is None):
        raise ValueError(f"{where}.beam: give exactly one of energy_gev or spectrum_file")
    if energy is not None:
        energy = _positive(f"{where}.beam", "energy_gev", energy)
    if spec is not None:
        p = Path(spec)
        if not p.is_absolute() and base is not None:
            p = base / p
        if not p.is_file():
            raise ValueError(f"{where}.beam: spectrum_file {str(p)!r} does not exist")
        spec = str(p)
    nodes = d.get("spectrum_nodes", 6)
    if not isinstance(nodes, int) or not 1 <= nodes <= 50:
        raise ValueError(f"{where}.beam: spectrum_nodes must be an integer in [1, 50], got {nodes!r}")
    return Beam(n, int(charge), energy, spec, nodes, bool(d.get("stand_in", False)))


def _parse_selection(where: str, d: dict) -> Selection:
    _check_keys(f"{where}.selection", d, _SEL_KEYS)
    tau = d.get("tau_decay", "any")
    if tau not in TAU_DECAYS:
        raise ValueError(f"{where}.selection: tau_decay must be one of {TAU_DECAYS}, got {tau!r}")
    delta = d.get("delta_mm", 0.0)
    if isinstance(delta, bool) or not isinstance(delta, (int, float)) or delta < 0:
        raise ValueError(f"{where}.selection: delta_mm must be >= 0, got {delta!r}")
    emax = d.get("max_muon_energy_gev")
    if emax is not None:
        emax = _positive(f"{where}.selection", "max_muon_energy_gev", emax)
    flags = {}
    for k in ("no_extra_tracks", "tau_decays_in_target", "charge_flip"):
        v = d.get(k, k == "charge_flip")
        if not isinstance(v, bool):
            raise ValueError(f"{where}.selection: {k} must be true or false, got {v!r}")
        flags[k] = v
    flight = d.get("flight_taus", "all")
    if flight not in FLIGHT_TAUS:
        raise ValueError(f"{where}.selection: flight_taus must be one of {FLIGHT_TAUS}, got {flight!r}")
    return Selection(tau, float(delta), emax, flight_taus=flight, **flags)


def parse_experiment(d: dict[str, Any], base: Path | None = None) -> Experiment:
    """Validate one ``[[experiment]]`` table and build an :class:`Experiment`."""
    where = f"experiment {d.get('name', '?')}/{d.get('variant', '?')}"
    _check_keys(where, d, _EXP_KEYS)
    for k in ("name", "variant", "target"):
        if not isinstance(d.get(k), str) or not d[k]:
            raise ValueError(f"{where}: {k} must be a non-empty string")
    get_target(d["target"])
    channels = tuple(d.get("channels", ["invisible"]))
    if not channels or any(c not in CHANNELS for c in channels):
        raise ValueError(f"{where}: channels must be a non-empty subset of {CHANNELS}, got {channels}")
    loss = d.get("energy_loss", "none")
    if loss not in ENERGY_LOSS:
        raise ValueError(f"{where}: energy_loss must be one of {ENERGY_LOSS}, got {loss!r}")
    a, b = d.get("dedx_a", 0.0), d.get("dedx_b", 0.0)
    if loss == "continuous":
        a, b = _positive(where, "dedx_a", a), _positive(where, "dedx_b", b)
    return Experiment(d["name"], d["variant"], _parse_beam(where, d.get("beam", {}), base), d["target"],
                      _positive(where, "thickness_cm", d.get("thickness_cm")),
                      _parse_selection(where, d.get("selection", {})), channels, loss, float(a), float(b),
                      str(d.get("description", "")), str(d.get("source", "")))


def load_experiments(path: str | Path | None = None) -> list[Experiment]:
    """Experiments of a TOML file (``[[experiment]]`` tables); default: the package data file."""
    if path is None:
        text = resources.files("muonbsm.detector").joinpath("data", DEFAULT_FILE).read_text()
        base = None
    else:
        text, base = Path(path).read_text(), Path(path).resolve().parent
    data = tomllib.loads(text)
    _check_keys(str(path or DEFAULT_FILE), data, {"experiment"})
    exps = [parse_experiment(d, base) for d in data.get("experiment", [])]
    keys = [e.key for e in exps]
    if not exps or len(set(keys)) != len(keys):
        raise ValueError(f"{path or DEFAULT_FILE}: need >= 1 experiment with unique name/variant, got {keys}")
    return exps


def get_experiment(experiments: list[Experiment], key: str) -> Experiment:
    """The experiment ``name/variant`` from a list; ValueError listing the known keys."""
    for e in experiments:
        if e.key == key:
            return e
    raise ValueError(f"unknown experiment {key!r}; known: {[e.key for e in experiments]}")
