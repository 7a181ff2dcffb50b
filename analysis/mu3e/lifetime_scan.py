r"""Prompt versus displaced-aware Mu3e reach, and the dark-photon reach with the published limits.

``python -m muonbsm.analysis.mu3e.lifetime_scan CARD [--models M,...] [--masses-mev 10,20,40]
[--pair a,b] [--out DIR] [--cache-dir DIR]`` reads the statistics, analysis settings, decays and cache of a reach
card (:func:`muonbsm.analysis.mu3e.reach.load_card`), and for every model and mass

1. builds the prompt signal and the IC background (:class:`~muonbsm.analysis.mu3e.samples.SampleFactory`,
   the same cache as ``muonbsm analyze``) and the prompt angular limit
   (:func:`~muonbsm.analysis.mu3e.scan.analyze_point`);
2. builds one displaced sample (``--displaced-factor`` x ``signal_points`` points) and solves
   for the coupling with the lifetime-dependent efficiency
   (:func:`~muonbsm.analysis.mu3e.lifetime.lifetime_reach`).

Writes ``lifetime_reach.csv`` / ``.json`` (value and MC error of every limit, c tau and
efficiency at the limit, the BR limit and efficiency versus c tau), ``reach_lifetime_<model>.png``
(prompt and displaced-aware reach with MC-error bands) and, for the dark photon,
``reach_dark_photon_limits.png``: the prompt eps^2 reach (angular and bump hunt) with the
displaced-aware curve, the published limits as shaded regions and the Mu3e projection of
Echenard, Essig, Zhong (arXiv:1411.1770) dashed. Units: GeV inside, MeV on the figures.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from muonbsm.analysis.mu3e.existing_limits import default_limits, projection, read_limit
from muonbsm.analysis.mu3e.lifetime import lifetime_reach
from muonbsm.analysis.mu3e.plots import caption, plot_reach
from muonbsm.analysis.mu3e.samples import BUILTIN_MODELS, ModelSpec, SampleFactory
from muonbsm.analysis.mu3e.scan import analyze_point

__all__ = ["run", "write_outputs", "main"]

_SCALAR = ("coupling_limit_prompt", "coupling_limit_prompt_mc_error", "coupling_limit_displaced",
           "coupling_limit_displaced_mc_error", "ctau_at_limit_mm", "ctau_reference_mm", "efficiency_at_limit",
           "efficiency_at_limit_mc_error", "efficiency_short_ctau", "displaced_mc_events")


def run(card: Any, models: list[ModelSpec], masses: list[float], pair: str = "a,b", displaced_factor: float = 3.0,
        progress: bool = True) -> tuple[list[dict], list[dict]]:
    """Prompt rows (:func:`analyze_point`, every pair of the card) and lifetime rows
    (:func:`lifetime_reach`, ``pair``) for ``models`` at ``masses`` [GeV] and the card's decays."""
    factory = SampleFactory(card.samples, card.cache_dir)
    n_disp = int(displaced_factor * card.samples.signal_points)
    prompt_rows, life_rows = [], []
    start = time.monotonic()
    for i, m in enumerate(masses):
        bkg = factory.background(m, i)
        for k, spec in enumerate(models):
            sig = factory.signal(spec, m, i, k)
            br_ref, br_err = factory.total_rate(spec, m, i, k)
            rows = analyze_point(spec, m, sig, bkg, br_ref, list(card.decays), sorted({pair, *card.pairs}), card.analysis)
            prompt_rows += rows
            for r in (r for r in rows if r["pair"] == pair):
                if spec.model(m).ctau_mm is None:
                    continue  # muon-only X without a stated lifetime: prompt only
                lr = lifetime_reach(factory, spec, m, i, k, bkg, br_ref, r["decays"], pair, card.analysis,
                                    r["br_limit_angular"], r.get("br_limit_angular_mc_error", 0.0), n_points=n_disp)
                life_rows.append(lr)
                if progress:
                    print(f"lifetime: {spec.name} {m * 1e3:.0f} MeV {r['decays']:.2g} decays: "
                          f"prompt {lr['coupling_limit_prompt']:.3e} +- {lr['coupling_limit_prompt_mc_error']:.1e}, "
                          f"displaced {lr['coupling_limit_displaced']:.3e} +- {lr['coupling_limit_displaced_mc_error']:.1e} "
                          f"(c tau {lr['ctau_at_limit_mm']:.3g} mm) [{time.monotonic() - start:.0f} s]",
                          file=sys.stderr, flush=True)
    return prompt_rows, life_rows


def _coupling_error(row: dict, spec: ModelSpec, key: str = "") -> float:
    """MC error of the angular (or ``key`` = "_bump") coupling limit of a prompt row: the row's
    own, else from the BR-limit error, d ln c = d ln B / p (p = 1 for eps^2, 2 for a coupling)."""
    if f"coupling_limit{key}_mc_error" in row:
        return float(row[f"coupling_limit{key}_mc_error"])
    br = "br_limit_bump" if key else "br_limit_angular"
    power = 1.0 if spec.squared else 2.0
    return float(row[f"coupling_limit{key}"] * row.get(f"{br}_mc_error", np.nan) / row[br] / power)


def _ylabel(spec: ModelSpec) -> str:
    if spec.coupling == "epsilon":
        return r"$\varepsilon^2$" if spec.squared else r"$\varepsilon$"
    tex = {"g_mu": r"g_\mu", "g_e": "g_e"}.get(spec.coupling, spec.coupling)
    return f"${tex}^2$" if spec.squared else f"${tex}$"


