"""Cards: the schemas of every input file kind, and the loaders of generation and pipeline cards.

One declarative schema per input kind (see :mod:`muonbsm.schema`), all read by one validator:

==========================  ========================================  =============================
schema                      file                                      loaded by
==========================  ========================================  =============================
:data:`GENERATION`          run card (``samples/mu3e_ic.toml``)       :func:`load_card`
:data:`PIPELINE`            pipeline card (``samples/quickstart``)    :func:`muonbsm.pipeline.load_pipeline`
:data:`ALP_REACH`           fixed-target reach card                   ``analysis.fixed_target.reach.load_reach_card``
:data:`MU3E_REACH`          Mu3e reach card                           ``analysis.mu3e.reach.load_card``
``MU3E_DETECTOR``           Mu3e detector configuration               ``detector.mu3e.config.load_config``
``EXPERIMENTS``             fixed-target experiments                  ``detector.fixed_target.config.load_experiments``
==========================  ========================================  =============================

Names (processes, X models, output formats) come from the tables of
:mod:`muonbsm.generator.processes.registry`. Physics-range checks that need several keys
(a mass window, the ALP threshold, a ``t_max`` that leaves no phase space) raise
:class:`~muonbsm.errors.PhysicsRangeError` naming the keys.

>>> card = parse_card({"run": {"seed": 7, "events": 1000, "output": "x.root"},
...                    "process": {"name": "mu3e-ic"}})
>>> card["run"]["seed"], card["process"]["polarization"]
(7, [0.0, 0.0, -0.86])
"""

from __future__ import annotations

import math
import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from muonbsm.errors import CardError, InputError, PhysicsRangeError
from muonbsm.generator.processes.registry import COUPLINGS, FORMATS, PROCESSES, X_MODELS, output_suffix
from muonbsm.schema import (REQUIRED, Bool, Choice, Float, Int, IntChoice, List, Quantity, Str, Table, TableList,
                            TableMap, validate)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["CardError", "GENERATION", "PIPELINE", "ALP_REACH", "MU3E_REACH", "SCHEMAS", "MAX_EVENTS",
           "X_MASS", "check_x_mass", "check_mee_window", "read_toml", "load_card", "parse_card", "check_output", "check_alp_kinematics",
           "polarization_key", "DATASET_MANIFEST"]

#: Largest number of events a card or flag may ask for.
MAX_EVENTS = 10**12
#: An X mass: produced in mu -> e nu nu X and decaying to e+ e- (range: :func:`check_x_mass`).
X_MASS = Quantity("energy", lo=0.0, lo_open=True, help="X mass; 2 m_e < m_X < m_mu - m_e")
_M_MU_APPROX = 0.1057  # GeV: bound of the lepton cuts only (the physics checks use muonbsm.constants)


def _norm_at_most_one(v: list[float]) -> str | None:
    return None if sum(c * c for c in v) <= 1.0 + 1e-12 else "|P| must be <= 1"


def polarization_key(default: list[float] | None = None) -> List:
    """The muon polarisation vector key (three numbers, |P| <= 1)."""
    return List(Float(-1.0, 1.0), length=3, check=_norm_at_most_one, rule="|P| <= 1",
                default=[0.0, 0.0, -0.86] if default is None else default,
                help="muon polarisation vector (PSI surface muons: 86% against +z)")


def _ordered(v: list[float]) -> str | None:
    return None if v[0] < v[1] else "need lo < hi"


def _output_name(value: Any, loc: str) -> str:
    if not isinstance(value, str) or output_suffix(value) is None:
        raise CardError(f"{loc}: got {value!r}; allowed: a file name ending in {', '.join(FORMATS)}")
    return value


class _Output(Str):
    def convert(self, value: Any, loc: str) -> str:
        return _output_name(value, loc)

    def allowed(self) -> str:
        return f"a file name ending in {', '.join(FORMATS)}"


