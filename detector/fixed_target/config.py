"""Fixed-target experiment configurations: beam, target, track resolution and selection.

An :class:`Experiment` is one (experiment, variant) pair of Batell et al.'s Figs. 6-7, e.g.
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
import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal, get_args

import numpy as np
from numpy.typing import NDArray

from muonbsm.cards import read_toml
from muonbsm.errors import CardError
from muonbsm.schema import REQUIRED, Bool, Choice, Float, Int, IntChoice, List, Quantity, Str, Table, TableList, validate

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["Beam", "Selection", "Experiment", "DEFAULT_FILE", "EXPERIMENTS", "load_experiments", "parse_experiment",
           "get_experiment", "read_spectrum", "TAU_DECAYS", "FLIGHT_TAUS", "CHANNELS", "ENERGY_LOSS"]

#: Package data file with the default experiments.
DEFAULT_FILE = "fixed_target.toml"
TauDecay = Literal["any", "muonic", "3prong"]
FlightTaus = Literal["all", "production", "alp"]
Channel = Literal["invisible", "visible"]
EnergyLoss = Literal["none", "continuous"]
TAU_DECAYS: tuple[str, ...] = get_args(TauDecay)
FLIGHT_TAUS: tuple[str, ...] = get_args(FlightTaus)
CHANNELS: tuple[str, ...] = get_args(Channel)
ENERGY_LOSS: tuple[str, ...] = get_args(EnergyLoss)


@dataclass(frozen=True)
class Beam:
    """Incident muons.

    ``energy_gev``: monochromatic energy [GeV], or ``spectrum_file``: CSV with columns
    ``energy_gev`` [GeV], ``dn_de`` [muons/GeV] and optionally ``frac_mu_minus`` or ``charge``
    (-1/+1: separate mu- and mu+ spectra in one file; see :func:`read_spectrum`).
    ``charge``: -1 (mu-), +1 (mu+) or 0 (mixed/unknown: the mu- fraction of each spectrum node,
    default 1/2). ``n_muons``: muons on target (total); with a spectrum file it may be omitted
    (None): then it is the integral of dN/dE over the file (:meth:`total_muons`).
    ``spectrum_nodes``: quadrature nodes (log-spaced bins) for folding with a spectrum.
    ``stand_in``: a monochromatic stand-in for an unknown spectrum (label it in results).
    """

    n_muons: float | None
    charge: int
    energy_gev: float | None = None
    spectrum_file: str | None = None
    spectrum_nodes: int = 6
    stand_in: bool = False

    def energy_nodes(self) -> tuple[NDArray, NDArray, NDArray]:
        """Quadrature of the spectrum: ``(E_i [GeV], w_i, f_minus_i)``, ``sum(w) = 1``.

        A monochromatic beam gives one node. For a spectrum, ``spectrum_nodes`` log-spaced bins
        span the file; node i sits at the mean energy of bin i, ``int E dN / int dN`` (so the
        folding is exact for a cross section linear in E within a bin), ``w_i`` is the muon
        fraction in bin i and ``f_minus_i`` its mu- fraction (integrals of the piecewise-linear
        dN/dE on a fine grid).
        """
        f_default = {-1: 1.0, 1: 0.0, 0: 0.5}[self.charge]
        if self.spectrum_file is None:
            assert self.energy_gev is not None  # the schema requires exactly one of the two
            return np.array([self.energy_gev]), np.array([1.0]), np.array([f_default])
        e, dnde, fmin = read_spectrum(self.spectrum_file)
        if self.charge != 0:
            fmin = np.full_like(e, f_default)
        edges = np.geomspace(e[0], e[-1], self.spectrum_nodes + 1)
        w, f, mean = (np.empty(self.spectrum_nodes) for _ in range(3))
        for i in range(self.spectrum_nodes):
            fine = np.unique(np.concatenate([e[(e >= edges[i]) & (e <= edges[i + 1])],
                                             np.geomspace(edges[i], edges[i + 1], 257)]))
            dn = np.interp(fine, e, dnde)
            w[i] = np.trapezoid(dn, fine)
            f[i] = np.trapezoid(dn * np.interp(fine, e, fmin), fine) / w[i] if w[i] > 0 else f_default
            mean[i] = np.trapezoid(dn * fine, fine) / w[i] if w[i] > 0 else np.sqrt(edges[i] * edges[i + 1])
        return mean, w / w.sum(), f

    def total_muons(self) -> float:
        """Muons on target: ``n_muons``, or the integral of the spectrum file's dN/dE."""
        if self.n_muons is not None:
            return float(self.n_muons)
        if self.spectrum_file is None:
            raise CardError("beam: n_muons is required without a spectrum_file")
        e, dnde, _ = read_spectrum(self.spectrum_file)
        return float(np.trapezoid(dnde, e))


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
    channels: tuple[Channel, ...] = ("invisible",)
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
    """Read a muon spectrum CSV (header, '#' comments): ``energy_gev`` [GeV], ``dn_de``
    [muons/GeV], and optionally ``frac_mu_minus`` (mu- fraction per row) or ``charge`` (-1 or +1:
    the rows of each charge form their own spectrum, piecewise linear and zero outside its
    energy range; they are summed on the union of the energies).

    Returns sorted ``(E [GeV], dN/dE (both charges), f_minus)``; raises ValueError for a
    malformed file.
    """
    with open(path, newline="") as fh:
        rows = [r for r in csv.reader(line for line in fh if line.strip() and not line.startswith("#"))]
    if len(rows) < 3 or "energy_gev" not in rows[0] or "dn_de" not in rows[0]:
        raise ValueError(f"spectrum_file {path}: need a header with energy_gev, dn_de and >= 2 rows")
    head = [h.strip() for h in rows[0]]
    data = np.array([[float(v) for v in r] for r in rows[1:]])
    e, dn = data[:, head.index("energy_gev")], data[:, head.index("dn_de")]
    if np.any(e <= 0) or np.any(dn < 0):
        raise ValueError(f"spectrum_file {path}: need energy_gev > 0 and dn_de >= 0")
    if "charge" in head:
        if "frac_mu_minus" in head:
            raise ValueError(f"spectrum_file {path}: give either a charge or a frac_mu_minus column, not both")
        q = data[:, head.index("charge")]
        if not np.all(np.isin(q, (-1.0, 1.0))):
            raise ValueError(f"spectrum_file {path}: charge must be -1 or +1 in every row")
        grid = np.unique(e)
        parts = {}
        for c in (-1.0, 1.0):
            m = q == c
            if np.count_nonzero(m) == 1:
                raise ValueError(f"spectrum_file {path}: the charge {c:+.0f} spectrum needs >= 2 rows")
            o = np.argsort(e[m])
            parts[c] = np.interp(grid, e[m][o], dn[m][o], left=0.0, right=0.0) if np.any(m) else np.zeros_like(grid)
        total = parts[-1.0] + parts[1.0]
        fm = np.divide(parts[-1.0], total, out=np.full_like(grid, 0.5), where=total > 0)
        return grid, total, fm
    fm = data[:, head.index("frac_mu_minus")] if "frac_mu_minus" in head else np.full_like(e, 0.5)
    if np.any((fm < 0) | (fm > 1)):
        raise ValueError(f"spectrum_file {path}: need 0 <= frac_mu_minus <= 1")
    order = np.argsort(e)
    return e[order], dn[order], fm[order]


