r"""Figures of the Mu3e analysis (Knapen, Langhoff, Opferkuch, Redigolo, arXiv:2311.17913, Figs. 4-7).

* :func:`plot_distributions_2d`: normalised 2D distributions of two variables for signal and
  background side by side (the variables of Fig. 4, ``hist.Hist`` binned as in the likelihood);
* :func:`plot_variable`: normalised 1D distributions of one variable for several samples
  (``hist.Hist``, Fig. 4);
* :func:`plot_gain`: gain in BR reach (bump hunt / angular) versus ``m_X``, with MC-error bars (Fig. 5);
* :func:`plot_reach`: coupling reach versus ``m_X`` with MC-error bands, filled bands (e.g.
  (g-2)_mu), published limits as shaded excluded regions and a published projection as a
  dashed reference (Figs. 6-7; limits of :mod:`~muonbsm.analysis.mu3e.existing_limits`).

Every figure states its confidence level, exposure (muon decays) and level (truth or
reconstructed) in a caption line above the axes (:func:`caption`); legends sit outside the
axes, right of the data. Figures are :class:`matplotlib.figure.Figure` objects on the Agg
canvas (no pyplot, no global state) in the ``mplhep`` ROOT style, returned, and saved to
``path`` if given. Masses are passed in GeV and drawn in MeV.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import hist
import matplotlib as mpl
import mplhep
import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure
from numpy.typing import NDArray

from muonbsm.analysis.mu3e.existing_limits import LimitCurve

__all__ = ["ReachBand", "caption", "effective_events", "plot_distributions_2d", "plot_variable", "plot_gain", "plot_reach"]

Array = NDArray[np.float64]
_MEV = 1e3
_LEGEND = {"loc": "upper left", "bbox_to_anchor": (1.02, 1.0), "borderaxespad": 0.0, "fontsize": 13, "frameon": False}


@dataclass(frozen=True)
class ReachBand:
    """A filled band ``lo <= g <= hi`` versus ``m_x`` [GeV] (e.g. the 1 or 2 sigma (g-2) band)."""

    m_x: Array
    lo: Array
    hi: Array
    label: str
    color: str = "tab:green"
    alpha: float = 0.3


def _power10(x: float) -> str:
    exp = int(np.floor(np.log10(x)))
    mant = x / 10**exp
    return rf"10^{{{exp}}}" if abs(mant - 1) < 1e-9 else rf"{mant:.3g}\times 10^{{{exp}}}"


def caption(cl: float | None = None, decays: float | Sequence[float] | None = None, level: str = "reconstructed",
            extra: str = "") -> str:
    """One caption line: ``expected 95% CL``, ``5.5e16 muon decays`` and the ``level``
    (``"truth"`` or ``"reconstructed"``), plus ``extra``; e.g. for :func:`plot_reach`."""
    parts = []
    if cl is not None:
        parts.append(f"expected {cl * 100:g}% CL")
    if decays is not None:
        ns = [float(decays)] if isinstance(decays, (int, float, np.number)) else [float(n) for n in decays]
        parts.append(", ".join(f"${_power10(n)}$" for n in ns) + r" $\mu^+$ decays")
    if level:
        parts.append(f"{level} level")
    if extra:
        parts.append(extra)
    return ";  ".join(parts)


def _figure(ncols: int = 1, width: float = 8.0, height: float = 6.5) -> Figure:
    with mpl.rc_context(mplhep.style.ROOT):
        fig = Figure(figsize=(width * ncols, height), layout="constrained")
        FigureCanvasAgg(fig)
        fig.subplots(1, ncols)
    return fig


def _caption(ax: Axes, text: str) -> None:
    if text:
        ax.set_title(text, fontsize=13, loc="left")


def _finish(fig: Figure, path: str | Path | None) -> Figure:
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        with mpl.rc_context(mplhep.style.ROOT):
            fig.savefig(path)
    return fig


def effective_events(h: hist.Hist) -> float:
    """Effective number of MC events of a weighted histogram, (sum w)^2 / sum w^2 (Kish); the
    sum of the contents for a storage without variances."""
    total, var = float(np.sum(h.values())), h.variances()
    s2 = float(np.sum(var)) if var is not None else 0.0
    return total * total / s2 if s2 > 0 else total


def plot_distributions_2d(
    signal: hist.Hist,
    background: hist.Hist,
    titles: tuple[str, str] = ("signal", "background"),
    path: str | Path | None = None,
    log_z: bool = False,
    info: str = "",
) -> Figure:
    """Unit-normalised 2D histograms for signal (left) and background (right).

    ``signal`` and ``background`` are 2D ``hist.Hist`` (weighted storage, e.g. from
    :func:`muonbsm.analysis.stats.likelihood.histogram_2d` or ``BinnedModel.histograms()``);
    the axis labels are theirs. ``log_z`` draws the bin contents on a logarithmic colour scale
    over at most six decades (empty bins blank); ``info`` is a caption line (:func:`caption`)
    above the panels; the panel titles name the samples and their effective MC events
    (:func:`effective_events`).
    """
    with mpl.rc_context(mplhep.style.ROOT):
        fig = _figure(2, height=7.0)
        for ax, hh, title in zip(fig.axes, (signal, background), titles):
            h = np.asarray(hh.values(), dtype=np.float64)
            total = h.sum()
            h = h / total if total > 0 else h
            norm = LogNorm(vmin=max(h[h > 0].min(), 1e-6 * h.max()), vmax=h.max()) if log_z and np.any(h > 0) else None
            mesh = ax.pcolormesh(hh.axes[0].edges, hh.axes[1].edges, np.where(h > 0, h, np.nan).T if log_z else h.T,
                                 cmap="viridis", norm=norm)
            fig.colorbar(mesh, ax=ax, label="fraction per bin")
            ax.set_xlabel(hh.axes[0].label)
            ax.set_ylabel(hh.axes[1].label)
            ax.set_title(f"{title} ({effective_events(hh):,.0f} effective MC events)", fontsize=14)
        if info:
            fig.suptitle(info, fontsize=13)
    return _finish(fig, path)


def plot_variable(samples: Mapping[str, hist.Hist], path: str | Path | None = None, info: str = "") -> Figure:
    """Unit-normalised 1D step histograms of one variable; ``samples`` maps label -> 1D ``hist.Hist``
    with weighted storage (the x label is the first histogram's axis label).

    Each histogram carries its weighted MC error, sqrt(sum w^2) / sum w per bin, as error bars;
    the legend gives its effective MC events (:func:`effective_events`)."""
    with mpl.rc_context(mplhep.style.ROOT):
        fig = _figure(width=11.0)
        ax = fig.axes[0]
        for label, h in samples.items():
            values, var = h.values(), h.variances()
            total = float(values.sum()) if values.sum() > 0 else 1.0
            mplhep.histplot(values / total, h.axes[0].edges, yerr=None if var is None else np.sqrt(var) / total, ax=ax,
                            label=f"{label} ({effective_events(h):,.0f} effective MC events)")
        ax.set_xlabel(next(iter(samples.values())).axes[0].label if samples else "")
        ax.set_ylabel("fraction per bin")
        _caption(ax, info)
        ax.legend(**_LEGEND)
    return _finish(fig, path)


def plot_gain(
    m_x: NDArray,
    gains: Mapping[str, NDArray],
    path: str | Path | None = None,
    styles: Mapping[str, str] | None = None,
    errors: Mapping[str, NDArray] | None = None,
    info: str = "",
) -> Figure:
    """Gain in BR reach (bump-hunt limit / angular limit) versus ``m_x`` [GeV] (Fig. 5).

    ``gains`` maps a label to an array like ``m_x``; ``errors`` the same labels to the MC
    errors of the gains (drawn as bars); ``styles`` optional label -> line style; ``info`` a
    caption line (:func:`caption`).
    """
    with mpl.rc_context(mplhep.style.ROOT):
        fig = _figure(width=11.0)
        ax = fig.axes[0]
        for label, g in gains.items():
            style = (styles or {}).get(label, "-")
            err = None if errors is None else errors.get(label)
            ax.errorbar(np.asarray(m_x) * _MEV, np.asarray(g), yerr=err, fmt=style, marker="o", ms=4, capsize=3,
                        label=label)
        ax.axhline(1.0, color="grey", lw=1)
        ax.set_xlabel(r"$m_X$ [MeV]")
        ax.set_ylabel(r"gain in BR reach, $\mathcal{B}_{\rm bump}/\mathcal{B}_{\rm angular}$")
        _caption(ax, info)
        ax.legend(**_LEGEND)
    return _finish(fig, path)


def _draw_existing(ax: Axes, curves: Sequence[LimitCurve], power: float, ceiling: float) -> None:
    colors: dict[str, tuple] = {}
    cmap = mpl.colormaps["tab20"]
    for curve in curves:
        new = curve.label not in colors
        if new:
            colors[curve.label] = cmap((2 * len(colors) + 1) % 20)
        x, y = curve.region(ceiling, power)
        ax.fill(x * _MEV, y, color=colors[curve.label], alpha=0.45, lw=0.8, ec=cmap((2 * list(colors).index(curve.label)) % 20),
                label=curve.label if new else None, zorder=1)


def plot_reach(
    m_x: NDArray,
    limits: Mapping[str, NDArray],
    bands: Sequence[ReachBand] = (),
    ylabel: str = r"$\varepsilon$",
    path: str | Path | None = None,
    log_y: bool = True,
    *,
    errors: Mapping[str, NDArray] | None = None,
    styles: Mapping[str, str] | None = None,
    info: str = "",
    existing: Sequence[LimitCurve] = (),
    projection: LimitCurve | None = None,
    power: float = 2.0,
    xlim_mev: tuple[float, float] | None = None,
    ylim: tuple[float, float] | None = None,
    log_x: bool = False,
) -> Figure:
    """Expected coupling reach versus ``m_x`` [GeV] (Figs. 6-7).

    ``limits`` maps a label to coupling limits like ``m_x`` (the region above each line is
    excluded); ``errors`` maps labels to their MC errors (drawn as bands of +-1 error);
    ``bands`` (e.g. the (g-2)_mu bands) are drawn first. ``existing``: published limits in
    epsilon, drawn as shaded excluded regions in epsilon^``power`` (2 for an eps^2 axis);
    ``projection``: a published reach curve drawn dashed. ``info``: caption line
    (:func:`caption`: CL, exposure, level). Legends outside the axes.
    """
    with mpl.rc_context(mplhep.style.ROOT):
        fig = _figure(width=12.5 if existing else 11.0, height=7.0)
        ax = fig.axes[0]
        m_mev = np.asarray(m_x) * _MEV
        finite = [np.asarray(v)[np.isfinite(v) & (np.asarray(v) > 0)] for v in limits.values()]
        values = np.concatenate(finite) if finite else np.array([1.0])
        if ylim is None and values.size:
            below, above = (1.0, 2.0) if existing else (0.3, 0.5)  # room for the published regions
            ylim = (10 ** np.floor(np.log10(values.min()) - below), 10 ** np.ceil(np.log10(values.max()) + above))
        ceiling = ylim[1] * 10 if ylim else 1.0
        if existing:
            _draw_existing(ax, existing, power, ceiling)
        for band in bands:
            ax.fill_between(np.asarray(band.m_x) * _MEV, band.lo, band.hi, color=band.color,
                            alpha=band.alpha, label=band.label, lw=0, zorder=2)
        any_error = False
        for k, (label, lim) in enumerate(limits.items()):
            style = (styles or {}).get(label, "-")
            color = None if any(c in style for c in "bgrcmykC") else f"C{k}"
            (line,) = ax.plot(m_mev, np.asarray(lim), style, lw=2.2, marker="o", ms=4, label=label, zorder=4)
            if color is not None:
                line.set_color(color)
            err = None if errors is None else errors.get(label)
            if err is not None:
                lim, err = np.asarray(lim), np.asarray(err)
                ax.fill_between(m_mev, np.clip(lim - err, lim * 1e-3, None), lim + err, color=line.get_color(),
                                alpha=0.3, lw=0, zorder=3)
                any_error = True
        if any_error:
            ax.fill_between([], [], [], color="grey", alpha=0.3, lw=0, label=r"bands: $\pm 1\sigma$ MC error")
        if projection is not None:
            sel = (projection.lower < 1.0) & (projection.lower < 1e4)
            ax.plot(projection.mass_gev[sel] * _MEV, projection.lower[sel] ** power, "k--", lw=2, zorder=5,
                    label=f"{projection.label}, arXiv:{projection.header.get('arxiv', '?')}")
        if log_y:
            ax.set_yscale("log")
        if log_x:
            ax.set_xscale("log")
        if ylim:
            ax.set_ylim(*ylim)
        if xlim_mev:
            ax.set_xlim(*xlim_mev)
        ax.set_xlabel(r"$m_X$ [MeV]")
        ax.set_ylabel(ylabel)
        _caption(ax, info)
        ax.legend(**{**_LEGEND, "fontsize": 11 if existing else 13, "ncols": 2 if len(existing) > 14 else 1})
    return _finish(fig, path)