def _process_sections(card: dict[str, Any], loc: str) -> None:
    name = card["process"]["name"]
    needs = PROCESSES[name].section
    for section in ("model", "alp"):
        if section == needs and card[section] is None:
            raise CardError(f"{loc} process {name!r} needs a [{section}] section")
        if section != needs and card[section] is not None:
            raise CardError(f"{loc} [{section}] is not used by process {name!r}; remove it")
    if name == "alp" and card["cuts"] != _DEFAULT_CUTS:
        raise CardError(f"{loc} [cuts] is not used by process 'alp'; remove it")
    if card["cuts"]["mee_window"] is not None:
        check_mee_window(card["cuts"]["mee_window"], f"{loc.rstrip(':')}: [cuts] mee_window")
    if card["model"] is not None:
        _model_couplings(card["model"], loc.rstrip(":") + ": [model]")
        m = card["model"]
        electron = m["name"] == "dark-photon" or any(m[c] != 0.0 for c in ("g_e", "g_v_e", "g_a_e"))
        if not card["process"]["prompt"] and not electron and m["ctau"] is None:
            raise CardError(f"{loc.rstrip(':')}: [model] ctau: required with [process] prompt = false for a muon-only X "
                            "(its lifetime does not follow from the couplings once BR(X -> ee) = 1 is assumed)")
    if card["alp"] is not None:
        a = card["alp"]
        check_alp_kinematics(a["target"], a["beam_energy"], a["m_a"], a["t_max"],
                             {k: f"{loc.rstrip(':')}: [alp] {k}" for k in ("beam_energy", "m_a", "t_max")})
        if a["g_chi"] > 0 and not 2 * a["m_chi"] < a["m_a"]:
            raise PhysicsRangeError(f"{loc.rstrip(':')}: [alp] m_chi: got {a['m_chi']:g} GeV; a -> chi chibar needs "
                                    f"2 m_chi < m_a = {a['m_a']:g} GeV")


def check_x_mass(mass: float, source: str) -> None:
    """PhysicsRangeError naming ``source`` unless 2 m_e < ``mass`` [GeV] < m_mu - m_e."""
    from muonbsm.constants import M_E, M_MU

    if not 2 * M_E < mass < M_MU - M_E:
        raise PhysicsRangeError(f"{source}: got {mass:g} GeV; allowed: 2 m_e < m_X < m_mu - m_e = "
                                f"({2 * M_E:.6g}, {M_MU - M_E:.6g}) GeV (X from muon decay, decaying to e+e-)")


def check_mee_window(window: list[float] | tuple[float, float], source: str) -> None:
    """PhysicsRangeError naming ``source`` unless the m_ee window [GeV] overlaps (2 m_e, m_mu - m_e)."""
    from muonbsm.constants import M_E, M_MU

    lo, hi = window
    if not (hi > 2 * M_E and lo < M_MU - M_E):
        raise PhysicsRangeError(f"{source}: got [{lo:g}, {hi:g}] GeV; allowed: a window overlapping the m_ee range "
                                f"({2 * M_E:.6g}, {M_MU - M_E:.6g}) GeV of muon decays")


def _model_couplings(model: dict[str, Any], loc: str) -> None:
    check_x_mass(model["mass"], f"{loc} mass")
    entry = X_MODELS[model["name"]]
    for c in COUPLINGS:
        if c not in entry.couplings and model[c] != 0.0:
            raise CardError(f"{loc} {c}: not a coupling of model {model['name']!r} (it uses {', '.join(entry.couplings)})")
    if model["name"] == "dark-photon" and not model["epsilon"] > 0:
        raise CardError(f"{loc} epsilon: model 'dark-photon' needs epsilon > 0, got {model['epsilon']}")
    if all(model[c] == 0.0 for c in entry.couplings):
        raise CardError(f"{loc} {entry.couplings[0]}: model {model['name']!r} needs at least one non-zero "
                        f"coupling of {', '.join(entry.couplings)}")
    if model["ctau"] is not None and not entry.stated_ctau:
        raise CardError(f"{loc} ctau: the lifetime of model {model['name']!r} follows from its couplings; remove ctau")


