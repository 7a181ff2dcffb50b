"""End-to-end Mu3e reach from a TOML card: ``muonbsm analyze samples/mu3e_reach.toml``.

For every model and mass of the card (Knapen et al. 2023 (arXiv:2311.17913), Secs. II-III, App. C.3): signal and windowed IC
background samples (:mod:`~muonbsm.analysis.mu3e.samples`, cached), the parametrised detector,
the optimal m_ee window, the bump-hunt and 2D angular expected limits on
BR(mu -> e nu nu X) x BR(X -> ee), their ratio (gain) and the coupling limits
(:mod:`~muonbsm.analysis.mu3e.scan`), for each number of muon decays. Writes a CSV and a JSON
table and the figures of Knapen et al., Figs. 4-7 to ``results_dir``.

Card (all keys optional except ``[scan] models`` and ``masses_mev``; unknown keys raise)::

    [scan]
    models = ["dark-photon"]          # BUILTIN_MODELS names or [models.NAME] tables
    masses_mev = [10, 20, 40, 80]
    decays = [1e15, 5.5e16]
    pairs = ["a,b", "a,c"]
    results_dir = "results/mu3e_reach"
    cache_dir = "results/mu3e_reach/cache"
    [analysis]   bins, min_bkg_events, statistic, cl, max_half_width_mev
    [statistics] background_points, min_window_events, max_background_points, signal_points,
                 nitn, neval, rate_neval, gen_min_pt_mev, margin_sigma, workers, chunk_size, calibration_events, seed, polarization
    [detector]   config = ""              # path of a Mu3e detector TOML ("" = default)
    [bands]      target = "WP2020", n_sigma = [1, 2]   # (g-2)_mu bands on the reach plots
    [plots]      enabled = true, distribution_masses_mev = [20, 60]
    [models.NAME] process = "scalar", g_mu = 1e-4, g_e = 1e-5, coupling = "g_mu", squared = false
"""

from __future__ import annotations

import csv
import json
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from muonbsm.analysis.stats.bands import band_from_unit
from muonbsm.analysis.stats.likelihood import histogram_2d
from muonbsm.cards import MU3E_REACH, read_toml
from muonbsm.generator.processes.registry import COUPLINGS
from muonbsm.schema import validate
from muonbsm.report import format_pm
from muonbsm.analysis.mu3e.bump_hunt import in_window
from muonbsm.analysis.mu3e.samples import BUILTIN_MODELS, ModelSpec, SampleFactory, SampleSettings
from muonbsm.analysis.mu3e.scan import PAIRS, VARIABLE_RANGES, AnalysisSettings, analyze_point, paired_variables
from muonbsm.analysis.mu3e.plots import ReachBand, caption, plot_distributions_2d, plot_gain, plot_reach
from muonbsm.analysis.mu3e.existing_limits import default_limits, projection, read_limit
from muonbsm.analysis.mu3e.lifetime import LIFETIME_KEYS, add_lifetime_limits
from muonbsm.analysis.mu3e.tasks import MassTask, cache_size, format_bytes, progress_printer, run_masses


__all__ = ["REQUIRED_KEYS", "ReachCard", "load_card", "analyze", "analyze_card", "format_rows", "write_tables", "write_plots"]

#: Keys every row of :func:`analyze_card` carries (plus extras, see :func:`analyze_point`).
REQUIRED_KEYS = ("model", "mass_gev", "decays", "pair", "br_limit_bump", "br_limit_angular", "gain", "coupling",
                 "coupling_limit")
_COUPLING_TEX = {"epsilon": r"\varepsilon", "g_mu": r"g_\mu", "g_e": "g_e", "g_v_e": "g_V^e", "g_a_e": "g_A^e",
                 "g_v_mu": r"g_V^\mu", "g_a_mu": r"g_A^\mu"}
_LABELS = {"cos_es_em": r"$\cos\theta(e^+_s, e^-)$", "x_es": r"$x_{e^+_s}$", "cos_es_ex": r"$\cos\theta(e^+_s, e^+_X)$"}