def write_outputs(prompt_rows: list[dict], life_rows: list[dict], models: list[ModelSpec], masses: list[float],
                  out: Path, cl: float, pair: str = "a,b", limit_files: tuple[str, ...] = ()) -> list[Path]:
    """Tables and figures (module docstring) in ``out``; returns the written paths."""
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "lifetime_reach.json", out / "lifetime_reach.csv"]
    paths[0].write_text(json.dumps({"prompt": prompt_rows, "lifetime": life_rows}, indent=1, default=float))
    with paths[1].open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["model", "mass_gev", "decays", "pair", "coupling", *_SCALAR])
        for r in life_rows:
            w.writerow([r["model"], r["mass_gev"], r["decays"], r["pair"], r["coupling"], *(r[k] for k in _SCALAR)])
    decays = sorted({r["decays"] for r in life_rows} | {r["decays"] for r in prompt_rows})
    for spec in models:
        sel_m = [m for m in masses if any(r["model"] == spec.name and r["mass_gev"] == m for r in prompt_rows)]
        limits, errors, styles = {}, {}, {}
        for j, n in enumerate(decays):
            life = [r for m in sel_m for r in life_rows if r["model"] == spec.name and r["mass_gev"] == m and r["decays"] == n]
            prompt = [r for m in sel_m for r in prompt_rows
                      if r["model"] == spec.name and r["mass_gev"] == m and r["decays"] == n and r["pair"] == pair]
            tag = f"{n:.2g} decays" if len(decays) > 1 else ""
            if spec.name == "dark-photon":
                key = f"bump hunt, {tag}"
                limits[key] = np.array([r["coupling_limit_bump"] for r in prompt])
                errors[key] = np.array([_coupling_error(r, spec, "_bump") for r in prompt])
                styles[key] = f"C{2 * j}:"
            key = f"angular ({pair}), prompt, {tag}"
            limits[key] = np.array([r["coupling_limit"] for r in prompt])
            errors[key] = np.array([_coupling_error(r, spec) for r in prompt])
            styles[key] = f"C{2 * j + 1}-"
            if len(life) == len(sel_m):
                key = f"angular ({pair}), displaced-aware, {tag}"
                limits[key] = np.array([r["coupling_limit_displaced"] for r in life])
                errors[key] = np.array([r["coupling_limit_displaced_mc_error"] for r in life])
                styles[key] = f"C{2 * j + 1}-."
        if not sel_m:
            continue
        label = spec.label or spec.name
        path = out / f"reach_lifetime_{spec.name}.png"
        plot_reach(np.array(sel_m), limits, (), _ylabel(spec), path, errors=errors, styles=styles,
                   info=caption(cl, decays, extra=label)).clf()
        paths.append(path)
        if spec.name == "dark-photon":
            n = max(decays)
            keep = [k for k in limits if k.endswith(f"{n:.2g} decays")]
            names = {k: k.replace(f", {n:.2g} decays", "") for k in keep}  # the caption states the exposure
            kind = {"bump": "C0:", "prompt": "C1-", "displaced": "C3-."}
            styles = {k: next(v for w, v in kind.items() if w in k) for k in keep}
            existing = default_limits() + [read_limit(f) for f in limit_files]
            path = out / "reach_dark_photon_limits.png"
            plot_reach(np.array(sel_m), {names[k]: limits[k] for k in keep}, (), r"$\varepsilon^2$", path,
                       errors={names[k]: errors[k] for k in keep}, styles={names[k]: styles[k] for k in keep},
                       info=caption(cl, n, extra="dark photon"), existing=existing, projection=projection(),
                       power=2.0, log_x=True, xlim_mev=(1.0, 110.0), ylim=(1e-11, 1e-4)).clf()
            paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> int:
    """Command line (module docstring)."""
    from muonbsm.analysis.mu3e.reach import load_card

    ap = argparse.ArgumentParser(prog="python -m muonbsm.analysis.mu3e.lifetime_scan", description=__doc__.split("\n")[0])
    ap.add_argument("card", help="Mu3e reach card (statistics, analysis, decays, cache)")
    ap.add_argument("--models", default="scalar-mixed,pseudoscalar-mixed", help="built-in model names, comma separated")
    ap.add_argument("--masses-mev", default="10,20,40", help="X masses [MeV], comma separated")
    ap.add_argument("--pair", default="a,b", help="angular variable pair for the lifetime solve")
    ap.add_argument("--displaced-factor", type=float, default=3.0, help="displaced points / signal_points")
    ap.add_argument("--limit-file", action="append", default=[], help="extra limit CSV (mass_gev, epsilon_lower[, epsilon_upper])")
    ap.add_argument("--out", default="", help="output folder (default: <results_dir>/lifetime)")
    ap.add_argument("--cache-dir", default="", help="sample cache (default: the card's cache_dir)")
    args = ap.parse_args(argv)
    card = load_card(args.card)
    if args.cache_dir:
        card.cache_dir = Path(args.cache_dir)
    names = [n.strip() for n in args.models.split(",") if n.strip()]
    unknown = [n for n in names if n not in BUILTIN_MODELS]
    if unknown:
        ap.error(f"--models: unknown {unknown}; allowed {sorted(BUILTIN_MODELS)}")
    try:
        masses = [float(x) * 1e-3 for x in args.masses_mev.split(",")]
    except ValueError:
        ap.error(f"--masses-mev: need numbers in MeV, got {args.masses_mev!r}")
    if not all(1.1e-3 < m < 0.105 for m in masses):
        ap.error("--masses-mev: masses must lie in (1.1, 105) MeV")
    models = [BUILTIN_MODELS[n] for n in names]
    prompt_rows, life_rows = run(card, models, masses, args.pair, args.displaced_factor)
    out = Path(args.out) if args.out else Path(card.results_dir) / "lifetime"
    for p in write_outputs(prompt_rows, life_rows, models, masses, out, card.analysis.cl, args.pair,
                           tuple(args.limit_file)):
        print(p)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