def check_alp_kinematics(target: Any, energy: float, m_a: float, t_max: float, names: dict[str, str]) -> None:
    """PhysicsRangeError unless mu N -> tau N a has phase space: ``energy`` [GeV] above threshold
    and ``t_max`` [GeV^2] above the smallest |t| (reached at m(tau a) = m_tau + m_a, forward).

    ``names`` maps ``beam_energy``, ``m_a``, ``t_max`` to the card key or flag that set them.
    """
    from muonbsm.constants import M_MU, M_TAU
    from muonbsm.targets import get_target

    tgt = get_target(target)
    big_m, target = tgt.nucleus_mass, tgt.name
    m_x = M_TAU + m_a
    e_thr = ((m_x + big_m) ** 2 - M_MU**2 - big_m**2) / (2.0 * big_m)
    if not energy > e_thr:
        raise PhysicsRangeError(f"{names['beam_energy']}: {energy:g} GeV is below the threshold {e_thr:.6g} GeV of "
                                f"mu {target} -> tau {target} a at {names['m_a'].split(' ')[-1]} = {m_a:g} GeV")
    s = M_MU**2 + big_m**2 + 2.0 * energy * big_m
    root_s = math.sqrt(s)
    p_in = math.sqrt(max((s - (M_MU + big_m) ** 2) * (s - (M_MU - big_m) ** 2), 0.0)) / (2 * root_s)
    p_out = math.sqrt(max((s - (m_x + big_m) ** 2) * (s - (m_x - big_m) ** 2), 0.0)) / (2 * root_s)
    e_in, e_out = (s + M_MU**2 - big_m**2) / (2 * root_s), (s + m_x**2 - big_m**2) / (2 * root_s)
    t_min = 2.0 * (e_in * e_out - p_in * p_out) - M_MU**2 - m_x**2
    if not t_max > t_min:
        raise PhysicsRangeError(f"{names['t_max']}: {t_max:g} GeV^2 leaves no phase space: |t| >= {t_min:.3g} GeV^2 "
                                f"at beam energy {energy:g} GeV and m_a = {m_a:g} GeV")


def _target_names() -> list[str]:
    from muonbsm.targets import TARGETS

    return list(TARGETS)


_DEFAULT_CUTS = {"min_energy": 0.0, "min_pt": 0.0, "mee_window": None}
_LEPTON_E = Quantity("energy", lo=0.0, hi=_M_MU_APPROX, default=0.0)

