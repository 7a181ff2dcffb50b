"""``muonbsm generate CARD``: produce the event file a run card describes."""

from __future__ import annotations

import argparse
import logging
from typing import Any

from muonbsm.cards import load_card
from muonbsm.cli.common import emit

__all__ = ["register", "run_card"]

log = logging.getLogger("muonbsm")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("generate", help="generate events from a TOML run card")
    p.add_argument("card", help="run card (TOML), e.g. samples/mu3e_ic.toml")
    p.add_argument("--events", type=int, help="override [run] events")
    p.add_argument("--output", help="override [run] output (.root or .parquet)")
    p.add_argument("--seed", type=int, help="override [run] seed")
    p.add_argument("--workers", type=int, help="override [run] workers (local processes)")
    p.add_argument("--scheduler", help="dask scheduler address, or 'local' for a LocalCluster")
    p.add_argument("--json", action="store_true", help="print the run summary as JSON")
    p.set_defaults(func=_main)


def run_card(card: dict[str, Any], scheduler: str | None = None, progress: bool = True) -> dict[str, Any]:
    """Generate the sample of a validated card; returns the run summary as a dict."""
    from muonbsm.generator.executors import make_executor
    from muonbsm.generator.generate import TrainingOptions, generate
    from muonbsm.generator.processes.registry import build_process

    run = card["run"]
    process = build_process(card)
    summary = generate(
        process,
        run["output"],
        run["events"],
        seed=run["seed"],
        unweighted=run["unweighted"],
        chunk_size=run["chunk_size"],
        training=TrainingOptions(**card["training"]),
        executor=make_executor(run["workers"], scheduler),
        metadata={"card": card.get("source", {}).get("text", ""), "card_parsed": {k: v for k, v in card.items() if k != "source"}},
        progress=progress,
    )
    out = summary.to_dict()
    out["output"] = run["output"]
    return out


def _main(args: argparse.Namespace) -> int:
    card = load_card(args.card)
    for key in ("events", "output", "seed", "workers"):
        if getattr(args, key) is not None:
            card["run"][key] = getattr(args, key)
    out = run_card(card, args.scheduler)
    kind = "unweighted" if out["unweighted"] else "weighted"
    text = (
        f"{out['n_events']} {kind} events -> {out['output']}\n"
        f"fiducial rate = {out['rate']:.6e} +- {out['error']:.2e} {out['unit']} (seed {out['seed']})"
    )
    if out["unweighted"]:
        text += (
            f"\nunweighting efficiency {out['unweighting_efficiency']:.4f}, max weight {out['max_weight']:.4e} {out['unit']}, "
            f"overweight fraction {out['overweight_fraction']:.2e}"
        )
    emit(out, args.json, text)
    return 0
