"""Numbers with unit suffixes, as the command line and the run cards accept them.

Energies and masses default to GeV, lengths to mm; a suffix converts:

>>> energy("20MeV")
0.02
>>> energy("1.5 TeV")
1500.0
>>> energy(0.5)
0.5
>>> length("2cm")
20.0
"""

from __future__ import annotations

import re

__all__ = ["energy", "length", "parse"]

_ENERGY = {"ev": 1e-9, "kev": 1e-6, "mev": 1e-3, "gev": 1.0, "tev": 1e3}
_LENGTH = {"um": 1e-3, "mm": 1.0, "cm": 10.0, "m": 1e3, "km": 1e6}
_NUMBER = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*([A-Za-z]*)\s*$")


def parse(value: str | float | int, units: dict[str, float], default: str, what: str = "value") -> float:
    """Parse ``value`` (a number in ``default`` units, or a string with a unit suffix)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    match = _NUMBER.match(str(value))
    if not match:
        raise ValueError(f"{what}: cannot read {value!r} as a number with an optional unit ({', '.join(units)})")
    number, unit = float(match.group(1)), match.group(2).lower() or default
    if unit not in units:
        raise ValueError(f"{what}: unknown unit {match.group(2)!r} in {value!r}; allowed: {', '.join(units)}")
    return number * units[unit]


def energy(value: str | float | int, what: str = "energy") -> float:
    """An energy, mass or momentum in GeV (suffixes eV, keV, MeV, GeV, TeV)."""
    return parse(value, _ENERGY, "gev", what)


def length(value: str | float | int, what: str = "length") -> float:
    """A length in mm (suffixes um, mm, cm, m, km)."""
    return parse(value, _LENGTH, "mm", what)
