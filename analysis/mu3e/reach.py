"""End-to-end Mu3e reach from a TOML card: ``muonbsm analyze samples/mu3e_reach.toml``.

For every model and mass of the card (seed 004, Secs. II-III, App. C.3): signal and windowed IC
background samples (:mod:`~muonbsm.analysis.mu3e.samples`, cached), the parametrised detector,
the optimal m_ee window, the bump-hunt and 2D angular expected limits on
BR(mu -> e nu nu X) x BR(X -> ee), their ratio (gain) and the coupling limits
(:mod:`~muonbsm.analysis.mu3e.scan`), for each number of muon decays. Writes a CSV and a JSON
table and the figures of seed Figs. 4-7 to ``results_dir``.

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
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from muonbsm.analysis.stats.bands import TARGETS, band_from_unit
from muonbsm.analysis.mu3e.bump_hunt import in_window
from muonbsm.analysis.mu3e.samples import BUILTIN_MODELS, ModelSpec, SampleFactory, SampleSettings
from muonbsm.analysis.mu3e.scan import PAIRS, VARIABLE_RANGES, AnalysisSettings, analyze_point, paired_variables
from muonbsm.analysis.mu3e.plots import ReachBand, plot_distributions_2d, plot_gain, plot_reach

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["REQUIRED_KEYS", "ReachCard", "load_card", "analyze", "analyze_card", "format_rows", "write_tables", "write_plots"]

#: Keys every row of :func:`analyze_card` carries (plus extras, see :func:`analyze_point`).
REQUIRED_KEYS = ("model", "mass_gev", "decays", "pair", "br_limit_bump", "br_limit_angular", "gain", "coupling",
                 "coupling_limit")
_SECTIONS = {
    "scan": {"models", "masses_mev", "decays", "pairs", "results_dir", "cache_dir"},
    "analysis": {"bins", "min_bkg_events", "statistic", "cl", "max_half_width_mev"},
    "statistics": {"background_points", "min_window_events", "max_background_points", "signal_points", "nitn",
                   "neval", "rate_neval", "gen_min_pt_mev",
                   "margin_sigma", "workers", "chunk_size", "calibration_events", "seed", "polarization"},
    "detector": {"config"},
    "bands": {"target", "n_sigma"},
    "plots": {"enabled", "distribution_masses_mev"},
    "models": None,
}
_COUPLING_TEX = {"epsilon": r"\varepsilon", "g_mu": r"g_\mu", "g_e": "g_e", "g_v_e": "g_V^e", "g_a_e": "g_A^e",
                 "g_v_mu": r"g_V^\mu", "g_a_mu": r"g_A^\mu"}
_LABELS = {"cos_es_em": r"$\cos\theta(e^+_s, e^-)$", "x_es": r"$x_{e^+_s}$", "cos_es_ex": r"$\cos\theta(e^+_s, e^+_X)$"}


class ReachCard:
    """A validated reach card: ``models`` (:class:`ModelSpec`), ``masses`` [GeV], ``decays``,
    ``pairs``, ``analysis``, ``samples`` settings, directories, bands and plot options."""

    def __init__(self, data: Mapping[str, Any], base: Path | None = None) -> None:
        for sec, value in data.items():
            if sec not in _SECTIONS:
                raise ValueError(f"{sec}: unknown section; allowed {sorted(_SECTIONS)}")
            allowed = _SECTIONS[sec]
            if allowed is not None:
                for key in value:
                    if key not in allowed:
                        raise ValueError(f"{sec}.{key}: unknown key; allowed {sorted(allowed)}")
        scan = data.get("scan", {})
        self.models = [self._model(name, data.get("models", {})) for name in _list(scan, "scan.models", str)]
        self.masses = [m * 1e-3 for m in _list(scan, "scan.masses_mev", float)]
        for m in self.masses:
            if not 1.1e-3 < m < 0.105:
                raise ValueError(f"scan.masses_mev: {m * 1e3} outside (1.1, 105) MeV")
        self.decays = _list(scan, "scan.decays", float, [1e15, 5.5e16])
        if any(n <= 0 for n in self.decays):
            raise ValueError("scan.decays: numbers of muon decays must be > 0")
        self.pairs = _list(scan, "scan.pairs", str, ["a,b", "a,c"])
        for p in self.pairs:
            if p not in PAIRS:
                raise ValueError(f"scan.pairs: {p!r} unknown; allowed {sorted(PAIRS)}")
        self.results_dir = Path(scan.get("results_dir", "results/mu3e_reach"))
        self.cache_dir = Path(scan.get("cache_dir", str(self.results_dir / "cache")))
        an, st = data.get("analysis", {}), data.get("statistics", {})
        hw = _num(an, "analysis.max_half_width_mev", 2.0, 0.05, 20.0) * 1e-3
        stat = an.get("statistic", "poisson")
        if stat not in ("poisson", "gaussian"):
            raise ValueError(f"analysis.statistic: must be 'poisson' or 'gaussian', got {stat!r}")
        self.analysis = AnalysisSettings(int(_num(an, "analysis.bins", 30, 1, 500)),
                                         int(_num(an, "analysis.min_bkg_events", 10, 0, 1e6)), stat,
                                         _num(an, "analysis.cl", 0.95, 0.5, 0.9999), hw)
        pol = st.get("polarization", [0.0, 0.0, -0.86])
        if len(pol) != 3 or float(np.linalg.norm(pol)) > 1:
            raise ValueError(f"statistics.polarization: need 3 numbers with norm <= 1, got {pol}")
        det = data.get("detector", {}).get("config", "")
        if det and base is not None and not Path(det).is_absolute():
            det = str(base / det)
        self.samples = SampleSettings(
            background_points=int(_num(st, "statistics.background_points", 300_000, 1000, 1e10)),
            min_window_events=int(_num(st, "statistics.min_window_events", 0, 0, 1e9)),
            max_background_points=int(_num(st, "statistics.max_background_points", 10_000_000, 1000, 1e11)),
            signal_points=int(_num(st, "statistics.signal_points", 60_000, 1000, 1e10)),
            nitn=int(_num(st, "statistics.nitn", 6, 1, 100)), neval=int(_num(st, "statistics.neval", 40_000, 1000, 1e8)),
            gen_min_pt=_num(st, "statistics.gen_min_pt_mev", 9.5, 0.0, 10.1) * 1e-3, max_half_width=hw,
            margin_sigma=_num(st, "statistics.margin_sigma", 3.0, 0.0, 20.0),
            workers=int(_num(st, "statistics.workers", 1, 1, 256)),
            chunk_size=int(_num(st, "statistics.chunk_size", 100_000, 1000, 1e8)),
            rate_neval=int(_num(st, "statistics.rate_neval", 20_000, 1000, 1e8)),
            calibration_events=int(_num(st, "statistics.calibration_events", 200_000, 1000, 1e9)),
            polarization=tuple(float(x) for x in pol), seed=int(_num(st, "statistics.seed", 1, 0, 2**31)),
            detector_config=det)
        bands = data.get("bands", {})
        self.band_target = bands.get("target", "WP2020")
        if self.band_target not in TARGETS:
            raise ValueError(f"bands.target: must be one of {sorted(TARGETS)}, got {self.band_target!r}")
        self.band_sigmas = _list(bands, "bands.n_sigma", float, [1.0, 2.0])
        if any(s <= 0 for s in self.band_sigmas):
            raise ValueError("bands.n_sigma: values must be > 0")
        plots = data.get("plots", {})
        self.plots = bool(plots.get("enabled", True))
        self.distribution_masses = [m * 1e-3 for m in _list(plots, "plots.distribution_masses_mev", float, [])]

    @staticmethod
    def _model(name: str, tables: Mapping[str, Any]) -> ModelSpec:
        if name in tables:
            t = dict(tables[name])
            where = f"models.{name}"
            for key in ("process", "coupling"):
                if key not in t:
                    raise ValueError(f"{where}.{key}: required")
            process, coupling = t.pop("process"), t.pop("coupling")
            squared, label = bool(t.pop("squared", False)), str(t.pop("label", name))
            if process not in ("dark-photon", "scalar", "pseudoscalar", "vector"):
                raise ValueError(f"{where}.process: must be dark-photon, scalar, pseudoscalar or vector, got {process!r}")
            return ModelSpec(name, process, {k: float(v) for k, v in t.items()}, coupling, squared, label)
        if name not in BUILTIN_MODELS:
            raise ValueError(f"scan.models: {name!r} is neither built in {sorted(BUILTIN_MODELS)} nor a [models.{name}] table")
        return BUILTIN_MODELS[name]


def _list(sec: Mapping[str, Any], where: str, typ: type, default: list | None = None) -> list:
    key = where.split(".")[-1]
    if key not in sec:
        if default is None:
            raise ValueError(f"{where}: required")
        return list(default)
    value = sec[key]
    if not isinstance(value, list) or not value:
        raise ValueError(f"{where}: must be a non-empty list")
    try:
        return [typ(v) for v in value]
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{where}: entries must be {typ.__name__}: {exc}") from None


def _num(sec: Mapping[str, Any], where: str, default: float, lo: float, hi: float) -> float:
    key = where.split(".")[-1]
    value = sec.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not lo <= value <= hi:
        raise ValueError(f"{where}: must be a number in [{lo:g}, {hi:g}], got {value!r}")
    return float(value)


def load_card(path: str | Path) -> ReachCard:
    """Read and validate a reach card (TOML); ValueError names the offending key."""
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"card {p} not found")
    with p.open("rb") as fh:
        try:
            data = tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"card {p}: invalid TOML: {exc}") from None
    return ReachCard(data, p.parent)


def analyze_card(path: str | Path, progress: bool = True) -> list[dict]:
    """Run the scan of the card at ``path`` (see :func:`analyze`)."""
    return analyze(load_card(path), progress)


def analyze(card: ReachCard, progress: bool = True) -> list[dict]:
    """Run the scan of a loaded ``card``; returns the rows and writes tables and plots to
    ``card.results_dir``.

    Rows: one per model x mass x decays x pair with :data:`REQUIRED_KEYS` and extras
    (``half_width_gev``, ``signal_fraction_dropped``, ``*_mc_error``, ``s_window``, ...).
    """
    factory = SampleFactory(card.samples, card.cache_dir, progress=False)
    rows: list[dict] = []
    dists: list[tuple] = []
    start = time.monotonic()
    for m in card.masses:
        bkg = factory.background(m)
        for spec in card.models:
            sig = factory.signal(spec, m)
            br_ref, _ = factory.total_rate(spec, m)
            new = analyze_point(spec, m, sig, bkg, br_ref, card.decays, card.pairs, card.analysis)
            rows += new
            if card.plots and any(abs(m - d) < 1e-9 for d in card.distribution_masses):
                dists.append((spec, m, sig, bkg, new[0]["half_width_gev"]))
            if progress:
                g = ", ".join(f"{r['pair']}: {r['gain']:.2f}" for r in new[: len(card.pairs)])
                print(f"mu3e reach: {spec.name} m_X = {m * 1e3:.1f} MeV  gain {g}  "
                      f"({time.monotonic() - start:.0f} s)", file=sys.stderr, flush=True)
    write_tables(rows, card.results_dir, factory.describe())
    if card.plots:
        write_plots(rows, card, dists)
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


def write_plots(rows: list[dict], card: ReachCard, dists: list[tuple] = ()) -> list[Path]:
    """Figures in ``card.results_dir``: gain vs m_X per number of decays (Fig. 5), coupling
    reach per model with (g-2)_mu bands (Figs. 6-7) and 2D distributions (Fig. 4)."""
    out: list[Path] = []
    d = card.results_dir
    masses = np.array(card.masses)
    style = {"a,b": "-", "a,c": "--"}
    for n in card.decays:
        gains, styles = {}, {}
        for k, spec in enumerate(card.models):
            for pair in card.pairs:
                sel = [r for r in rows if r["model"] == spec.name and r["decays"] == n and r["pair"] == pair]
                label = f"{spec.label or spec.name} ({pair})"
                gains[label] = np.array([r["gain"] for r in sel])
                styles[label] = f"C{k % 10}{style.get(pair, ':')}"
        path = d / f"gain_{n:.2g}.png"
        plot_gain(masses, gains, path, styles).clf()
        out.append(path)
    for spec in card.models:
        limits = {}
        for n in card.decays:
            sel = [r for r in rows if r["model"] == spec.name and r["decays"] == n and r["pair"] == card.pairs[0]]
            limits[f"bump hunt, {n:.2g} decays"] = np.array([r["coupling_limit_bump"] for r in sel])
            for pair in card.pairs:
                sel = [r for r in rows if r["model"] == spec.name and r["decays"] == n and r["pair"] == pair]
                limits[f"angular ({pair}), {n:.2g} decays"] = np.array([r["coupling_limit"] for r in sel])
        tex = _COUPLING_TEX.get(spec.coupling, spec.coupling)
        ylabel = f"${tex}^2$" if spec.squared and "^" not in tex else f"$({tex})^2$" if spec.squared else f"${tex}$"
        path = d / f"reach_{spec.name}.png"
        plot_reach(masses, limits, _g2_bands(spec, list(card.masses), card), ylabel, path).clf()
        out.append(path)
    for spec, m, sig, bkg, hw in dists:
        for pair in card.pairs:
            a, b = PAIRS[pair]
            vs, vb = paired_variables(sig, m, (a, b, "m_ee")), paired_variables(bkg, m, (a, b, "m_ee"))
            ins, inb = in_window(vs["m_ee"], m, hw), in_window(vb["m_ee"], m, hw)
            path = d / f"dist_{spec.name}_{m * 1e3:.0f}MeV_{pair.replace(',', '')}.png"
            plot_distributions_2d((vs[a][ins], vs[b][ins]), sig.weight[ins], (vb[a][inb], vb[b][inb]), bkg.weight[inb],
                                  (VARIABLE_RANGES[a], VARIABLE_RANGES[b]), (card.analysis.bins,) * 2,
                                  (_LABELS.get(a, a), _LABELS.get(b, b)),
                                  (f"{spec.label or spec.name}, {m * 1e3:.0f} MeV", "IC background"), path, log_z=True).clf()
            out.append(path)
    return out


def format_rows(rows: list[dict]) -> str:
    """Plain-text table of the rows (one line per model, mass, decays, pair)."""
    head = (f"{'model':<20}{'m_X[MeV]':>9}{'decays':>10}{'pair':>6}{'hw[MeV]':>9}{'BR bump':>11}"
            f"{'BR angular':>12}{'gain':>7}{'dropped':>9}  coupling limit")
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(f"{r['model']:<20}{r['mass_gev'] * 1e3:>9.1f}{r['decays']:>10.2g}{r['pair']:>6}"
                     f"{r.get('half_width_gev', float('nan')) * 1e3:>9.2f}{r['br_limit_bump']:>11.3e}"
                     f"{r['br_limit_angular']:>12.3e}{r['gain']:>7.2f}{r.get('signal_fraction_dropped', 0.0):>9.3f}"
                     f"  {r['coupling']} < {r['coupling_limit']:.3e}")
    return "\n".join(lines)

