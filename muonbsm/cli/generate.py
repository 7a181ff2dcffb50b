"""``muonbsm generate CARD``: produce the event file a run card describes."""

from __future__ import annotations

import argparse
import logging
from typing import Any

from muonbsm.cards import GENERATION, check_output, load_card
from muonbsm.cli.common import emit, flag
from muonbsm.generator.processes.registry import MERGE_ONLY, output_suffix
from muonbsm.schema import Table

__all__ = ["register", "run_card"]

log = logging.getLogger("muonbsm")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("generate", help="generate events from a TOML run card")
    p.add_argument("card", help="run card (TOML), e.g. samples/mu3e_ic.toml")
    run = GENERATION.keys["run"]
    assert isinstance(run, Table)
    for key in ("events", "output", "seed", "workers"):
        flag(p, f"--{key}", run.keys[key], help=f"override [run] {key}: {run.keys[key].help}")
    p.add_argument("--scheduler", help="dask scheduler address (tcp://host:8786), or 'local' for a LocalCluster")
    p.add_argument("--merge", action="store_true",
                   help="write one file instead of a dataset directory of shards (always for .lhe/.hepmc3)")
    p.add_argument("--fresh", action="store_true", help="discard the saved state of a previous run of this output")
    p.add_argument("--json", action="store_true", help="print the run summary as JSON")
    p.set_defaults(func=_main)


def run_card(card: dict[str, Any], scheduler: str | None = None, progress: bool = True, **options: Any) -> dict[str, Any]:
    """Generate the sample of a validated card; returns the run summary as a dict (see
    :func:`muonbsm.generator.generate.run_card` for ``options``: workers, merge, fresh, ...)."""
    from muonbsm.generator.generate import run_card as engine_run_card

    return engine_run_card(card, scheduler=scheduler, progress=progress, **options).to_dict()


def _main(args: argparse.Namespace) -> int:
    import os
    import sys

    card = load_card(args.card)
    for key in ("events", "output", "seed"):
        if getattr(args, key) is not None:
            card["run"][key] = getattr(args, key)
    merged = args.merge or card["run"]["merge"] or output_suffix(card["run"]["output"]) in MERGE_ONLY
    check_output(card["run"]["output"], "--output" if args.output is not None else f"{args.card}: [run] output",
                 dataset=not merged)
    from muonbsm.generator.lock import OutputLock

    OutputLock(card["run"]["output"]).check_free()  # a busy output fails before any heavy import
    from muonbsm.generator.generate import Terminated  # heavy (numba, awkward): only after the input is valid

    try:
        out = run_card(card, args.scheduler, workers=args.workers, merge=args.merge or None, fresh=args.fresh)
    except Terminated as exc:
        print(f"muonbsm generate: terminated by signal {exc.signum}; complete shards are kept, rerun to resume",
              file=sys.stderr, flush=True)
        # workers are stopped, temporaries removed, the lock released: skip the interpreter's
        # slow teardown (seconds on a loaded machine) so the process ends at once
        sys.stdout.flush()
        os._exit(128 + exc.signum)
    kind = "unweighted" if out["unweighted"] else "weighted"
    where = "file" if out["layout"] == "file" else f"dataset of {out['n_shards']} shards"
    text = (
        f"{out['n_events']} {kind} events -> {out['output']} ({where})\n"
        f"fiducial rate = {out['rate']:.6e} +- {out['rate_error']:.2e} {out['rate_unit']} (seed {out['seed']}; "
        f"sum of weights {out['sum_w']:.6e})"
    )
    if out["unweighted"]:
        text += (
            f"\nunweighting efficiency {out['unweighting_efficiency']:.4f}, event weight {out['max_weight']:.4e} "
            f"{out['rate_unit']}, overweight fraction {out['overweight_fraction']:.2e} of the rate "
            f"({out['n_overweight_events']} events above the event weight)"
        )
    emit(out, args.json, text)
    return 0
