"""Helpers shared by the sub-commands: unit-aware argument types and output."""

from __future__ import annotations

import argparse
import json
from typing import Any

from muonbsm import units

__all__ = ["energy_arg", "length_arg", "emit"]


def energy_arg(text: str) -> float:
    """argparse type: an energy/mass in GeV, unit suffix allowed (``20MeV``)."""
    try:
        return units.energy(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def length_arg(text: str) -> float:
    """argparse type: a length in mm, unit suffix allowed (``2cm``)."""
    try:
        return units.length(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def emit(result: Any, as_json: bool, text: str) -> None:
    """Print ``result`` as JSON (``--json``) or the human-readable ``text``."""
    print(json.dumps(result, indent=2, sort_keys=True, default=float) if as_json else text)