def _beam_rules(d: dict[str, Any], loc: str) -> None:
    if (d["energy_gev"] is None) == (d["spectrum_file"] is None):
        raise CardError(f"{loc} energy_gev, spectrum_file: give exactly one of them")
    if d["n_muons"] is None and d["spectrum_file"] is None:
        raise CardError(f"{loc} n_muons: required with energy_gev (> 0)")


def _experiment_rules(d: dict[str, Any], loc: str) -> None:
    if d["energy_loss"] == "continuous" and not (d["dedx_a"] > 0 and d["dedx_b"] > 0):
        raise CardError(f"{loc} dedx_a, dedx_b: energy_loss = 'continuous' needs both > 0, got {d['dedx_a']}, {d['dedx_b']}")


def _unique(d: dict[str, Any], loc: str) -> None:
    keys = [f"{e['name']}/{e['variant']}" for e in d["experiment"]]
    if len(set(keys)) != len(keys):
        raise CardError(f"{loc} [[experiment]]: name/variant must be unique, got {keys}")


def _target_names() -> list[str]:
    from muonbsm.targets import TARGETS

    return list(TARGETS)


#: The schema of a fixed-target experiments file (``[[experiment]]`` tables).
EXPERIMENTS = Table({"experiment": TableList(table=Table({
    "name": Str(default=REQUIRED, help="experiment"),
    "variant": Str(default=REQUIRED, help="variant (run, luminosity, selection)"),
    "description": Str(empty=True, default="", help="one line for tables and legends"),
    "source": Str(empty=True, default="", help="where the numbers come from"),
    "target": Choice(options=_target_names, default=REQUIRED, help="target material (muonbsm.targets.TARGETS)"),
    "thickness_cm": Quantity("length", lo=0.0, lo_open=True, default_unit="cm", default=REQUIRED, help="target thickness"),
    "channels": List(Choice(options=CHANNELS), default=["invisible"], help="ALP channels searched"),
    "energy_loss": Choice(options=ENERGY_LOSS, default="none", help="muon energy loss in the target"),
    "dedx_a": Float(0.0, units="GeV cm^2/g", default=0.0, help="-dE/dx = rho (a + b E): a"),
    "dedx_b": Float(0.0, units="cm^2/g", default=0.0, help="-dE/dx = rho (a + b E): b"),
    "beam": Table({
        "n_muons": Float(0.0, lo_open=True, default=None,
                         help="muons on target (with a spectrum file, default: its integral of dN/dE)"),
        "charge": IntChoice(values=(-1, 0, 1), meaning="mu-, unknown, mu+", default=REQUIRED, help="beam charge"),
        "energy_gev": Quantity("energy", lo=0.0, lo_open=True, default_unit="GeV", default=None, help="monochromatic energy"),
        "spectrum_file": Str(default=None, help="CSV energy_gev, dn_de[, frac_mu_minus | charge] (relative to the file)"),
        "spectrum_nodes": Int(1, 50, default=6, help="quadrature nodes of the spectrum"),
        "stand_in": Bool(default=False, help="the beam is a stand-in for an unknown spectrum"),
    }, "Incident muons: energy_gev or spectrum_file.", checks=[_beam_rules]),
    "selection": Table({
        "tau_decay": Choice(options=TAU_DECAYS, default="any", help="required decay of every tau"),
        "delta_mm": Quantity("length", lo=0.0, default_unit="mm", default=0.0, help="track resolution: minimum tau flight"),
        "max_muon_energy_gev": Quantity("energy", lo=0.0, lo_open=True, default_unit="GeV", default=None,
                                        help="outgoing muon energy cut"),
        "no_extra_tracks": Bool(default=False, help="only the signal muons are charged"),
        "tau_decays_in_target": Bool(default=False, help="tau decay vertex inside the target"),
        "charge_flip": Bool(default=True, help="visible: ALP muon charge opposite to the beam's"),
        "flight_taus": Choice(options=FLIGHT_TAUS, default="all", help="taus the flight cuts apply to"),
    }, "Detector-level selection."),
}, "One experiment variant.", checks=[_experiment_rules]), min_len=1)}, checks=[_unique])


