"""Figures of the LFV-ALP fixed-target study (Batell et al. 2024 (arXiv:2407.15942), Figs. 5-7), each from one command.

* ``python -m muonbsm.analysis.fixed_target.plots fig5 -o fig5.png``: tau decay-length distributions
  d sigma / d log10(L_tau) [pb] for E_mu = 160 GeV, 1.5 TeV, 5 TeV and m_a = 2 (solid), 10 GeV
  (dashed) on Pb, C/Lambda = 1 TeV^-1; left: the production tau, right: the tau from a -> mu tau;
  the 2 mm and 2 cm resolutions shaded.
* ``... fig6 samples/alp_reach.toml -o fig6.png``: invisible-ALP reach vs m_a of every
  experiment variant (left) and with the (g-2)_mu bands, the disfavoured regions above them,
  the asymmetric-DM relic line and the CMB (Planck p_ann) band above it (right).
* ``... fig7 samples/alp_reach.toml -o fig7.png``: visible-ALP reach (charge flip) with the bands.

``--rows rows.json`` reuses a table from ``muonbsm reach CARD --json`` instead of recomputing;
``--bound FILE.csv`` (repeatable) overlays user bounds (:func:`muonbsm.analysis.fixed_target.bands.load_bound`);
``--thetas`` sets the (g-2) angles in units of pi.
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib
import matplotlib.ticker
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from muonbsm.analysis.fixed_target.bands import amu_band, id_cmb_band, load_bound, relic_line
from muonbsm.analysis.fixed_target.signal import signal_events
from muonbsm.analysis.fixed_target.reach import reach_table
from muonbsm import seeds
from muonbsm.detector.fixed_target.features import event_features

__all__ = ["decay_length_histograms", "plot_fig5", "plot_reach", "main"]

_STYLES = {"NA64mu/current": ("tab:green", ":"), "NA64mu/projected": ("tab:green", "-"),
           "FASERnu2/chain": ("tab:purple", "-"), "FASERnu2/ultimate": ("tab:purple", "--"),
           "ThinPb1.5TeV/delta_2cm": ("tab:blue", "--"), "ThinPb1.5TeV/delta_2mm": ("tab:blue", "-"),
           "ThinPb1.5TeV/ultimate": ("tab:blue", ":")}


def decay_length_histograms(energies: Sequence[float], masses: Sequence[float], bins: np.ndarray, n: int = 20000,
                            seed: int = 5, target: str = "Pb") -> dict[tuple[float, float, int], np.ndarray]:
    """d sigma / d log10(L) [pb] of the production tau (index 0) and of the ALP's tau (index 1).

    ``bins``: log10(L / mm) edges. Keys ``(E [GeV], m_a [GeV], tau index)``; C/Lambda = 1 TeV^-1.
    """
    out = {}
    for i, e in enumerate(energies):
        for j, m in enumerate(masses):
            rng = seeds.rng(seed, "plots", "sample", i * len(masses) + j)  # by index, never from the floats
            ev = signal_events(target, e, m, "visible", n, rng)
            f = event_features(ev, 1.0, rng)
            for i in (0, 1):
                h, _ = np.histogram(np.log10(f.tau_length[i]), bins=bins, weights=f.weight)
                out[(e, m, i)] = h / np.diff(bins)
    return out


def plot_fig5(path: str | Path, n: int = 20000) -> None:
    """Batell et al., Fig. 5: tau decay lengths (production and a -> mu tau) with 2 mm / 2 cm marked."""
    bins = np.linspace(-3, 4, 57)
    energies, masses = (160.0, 1500.0, 5000.0), (2.0, 10.0)
    hists = decay_length_histograms(energies, masses, bins, n)
    fig = Figure(figsize=(11, 4.5))  # no pyplot: importing or plotting never switches a notebook's backend
    axes = fig.subplots(1, 2, sharey=True)
    centres = 10 ** (0.5 * (bins[1:] + bins[:-1]))
    for i, (ax, title) in enumerate(zip(axes, ("production: mu N -> tau N a", "ALP decay: a -> mu tau"))):
        for e, color in zip(energies, ("black", "tab:red", "tab:blue")):
            for m, ls in zip(masses, ("-", "--")):
                ax.step(centres, hists[(e, m, i)], where="mid", color=color, ls=ls,
                        label=f"E = {e:g} GeV, m_a = {m:g} GeV")
        ax.axvspan(1e-3, 2.0, color="0.8", alpha=0.6, label="delta = 2 mm")
        ax.axvspan(2.0, 20.0, color="tab:green", alpha=0.15, label="delta = 2 cm")
        ax.set(xscale="log", yscale="log", xlabel="tau decay length L [mm]", title=title, xlim=(1e-3, 1e4))
    axes[0].set_ylabel("d sigma / d log10 L [pb]  (Pb, C/Lambda = 1/TeV)")
    axes[1].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=130)


def _curves(rows: list[dict[str, Any]], channel: str) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """``{name/variant: (m_a, C/Lambda, MC error of C/Lambda)}`` of the finite reach points."""
    out: dict[str, list] = {}
    for r in rows:
        if r["channel"] == channel and r["c_over_lambda_per_tev"] is not None:
            err = r.get("c_over_lambda_error")
            out.setdefault(f"{r['experiment']}/{r['variant']}", []).append(
                (r["ma_gev"], r["c_over_lambda_per_tev"], 0.0 if err is None else err))
    return {k: tuple(np.array(v).T) for k, v in ((k, sorted(v)) for k, v in out.items())}


def _exposures() -> dict[str, float]:
    """Muons on target of the packaged experiments (for the legend)."""
    from muonbsm.detector.fixed_target.config import load_experiments

    return {e.key: e.beam.total_muons() for e in load_experiments()}


def _draw_bands(ax: Axes, m: np.ndarray, thetas: Sequence[float], relic: bool) -> None:
    cmap = matplotlib.colormaps["autumn"]
    for j, th in enumerate(thetas):
        lo, hi = amu_band(m, th * math.pi)
        color = cmap(j / max(len(thetas) - 1, 1))
        ax.fill_between(m, lo, hi, color=color, alpha=0.7, lw=0, label=f"(g-2) 2 sigma, theta = {th:g} pi")
        ax.fill_between(m, hi, 1e4, color=color, alpha=0.06, lw=0)
    # legend swatch of the stacked shading above all bands (alpha of len(thetas) layers of 0.06)
    ax.fill_between([], [], color=cmap(0.5), alpha=1.0 - 0.94 ** len(thetas), lw=0,
                    label="above a band: Delta a_mu beyond 2 sigma (darker: above more bands)")
    if relic:
        line = relic_line(m)
        ax.fill_between(m, 1e-4, line, color="0.7", alpha=0.5, lw=0, label="DM overproduced (g_chi = 1, m_a = 3 m_chi)")
        lo, hi = id_cmb_band(m)
        ax.fill_between(m, lo, hi, color="0.25", alpha=0.8, lw=0,
                        label="CMB excluded: Planck 2018 p_ann, symmetric remnant of asymmetric DM")


def plot_reach(rows: list[dict[str, Any]], path: str | Path, channel: str, *,
               thetas: Sequence[float] = (0.28, 0.3, 0.375, 0.5), bounds: Sequence[str | Path] = (),
               n_required: float = 3.0) -> None:
    """Reach vs m_a for ``channel``: without (left) and with (right) the (g-2) bands (and relic line
    for the invisible ALP); user bounds from ``bounds`` CSV files on both panels."""
    curves = _curves(rows, channel)
    if not curves:
        raise ValueError(f"no finite reach for channel {channel!r} in the rows")
    m_all = np.concatenate([c[0] for c in curves.values()])
    m = np.geomspace(m_all.min(), m_all.max(), 200)
    fig = Figure(figsize=(15, 7.5))
    axes = fig.subplots(1, 2, sharey=True)
    mot = _exposures()
    for i, ax in enumerate(axes):
        if i == 1:
            _draw_bands(ax, m, thetas, channel == "invisible")
        for key, (ma, c, err) in curves.items():
            color, ls = _STYLES.get(key, ("k", "-"))
            label = key + (f", {mot[key]:.2g} MOT" if key in mot else "") + (" (stand-in flux)" if key.startswith("FASER") else "")
            ax.plot(ma, c, color=color, ls=ls, label=label)
            ax.fill_between(ma, c - err, c + err, color=color, alpha=0.3, lw=0)
        for b in bounds:
            ub = load_bound(b)
            ax.plot(ub.ma_gev, ub.c_over_lambda, color="k", lw=1.5, alpha=0.7, label=ub.label)
        ax.set(xscale="log", yscale="log", xlabel="m_a [GeV]", ylim=(1e-2, 1e3), xlim=(m[0], m[-1]),
               title=f"{channel} ALP: {n_required:g} signal events (95% CL, zero background)")
        ax.xaxis.set_major_formatter(matplotlib.ticker.ScalarFormatter())
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        ax.set_xticks([t for t in (2, 3, 5, 7, 10, 15, 20, 30, 50) if m[0] <= t <= m[-1]])
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2, frameon=False)
    axes[0].set_ylabel("C_mu_tau / Lambda [1/TeV]  (bands: MC error)")
    fig.tight_layout()
    fig.savefig(path, dpi=130)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``fig5 | fig6 CARD | fig7 CARD`` with ``-o OUT`` (see module docstring)."""
    ap = argparse.ArgumentParser(prog="python -m muonbsm.analysis.fixed_target.plots", description=__doc__.split("\n")[0])
    ap.add_argument("figure", choices=("fig5", "fig6", "fig7"))
    ap.add_argument("card", nargs="?", help="reach card (fig6, fig7)")
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--rows", help="JSON rows from `muonbsm reach CARD --json` (skip the computation)")
    ap.add_argument("--bound", action="append", default=[], help="CSV with ma_gev,c_over_lambda_per_tev")
    ap.add_argument("--thetas", type=float, nargs="+", default=[0.28, 0.3, 0.375, 0.5], help="theta / pi")
    ap.add_argument("--n-mc", type=int, default=20000, help="events per sample (fig5)")
    args = ap.parse_args(argv)
    if args.figure == "fig5":
        plot_fig5(args.output, args.n_mc)
        return 0
    if args.rows:
        rows = json.loads(Path(args.rows).read_text())
    elif args.card:
        rows = reach_table(args.card)
    else:
        ap.error(f"{args.figure} needs a reach CARD or --rows")
    plot_reach(rows, args.output, "invisible" if args.figure == "fig6" else "visible", thetas=args.thetas,
               bounds=args.bound)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
