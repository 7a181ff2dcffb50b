"""Helpers shared by the sub-commands: the parser class, schema-driven flags, output.

Flags that set a card key take their type, range and help from the key's schema
(:func:`flag`), so ``--events -5`` and ``[run] events = -5`` fail with the same rule.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from typing import Any, NoReturn

from muonbsm.schema import Key, Quantity

__all__ = ["Parser", "flag", "energy_arg", "length_arg", "emit"]

_NEGATIVE = re.compile(r"^-\.?\d")


class Parser(argparse.ArgumentParser):
    """An ArgumentParser that reads ``-20MeV`` as a value (not a flag) and reports a usage
    error as one line naming the flag (exit status 2)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # argparse only takes "-5" or "-.5" as a negative number; a value may carry a unit.
        self._negative_number_matcher = _NEGATIVE

    def error(self, message: str) -> NoReturn:
        print(f"{self.prog}: error: {message} (see {self.prog} --help)", file=sys.stderr)
        raise SystemExit(2)


def flag(parser: argparse.ArgumentParser, name: str, key: Key, help: str = "", **kwargs: Any) -> argparse.Action:
    """Add the flag ``name`` whose value follows the schema ``key`` (type, range, help)."""
    text = help or key.help
    allowed = key.allowed()
    full = f"{text}; {allowed}" if text else allowed
    return parser.add_argument(name, type=key.arg(name), help=full.replace("%", "%%"), **kwargs)


def energy_arg(text: str) -> float:
    """argparse type: an energy/mass in GeV, unit suffix allowed (``20MeV``)."""
    return Quantity("energy").arg("energy")(text)


def length_arg(text: str) -> float:
    """argparse type: a length in mm, unit suffix allowed (``2cm``)."""
    return Quantity("length").arg("length")(text)


def emit(result: Any, as_json: bool, text: str) -> None:
    """Print ``result`` as JSON (``--json``) or the human-readable ``text``."""
    print(json.dumps(result, indent=2, sort_keys=True, default=float) if as_json else text)
