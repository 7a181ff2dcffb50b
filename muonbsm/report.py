"""The Markdown report of a pipeline run: every input number, the seeds, the results."""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["write_report"]


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return "-" if value is None else str(value)


def _generation(summaries: dict[str, dict[str, Any]]) -> list[str]:
    lines = ["## Samples", "",
             "| sample | events | kind | fiducial rate | MC error | unit | seed | unweighting eff. | file |",
             "|---|---|---|---|---|---|---|---|---|"]
    for name, s in summaries.items():
        kind = "unweighted" if s["unweighted"] else "weighted"
        lines.append(f"| {name} | {s['n_events']} | {kind} | {s['rate']:.5e} | {s['error']:.2e} | {s['unit']} | "
                     f"{s['seed']} | {_fmt(s.get('unweighting_efficiency'))} | `{Path(s['output']).name}` |")
    return lines + [""]


def _cards(spec: dict[str, Any]) -> list[str]:
    lines = ["## Inputs", "", f"Pipeline card `{spec['path']}`:", "", "```toml", spec["text"].rstrip(), "```", ""]
    for step in spec["generate"]:
        lines += [f"Generation card of `{step['name']}` (events set to {step['card']['run']['events']}):", "",
                  "```toml", step["card"].get("source", {}).get("text", "").rstrip(), "```", ""]
    for key, card in spec["analysis"].items():
        lines += [f"Analysis card `{key}` = `{card}`:", "", "```toml", Path(card).read_text().rstrip(), "```", ""]
    return lines


def write_report(outdir: Path, spec: dict[str, Any], summaries: dict[str, dict[str, Any]],
                 detector_rows: list[dict[str, Any]], analysis: dict[str, Any], versions: dict[str, str]) -> Path:
    """Write ``outdir/report.md`` and return its path."""
    lines = ["# muonbsm run report", "", f"Card: `{spec['path']}`; results in `{outdir}`.", ""]
    lines += _generation(summaries)
    if detector_rows:
        from muonbsm.detector.mu3e import format_table

        lines += ["## Mu3e detector", "", "Efficiencies per sample (`detector/mu3e_efficiency.json` has the MC errors):",
                  "", "```", format_table(detector_rows), "```", ""]
    titles = {"alp_reach": "LFV-ALP fixed-target reach (3 events, zero background)",
              "mu3e_reach": "Mu3e reach: bump hunt and 2D angular likelihood (expected 95% CL, q = 2.71)"}
    for key, result in analysis.items():
        lines += [f"## {titles[key]}", "", f"Card `{result['card']}`.", "", "```", result["table"], "```", ""]
        lines += [f"![{Path(fig).stem}]({fig})" for fig in result["figures"]] + [""]
    lines += _cards(spec)
    lines += ["## Versions", "", "| package | version |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in versions.items()] + [""]
    path = outdir / "report.md"
    path.write_text("\n".join(lines))
    return path
