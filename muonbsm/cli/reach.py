"""``muonbsm reach CARD``: fixed-target reach of the LFV ALP (C/Lambda and g_mu_tau at N events)."""

from __future__ import annotations

import argparse

from muonbsm.cli.common import emit

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("reach", help="LFV-ALP reach of NA64-mu, FASERnu2 and a muon fixed target")
    p.add_argument("card", help="reach card (TOML), e.g. samples/alp_reach.toml")
    p.add_argument("--details", action="store_true",
                   help="add cut-flows, sigma x L and the MC events used to the rows (MC errors are always given)")
    p.add_argument("--json", action="store_true", help="print the rows as JSON")
    p.set_defaults(func=_main)


def _main(args: argparse.Namespace) -> int:
    from muonbsm.cards import ALP_REACH, read_toml
    from muonbsm.schema import validate

    validate(ALP_REACH, read_toml(args.card, "reach card"), args.card)  # every key checked before the heavy imports
    from muonbsm.analysis.fixed_target.reach import format_table, reach_table

    rows = reach_table(args.card, details=args.details)
    emit(rows, args.json, format_table(rows))
    return 0
