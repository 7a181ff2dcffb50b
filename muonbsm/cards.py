"""Run cards: TOML files that define a sample production, validated before anything runs.

A card has sections of ``key = value`` pairs; numbers with units may be written as strings
(``mass = "20MeV"``). Every section and key is checked against :data:`SCHEMA`: an unknown key,
a value of the wrong type or out of range raises :class:`CardError` naming the card, the
section, the key and what is allowed.

>>> card = parse_card({"run": {"seed": 7, "events": 1000, "output": "x.root"},
...                    "process": {"name": "mu3e-ic"}})
>>> card["run"]["seed"], card["process"]["polarization"]
(7, [0.0, 0.0, -0.86])
"""

from __future__ import annotations

from muonbsm.errors import CardError

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from muonbsm import units

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["CardError", "SCHEMA", "PROCESSES", "MODELS", "read_toml", "load_card", "parse_card"]


PROCESSES = ("mu3e-ic", "mu3e-signal", "alp")
MODELS = ("dark-photon", "scalar", "pseudoscalar", "vector")

Converter = Callable[[Any, str], Any]


def _int(lo: int, hi: int | None = None) -> Converter:
    def conv(v: Any, where: str) -> int:
        if isinstance(v, bool) or not isinstance(v, int):
            raise CardError(f"{where}: expected an integer, got {v!r}")
        if v < lo or (hi is not None and v > hi):
            raise CardError(f"{where}: {v} is out of range [{lo}, {hi if hi is not None else 'inf'}]")
        return v

    return conv


def _bool(v: Any, where: str) -> bool:
    if not isinstance(v, bool):
        raise CardError(f"{where}: expected true or false, got {v!r}")
    return v


def _str(v: Any, where: str) -> str:
    if not isinstance(v, str) or not v:
        raise CardError(f"{where}: expected a non-empty string, got {v!r}")
    return v


def _choice(options: tuple[str, ...]) -> Converter:
    def conv(v: Any, where: str) -> str:
        if v not in options:
            raise CardError(f"{where}: {v!r} is not one of {', '.join(options)}")
        return v

    return conv


def _energy(lo: float = 0.0) -> Converter:
    def conv(v: Any, where: str) -> float:
        try:
            x = units.energy(v, where)
        except ValueError as exc:
            raise CardError(str(exc)) from None
        if x < lo:
            raise CardError(f"{where}: {v!r} must be >= {lo} GeV")
        return x

    return conv


def _float(lo: float | None = None) -> Converter:
    def conv(v: Any, where: str) -> float:
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise CardError(f"{where}: expected a number, got {v!r}")
        if lo is not None and v < lo:
            raise CardError(f"{where}: {v} must be >= {lo}")
        return float(v)

    return conv


def _length(v: Any, where: str) -> float:
    try:
        x = units.length(v, where)
    except ValueError as exc:
        raise CardError(str(exc)) from None
    if not x >= 0:
        raise CardError(f"{where}: {v!r} must be a length >= 0 mm")
    return x


def _vector3(v: Any, where: str) -> list[float]:
    if not isinstance(v, list) or len(v) != 3 or not all(isinstance(c, (int, float)) for c in v):
        raise CardError(f"{where}: expected three numbers [x, y, z], got {v!r}")
    if sum(c * c for c in v) > 1.0 + 1e-12:
        raise CardError(f"{where}: |P| must be <= 1, got {v!r}")
    return [float(c) for c in v]


def _charge(v: Any, where: str) -> int:
    if v not in (-1, 1) or isinstance(v, bool):
        raise CardError(f"{where}: the beam charge must be -1 (mu-) or +1 (mu+), got {v!r}")
    return int(v)


def _window(v: Any, where: str) -> list[float]:
    if not isinstance(v, list) or len(v) != 2:
        raise CardError(f"{where}: expected [lo, hi], got {v!r}")
    lo, hi = (_energy()(x, where) for x in v)
    if not lo < hi:
        raise CardError(f"{where}: need lo < hi, got {v!r}")
    return [lo, hi]


