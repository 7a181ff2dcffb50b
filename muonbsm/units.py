"""Numbers with units, as the command line and the cards accept them.

A bare number is in GeV (energies, masses, momenta) or mm (lengths); a string may carry a unit,
with or without a space: ``"20MeV"``, ``"1.5 TeV"``, ``"2cm"``. Units are case-sensitive SI
spellings: ``meV`` is milli-eV and ``MeV`` mega-eV; ``mm``, ``cm``, ``m``; anything else
(``Mm``, ``Mev``, ``mev``) is an error that lists the accepted spellings.

>>> energy("20MeV")
0.02
>>> energy("1.5 TeV")
1500.0
>>> energy(0.5)
0.5
>>> length("2cm")
20.0
>>> energy("20meV")  # milli-electronvolt
2e-11
>>> length("2Mm")
Traceback (most recent call last):
...
ValueError: length: unknown unit 'Mm' in '2Mm'; accepted spellings: nm, um, mm, cm, m, km (case-sensitive)
"""

from __future__ import annotations

import math
import re
from typing import Literal

__all__ = ["ENERGY_UNITS", "LENGTH_UNITS", "Dimension", "energy", "length", "parse", "parse_quantity", "spellings"]

Dimension = Literal["energy", "length"]

#: Energy units in GeV (case-sensitive).
ENERGY_UNITS: dict[str, float] = {"meV": 1e-12, "eV": 1e-9, "keV": 1e-6, "MeV": 1e-3, "GeV": 1.0, "TeV": 1e3}
#: Length units in mm (case-sensitive; ``µm`` is accepted for ``um``).
LENGTH_UNITS: dict[str, float] = {"nm": 1e-6, "um": 1e-3, "µm": 1e-3, "mm": 1.0, "cm": 10.0, "m": 1e3, "km": 1e6}
_TABLES: dict[str, tuple[dict[str, float], str]] = {"energy": (ENERGY_UNITS, "GeV"), "length": (LENGTH_UNITS, "mm")}
_NUMBER = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(\S*)\s*$")


def spellings(dimension: Dimension | str) -> list[str]:
    """The accepted unit spellings of ``dimension`` ("energy" or "length")."""
    return [u for u in _TABLES[dimension][0] if u != "µm"]


def parse(value: str | float | int, table: dict[str, float], default: str, what: str = "value") -> float:
    """``value`` (a number in ``default`` units, or a string with a unit of ``table``) as a float
    in the table's base unit; ValueError for booleans, nan/inf, malformed text or unknown units."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"{what}: expected a number or a string with a unit, got {value!r}")
    if isinstance(value, (int, float)):
        if not math.isfinite(value):
            raise ValueError(f"{what}: must be finite, got {value!r}")
        return float(value) * table[default]
    accepted = ", ".join(u for u in table if u != "µm")
    match = _NUMBER.match(value)
    if not match:
        raise ValueError(f"{what}: cannot read {value!r} as a number with an optional unit ({accepted})")
    number, unit = float(match.group(1)), match.group(2) or default
    if unit not in table:
        raise ValueError(f"{what}: unknown unit {match.group(2)!r} in {value!r}; accepted spellings: {accepted} (case-sensitive)")
    return number * table[unit]


def parse_quantity(value: str | float | int, dimension: Dimension | str, what: str = "") -> float:
    """An energy [GeV] or a length [mm] from a number or a string with a unit."""
    table, default = _TABLES[dimension]
    return parse(value, table, default, what or dimension)


def energy(value: str | float | int, what: str = "energy") -> float:
    """An energy, mass or momentum in GeV (units meV, eV, keV, MeV, GeV, TeV)."""
    return parse(value, ENERGY_UNITS, "GeV", what)


def length(value: str | float | int, what: str = "length") -> float:
    """A length in mm (units nm, um, mm, cm, m, km)."""
    return parse(value, LENGTH_UNITS, "mm", what)
