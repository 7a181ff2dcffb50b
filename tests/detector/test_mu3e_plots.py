"""Smoke tests of the Mu3e plots and the one-call report."""

import io
import json

import numpy as np

from muonbsm.detector.mu3e.config import load_config
from muonbsm.detector.mu3e.maps import load_map
from muonbsm.detector.mu3e.plots import plot_cutflow, plot_efficiency_map, plot_efficiency_vs_mass, plot_mee
from muonbsm.detector.mu3e.reconstruction import simulate
from muonbsm.detector.mu3e.report import write_report
from muonbsm.detector.mu3e.samples import phase_space_mu_eee

CFG = load_config()


def test_plots_save(tmp_path):
    res = simulate(phase_space_mu_eee(3000, 1, ("sample", 0, "generation")), CFG, np.random.default_rng(2))
    axes = [plot_efficiency_map(load_map(CFG.maps.short), title="short"),
            plot_efficiency_vs_mass(np.array([0.01, 0.02]), np.array([0.1, 0.2]), np.array([0.01, 0.01])),
            plot_mee({"phase space": res}), plot_cutflow({"phase space": res})]
    for i, ax in enumerate(axes):
        path = tmp_path / f"p{i}.png"
        ax.figure.savefig(path)
        assert path.stat().st_size > 1000


def test_report_writes_files(tmp_path):
    text = write_report(tmp_path, seed=3, n_phase_space=3000, n_ic=300, n_signal=300,
                        table_masses_mev=(40,), curve_masses_mev=(40,))
    assert "Final efficiency" in text and "dark-photon:40MeV" in text
    rows = json.loads((tmp_path / "table.json").read_text())
    assert {r["sample"] for r in rows} == {"phase-space", "ic", "dark-photon:40MeV"}
    for name in ("efficiency_vs_mass.csv", "efficiency_vs_mass.png", "map_short.png", "acceptance_long.png",
                 "cutflow.png", "mee_40MeV.png"):
        assert (tmp_path / name).is_file(), name


def _signal_and_ic():
    from muonbsm.generator.processes.mu3e.cuts import LeptonCuts, MeeWindow
    from muonbsm.generator.processes.mu3e.process import InternalConversion, XEmission
    from muonbsm.models.mu3e import dark_photon

    rng = np.random.default_rng(4)

    def events(proc, n):
        ch = getattr(proc, "channels", [proc])[0]
        w, p = ch.evaluate(rng.random((n, ch.dim)))
        keep = w > 0
        return ch.to_events(p[keep], w[keep] / n, rng)

    cuts = LeptonCuts(0.0, 0.0095)
    sig = simulate(events(XEmission(dark_photon(0.02, 1e-3), cuts=cuts), 2000), CFG, rng)
    ic = simulate(events(InternalConversion(cuts=cuts, mee_window=MeeWindow(0.012, 0.028)), 3000), CFG, rng)
    return {"IC": ic, "dark photon 20 MeV": sig}


def test_talk_quality_axes():
    """Cut-flow on a log axis; the m_ee zoom scales to the smeared peak (truth spike clipped and
    said so); MC-event counts and the level in the figure; legends right of the axes."""
    pair = _signal_and_ic()
    cut = plot_cutflow(pair)
    assert cut.get_yscale() == "log" and cut.get_ylim()[0] < 0.1
    zoom = plot_mee(pair, bins=np.linspace(15, 25, 82), log=False)
    assert "truth spike clipped: dark photon 20 MeV" in zoom.get_title(loc="left")
    for ax in (cut, zoom, plot_mee(pair)):
        texts = [t.get_text() for t in ax.get_legend().get_texts()]
        assert any("MC events" in t for t in texts)
        ax.figure.savefig(io.BytesIO(), format="png")
        assert ax.get_legend().get_window_extent().x0 >= ax.get_window_extent().x1
    assert "reconstructed" in cut.get_title(loc="left")
