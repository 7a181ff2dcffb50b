"""``muonbsm detector table``: the Mu3e efficiency table (seed Table 2) per sample."""

from __future__ import annotations

import argparse

from muonbsm.cli.common import emit

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("detector", help="parametrised detectors")
    kinds = p.add_subparsers(dest="kind", required=True)
    q = kinds.add_parser("table", help="Mu3e efficiency table per sample, with optional experimental reference")
    q.add_argument("--samples", default="phase-space,ic,dark-photon:20MeV",
                   help="comma-separated: phase-space, ic, dark-photon:<mass> (default %(default)s)")
    q.add_argument("--events", type=int, default=50_000, help="events per sample (default %(default)s)")
    q.add_argument("--config", help="detector configuration TOML (default: the packaged phase-I file)")
    q.add_argument("--reference", help="CSV of experimental numbers (sample,step,value) to compare with")
    q.add_argument("--seed", type=int, default=1)
    q.add_argument("--json", action="store_true", help="print the rows as JSON")
    q.set_defaults(func=_table)


def _table(args: argparse.Namespace) -> int:
    from muonbsm.detector.mu3e import efficiency_table, format_table, load_config
    from muonbsm.detector.mu3e.samples import make_samples

    if args.events < 1:
        raise ValueError(f"--events must be >= 1, got {args.events}")
    config = load_config(args.config)
    samples = make_samples(args.samples, args.events, args.seed)
    rows = efficiency_table(samples, config, seed=args.seed, reference=args.reference)
    emit(rows, args.json, format_table(rows))
    return 0
