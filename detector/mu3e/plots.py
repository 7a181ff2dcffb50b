"""Plots of the Mu3e detector model (matplotlib, mplhep style): efficiency maps, efficiency vs
the dark-photon mass, m_ee before and after smearing, cut-flows.

Every function draws on ``ax`` (a new figure if None) and returns the Axes; units on the axes
are MeV for readability (arrays stay in GeV).
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


def _axes(ax: Axes | None) -> Axes:
    """``ax`` or the Axes of a new (pyplot-free) Figure; save with ``ax.figure.savefig``."""
    return ax if ax is not None else Figure(figsize=(8, 6), layout="constrained").add_subplot()


def plot_efficiency_map(emap: EfficiencyMap, ax: Axes | None = None, title: str = "") -> Axes:
    """Colour map of ``emap`` versus p [MeV] and the dip angle lambda [rad]."""
    with matplotlib.style.context(_STYLE):
        ax = _axes(ax)
        mesh = ax.pcolormesh(emap.p_edges * 1e3, emap.lambda_edges, emap.values.T, vmin=0, vmax=1, cmap="viridis")
        ax.figure.colorbar(mesh, ax=ax, label="efficiency")
        ax.set_xlabel("p [MeV]")
        ax.set_ylabel(r"$\lambda$ [rad]")
        ax.set_title(title, fontsize=14)
    return ax


def plot_efficiency_vs_mass(masses_gev: NDArray, eff: NDArray, err: NDArray | None = None,
                            ax: Axes | None = None, label: str = "this model") -> Axes:
    """Final efficiency versus the X mass [MeV], with error bars ``err``."""
    with matplotlib.style.context(_STYLE):
        ax = _axes(ax)
        ax.errorbar(np.asarray(masses_gev) * 1e3, eff, yerr=err, marker="o", ls="-", label=label)
        ax.set_xlabel(r"$m_{A'}$ [MeV]")
        ax.set_ylabel("final efficiency")
        ax.set_ylim(0, None)
        ax.legend()
    return ax


def plot_mee(results: Mapping[str, DetectorResult], bins: NDArray | None = None, ax: Axes | None = None,
             pairing: str = "both", log: bool = True) -> Axes:
    """m_ee [MeV] of passing events before (dashed) and after (solid) smearing, per sample.

    ``bins`` in MeV (default 0.5 MeV bins over 0-106 MeV); ``pairing``: 'both' (both pairings
    filled), '1' or '2'. Histograms use the detector weights normalised to unit area; a log
    axis shows six decades below the highest bin.
    """
    if pairing not in ("both", "1", "2"):
        raise ValueError(f"pairing: must be 'both', '1' or '2', got {pairing!r}")
    bins = np.linspace(0, 106, 213) if bins is None else bins
    keys = ("1", "2") if pairing == "both" else (pairing,)
    with matplotlib.style.context(_STYLE):
        ax = _axes(ax)
        for i, (name, res) in enumerate(results.items()):
            ev = res.events
            w = ak.to_numpy(ev.weight)
            color = f"C{i}"
            for suffix, ls, tag in (("_true", "--", "true"), ("", "-", "smeared")):
                m = np.concatenate([ak.to_numpy(ev[f"m_ee_{k}{suffix}"]) for k in keys]) * 1e3
                ww = np.tile(w, len(keys))
                if ww.sum() > 0:
                    ax.hist(m, bins=bins, weights=ww / ww.sum(), histtype="step", ls=ls, color=color, label=f"{name} ({tag})")
        ax.set_xlabel(r"$m_{ee}$ [MeV]")
        ax.set_ylabel("fraction / bin")
        ax.set_xlim(bins[0], bins[-1])
        if log:
            ax.set_yscale("log")
            ax.set_ylim(bottom=ax.get_ylim()[1] * 1e-6)
        ax.legend(fontsize=11)
    return ax


def plot_cutflow(results: Mapping[str, DetectorResult], ax: Axes | None = None) -> Axes:
    """Cumulative efficiency after each cut-flow step, one line per sample."""
    with matplotlib.style.context(_STYLE):
        ax = _axes(ax)
        for name, res in results.items():
            steps = [s for s in res.cutflow if s.key not in ("geometric_long", "reconstruction_long")]
            ax.plot(range(len(steps)), [s.cumulative for s in steps], marker="o", label=name)
        ax.set_xticks(range(len(steps)), [s.label.replace(" (short tracks)", "") for s in steps], rotation=30, ha="right", fontsize=11)
        ax.set_ylabel("cumulative efficiency")
        ax.set_ylim(0, 1.05)
        ax.legend(fontsize=11)
    return ax
