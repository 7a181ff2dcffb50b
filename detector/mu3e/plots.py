"""Plots of the Mu3e detector model (matplotlib, mplhep ROOT style): efficiency maps, efficiency
vs the dark-photon mass, m_ee before and after smearing, cut-flows.

Every function draws on ``ax`` (a new pyplot-free figure if None) and returns the Axes. Axes
carry LaTeX labels with units (MeV for readability; arrays stay in GeV); each figure names its
level (truth or reconstructed) and its numbers of MC events in a caption line above the axes,
and legends sit outside the axes, right of the data.
"""

from __future__ import annotations

from collections.abc import Mapping

import awkward as ak
import matplotlib.style
import mplhep as hep
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from numpy.typing import NDArray

from muonbsm.detector.mu3e.maps import EfficiencyMap
from muonbsm.detector.mu3e.reconstruction import DetectorResult

__all__ = ["plot_efficiency_map", "plot_efficiency_vs_mass", "plot_mee", "plot_cutflow"]

_STYLE = hep.style.ROOT
_LEGEND = {"loc": "upper left", "bbox_to_anchor": (1.02, 1.0), "borderaxespad": 0.0, "fontsize": 12, "frameon": False}
_DETECTOR = "parametrised Mu3e phase I"


def _axes(ax: Axes | None, width: float = 8.0) -> Axes:
    """``ax`` or the Axes of a new (pyplot-free) Figure; save with ``ax.figure.savefig``."""
    return ax if ax is not None else Figure(figsize=(width, 6), layout="constrained").add_subplot()


def _caption(ax: Axes, text: str) -> None:
    ax.set_title(text, fontsize=12, loc="left")


def plot_efficiency_map(emap: EfficiencyMap, ax: Axes | None = None, title: str = "") -> Axes:
    """Colour map of ``emap`` versus p [MeV] and the dip angle lambda [rad]."""
    with matplotlib.style.context(_STYLE):
        ax = _axes(ax)
        mesh = ax.pcolormesh(emap.p_edges * 1e3, emap.lambda_edges, emap.values.T, vmin=0, vmax=1, cmap="viridis")
        ax.figure.colorbar(mesh, ax=ax, label="efficiency")
        ax.set_xlabel(r"$p$ [MeV]")
        ax.set_ylabel(r"$\lambda$ [rad]")
        _caption(ax, title)
    return ax


def plot_efficiency_vs_mass(masses_gev: NDArray, eff: NDArray, err: NDArray | None = None,
                            ax: Axes | None = None, label: str = "this model", n_events: int | None = None) -> Axes:
    """Final efficiency versus the X mass [MeV], with MC-error bars ``err``; ``n_events``: MC
    events per mass, stated in the caption."""
    with matplotlib.style.context(_STYLE):
        ax = _axes(ax, 10.0)
        ax.errorbar(np.asarray(masses_gev) * 1e3, eff, yerr=err, marker="o", ls="-", capsize=3, label=label)
        ax.set_xlabel(r"$m_{A'}$ [MeV]")
        ax.set_ylabel(r"final efficiency $\varepsilon$")
        ax.set_ylim(0, None)
        counts = f", {n_events:,} MC events per mass" if n_events else ""
        _caption(ax, f"{_DETECTOR}, reconstructed level{counts}; bars: MC error")
        ax.legend(**_LEGEND)
    return ax


def _hist(values: NDArray, weights: NDArray, bins: NDArray) -> tuple[NDArray, NDArray]:
    h, _ = np.histogram(values, bins=bins, weights=weights)
    v, _ = np.histogram(values, bins=bins, weights=weights**2)
    return h, np.sqrt(v)


