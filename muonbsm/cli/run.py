"""``muonbsm run CARD``: the whole chain, generate -> detector -> analysis -> report."""

from __future__ import annotations

import argparse
import sys

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="run a pipeline card: events, detector, reach tables, plots and report.md")
    p.add_argument("card", help="pipeline card (TOML), e.g. samples/quickstart.toml")
    p.set_defaults(func=_main)


def _main(args: argparse.Namespace) -> int:
    from muonbsm.pipeline import run_pipeline

    report = run_pipeline(args.card, log=lambda msg: print(f"muonbsm run: {msg}", file=sys.stderr, flush=True))
    print(f"report: {report}")
    return 0
