"""``muonbsm run CARD``: generate -> detector -> analysis -> report, into one results directory.

A pipeline card (TOML) names the steps; paths inside it are relative to the card::

    [pipeline]
    output_dir = "results/quickstart"
    seed = 1                     # master seed of the Mu3e detector step (default 1)

    [[generate]]                 # any number of generation cards (samples/mu3e_ic.toml, ...)
    card = "mu3e_ic.toml"
    events = 20000               # optional override of [run] events
    format = "parquet"           # optional: root, parquet, lhe, hepmc (default: the card's suffix)

    [detector]
    mu3e = true                  # Mu3e detector on every Mu3e sample: cut-flows and efficiency table
    config = ""                  # optional detector configuration (default: packaged phase I)

    [analysis]
    mu3e_reach = "mu3e_reach.toml"   # optional: bump hunt + angular scan (muonbsm analyze)
    alp_reach = "alp_reach.toml"     # optional: fixed-target ALP reach (muonbsm reach)

The results directory holds ``events/`` (one file per generation card, resumable),
``detector/`` (cut-flows and table), ``analysis/`` (reach tables and figures) and
``report.md``, which states every input: the cards' text, seeds, package versions, rates with
errors. A rerun reuses event files whose stored card and event count match.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from muonbsm.cards import PIPELINE, CardError, load_card, read_toml
from muonbsm.generator.processes.registry import output_suffix
from muonbsm.schema import validate

__all__ = ["load_pipeline", "run_pipeline"]

def load_pipeline(path: str | Path) -> dict[str, Any]:
    """Read and validate a pipeline card (schema :data:`muonbsm.cards.PIPELINE`); resolves
    the referenced cards relative to it and validates them too."""
    path = Path(path)
    spec = validate(PIPELINE, read_toml(path, "pipeline card"), str(path))
    base = path.parent
    steps = []
    for entry in spec["generate"]:
        card = load_card(base / entry["card"])
        if entry["events"] is not None:
            card["run"]["events"] = entry["events"]
        fmt = entry["format"]
        suffix = f".{fmt}" if fmt else (output_suffix(card["run"]["output"]) or ".parquet")
        steps.append({"name": Path(entry["card"]).stem, "card": card, "suffix": suffix})
    analysis = {k: v for k, v in spec["analysis"].items() if v is not None}
    for key, value in analysis.items():
        if not (base / value).is_file():
            raise CardError(f"{path}: [analysis] {key}: card {str(base / value)!r} does not exist")
    config = spec["detector"]["config"] or None
    return {"path": path, "text": path.read_text(), "output_dir": Path(spec["pipeline"]["output_dir"]),
            "seed": spec["pipeline"]["seed"],
            "generate": steps, "detector_mu3e": spec["detector"]["mu3e"],
            "detector_config": str(base / config) if config else None,
            "analysis": {k: base / v for k, v in analysis.items()}}


def _generate(step: dict[str, Any], outdir: Path, log: Callable[[str], None]) -> dict[str, Any]:
    """Generate one sample unless an identical one (same card text and event count) exists."""
    from muonbsm import io
    from muonbsm.cli.generate import run_card

    card = step["card"]
    output = outdir / "events" / f"{step['name']}{step['suffix']}"
    card["run"]["output"] = str(output)
    text = card.get("source", {}).get("text", "")
    if output.exists():
        _, meta = io.read(output)
        if meta.get("card") == text and meta.get("card_parsed", {}).get("run", {}).get("events") == card["run"]["events"]:
            log(f"{output.name}: up to date, reused")
            from muonbsm.generator.generate import RunSummary

            return {**{k: meta[k] for k in RunSummary.__dataclass_fields__ if k in meta}, "output": str(output), "reused": True}
    log(f"{output.name}: generating {card['run']['events']} events")
    return {**run_card(card), "reused": False}


def _detector(samples: dict[str, dict[str, Any]], config_path: str | None, outdir: Path, seed: int) -> list[dict[str, Any]]:
    """Mu3e detector on every Mu3e sample with the pipeline's master ``seed`` (sample ``k``
    on ``("sample", k, "detector")``, the same table as
    ``muonbsm detector table --input <events> --seed <seed>``); writes the rows with their MC
    errors (JSON) and the table (text)."""
    from muonbsm import io
    from muonbsm.detector.mu3e import efficiency_table, format_table, load_config

    config = load_config(config_path)
    events = {name: io.read(s["output"])[0] for name, s in samples.items()}
    rows = efficiency_table(events, config, seed=seed)
    target = outdir / "detector"
    target.mkdir(parents=True, exist_ok=True)
    (target / "mu3e_efficiency.json").write_text(json.dumps(rows, indent=1, default=float))
    (target / "mu3e_efficiency.txt").write_text(format_table(rows) + "\n")
    return rows


def run_pipeline(path: str | Path, log: Callable[[str], None] = print) -> Path:
    """Run every step of the pipeline card at ``path``; returns the path of ``report.md``."""
    spec = load_pipeline(path)
    outdir = spec["output_dir"]
    outdir.mkdir(parents=True, exist_ok=True)
    summaries = {step["name"]: _generate(step, outdir, log) for step in spec["generate"]}
    detector_rows: list[dict[str, Any]] = []
    mu3e = {step["name"]: summaries[step["name"]] for step in spec["generate"]
            if step["card"]["process"]["name"].startswith("mu3e")}
    if spec["detector_mu3e"] and mu3e:
        log("Mu3e detector")
        detector_rows = _detector(mu3e, spec["detector_config"], outdir, spec["seed"])
    analysis: dict[str, Any] = {}
    if "alp_reach" in spec["analysis"]:
        log("ALP fixed-target reach")
        analysis["alp_reach"] = _alp_reach(spec["analysis"]["alp_reach"], outdir / "analysis")
    if "mu3e_reach" in spec["analysis"]:
        log("Mu3e reach scan")
        analysis["mu3e_reach"] = _mu3e_reach(spec["analysis"]["mu3e_reach"], outdir / "analysis" / "mu3e_reach", log)
    from muonbsm.io.metadata import package_versions
    from muonbsm.report import write_report

    return write_report(outdir, spec, summaries, detector_rows, analysis, package_versions())


def _alp_reach(card: Path, outdir: Path) -> dict[str, Any]:
    """Fixed-target reach table (JSON, text) and figures 6-7 from its rows."""
    from muonbsm.analysis.fixed_target.plots import plot_reach
    from muonbsm.analysis.fixed_target.reach import format_table, reach_table

    outdir.mkdir(parents=True, exist_ok=True)
    rows = reach_table(card)
    (outdir / "alp_reach.json").write_text(json.dumps(rows, indent=1))
    (outdir / "alp_reach.txt").write_text(format_table(rows) + "\n")
    figures = []
    for channel, fig in (("invisible", "alp_reach_invisible.png"), ("visible", "alp_reach_visible.png")):
        if any(r["channel"] == channel and r["c_over_lambda_per_tev"] is not None for r in rows):
            plot_reach(rows, outdir / fig, channel)
            figures.append(f"analysis/{fig}")
    return {"rows": rows, "table": format_table(rows), "figures": figures, "card": str(card)}


def _mu3e_reach(card: Path, outdir: Path, log: Callable[[str], None]) -> dict[str, Any]:
    """Mu3e bump-hunt/angular reach scan (the reach card's own ``[statistics] seed``) with its
    tables and figures in ``outdir``; the cache stays where the reach card puts it."""
    import time

    from muonbsm.analysis.mu3e.reach import analyze, format_rows, load_card as load_reach_card
    from muonbsm.analysis.mu3e.tasks import cache_size, format_bytes

    reach_card = load_reach_card(card)
    reach_card.results_dir = outdir
    start = time.monotonic()
    rows = analyze(reach_card, progress=False)
    log(f"Mu3e reach: {len(rows)} rows in {time.monotonic() - start:.0f} s; cache {reach_card.cache_dir} "
        f"({format_bytes(cache_size(reach_card.cache_dir))})")
    figures = sorted(str(p.relative_to(outdir.parent.parent)) for p in outdir.glob("*.png"))
    return {"rows": rows, "table": format_rows(rows), "figures": figures, "card": str(card),
            "models": [m.name for m in reach_card.models], "decays": list(reach_card.decays),
            "rescale": _rescale_of(outdir)}


def _rescale_of(outdir: Path) -> tuple[float, float] | None:
    """The detector rescaling factor and its error stored with the reach table."""
    path = outdir / "mu3e_reach.json"
    if not path.exists():
        return None
    settings = json.loads(path.read_text()).get("settings", {})
    return (settings["rescale"], settings.get("rescale_error", 0.0)) if "rescale" in settings else None
