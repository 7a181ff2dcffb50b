"""``muonbsm run CARD``: generate -> detector -> analysis -> report, into one results directory.

A pipeline card (TOML) names the steps; paths inside it are relative to the card::

    [pipeline]
    output_dir = "results/quickstart"

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

from muonbsm import io
from muonbsm.cards import CardError, load_card, read_toml
from muonbsm.io.metadata import package_versions

__all__ = ["load_pipeline", "run_pipeline"]

_SECTIONS = {"pipeline": {"output_dir"}, "generate": {"card", "events", "format"},
             "detector": {"mu3e", "config"}, "analysis": {"mu3e_reach", "alp_reach"}}
_FORMATS = {"root": ".root", "parquet": ".parquet", "lhe": ".lhe", "hepmc": ".hepmc3"}


def _check_keys(name: str, section: str, given: dict[str, Any]) -> None:
    bad = set(given) - _SECTIONS[section]
    if bad:
        raise CardError(f"{name}: [{section}] unknown key(s) {sorted(bad)}; allowed: {sorted(_SECTIONS[section])}")


def load_pipeline(path: str | Path) -> dict[str, Any]:
    """Read and validate a pipeline card; resolves the referenced cards relative to it."""
    path = Path(path)
    raw = read_toml(path, "pipeline card")
    name, base = path.name, path.parent
    unknown = set(raw) - set(_SECTIONS)
    if unknown:
        raise CardError(f"{name}: unknown section(s) {sorted(unknown)}; allowed: {sorted(_SECTIONS)}")
    if "pipeline" not in raw or "output_dir" not in raw["pipeline"]:
        raise CardError(f"{name}: [pipeline] output_dir is required")
    _check_keys(name, "pipeline", raw["pipeline"])
    steps = []
    for i, entry in enumerate(raw.get("generate", [])):
        _check_keys(name, "generate", entry)
        if "card" not in entry:
            raise CardError(f"{name}: [[generate]] entry {i + 1} needs a card")
        fmt = entry.get("format")
        if fmt is not None and fmt not in _FORMATS:
            raise CardError(f"{name}: [[generate]] format {fmt!r} is not one of {', '.join(_FORMATS)}")
        card = load_card(base / entry["card"])
        if "events" in entry:
            events = entry["events"]
            if isinstance(events, bool) or not isinstance(events, int) or events < 1:
                raise CardError(f"{name}: [[generate]] events must be an integer >= 1, got {events!r}")
            card["run"]["events"] = events
        suffix = _FORMATS[fmt] if fmt else "".join(Path(card["run"]["output"]).suffixes) or ".parquet"
        steps.append({"name": Path(entry["card"]).stem, "card": card, "suffix": suffix})
    detector = raw.get("detector", {})
    _check_keys(name, "detector", detector)
    analysis = raw.get("analysis", {})
    _check_keys(name, "analysis", analysis)
    for key, value in analysis.items():
        if not (base / value).is_file():
            raise CardError(f"{name}: [analysis] {key}: card {str(base / value)!r} does not exist")
    config = detector.get("config") or None
    return {"path": path, "text": path.read_text(), "output_dir": Path(raw["pipeline"]["output_dir"]),
            "generate": steps, "detector_mu3e": bool(detector.get("mu3e", False)),
            "detector_config": str(base / config) if config else None,
            "analysis": {k: base / v for k, v in analysis.items()}}


def _generate(step: dict[str, Any], outdir: Path, log: Callable[[str], None]) -> dict[str, Any]:
    """Generate one sample unless an identical one (same card text and event count) exists."""
    from muonbsm.cli.generate import run_card

    card = step["card"]
    output = outdir / "events" / f"{step['name']}{step['suffix']}"
    card["run"]["output"] = str(output)
    text = card.get("source", {}).get("text", "")
    if output.exists():
        _, meta = io.read(output)
        if meta.get("card") == text and meta.get("card_parsed", {}).get("run", {}).get("events") == card["run"]["events"]:
            log(f"{output.name}: up to date, reused")
            return {**meta["summary"], "output": str(output), "reused": True}
    log(f"{output.name}: generating {card['run']['events']} events")
    return {**run_card(card), "reused": False}


def _detector(samples: dict[str, dict[str, Any]], config_path: str | None, outdir: Path) -> list[dict[str, Any]]:
    """Mu3e detector on every Mu3e sample; writes cut-flows (JSON) and the table (text)."""
    from muonbsm.detector.mu3e import efficiency_table, format_table, load_config

    config = load_config(config_path)
    events = {name: io.read(s["output"])[0] for name, s in samples.items()}
    rows = efficiency_table(events, config, seed=1)
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
        detector_rows = _detector(mu3e, spec["detector_config"], outdir)
    analysis: dict[str, Any] = {}
    if "alp_reach" in spec["analysis"]:
        log("ALP fixed-target reach")
        analysis["alp_reach"] = _alp_reach(spec["analysis"]["alp_reach"], outdir / "analysis")
    if "mu3e_reach" in spec["analysis"]:
        log("Mu3e reach scan")
        analysis["mu3e_reach"] = _mu3e_reach(spec["analysis"]["mu3e_reach"], outdir / "analysis" / "mu3e_reach")
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


def _mu3e_reach(card: Path, outdir: Path) -> dict[str, Any]:
    """Mu3e bump-hunt/angular reach scan with its tables and figures in ``outdir``."""
    from muonbsm.analysis.mu3e.reach import analyze, format_rows, load_card as load_reach_card

    reach_card = load_reach_card(card)
    reach_card.results_dir = outdir
    rows = analyze(reach_card, progress=False)
    figures = sorted(str(p.relative_to(outdir.parent.parent)) for p in outdir.glob("*.png"))
    return {"rows": rows, "table": format_rows(rows), "figures": figures, "card": str(card)}