def plot_mee(results: Mapping[str, DetectorResult], bins: NDArray | None = None, ax: Axes | None = None,
             pairing: str = "both", log: bool = True, normalize: str | None = None) -> Axes:
    """m_ee [MeV] of passing events, true (dashed) and smeared (solid, with its MC-error band), per sample.

    ``bins`` in MeV (default 0.5 MeV bins over 0-106 MeV); ``pairing``: 'both' (both pairings
    filled), '1' or '2'. ``normalize``: ``"total"`` (unit area over the whole sample, default
    with ``log``) or ``"window"`` (unit area inside ``bins``, default without ``log``: a zoom
    shows the smeared peak and the background shapes on one scale; the y range follows the
    smeared histograms, a taller truth spike is clipped and marked as such). A log axis shows
    six decades below the highest bin.
    """
    if pairing not in ("both", "1", "2"):
        raise ValueError(f"pairing: must be 'both', '1' or '2', got {pairing!r}")
    normalize = normalize or ("total" if log else "window")
    if normalize not in ("total", "window"):
        raise ValueError(f"normalize: must be 'total' or 'window', got {normalize!r}")
    bins = np.linspace(0, 106, 213) if bins is None else np.asarray(bins, dtype=np.float64)
    keys = ("1", "2") if pairing == "both" else (pairing,)
    with matplotlib.style.context(_STYLE):
        ax = _axes(ax, 13.0)
        top, clipped = 0.0, []
        for i, (name, res) in enumerate(results.items()):
            ev = res.events
            w = np.tile(ak.to_numpy(ev.weight), len(keys))
            m_s = np.concatenate([ak.to_numpy(ev[f"m_ee_{k}"]) for k in keys]) * 1e3
            m_t = np.concatenate([ak.to_numpy(ev[f"m_ee_{k}_true"]) for k in keys]) * 1e3
            h_s, e_s = _hist(m_s, w, bins)
            h_t, _ = _hist(m_t, w, bins)
            norm = w.sum() if normalize == "total" else h_s.sum()
            if norm <= 0:
                continue
            color = f"C{i}"
            n_mc = int(np.count_nonzero(ak.to_numpy(ev.weight) > 0))
            hep.histplot(h_s / norm, bins, yerr=e_s / norm, ax=ax, color=color, lw=2,
                         label=f"{name}, reconstructed ({n_mc:,} MC events)")
            top = max(top, float(np.max((h_s + e_s) / norm)))
            truth = h_t / (norm if normalize == "total" else max(h_t.sum(), 1e-300))
            hep.histplot(truth, bins, ax=ax, color=color, ls="--", lw=1.2, label=f"{name}, truth")
            if normalize == "window" and truth.max() > 1.6 * float(np.max(h_s / norm)):
                clipped.append(name)
        ax.set_xlabel(r"$m_{ee}$ [MeV]")
        ax.set_ylabel("fraction / bin" + (" (in window)" if normalize == "window" else ""))
        ax.set_xlim(bins[0], bins[-1])
        if log:
            ax.set_yscale("log")
            ax.set_ylim(bottom=ax.get_ylim()[1] * 1e-6)
        elif top > 0:
            ax.set_ylim(0, 1.6 * top)
        pairs = "both pairings" if pairing == "both" else f"pairing {pairing}"
        note = f"\ntruth spike clipped: {', '.join(clipped)}" if clipped else ""
        _caption(ax, f"{_DETECTOR}, {pairs}, detector-weighted{note}")
        ax.legend(**_LEGEND)
    return ax


def plot_cutflow(results: Mapping[str, DetectorResult], ax: Axes | None = None) -> Axes:
    """Cumulative efficiency after each cut-flow step, one line per sample, on a log axis
    (the IC and low-mass signals sit decades below phase space)."""
    with matplotlib.style.context(_STYLE):
        ax = _axes(ax, 12.0)
        steps: list = []
        lowest = 1.0
        for name, res in results.items():
            steps = [s for s in res.cutflow if s.key not in ("geometric_long", "reconstruction_long")]
            cum = np.array([s.cumulative for s in steps])
            n_mc = len(res.events)
            ax.plot(range(len(steps)), np.where(cum > 0, cum, np.nan), marker="o", label=f"{name} ({n_mc:,} MC events)")
            if np.any(cum > 0):
                lowest = min(lowest, float(cum[cum > 0].min()))
        ax.set_xticks(range(len(steps)), [s.label.replace(" (short tracks)", "") for s in steps], rotation=30,
                      ha="right", fontsize=11)
        ax.set_yscale("log")
        ax.set_ylim(10 ** np.floor(np.log10(lowest) - 0.3), 1.5)
        ax.set_ylabel(r"cumulative efficiency $\varepsilon$")
        _caption(ax, f"{_DETECTOR}: generated (truth) to reconstructed level")
        ax.legend(**_LEGEND)
    return ax