class ReachCard:
    """A validated reach card: ``models`` (:class:`ModelSpec`), ``masses`` [GeV], ``decays``,
    ``pairs``, ``analysis``, ``samples`` settings, directories, bands and plot options."""

    def __init__(self, data: Mapping[str, Any], base: Path | None = None, name: str = "reach card") -> None:
        card = validate(MU3E_REACH, data, name)  # every key: type, unit, range (CardError names it)
        scan, st, an = card["scan"], card["statistics"], card["analysis"]
        self.models = [self._model(m, card["models"]) for m in scan["models"]]
        self.masses = list(scan["masses"])
        self.decays, self.pairs = list(scan["decays"]), list(scan["pairs"])
        self.results_dir = Path(scan["results_dir"])
        self.cache_dir = Path(scan["cache_dir"]) if scan["cache_dir"] else self.results_dir / "cache"
        hw = an["max_half_width"]
        self.analysis = AnalysisSettings(an["bins"], an["min_bkg_events"], an["statistic"], an["cl"], hw)
        det = card["detector"]["config"]
        if det and base is not None and not Path(det).is_absolute():
            det = str(base / det)
        self.samples = SampleSettings(
            background_points=st["background_points"], min_window_events=st["min_window_events"],
            max_background_points=st["max_background_points"], signal_points=st["signal_points"],
            nitn=st["nitn"], neval=st["neval"], gen_min_pt=st["gen_min_pt"], max_half_width=hw,
            margin_sigma=st["margin_sigma"], workers=st["workers"], chunk_size=st["chunk_size"],
            rate_neval=st["rate_neval"], calibration_events=st["calibration_events"],
            polarization=tuple(st["polarization"]), seed=st["seed"], detector_config=det)
        self.band_target, self.band_sigmas = card["bands"]["target"], list(card["bands"]["n_sigma"])
        self.plots = card["plots"]["enabled"]
        self.distribution_masses = list(card["plots"]["distribution_masses"])
        self.lifetime = an["lifetime"]
        files = [f if base is None or Path(f).is_absolute() else str(base / f) for f in card["plots"]["limit_files"]]
        self.limits = default_limits() + [read_limit(f) for f in files]  # InputError names a bad file

    @staticmethod
    def _model(name: str, tables: Mapping[str, dict[str, Any]]) -> ModelSpec:
        if name in tables:
            t = tables[name]
            couplings = {k: v for k, v in t.items() if k in COUPLINGS and v is not None}
            return ModelSpec(name, t["process"], couplings, t["coupling"], t["squared"], t["label"] or name)
        return BUILTIN_MODELS[name]


def load_card(path: str | Path) -> ReachCard:
    """Read and validate a reach card (schema :data:`muonbsm.cards.MU3E_REACH`);
    :class:`~muonbsm.errors.CardError` names the file, section and key."""
    p = Path(path)
    return ReachCard(read_toml(p, "reach card"), p.parent, str(p))


def analyze_card(path: str | Path, progress: bool = True) -> list[dict]:
    """Run the scan of the card at ``path`` (see :func:`analyze`)."""
    return analyze(load_card(path), progress)


