"""The names tables (processes, X models, output formats) and the dispatch that reads them.

Each set of names is one table: card validation (:mod:`muonbsm.cards`), command-line choices
and help (:mod:`muonbsm.cli`), error messages and the dispatch below all read it, so a name
added here is accepted everywhere and an unknown one is rejected everywhere. This module is
light (the processes are imported when built), so validation can run before heavy imports.

>>> list(PROCESSES)
['mu3e-ic', 'mu3e-signal', 'alp']
>>> list(X_MODELS), X_MODELS["dark-photon"].couplings
(['dark-photon', 'scalar', 'pseudoscalar', 'vector'], ('epsilon',))
>>> sorted(FORMATS)
['.hepmc', '.hepmc3', '.lhe', '.lhe.gz', '.parquet', '.root']
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, get_args

if TYPE_CHECKING:
    from muonbsm.models.mu3e import XModel

#: What :func:`build_process` returns: a :class:`~muonbsm.generator.sampling.Process` or a
#: multi-channel process with ``channels`` (see :func:`~muonbsm.generator.sampling.channels_of`).
Process = Any

__all__ = ["ProcessName", "XModelName", "PROCESSES", "X_MODELS", "FORMATS", "MERGE_ONLY", "COUPLINGS", "x_model",
           "build_process", "output_suffix"]

ProcessName = Literal["mu3e-ic", "mu3e-signal", "alp"]
XModelName = Literal["dark-photon", "scalar", "pseudoscalar", "vector"]


@dataclass(frozen=True)
class ProcessEntry:
    """A process: the card section its parameters live in (None: none) and its help."""

    section: str | None
    help: str


@dataclass(frozen=True)
class XModelEntry:
    """An X model: its factory in :mod:`muonbsm.models.mu3e`, the couplings it uses, a help."""

    factory: str
    couplings: tuple[str, ...]
    help: str
    stated_ctau: bool


PROCESSES: dict[str, ProcessEntry] = {
    "mu3e-ic": ProcessEntry(None, "mu+ -> e+ e+ e- nu nubar, internal conversion (full LO matrix element)"),
    "mu3e-signal": ProcessEntry("model", "mu+ -> e+ nu nubar X, X -> e+ e- (the X of [model])"),
    "alp": ProcessEntry("alp", "mu N -> tau N a, LFV ALP production off a nucleus, with a and tau decays"),
}
X_MODELS: dict[str, XModelEntry] = {
    "dark-photon": XModelEntry("dark_photon", ("epsilon",), "dark photon A' with kinetic mixing epsilon > 0", False),
    "scalar": XModelEntry("scalar", ("g_e", "g_mu"), "CP-even scalar with Yukawa couplings g_e, g_mu (signed, not both 0)", True),
    "pseudoscalar": XModelEntry("pseudoscalar", ("g_e", "g_mu"), "CP-odd scalar with couplings g_e, g_mu (signed, not both 0)", True),
    "vector": XModelEntry("vector", ("g_v_e", "g_a_e", "g_v_mu", "g_a_mu"), "vector with vector/axial couplings (not all 0)", True),
}
#: Every coupling keyword of :func:`x_model`.
COUPLINGS: tuple[str, ...] = tuple(dict.fromkeys(c for e in X_MODELS.values() for c in e.couplings))
#: Output suffix -> format; :data:`muonbsm.io.WRITERS` has one writer per suffix (tested).
FORMATS: dict[str, str] = {
    ".root": "ROOT TTree (uproot)", ".parquet": "Parquet", ".lhe": "Les Houches", ".lhe.gz": "Les Houches, gzipped",
    ".hepmc": "HepMC3 ASCII", ".hepmc3": "HepMC3 ASCII",
}
#: Formats always written as one file (no dataset directory of shards).
MERGE_ONLY: tuple[str, ...] = (".lhe", ".lhe.gz", ".hepmc", ".hepmc3")

if set(get_args(ProcessName)) != set(PROCESSES) or set(get_args(XModelName)) != set(X_MODELS):  # pragma: no cover
    raise RuntimeError("registry: the Literal types and the names tables differ")


def output_suffix(name: str) -> str | None:
    """The :data:`FORMATS` suffix that the file name ``name`` ends with (longest match), or None."""
    lower = name.lower()
    return next((s for s in sorted(FORMATS, key=len, reverse=True) if lower.endswith(s)), None)


def x_model(name: str, mass: float, *, ctau: float | None = None, **couplings: float) -> XModel:
    """The X model ``name`` of :data:`X_MODELS` with ``mass`` [GeV] and its couplings.

    Dark photon: ``epsilon`` > 0; scalar/pseudoscalar: ``g_e``, ``g_mu`` (signed, not both 0);
    vector: ``g_v_e``, ``g_a_e``, ``g_v_mu``, ``g_a_mu`` (not all 0). Couplings a model does not
    use must be 0. ``ctau`` [mm]: stated proper decay length of a muon-only X (see
    :class:`~muonbsm.models.mu3e.XModel`).
    """
    from muonbsm.errors import InputError
    from muonbsm.models import mu3e

    if name not in X_MODELS:
        raise InputError(f"unknown model {name!r}; allowed: {', '.join(X_MODELS)}")
    entry = X_MODELS[name]
    unknown = set(couplings) - set(COUPLINGS)
    if unknown:
        raise InputError(f"{name}: unknown coupling(s) {sorted(unknown)}; allowed: {', '.join(COUPLINGS)}")
    foreign = [c for c in couplings if c not in entry.couplings and couplings[c] != 0.0]
    if foreign:
        raise InputError(f"{name}: uses only {', '.join(entry.couplings)}; got {foreign[0]} = {couplings[foreign[0]]}")
    values = [float(couplings.get(c, 0.0)) for c in entry.couplings]
    if name == "dark-photon" and not values[0] > 0:
        raise InputError(f"dark-photon: epsilon must be > 0, got {values[0]}")
    if all(v == 0.0 for v in values):
        raise InputError(f"{name}: at least one of {', '.join(entry.couplings)} must be non-zero")
    factory: Callable[..., XModel] = getattr(mu3e, entry.factory)
    model = factory(mass, *values)
    if ctau is None:
        return model
    if not entry.stated_ctau:
        raise InputError(f"{name}: ctau is computed from the couplings; it cannot be stated")
    return dataclasses.replace(model, ctau_stated_mm=ctau)


def _build_ic(card: dict[str, Any]) -> Process:
    from muonbsm.generator.processes.mu3e.process import InternalConversion

    return InternalConversion(polarization=tuple(card["process"]["polarization"]), **_cuts(card))


def _build_signal(card: dict[str, Any]) -> Process:
    from muonbsm.generator.processes.mu3e.process import XEmission

    model_card = dict(card["model"])
    model = x_model(model_card.pop("name"), model_card.pop("mass"), **model_card)
    return XEmission(model, polarization=tuple(card["process"]["polarization"]), prompt=card["process"]["prompt"],
                     **_cuts(card))


def _build_alp(card: dict[str, Any]) -> Process:
    from muonbsm.generator.processes.alp.production import AlpProduction

    return AlpProduction(**card["alp"], prompt=card["process"]["prompt"])


def _cuts(card: dict[str, Any]) -> dict[str, Any]:
    from muonbsm.generator.processes.mu3e.cuts import LeptonCuts, MeeWindow

    cuts = card["cuts"]
    window = MeeWindow(*cuts["mee_window"]) if cuts["mee_window"] else None
    return {"cuts": LeptonCuts(cuts["min_energy"], cuts["min_pt"]), "mee_window": window}


_BUILDERS: dict[str, Callable[[dict[str, Any]], Process]] = {
    "mu3e-ic": _build_ic, "mu3e-signal": _build_signal, "alp": _build_alp,
}
if set(_BUILDERS) != set(PROCESSES):  # pragma: no cover - table invariant
    raise RuntimeError("registry: every process needs a builder")


def build_process(card: dict[str, Any]) -> Process:
    """The process of a validated card (:func:`muonbsm.cards.parse_card`)."""
    return _BUILDERS[card["process"]["name"]](card)
