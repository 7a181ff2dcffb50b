"""Smoke tests of the Mu3e plots and the one-call report."""

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
    res = simulate(phase_space_mu_eee(3000, np.random.default_rng(1)), CFG, np.random.default_rng(2))
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