def analyze(card: ReachCard, progress: bool = True) -> list[dict]:
    """Run the scan of a loaded ``card``; returns the rows and writes tables and plots to
    ``card.results_dir``.

    The mass points run as independent tasks in ``[statistics] workers`` processes
    (:mod:`~muonbsm.analysis.mu3e.tasks`). Rows: one per model x mass x decays x pair with
    :data:`REQUIRED_KEYS` and extras (``half_width_gev``, ``signal_fraction_dropped``, the MC
    error of every number as ``<key>_mc_error``, ``s_window``, ...). With ``progress`` a line
    per finished mass goes to stderr, and at the end the cache location and size.
    """
    factory = SampleFactory(card.samples, card.cache_dir)
    start = time.monotonic()
    rescaling = factory.rescaling()
    t_cal = time.monotonic() - start
    tasks = [MassTask(m, i, tuple(card.models), tuple(card.decays), tuple(card.pairs), card.samples, card.analysis,
                      str(card.cache_dir), rescaling) for i, m in enumerate(card.masses)]
    results = run_masses(tasks, card.samples.workers, progress_printer(len(tasks)) if progress else None)
    rows = [r for res in results for r in res.rows]
    seconds = {"calibration": t_cal}
    for res in results:
        for stage, v in res.seconds.items():
            seconds[stage] = seconds.get(stage, 0.0) + v
    if card.lifetime:  # displaced-aware coupling limits on the first pair (cached samples reused)
        add_lifetime_limits(rows, factory, card.models, card.masses, card.pairs[0], card.analysis)
    t_plots = time.monotonic()
    write_tables(rows, card.results_dir, {**factory.describe(), "task_wall_seconds_by_stage": seconds})
    if card.plots:
        dists = []
        for m in card.distribution_masses:
            i = next((k for k, mm in enumerate(card.masses) if abs(mm - m) < 1e-9), None)
            if i is None:
                continue
            bkg = factory.background(card.masses[i], i)
            for k, spec in enumerate(card.models):
                hw = next(r["half_width_gev"] for r in rows if r["model"] == spec.name and r["mass_gev"] == card.masses[i])
                dists.append((spec, card.masses[i], factory.signal(spec, card.masses[i], i, k), bkg, hw))
        write_plots(rows, card, dists)
    if progress:
        size = cache_size(card.cache_dir)
        print(f"mu3e reach: {len(rows)} rows in {time.monotonic() - start:.0f} s (tables and figures "
              f"{time.monotonic() - t_plots:.0f} s); results in {card.results_dir}; cache {card.cache_dir} "
              f"({format_bytes(size)})", file=sys.stderr, flush=True)
    return rows


