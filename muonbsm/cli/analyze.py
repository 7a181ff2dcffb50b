"""``muonbsm analyze CARD``: Mu3e bump hunt and 2D angular reach scan (expected 95% CL limits)."""

from __future__ import annotations

import argparse
import math
from typing import Any

from muonbsm.cli.common import emit

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("analyze", help="Mu3e reach: bump-hunt and angular expected limits, gains, coupling limits")
    p.add_argument("card", help="reach card (TOML), e.g. samples/mu3e_reach.toml")
    p.add_argument("--json", action="store_true", help="print the rows as JSON (non-finite limits as null)")
    p.set_defaults(func=_main)


def _finite(row: dict[str, Any]) -> dict[str, Any]:
    """JSON has no infinity: a limit that could not be set (every bin dropped) becomes null."""
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in row.items()}


def _main(args: argparse.Namespace) -> int:
    from muonbsm.cards import MU3E_REACH, read_toml
    from muonbsm.schema import validate

    validate(MU3E_REACH, read_toml(args.card, "reach card"), args.card)  # every key checked before the heavy imports
    from muonbsm.analysis.mu3e.reach import analyze_card, format_rows

    rows = analyze_card(args.card, progress=not args.json)
    emit([_finite(r) for r in rows], args.json, format_rows(rows))
    return 0