#: Generation (run) cards: ``muonbsm generate CARD``.
GENERATION = Table({
    "run": Table({
        "seed": Int(0, default=REQUIRED, help="master seed of every random stream (muonbsm.seeds)"),
        "events": Int(1, MAX_EVENTS, default=REQUIRED, help="events to write"),
        "output": _Output(default=REQUIRED, help="event file; the suffix picks the format"),
        "unweighted": Bool(default=False, help="unweighted events (weight = rate / N) instead of weighted"),
        "merge": Bool(default=False, help="one file instead of a dataset directory of shards (always for LHE/HepMC3)"),
        "chunk_size": Int(1, 10**8, default=200_000, help="events per chunk (resume and memory unit)"),
        "workers": Int(1, 256, default=1, help="local worker processes"),
    }, "What to write, how many events, and the master seed."),
    "process": Table({
        "name": Choice(options=PROCESSES, default=REQUIRED, help="process (registry.PROCESSES)"),
        "polarization": polarization_key(),
        "prompt": Bool(default=True, help="X/ALP decays at the production point (false: sample the decay length)"),
    }, "The process: " + "; ".join(f"`{k}`: {v.help}" for k, v in PROCESSES.items()) + "."),
    "cuts": Table({
        "min_energy": replace(_LEPTON_E, help="energy cut on every charged lepton"),
        "min_pt": replace(_LEPTON_E, help="transverse-momentum cut on every charged lepton"),
        "mee_window": List(Quantity("energy", lo=0.0), length=2, check=_ordered, rule="lo < hi", default=None,
                           help="[lo, hi] m_ee window on either e+e- pairing (sampled directly)"),
    }, "Generator-level cuts of the Mu3e processes."),
    "model": Table({
        "name": Choice(options=X_MODELS, default=REQUIRED, help="X model (registry.X_MODELS)"),
        "mass": replace(X_MASS, default=REQUIRED),
        "epsilon": Float(0.0, default=0.0, help="dark-photon kinetic mixing"),
        "g_e": Float(default=0.0, help="X coupling to electrons (signed)"),
        "g_mu": Float(default=0.0, help="X coupling to muons (signed)"),
        "ctau": Quantity("length", lo=0.0, default=None, help="stated c tau of a muon-only X (BR(X -> ee) = 1)"),
        "g_v_e": Float(default=0.0, help="vector X: vector coupling to e"),
        "g_a_e": Float(default=0.0, help="vector X: axial coupling to e"),
        "g_v_mu": Float(default=0.0, help="vector X: vector coupling to mu"),
        "g_a_mu": Float(default=0.0, help="vector X: axial coupling to mu"),
    }, "The X of `mu3e-signal`: " + "; ".join(f"`{k}`: {v.help}" for k, v in X_MODELS.items()) + ".",
        optional=True),
    "alp": Table({
        "target": Choice(options=_target_names, default="Pb", help="target nucleus (muonbsm.targets.TARGETS)"),
        "beam_energy": Quantity("energy", lo=0.0, lo_open=True, default=REQUIRED, help="muon beam energy"),
        "m_a": Quantity("energy", lo=0.0, lo_open=True, default=REQUIRED, help="ALP mass"),
        "c_over_lambda": Float(0.0, units="TeV^-1", default=1.0, help="LFV coupling C/Lambda"),
        "theta": Float(-math.pi, math.pi, units="rad", default=0.0, help="coupling angle (0: pseudoscalar)"),
        "beam_charge": IntChoice(values=(-1, 1), meaning="mu-, mu+", default=-1, help="beam muon charge"),
        "t_max": Float(0.0, lo_open=True, units="GeV^2", default=1.0, help="form-factor cut-off on |t|"),
        "g_chi": Float(0.0, default=0.0, help="ALP coupling to chi (> 0 opens a -> chi chibar)"),
        "m_chi": Quantity("energy", lo=0.0, default=0.0, help="dark fermion mass"),
    }, "LFV ALP production mu N -> tau N a (Batell et al., arXiv:2407.15942).", optional=True),
    "training": Table({
        "nitn": Int(1, 1000, default=10, help="vegas iterations"),
        "neval": Int(1000, 10**9, default=200_000, help="integrand evaluations per iteration"),
        "n_probe": Int(1000, 10**10, default=1_000_000, help="points of the maximum-weight probe"),
        "overweight_fraction": Float(0.0, 1.0, hi_open=True, default=1e-3,
                                     help="share of the integral above the unweighting maximum"),
    }, "vegas training and unweighting."),
}, checks=[_process_sections])


def _mu3e_reach_models(card: dict[str, Any], loc: str) -> None:
    from muonbsm.analysis.mu3e.samples import BUILTIN_MODELS

    for i, name in enumerate(card["scan"]["models"]):
        if name not in BUILTIN_MODELS and name not in card["models"]:
            raise CardError(f"{loc} [scan] models[{i}]: got {name!r}; allowed: one of {', '.join(BUILTIN_MODELS)} "
                            "or the name of a [models.NAME] table")


def _pairs() -> list[str]:
    from muonbsm.analysis.mu3e.scan import PAIRS

    return list(PAIRS)


def _band_targets() -> list[str]:
    from muonbsm.analysis.stats.bands import TARGETS

    return list(TARGETS)


