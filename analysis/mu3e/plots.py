"""Figures of the Mu3e analysis, in the style of the seed's Figs. 4-7.

* :func:`plot_distributions_2d`: normalised 2D distributions of two variables for signal and
  background side by side (the variables of seed Fig. 4, binned as in the likelihood);
* :func:`plot_variable`: normalised 1D distributions of one variable for several samples (Fig. 4);
* :func:`plot_gain`: gain in BR reach (bump hunt / angular) versus ``m_X`` (Fig. 5);
* :func:`plot_reach`: coupling reach versus ``m_X`` with filled bands, e.g. (g-2)_mu (Figs. 6-7).

Figures are built on :class:`matplotlib.figure.Figure` with the Agg canvas (no pyplot, no GUI,
no global state) in the ``mplhep`` ROOT style, returned, and saved to ``path`` if given.
Masses are passed in GeV and drawn in MeV.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib as mpl
import mplhep
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure
from numpy.typing import NDArray

__all__ = ["ReachBand", "plot_distributions_2d", "plot_variable", "plot_gain", "plot_reach"]

Array = NDArray[np.float64]
_MEV = 1e3


@dataclass(frozen=True)
class ReachBand:
    """A filled band ``lo <= g <= hi`` versus ``m_x`` [GeV] (e.g. the 1 or 2 sigma (g-2) band)."""

    m_x: Array
    lo: Array
    hi: Array
    label: str
    color: str = "tab:green"
    alpha: float = 0.3


def _figure(ncols: int = 1, width: float = 8.0, height: float = 6.5) -> Figure:
    with mpl.rc_context(mplhep.style.ROOT):
        fig = Figure(figsize=(width * ncols, height), layout="constrained")
        FigureCanvasAgg(fig)
        fig.subplots(1, ncols)
    return fig


def _finish(fig: Figure, path: str | Path | None) -> Figure:
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        with mpl.rc_context(mplhep.style.ROOT):
            fig.savefig(path)
    return fig


def plot_distributions_2d(
    signal: tuple[NDArray, NDArray],
    signal_weight: NDArray,
    background: tuple[NDArray, NDArray],
    background_weight: NDArray,
    ranges: tuple[tuple[float, float], tuple[float, float]],
    bins: tuple[int, int] = (30, 30),
    labels: tuple[str, str] = ("", ""),
    titles: tuple[str, str] = ("signal", "background"),
    path: str | Path | None = None,
    log_z: bool = False,
) -> Figure:
    """Unit-normalised 2D histograms of ``(var1, var2)`` for signal (left) and background (right).

    ``log_z`` draws the bin contents on a logarithmic colour scale over at most six decades
    (empty bins blank).
    """
    with mpl.rc_context(mplhep.style.ROOT):
        fig = _figure(2)
        for ax, (x, y), w, title in zip(fig.axes, (signal, background), (signal_weight, background_weight), titles):
            h, ex, ey = np.histogram2d(np.asarray(x), np.asarray(y), bins=bins, range=ranges, weights=np.asarray(w))
            total = h.sum()
            h = h / total if total > 0 else h
            norm = LogNorm(vmin=max(h[h > 0].min(), 1e-6 * h.max()), vmax=h.max()) if log_z and np.any(h > 0) else None
            mesh = ax.pcolormesh(ex, ey, np.where(h > 0, h, np.nan).T if log_z else h.T, cmap="viridis", norm=norm)
            fig.colorbar(mesh, ax=ax, label="fraction per bin")
            ax.set_xlabel(labels[0])
            ax.set_ylabel(labels[1])
            ax.set_title(title)
    return _finish(fig, path)


def plot_variable(
    samples: Mapping[str, tuple[NDArray, NDArray]],
    bins: int,
    value_range: tuple[float, float],
    xlabel: str,
    path: str | Path | None = None,
) -> Figure:
    """Unit-normalised 1D step histograms of one variable; ``samples`` maps label -> (values, weights)."""
    with mpl.rc_context(mplhep.style.ROOT):
        fig = _figure()
        ax = fig.axes[0]
        for label, (x, w) in samples.items():
            h, edges = np.histogram(np.asarray(x), bins=bins, range=value_range, weights=np.asarray(w))
            total = h.sum()
            mplhep.histplot(h / total if total > 0 else h, edges, ax=ax, label=label)
        ax.set_xlabel(xlabel)
        ax.set_ylabel("normalised")
        ax.legend()
    return _finish(fig, path)


def plot_gain(
    m_x: NDArray,
    gains: Mapping[str, NDArray],
    path: str | Path | None = None,
    styles: Mapping[str, str] | None = None,
) -> Figure:
    """Gain in BR reach (bump-hunt limit / angular limit) versus ``m_x`` [GeV] (seed Fig. 5).

    ``gains`` maps a label to an array like ``m_x``; ``styles`` optional label -> line style.
    """
    with mpl.rc_context(mplhep.style.ROOT):
        fig = _figure()
        ax = fig.axes[0]
        for label, g in gains.items():
            ax.plot(np.asarray(m_x) * _MEV, np.asarray(g), (styles or {}).get(label, "-"), label=label)
        ax.axhline(1.0, color="grey", lw=1)
        ax.set_xlabel(r"$m_X$ [MeV]")
        ax.set_ylabel("gain in BR reach")
        ax.legend()
    return _finish(fig, path)


def plot_reach(
    m_x: NDArray,
    limits: Mapping[str, NDArray],
    bands: Sequence[ReachBand] = (),
    ylabel: str = r"$\varepsilon$",
    path: str | Path | None = None,
    log_y: bool = True,
) -> Figure:
    """Expected coupling reach versus ``m_x`` [GeV] with filled bands (seed Figs. 6-7).

    ``limits`` maps a label to coupling limits like ``m_x``; the region above each line is
    the excluded one. ``bands`` are drawn first (e.g. the 2 and 1 sigma (g-2)_mu bands).
    """
    with mpl.rc_context(mplhep.style.ROOT):
        fig = _figure()
        ax = fig.axes[0]
        for band in bands:
            ax.fill_between(np.asarray(band.m_x) * _MEV, band.lo, band.hi, color=band.color,
                            alpha=band.alpha, label=band.label, lw=0)
        for label, lim in limits.items():
            ax.plot(np.asarray(m_x) * _MEV, np.asarray(lim), label=label)
        if log_y:
            ax.set_yscale("log")
        ax.set_xlabel(r"$m_X$ [MeV]")
        ax.set_ylabel(ylabel)
        ax.legend()
    return _finish(fig, path)