def write_tables(rows: list[dict], directory: str | Path, settings: Mapping[str, Any] | None = None) -> list[Path]:
    """``mu3e_reach.csv`` and ``mu3e_reach.json`` (rows and the sample settings) in ``directory``."""
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    paths = [d / "mu3e_reach.csv", d / "mu3e_reach.json"]
    if rows:
        with paths[0].open("w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    paths[1].write_text(json.dumps({"rows": rows, "settings": dict(settings or {})}, indent=1, default=str))
    return paths


def _g2_bands(spec: ModelSpec, masses: list[float], card: ReachCard) -> list[ReachBand]:
    unit = np.array([spec.model(m).delta_a_mu for m in masses]) / spec.reference_value ** (1 if spec.squared else 2)
    if np.any(unit == 0):
        return []
    out = []
    colors = {1.0: "tab:green", 2.0: "yellowgreen"}
    for n in sorted(card.band_sigmas, reverse=True):
        lo, hi = band_from_unit(unit, card.band_target, n, power=1.0 if spec.squared else 2.0)
        if np.all(np.isnan(hi)):
            continue
        out.append(ReachBand(np.asarray(masses), np.nan_to_num(lo), np.nan_to_num(hi),
                             rf"$(g-2)_\mu$ {card.band_target} ${n:g}\sigma$", colors.get(n, "tab:olive"), 0.35))
    return out


def write_plots(rows: list[dict], card: ReachCard, dists: Sequence[tuple] = ()) -> list[Path]:
    """Figures in ``card.results_dir``: gain vs m_X per number of decays (Fig. 5), coupling
    reach per model with (g-2)_mu bands (Figs. 6-7) and 2D distributions (Fig. 4)."""
    out: list[Path] = []
    d = card.results_dir
    masses = np.array(card.masses)
    style = {"a,b": "-", "a,c": "--"}
    for n in card.decays:
        gains, errors, styles = {}, {}, {}
        for k, spec in enumerate(card.models):
            for pair in card.pairs:
                sel = [r for r in rows if r["model"] == spec.name and r["decays"] == n and r["pair"] == pair]
                label = f"{spec.label or spec.name} ({pair})"
                gains[label] = np.array([r["gain"] for r in sel])
                errors[label] = np.array([r["gain_mc_error"] for r in sel])
                styles[label] = f"C{k % 10}{style.get(pair, ':')}"
        path = d / f"gain_{n:.2g}.png"
        plot_gain(masses, gains, path, styles, errors=errors, info=caption(card.analysis.cl, n)).clf()
        out.append(path)
    for spec in card.models:
        limits, errors = {}, {}
        for n in card.decays:
            sel = [r for r in rows if r["model"] == spec.name and r["decays"] == n and r["pair"] == card.pairs[0]]
            label = f"bump hunt, {n:.2g} decays"
            limits[label] = np.array([r["coupling_limit_bump"] for r in sel])
            errors[label] = np.array([r["coupling_limit_bump_mc_error"] for r in sel])
            for pair in card.pairs:
                sel = [r for r in rows if r["model"] == spec.name and r["decays"] == n and r["pair"] == pair]
                label = f"angular ({pair}), {n:.2g} decays"
                limits[label] = np.array([r["coupling_limit"] for r in sel])
                errors[label] = np.array([r["coupling_limit_mc_error"] for r in sel])
                if sel and np.all(np.isfinite([r.get(LIFETIME_KEYS[0], np.nan) for r in sel])):
                    label = f"angular ({pair}), displaced-aware, {n:.2g} decays"
                    limits[label] = np.array([r[LIFETIME_KEYS[0]] for r in sel])
                    errors[label] = np.array([r[LIFETIME_KEYS[1]] for r in sel])
        tex = _COUPLING_TEX.get(spec.coupling, spec.coupling)
        ylabel = f"${tex}^2$" if spec.squared and "^" not in tex else f"$({tex})^2$" if spec.squared else f"${tex}$"
        path = d / f"reach_{spec.name}.png"
        published: dict[str, Any] = {}  # the dark photon: published limits shaded, the Mu3e projection dashed
        if spec.process == "dark-photon" and spec.coupling == "epsilon":
            published = {"existing": card.limits, "projection": projection(), "log_x": True, "xlim_mev": (1.0, 110.0)}
        plot_reach(masses, limits, _g2_bands(spec, list(card.masses), card), ylabel, path, errors=errors,
                   info=caption(card.analysis.cl, card.decays, extra=spec.label or spec.name),
                   power=2.0 if spec.squared else 1.0, **published).clf()
        out.append(path)
    for spec, m, sig, bkg, hw in dists:
        for pair in card.pairs:
            a, b = PAIRS[pair]
            vs, vb = paired_variables(sig, m, (a, b, "m_ee")), paired_variables(bkg, m, (a, b, "m_ee"))
            ins, inb = in_window(vs["m_ee"], m, hw), in_window(vb["m_ee"], m, hw)
            path = d / f"dist_{spec.name}_{m * 1e3:.0f}MeV_{pair.replace(',', '')}.png"
            binning = ((VARIABLE_RANGES[a], VARIABLE_RANGES[b]), (card.analysis.bins,) * 2, (_LABELS.get(a, a), _LABELS.get(b, b)))
            plot_distributions_2d(histogram_2d((vs[a][ins], vs[b][ins]), sig.weight[ins], *binning),
                                  histogram_2d((vb[a][inb], vb[b][inb]), bkg.weight[inb], *binning),
                                  (f"{spec.label or spec.name}, {m * 1e3:.0f} MeV", "IC background"), path, log_z=True).clf()
            out.append(path)
    return out


def format_rows(rows: list[dict]) -> str:
    """Plain-text table of the rows (one line per model, mass, decays, pair), every MC number
    as ``value ± error``."""
    head = (f"{'model':<20}{'m_X[MeV]':>9}{'decays':>10}{'pair':>6}{'hw[MeV]':>9}{'BR bump':>24}"
            f"{'BR angular':>24}{'gain':>14}{'dropped':>9}  coupling limit (angular)")
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(f"{r['model']:<20}{r['mass_gev'] * 1e3:>9.1f}{r['decays']:>10.2g}{r['pair']:>6}"
                     f"{r.get('half_width_gev', float('nan')) * 1e3:>9.2f}"
                     f"{format_pm(r['br_limit_bump'], r.get('br_limit_bump_mc_error')):>24}"
                     f"{format_pm(r['br_limit_angular'], r.get('br_limit_angular_mc_error')):>24}"
                     f"{format_pm(r['gain'], r.get('gain_mc_error')):>14}{r.get('signal_fraction_dropped', 0.0):>9.3f}"
                     f"  {r['coupling']} < {format_pm(r['coupling_limit'], r.get('coupling_limit_mc_error'))}")
    return "\n".join(lines)