_MEV = 1e-3
#: Mu3e reach cards: ``muonbsm analyze CARD`` (Knapen et al., arXiv:2311.17913).
MU3E_REACH = Table({
    "scan": Table({
        "models": List(Str(), default=REQUIRED, help="built-in model names or [models.NAME] tables"),
        "masses": List(Quantity("energy", lo=1.1 * _MEV, hi=105 * _MEV, lo_open=True, hi_open=True), default=REQUIRED,
                       help="X masses"),
        "decays": List(Float(0.0, lo_open=True), default=[1e15, 5.5e16], help="numbers of muon decays"),
        "pairs": List(Choice(options=_pairs), default=["a,b", "a,c"], help="angular variable pairs"),
        "results_dir": Str(default="results/mu3e_reach", help="directory of tables and figures"),
        "cache_dir": Str(default=None, help="sample cache (default: results_dir/cache)"),
    }, "Models, masses and exposures.", aliases={"masses_mev": ("masses", "MeV")}),
    "analysis": Table({
        "bins": Int(1, 500, default=30, help="bins per angular variable"),
        "min_bkg_events": Int(0, 10**6, default=10, help="sparse-bin rule: drop bins with fewer background MC events"),
        "statistic": Choice(options=("poisson", "gaussian"), default="poisson", help="binned likelihood"),
        "cl": Float(0.5, 0.9999, default=0.95, help="confidence level"),
        "max_half_width": Quantity("energy", lo=0.05 * _MEV, hi=20 * _MEV, default="2MeV",
                                   help="largest m_ee window half-width scanned"),
        "lifetime": Bool(default=False, help="also solve for the coupling with the lifetime-dependent "
                                             "(displaced-vertex) efficiency, muonbsm.analysis.mu3e.lifetime"),
    }, "Bump hunt and angular likelihood.", aliases={"max_half_width_mev": ("max_half_width", "MeV")}),
    "statistics": Table({
        "background_points": Int(1000, 10**10, default=300_000, help="weighted IC points per mass"),
        "min_window_events": Int(0, 10**9, default=0, help="top up the background to this many window events"),
        "max_background_points": Int(1000, 10**11, default=10_000_000, help="cap of the top-up"),
        "signal_points": Int(1000, 10**10, default=60_000, help="signal points per model and mass"),
        "nitn": Int(1, 100, default=6, help="vegas training iterations"),
        "neval": Int(1000, 10**8, default=40_000, help="vegas points per iteration"),
        "rate_neval": Int(1000, 10**8, default=20_000, help="vegas points of the total-rate integral"),
        "gen_min_pt": Quantity("energy", lo=0.0, hi=10.1 * _MEV, default="9.5MeV", help="lossless generator pT cut"),
        "margin_sigma": Float(0.0, 20.0, default=3.0, help="generator window margin in m_ee RMS"),
        "workers": Int(1, 256, default=1, help="local worker processes"),
        "chunk_size": Int(1000, 10**8, default=100_000, help="events per chunk"),
        "calibration_events": Int(1000, 10**9, default=200_000, help="detector calibration sample"),
        "seed": Int(0, 2**31, default=1, help="master seed"),
        "polarization": polarization_key(),
    }, "Monte Carlo statistics.", aliases={"gen_min_pt_mev": ("gen_min_pt", "MeV")}),
    "detector": Table({"config": Str(empty=True, default="", help='Mu3e detector TOML ("": packaged phase I)')}),
    "bands": Table({
        "target": Choice(options=_band_targets, default="WP2020", help="(g-2)_mu target"),
        "n_sigma": List(Float(0.0, lo_open=True), default=[1.0, 2.0], help="band widths in sigma"),
    }, "(g-2)_mu bands on the reach plots."),
    "plots": Table({
        "enabled": Bool(default=True, help="write the figures"),
        "distribution_masses": List(Quantity("energy", lo=0.0, lo_open=True), min_len=0, default=[],
                                    help="masses of the 2D distribution figures"),
        "limit_files": List(Str(), min_len=0, default=[],
                            help="extra dark-photon limit CSVs (mass_gev, epsilon_lower[, epsilon_upper])"),
    }, aliases={"distribution_masses_mev": ("distribution_masses", "MeV")}),
    "models": TableMap(table=Table({
        "process": Choice(options=X_MODELS, default=REQUIRED, help="X model"),
        "coupling": Choice(options=COUPLINGS, default=REQUIRED, help="the coupling the limit is reported on"),
        "squared": Bool(default=False, help="report the square of the coupling (eps^2)"),
        "label": Str(default=None, help="legend label"),
        **{c: Float(default=None, help="reference coupling") for c in COUPLINGS},
    }, "A user model at a reference coupling point.")),
}, checks=[_mu3e_reach_models])