def _experiment(d: dict[str, Any], base: Path | None, loc: str) -> Experiment:
    b = d["beam"]
    spec = b["spectrum_file"]
    if spec is not None:
        p = Path(spec)
        if not p.is_absolute() and base is not None:
            p = base / p
        if not p.is_file():
            raise CardError(f"{loc} [experiment {d['name']}/{d['variant']}.beam] spectrum_file: {str(p)!r} does not exist")
        spec = str(p)
    beam = Beam(b["n_muons"], b["charge"], b["energy_gev"], spec, b["spectrum_nodes"], b["stand_in"])
    return Experiment(d["name"], d["variant"], beam, d["target"], d["thickness_cm"] / 10.0, Selection(**d["selection"]),
                      tuple(d["channels"]), d["energy_loss"], d["dedx_a"], d["dedx_b"], d["description"], d["source"])


def parse_experiment(d: dict[str, Any], base: Path | None = None) -> Experiment:
    """Validate one ``[[experiment]]`` table (schema :data:`EXPERIMENTS`) and build an :class:`Experiment`."""
    loc = "experiment"
    return _experiment(validate(EXPERIMENTS, {"experiment": [d]}, loc)["experiment"][0], base, f"{loc}:")


def load_experiments(path: str | Path | None = None) -> list[Experiment]:
    """Experiments of a TOML file (``[[experiment]]`` tables); default: the package data file."""
    if path is None:
        data = tomllib.loads((resources.files("muonbsm.detector") / "data" / DEFAULT_FILE).read_text())
        name, base = DEFAULT_FILE, None
    else:
        data = read_toml(path, "experiments file")
        name, base = str(path), Path(path).resolve().parent
    spec = validate(EXPERIMENTS, data, name)
    return [_experiment(d, base, f"{name}:") for d in spec["experiment"]]


def get_experiment(experiments: list[Experiment], key: str) -> Experiment:
    """The experiment ``name/variant`` from a list; ValueError listing the known keys."""
    for e in experiments:
        if e.key == key:
            return e
    raise ValueError(f"unknown experiment {key!r}; known: {[e.key for e in experiments]}")
