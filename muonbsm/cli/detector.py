"""``muonbsm detector table``: the Mu3e efficiency table (Knapen et al., arXiv:2311.17913, Table 2).

Samples are generated (``--samples``) or read from event files (``--input``, e.g. the
``events/`` of a ``muonbsm run``). Streams (:mod:`muonbsm.seeds`, master ``--seed``): sample
``k`` is generated on ``("sample", k, "generation")`` and simulated on
``("sample", k, "detector")``, so the same seed gives the table of
:func:`muonbsm.detector.mu3e.efficiency_table` and of the pipeline's detector step.
"""

from __future__ import annotations

import argparse

from muonbsm.cards import MAX_EVENTS
from muonbsm.cli.common import Parser, emit, flag
from muonbsm.schema import Int

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("detector", help="parametrised detectors")
    kinds = p.add_subparsers(dest="kind", required=True, parser_class=Parser)
    q = kinds.add_parser("table", help="Mu3e efficiency table per sample (value ± MC error), with optional "
                                       "experimental reference")
    q.add_argument("--samples", default="phase-space,ic,dark-photon:20MeV",
                   help="comma-separated: phase-space, ic, dark-photon:<mass> (default %(default)s)")
    q.add_argument("--input", nargs="+", metavar="FILE",
                   help="event files or dataset directories to tabulate instead of --samples (sample name = "
                        "file stem)")
    flag(q, "--events", Int(1, MAX_EVENTS, help="events per generated sample (default 50000)"), default=50_000)
    q.add_argument("--config", help="detector configuration TOML (default: the packaged phase-I file)")
    q.add_argument("--reference", help="CSV of experimental numbers (sample,step,value) to compare with")
    flag(q, "--seed", Int(0, help="master seed of generation and detector (default 1)"), default=1)
    q.add_argument("--json", action="store_true", help="print the rows as JSON")
    q.set_defaults(func=_table)


def _table(args: argparse.Namespace) -> int:
    from pathlib import Path

    from muonbsm import io
    from muonbsm.detector.mu3e import efficiency_table, format_table, load_config
    from muonbsm.detector.mu3e.samples import make_samples
    from muonbsm.errors import InputError

    if args.events < 1:
        raise InputError(f"--events must be >= 1, got {args.events}")
    if args.seed < 0:
        raise InputError(f"--seed must be >= 0, got {args.seed}")
    config = load_config(args.config)
    if args.input:
        missing = [f for f in args.input if not Path(f).exists()]
        if missing:
            raise InputError(f"--input: no such event file(s) or dataset(s): {', '.join(missing)}")
        samples = {Path(f).name.split(".")[0]: io.read(f)[0] for f in args.input}
        if len(samples) != len(args.input):
            raise InputError("--input: two files share a sample name (file stem)")
    else:
        samples = make_samples(args.samples, args.events, args.seed)
    rows = efficiency_table(samples, config, seed=args.seed, reference=args.reference)
    emit(rows, args.json, format_table(rows))
    return 0
