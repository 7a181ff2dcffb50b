"""The ``muonbsm`` command line: one sub-command per job, each with ``--json`` for scripts.

Numbers are in GeV (energies, masses) and mm (lengths) unless a unit is given (``20MeV``,
``1.5 TeV``, ``2cm``; case-sensitive). Every error is one line on stderr; exit status 2 for bad
input (card key, flag, physics range), 3 for a failed integrity check, 1 otherwise (I/O,
unexpected errors: rerun with ``-v`` for the traceback), 130 when interrupted.
"""

from __future__ import annotations

import logging
import signal
import sys
import traceback
from collections.abc import Sequence

from muonbsm.cli import analyze, detector, generate, rate, reach, run, xsec
from muonbsm.cli.common import Parser
from muonbsm.errors import MuonbsmError

__all__ = ["main", "build_parser"]

_COMMANDS = (generate, rate, xsec, detector, reach, analyze, run)


def build_parser() -> Parser:
    """The argument parser with every sub-command registered."""
    parser = Parser(prog="muonbsm", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress lines (INFO); tracebacks of errors")
    parser.add_argument("--version", action="version", version=f"muonbsm {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    for module in _COMMANDS:
        module.register(sub)
    return parser


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("muonbsm")
    except PackageNotFoundError:  # pragma: no cover - running from an uninstalled tree
        return "unknown"


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``muonbsm`` console script; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="muonbsm: %(message)s")
    previous = signal.signal(signal.SIGTERM, _terminate)
    prog = f"muonbsm {args.command}"
    try:
        return int(args.func(args) or 0)
    except MuonbsmError as exc:
        return _fail(prog, exc, exc.exit_code, args.verbose)
    except ValueError as exc:  # a bad value caught by a lower layer: still the user's input
        return _fail(prog, exc, 2, args.verbose)
    except OSError as exc:
        where = f": {exc.filename}" if getattr(exc, "filename", None) else ""
        text = f"{exc.strerror}{where}" if exc.strerror else str(exc)
        return _fail(prog, text, 1, args.verbose)
    except KeyboardInterrupt:
        print(f"{prog}: interrupted; finished chunks are kept, rerun to resume", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the last line of defence: one line, not a traceback
        return _fail(prog, f"internal error: {type(exc).__name__}: {exc} (rerun with -v for the traceback)", 1,
                     args.verbose)
    finally:
        signal.signal(signal.SIGTERM, previous)


def _fail(prog: str, message: object, code: int, verbose: bool) -> int:
    if verbose:
        traceback.print_exc()
    text = " ".join(str(message).split("\n"))
    print(f"{prog}: error: {text}", file=sys.stderr)
    return code


def _terminate(signum: int, frame: object) -> None:
    """SIGTERM -> KeyboardInterrupt, so temporary files are removed on the way out."""
    raise KeyboardInterrupt
