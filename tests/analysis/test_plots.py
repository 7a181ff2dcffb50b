"""The figures are produced and saved."""

from __future__ import annotations

from pathlib import Path

import hist
import numpy as np

from muonbsm.analysis.stats.likelihood import histogram_2d
from muonbsm.analysis.mu3e.plots import ReachBand, plot_distributions_2d, plot_gain, plot_reach, plot_variable


def test_all_plots(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    x, y = rng.uniform(-1, 1, 1000), rng.random(1000)
    w = np.ones(1000)
    x[0] = 1.0  # an upper edge: counted in the last bin, as the likelihood does
    binning = (((-1, 1), (0, 1)), (30, 30), ("cos", "x"))
    sig, bkg = histogram_2d((x, y), w, *binning), histogram_2d((x**3, y**2), 2.0 * w, *binning)
    fig = plot_distributions_2d(sig, bkg, path=tmp_path / "d2.png")
    plot_distributions_2d(sig, bkg, log_z=True, path=tmp_path / "d2log.png")
    assert len(fig.axes) == 4  # two panels and two colour bars
    assert fig.axes[0].get_xlabel() == "cos" and fig.axes[0].get_ylabel() == "x"
    assert fig.axes[0].get_title() == "signal (1,000 effective MC events)"  # all 1000 in range, equal weights
    h1 = [hist.Hist.new.Reg(30, -1, 1, label="cos").Weight().fill(v, weight=wt) for v, wt in ((x, w), (x**3, w * (1 + x**2)))]
    fig = plot_variable({"sig": h1[0], "bkg": h1[1]}, path=tmp_path / "d1.png")
    ax = fig.axes[0]
    assert ax.get_xlabel() == "cos"
    inside = x < 1.0  # hist's Regular axis puts x = 1 in its overflow, which is not drawn
    wb = (w * (1 + x**2))[inside]
    kish = np.sum(wb) ** 2 / np.sum(wb**2)  # by hand
    assert f"bkg ({kish:,.0f} effective MC events)" in [t.get_text() for t in ax.get_legend().get_texts()]
    bars = [c for c in ax.containers if getattr(c, "has_yerr", False)]
    segs = bars[0].lines[2][0].get_segments()  # the signal's error bars: sqrt(n) / N per bin
    counts = np.histogram(x[inside], 30, (-1, 1))[0]
    assert np.allclose([abs(s[1, 1] - s[0, 1]) / 2 for s in segs], np.sqrt(counts) / inside.sum())
    m = np.linspace(0.01, 0.08, 20)
    plot_gain(m, {"scalar": 2 + m, "dark photon": 1 + m}, path=tmp_path / "gain.pdf", styles={"scalar": "--"})
    band = ReachBand(m, 1e-4 * np.ones(20), 2e-4 * np.ones(20), r"$(g-2)_\mu$ $1\sigma$")
    plot_reach(m, {"bump hunt": 3e-4 * np.ones(20), "angular": 2e-4 * np.ones(20)}, [band], path=tmp_path / "r.png")
    for name in ("d2.png", "d2log.png", "d1.png", "gain.pdf", "r.png"):
        assert (tmp_path / name).stat().st_size > 1000


def test_captions_errors_and_outside_legends(tmp_path: Path) -> None:
    from muonbsm.analysis.mu3e.plots import caption

    text = caption(0.95, [1e15, 5.5e16], "reconstructed", "dark photon")
    assert "expected 95% CL" in text and r"5.5\times 10^{16}" in text and "10^{15}" in text and "reconstructed" in text
    m = np.linspace(0.01, 0.08, 8)
    fig = plot_gain(m, {"dark photon": 2 + m}, errors={"dark photon": 0.1 + 0 * m}, info=text, path=tmp_path / "g.png")
    ax = fig.axes[0]
    fig.canvas.draw()
    assert ax.get_title(loc="left") == text
    assert ax.get_legend().get_window_extent().x0 >= ax.get_window_extent().x1
    assert ax.containers and ax.containers[0].has_yerr  # MC-error bars drawn
    fig = plot_reach(m, {"angular": 1e-8 * (1 + m)}, errors={"angular": 1e-9 + 0 * m}, info=text)
    assert len(fig.axes[0].collections) == 2  # the MC-error band and its legend proxy