def _channels() -> list[str]:
    from muonbsm.detector.fixed_target.config import CHANNELS

    return list(CHANNELS)


def _mc_budget(d: dict[str, Any], loc: str) -> None:
    if d["n_mc_max"] < d["n_mc"]:
        raise CardError(f"{loc} n_mc_max: got {d['n_mc_max']}; allowed: >= n_mc = {d['n_mc']}")


#: Fixed-target ALP reach cards: ``muonbsm reach CARD`` (Batell et al., arXiv:2407.15942).
ALP_REACH = Table({
    "reach": Table({
        "masses": List(Quantity("energy", lo=0.0, lo_open=True), default=REQUIRED, help="ALP masses"),
        "n_required": Float(0.0, lo_open=True, default=3.0, help="signal events at the exclusion (zero background)"),
        "theta": Float(-math.pi, math.pi, units="rad", default=0.0, help="coupling angle"),
        "channels": List(Choice(options=_channels), default=["invisible", "visible"], help="ALP decay channels"),
        "n_mc": Int(100, 10**9, default=20000, help="MC events of the first efficiency batch"),
        "max_rel_error": Float(0.0, 1.0, lo_open=True, hi_open=True, default=0.02,
                               help="target relative MC error of every efficiency (the sample grows until reached)"),
        "n_mc_max": Int(100, 10**9, default=640000, help="largest efficiency sample per point"),
        "rel_precision": Float(0.0, 1.0, lo_open=True, hi_open=True, default=0.01, help="vegas precision of sigma"),
        "seed": Int(0, default=1, help="master seed"),
        "experiments_file": Str(default=None, help="experiments TOML replacing the packaged one"),
        "experiments": List(Str(), default=None, help="subset name/variant (default: all)"),
    }, "Masses, exclusion and statistics.", aliases={"masses_gev": ("masses", "GeV")}, checks=[_mc_budget]),
    "invisible": Table({
        "g_chi": Float(0.0, default=1.0, help="a -> chi chibar coupling"),
        "m_chi_over_m_a": Float(0.0, 0.5, lo_open=True, hi_open=True, default=1.0 / 3.0, help="m_chi / m_a"),
    }, "Invisible channel a -> chi chibar."),
    "visible": Table({"g_chi": Float(0.0, default=0.0, help="a -> chi chibar coupling")}, "Visible channel a -> mu tau."),
})

#: Pipeline cards: ``muonbsm run CARD``; paths are relative to the card.
PIPELINE = Table({
    "pipeline": Table({"output_dir": Str(default=REQUIRED, help="results directory"),
                       "seed": Int(0, 2**63 - 1, default=1, help="master seed of the Mu3e detector step "
                                   "(muonbsm.seeds); generation and reach cards keep their own seeds")}),
    "generate": TableList(table=Table({
        "card": Str(default=REQUIRED, help="generation card"),
        "events": Int(1, MAX_EVENTS, default=None, help="override of [run] events"),
        "format": Choice(options=[s.lstrip(".") for s in FORMATS], default=None, help="output format (default: the card's suffix)"),
    }, "One generation step per table.")),
    "detector": Table({
        "mu3e": Bool(default=False, help="Mu3e detector on every Mu3e sample"),
        "config": Str(empty=True, default="", help='detector configuration ("": packaged phase I)'),
    }),
    "analysis": Table({
        "mu3e_reach": Str(default=None, help="Mu3e reach card (muonbsm analyze)"),
        "alp_reach": Str(default=None, help="fixed-target reach card (muonbsm reach)"),
    }),
})


