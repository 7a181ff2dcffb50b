"""The Markdown report of a pipeline run: every input number, the seeds, the results.

Every Monte Carlo number is written as ``value ± error`` (:func:`format_pm`).

>>> format_pm(0.46321, 0.00213), format_pm(3.653e-07, 1.2e-08), format_pm(0.855, 0.0)
('0.4632 ± 0.0021', '(3.65 ± 0.12)e-07', '0.855')
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

__all__ = ["format_pm", "write_report"]


def format_pm(value: float, error: float | None) -> str:
    """``value ± error`` with two significant digits of the error and the value rounded to
    the same decimal place; scientific notation outside [1e-3, 1e4). A missing, zero (below
    1e-12 of the value: rounding) or non-finite error prints the value alone (4 significant
    digits); ``inf`` prints as is."""
    v = float(value)
    if not math.isfinite(v):
        return str(v)
    if error is None or not math.isfinite(float(error)) or float(error) <= 1e-12 * abs(v):
        return f"{v:.4g}"
    e = float(error)
    exp = 0 if v == 0 or 1e-3 <= abs(v) < 1e4 else math.floor(math.log10(abs(v)))
    vs, es = v / 10**exp, e / 10**exp
    digits = max(0, 1 - math.floor(math.log10(es)))
    body = f"{vs:.{digits}f} ± {es:.{digits}f}"
    return body if exp == 0 else f"({body})e{exp:+03d}"


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
        lines.append(f"| {name} | {s['n_events']} | {kind} | {s['rate']:.5e} | {s['rate_error']:.2e} | {s['rate_unit']} | "
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


def _mu3e_summary(result: dict[str, Any]) -> list[str]:
    """Markdown tables of the Mu3e reach: per model, mass and exposure the bump-hunt and
    angular coupling limits and the gain of each variable pair, all ``value ± MC error``."""
    rows = result["rows"]
    if not rows:
        return []
    pairs = list(dict.fromkeys(r["pair"] for r in rows))
    lines = []
    if result.get("rescale"):
        r, dr = result["rescale"]
        lines += [f"Detector rescaling factor (phase-space calibration): {format_pm(r, dr)}.", ""]
    lines += ["Expected 95% CL limits (Asimov, q = 2.71) on the coupling at the reference point scaled by "
              "(BR limit / BR_ref)^(1/p); gain = bump-hunt BR limit / angular BR limit "
              "(Knapen et al., arXiv:2311.17913, Fig. 5). Errors: MC statistics of the templates (linear "
              "propagation; the gain with the bump/angular correlation).", ""]
    head = ["model", "m_X [MeV]", "muon decays", "coupling", "bump hunt"]
    head += [f"angular ({p})" for p in pairs] + [f"gain ({p})" for p in pairs]
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    keys = list(dict.fromkeys((r["model"], r["mass_gev"], r["decays"]) for r in rows))
    for model, mass, decays in keys:
        sel = {r["pair"]: r for r in rows if (r["model"], r["mass_gev"], r["decays"]) == (model, mass, decays)}
        first = sel[pairs[0]]
        cells = [model, f"{mass * 1e3:.0f}", f"{decays:.2g}", first["coupling"],
                 format_pm(first["coupling_limit_bump"], first.get("coupling_limit_bump_mc_error"))]
        cells += [format_pm(sel[p]["coupling_limit"], sel[p].get("coupling_limit_mc_error")) if p in sel else "-"
                  for p in pairs]
        cells += [format_pm(sel[p]["gain"], sel[p].get("gain_mc_error")) if p in sel else "-" for p in pairs]
        lines.append("| " + " | ".join(cells) + " |")
    return lines + [""]


def write_report(outdir: Path, spec: dict[str, Any], summaries: dict[str, dict[str, Any]],
                 detector_rows: list[dict[str, Any]], analysis: dict[str, Any], versions: dict[str, str]) -> Path:
    """Write ``outdir/report.md`` and return its path."""
    lines = ["# muonbsm run report", "", f"Card: `{spec['path']}`; results in `{outdir}`.", ""]
    lines += _generation(summaries)
    if detector_rows:
        from muonbsm.detector.mu3e import format_table

        lines += ["## Mu3e detector", "",
                  f"Efficiencies per sample, value ± MC error (weighted binomial; the rescaling factor's error "
                  f"from its calibration, propagated into the final efficiency). Detector streams from the "
                  f"pipeline seed {spec.get('seed', '-')} (`muonbsm.seeds`: sample k on "
                  f"`(\"sample\", k, \"detector\")`); `detector/mu3e_efficiency.json` has the numbers.",
                  "", "```", format_table(detector_rows), "```", ""]
    titles = {"alp_reach": "LFV-ALP fixed-target reach (3 events, zero background)",
              "mu3e_reach": "Mu3e reach: bump hunt and 2D angular likelihood (expected 95% CL, q = 2.71)"}
    for key, result in analysis.items():
        lines += [f"## {titles[key]}", "", f"Card `{result['card']}`.", ""]
        if key == "mu3e_reach":
            lines += _mu3e_summary(result)
            lines += ["<details><summary>all rows</summary>", "", "```", result["table"], "```", "", "</details>", ""]
        else:
            lines += ["```", result["table"], "```", ""]
        lines += [f"![{Path(fig).stem}]({fig})" for fig in result["figures"]] + [""]
    lines += _cards(spec)
    lines += ["## Versions", "", "| package | version |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in versions.items()] + [""]
    path = outdir / "report.md"
    path.write_text("\n".join(lines))
    return path
