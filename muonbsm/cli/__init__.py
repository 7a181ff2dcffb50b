"""The ``muonbsm`` command line: one sub-command per job, each with ``--json`` for scripts.

Numbers are in GeV (energies, masses) and mm (lengths) unless a unit suffix is given
(``20MeV``, ``1.5TeV``, ``2cm``). Errors in the input print one line naming the parameter
and exit with status 2.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from collections.abc import Sequence

from muonbsm.cli import analyze, detector, generate, rate, reach, run, xsec

__all__ = ["main", "build_parser"]

_COMMANDS = (generate, rate, xsec, detector, reach, analyze, run)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every sub-command registered."""
    parser = argparse.ArgumentParser(prog="muonbsm", description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress lines (INFO)")
    sub = parser.add_subparsers(dest="command", required=True)
    for module in _COMMANDS:
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``muonbsm`` console script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="muonbsm: %(message)s")
    signal.signal(signal.SIGTERM, _terminate)
    try:
        return int(args.func(args) or 0)
    except (ValueError, FileNotFoundError) as exc:
        print(f"muonbsm {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"muonbsm {args.command}: interrupted; finished chunks are kept, rerun to resume", file=sys.stderr)
        return 130


def _terminate(signum: int, frame: object) -> None:
    """SIGTERM -> KeyboardInterrupt, so temporary files are removed on the way out."""
    raise KeyboardInterrupt