def _schemas() -> dict[str, tuple[Table, str]]:
    from muonbsm.detector.fixed_target.config import EXPERIMENTS
    from muonbsm.detector.mu3e.config import MU3E_DETECTOR

    return {
        "Generation cards": (GENERATION, "`muonbsm generate CARD`, e.g. `samples/mu3e_ic.toml`."),
        "Pipeline cards": (PIPELINE, "`muonbsm run CARD`, e.g. `samples/quickstart.toml`."),
        "Fixed-target reach cards": (ALP_REACH, "`muonbsm reach CARD`, e.g. `samples/alp_reach.toml`."),
        "Mu3e reach cards": (MU3E_REACH, "`muonbsm analyze CARD`, e.g. `samples/mu3e_reach.toml`."),
        "Mu3e detector configuration": (MU3E_DETECTOR, "`[detector] config` of reach and pipeline cards, "
                                        "`muonbsm detector table --config`; default `detector/data/mu3e_phase1.toml`."),
        "Fixed-target experiments": (EXPERIMENTS, "`[reach] experiments_file`; default `detector/data/fixed_target.toml`."),
    }


def __getattr__(name: str) -> Any:
    if name == "SCHEMAS":  # built on use: the detector schemas live beside their loaders
        return _schemas()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def parse_card(raw: dict[str, Any], name: str = "card") -> dict[str, Any]:
    """Validate a generation card given as a dict and fill in the defaults."""
    return validate(GENERATION, raw, name)


def read_toml(path: str | os.PathLike[str], what: str) -> dict[str, Any]:
    """The TOML file at ``path`` as a dict; CardError naming ``what`` (e.g. "run card") if it
    is missing or not valid TOML."""
    p = Path(path)
    if not p.is_file():
        raise CardError(f"{what} {str(path)!r} does not exist")
    try:
        return tomllib.loads(p.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise CardError(f"{what} {str(path)!r} is not valid TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise CardError(f"{what} {str(path)!r} is not a text file: {exc}") from None


def load_card(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read and validate a TOML run card; relative output paths stay relative to the caller's
    working directory."""
    p = Path(path)
    raw = read_toml(p, "run card")
    card = parse_card(raw, str(p))
    card["source"] = {"path": str(p), "text": p.read_text()}
    return card


#: The file that marks a dataset directory (:data:`muonbsm.io.dataset.MANIFEST`; tested equal).
DATASET_MANIFEST = "_manifest.json"


def check_output(path: str | os.PathLike[str], source: str = "--output", suffixes: tuple[str, ...] | None = None,
                 dataset: bool = False) -> Path:
    """``path`` if it can be written: InputError naming ``source`` (the flag or card key) if it
    lies in a missing directory, does not end in one of ``suffixes`` (default: the event formats
    of :data:`~muonbsm.generator.processes.registry.FORMATS`) or is a directory. With
    ``dataset`` (unmerged event output) a directory is allowed if it is a muonbsm dataset
    (holds :data:`DATASET_MANIFEST`): the rerun replaces it."""
    p = Path(path)
    allowed = tuple(FORMATS) if suffixes is None else suffixes
    if p.is_dir() and not (dataset and (p / DATASET_MANIFEST).is_file()):
        what = "a directory that is not a muonbsm dataset" if dataset else "a directory"
        raise InputError(f"{source}: {str(p)!r} is {what}; give a file name ending in {', '.join(allowed)}")
    if not p.name.lower().endswith(allowed):
        raise InputError(f"{source}: got {str(p)!r}; allowed: a file name ending in {', '.join(allowed)}")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise InputError(f"{source}: directory {str(parent)!r} of {str(p)!r} does not exist (create it first)")
    return p