#: section -> key -> (converter, default); a default of ``...`` marks a required key.
SCHEMA: dict[str, dict[str, tuple[Converter, Any]]] = {
    "run": {
        "seed": (_int(0), ...),
        "events": (_int(1), ...),
        "output": (_str, ...),
        "unweighted": (_bool, False),
        "chunk_size": (_int(1), 200_000),
        "workers": (_int(1, 256), 1),
    },
    "process": {
        "name": (_choice(PROCESSES), ...),
        "polarization": (_vector3, [0.0, 0.0, -0.86]),
        "prompt": (_bool, True),
    },
    "cuts": {
        "min_energy": (_energy(), 0.0),
        "min_pt": (_energy(), 0.0),
        "mee_window": (_window, None),
    },
    "model": {
        "name": (_choice(MODELS), ...),
        "mass": (_energy(), ...),
        "epsilon": (_float(0.0), 0.0),
        "g_e": (_float(), 0.0),  # signed: the relative sign of g_e and g_mu interferes
        "g_mu": (_float(), 0.0),
        "ctau": (_length, None),  # stated c tau [mm] of a muon-only X (BR(X -> ee) = 1 assumed)
        "g_v_e": (_float(), 0.0),
        "g_a_e": (_float(), 0.0),
        "g_v_mu": (_float(), 0.0),
        "g_a_mu": (_float(), 0.0),
    },
    "alp": {
        "target": (_str, "Pb"),
        "beam_energy": (_energy(), ...),
        "m_a": (_energy(), ...),
        "c_over_lambda": (_float(0.0), 1.0),
        "theta": (_float(), 0.0),
        "beam_charge": (_charge, -1),
        "t_max": (_float(0.0), 1.0),
        "g_chi": (_float(0.0), 0.0),
        "m_chi": (_energy(), 0.0),
    },
    "training": {
        "nitn": (_int(1), 10),
        "neval": (_int(1000), 200_000),
        "n_probe": (_int(1000), 1_000_000),
        "overweight_fraction": (_float(0.0), 1e-3),
    },
}
_OPTIONAL_SECTIONS = {"cuts", "model", "alp", "training"}
_NEEDS = {"mu3e-signal": "model", "alp": "alp"}


def parse_card(raw: dict[str, Any], name: str = "card") -> dict[str, Any]:
    """Validate a card given as a dict and fill in the defaults."""
    unknown = set(raw) - set(SCHEMA)
    if unknown:
        raise CardError(f"{name}: unknown section(s) {sorted(unknown)}; allowed: {sorted(SCHEMA)}")
    out: dict[str, Any] = {}
    for section, keys in SCHEMA.items():
        given = raw.get(section)
        if given is None and section in _OPTIONAL_SECTIONS:
            process = raw.get("process", {}).get("name")
            if _NEEDS.get(process) == section:
                raise CardError(f"{name}: process {process!r} needs a [{section}] section")
            if section in _NEEDS.values():
                continue
            given = {}
        if not isinstance(given, dict):
            raise CardError(f"{name}: missing section [{section}]")
        bad = set(given) - set(keys)
        if bad:
            raise CardError(f"{name}: [{section}] unknown key(s) {sorted(bad)}; allowed: {sorted(keys)}")
        values = {}
        for key, (conv, default) in keys.items():
            where = f"{name}: [{section}] {key}"
            if key in given:
                values[key] = conv(given[key], where)
            elif default is ...:
                raise CardError(f"{where} is required")
            else:
                values[key] = default
        out[section] = values
    return out


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


def load_card(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read and validate a TOML run card; relative output paths stay relative to the caller's
    working directory."""
    p = Path(path)
    raw = read_toml(p, "run card")
    card = parse_card(raw, p.name)
    card["source"] = {"path": str(p), "text": p.read_text()}
    return card
