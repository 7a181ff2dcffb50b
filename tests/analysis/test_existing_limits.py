"""Published dark-photon limits as package data (muonbsm.analysis.mu3e.existing_limits) and
their drawing on the reach plot."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from muonbsm.analysis.mu3e.existing_limits import (DEFAULT, LABELS, default_limits, limits_dir, packaged_limits,
                                                    projection, read_limit)
from muonbsm.errors import InputError

SHARED = Path("/work/shared/data/dark_photon_limits")


def test_every_packaged_curve_is_cited_and_in_range() -> None:
    curves = packaged_limits()
    assert len(curves) == 24 and set(DEFAULT) <= {c.name for c in curves}
    for c in curves:
        assert c.header.get("arxiv") or c.header.get("journal"), c.name
        assert "confidence_level" in c.header and c.name in LABELS
        assert c.mass_gev.min() < 0.1 and np.all(c.lower > 0)  # each matters below 100 MeV
        assert not c.is_projection
    p = projection()
    assert p.is_projection and p.header["arxiv"] == "1411.1770"
    # Echenard-Essig-Zhong quote eps^2 ~ 2e-8 at 10-20 MeV for 5.5e16 decays (limits README)
    assert np.interp(0.015, p.mass_gev[1:-1], p.lower[1:-1]) ** 2 == pytest.approx(2e-8, rel=0.15)


@pytest.mark.skipif(not SHARED.is_dir(), reason="project reference data not present")
def test_package_data_is_a_verbatim_copy() -> None:
    for c in packaged_limits() + [projection()]:
        rel = c.source.relative_to(limits_dir())
        assert c.source.read_bytes() == (SHARED / rel).read_bytes(), rel


def test_regions() -> None:
    na48 = read_limit(limits_dir() / "NA48_Batley2015lha.csv")
    x, y = na48.region(1e-4, power=2.0)
    assert x.size == 2 * na48.mass_gev.size and np.all(y[na48.mass_gev.size:] == 1e-4)
    assert y[0] == pytest.approx(na48.lower[0] ** 2)
    e137 = read_limit(limits_dir() / "E137_Andreas2012mt.csv")
    x, y = e137.region(1.0, power=1.0)
    n = e137.mass_gev.size
    assert np.array_equal(y[:n], e137.lower) and np.array_equal(y[n:], e137.upper[::-1])


def test_user_limit_files(tmp_path: Path) -> None:
    good = tmp_path / "mine.csv"
    good.write_text("# experiment: my search\n# arxiv: 0000.00000\nmass_gev,epsilon_lower\n0.01,1e-3\n0.05,2e-3\n")
    curve = read_limit(good)
    assert curve.label == "my search" and curve.upper is None and curve.mass_gev.tolist() == [0.01, 0.05]
    cases = {"cols.csv": "mass,eps\n0.01,1e-3\n0.02,1e-3\n", "neg.csv": "mass_gev,epsilon_lower\n0.01,-1\n0.02,1e-3\n",
             "order.csv": "mass_gev,epsilon_lower\n0.02,1e-3\n0.01,1e-3\n",
             "band.csv": "mass_gev,epsilon_lower,epsilon_upper\n0.01,1e-3,1e-4\n0.02,1e-5,1e-4\n",
             "text.csv": "mass_gev,epsilon_lower\n0.01,abc\n0.02,1e-3\n"}
    for name, text in cases.items():
        (tmp_path / name).write_text(text)
        with pytest.raises(InputError, match=name):
            read_limit(tmp_path / name)
    with pytest.raises(InputError, match="does not exist"):
        read_limit(tmp_path / "none.csv")
    with pytest.raises(InputError, match="unknown curve"):
        packaged_limits(("LEP_nothing",))


def test_reach_plot_names_every_experiment_outside_the_axes(tmp_path: Path) -> None:
    from muonbsm.analysis.mu3e.plots import caption, plot_reach

    m = np.array([0.01, 0.02, 0.05, 0.08])
    lim = np.array([1e-8, 8e-9, 2e-8, 6e-8])
    fig = plot_reach(m, {"angular": lim}, errors={"angular": 0.1 * lim}, ylabel=r"$\varepsilon^2$",
                     info=caption(0.95, 5.5e16), existing=default_limits(), projection=projection(),
                     path=tmp_path / "reach.png", log_x=True)
    ax = fig.axes[0]
    legend = ax.get_legend()
    texts = {t.get_text() for t in legend.get_texts()}
    assert {c.label for c in default_limits()} <= texts
    assert any("Mu3e projection" in t for t in texts) and any("MC error" in t for t in texts)
    fig.canvas.draw()
    assert legend.get_window_extent().x0 >= ax.get_window_extent().x1  # legend right of the data
    assert "95% CL" in ax.get_title(loc="left") and "decays" in ax.get_title(loc="left")
    assert (tmp_path / "reach.png").stat().st_size > 10_000
