"""Figures of the ALP reach study and the signal-sample layout used for the efficiencies."""

from __future__ import annotations

import awkward as ak
import numpy as np
import pytest

from muonbsm.analysis.fixed_target import plots as alp_plots
from muonbsm.analysis.fixed_target.signal import signal_events
from muonbsm.generator.processes.alp.production import ALP_PDG
from muonbsm.constants import M_TAU


def _rows():
    rows = []
    for key, scale in (("NA64mu/projected", 30.0), ("ThinPb1.5TeV/delta_2mm", 0.3)):
        exp, var = key.split("/")
        for ch in ("invisible", "visible"):
            for m in (2.0, 5.0, 10.0):
                rows.append({"experiment": exp, "variant": var, "channel": ch, "ma_gev": m,
                             "c_over_lambda_per_tev": scale * m, "g_mutau": 0.0, "efficiency": 0.1})
    return rows


def test_plot_reach_and_cli(tmp_path):
    import json
    bound = tmp_path / "b.csv"
    bound.write_text("ma_gev,c_over_lambda_per_tev\n2,60\n10,60\n")
    out = tmp_path / "f6.png"
    alp_plots.plot_reach(_rows(), out, "invisible", bounds=[bound])
    assert out.stat().st_size > 10_000
    rows = tmp_path / "rows.json"
    rows.write_text(json.dumps(_rows()))
    assert alp_plots.main(["fig7", "--rows", str(rows), "-o", str(tmp_path / "f7.png")]) == 0
    with pytest.raises(ValueError, match="no finite reach"):
        alp_plots.plot_reach([], out, "visible")


@pytest.mark.slow
def test_signal_events_layout_and_decay_lengths():
    rng = np.random.default_rng(3)
    ev = signal_events("Pb", 1500.0, 5.0, "visible", 2000, rng, frac_mu_minus=0.5)
    p = ev.particles
    assert ak.all(p.pdg[:, 1] == 1000822080) and ak.all(p.pdg[:, 3] == ALP_PDG)
    assert ak.all(abs(p.pdg[:, 2]) == 15) and ak.all(np.sign(p.pdg[:, 2]) == np.sign(p.pdg[:, 0]))
    assert ak.all(p.mother[:, 5] == 3) and ak.all(p.mother[:, 6] == 3) and ak.all(abs(p.pdg[:, 6]) == 15)
    assert np.allclose(ak.to_numpy(p.mass[:, 2]), M_TAU, rtol=1e-5)
    # four-momentum conservation mu + N -> tau + N' + a
    for c in ("E", "px", "py", "pz"):
        lhs = ak.to_numpy(p[c][:, 0] + p[c][:, 1])
        rhs = ak.to_numpy(p[c][:, 2] + p[c][:, 3] + p[c][:, 4])
        assert np.allclose(lhs, rhs, rtol=1e-9, atol=1e-6)
    charges = ak.to_numpy(ev.beam_charge)
    assert 0.4 < np.mean(charges == -1) < 0.6
    h = alp_plots.decay_length_histograms([1500.0], [5.0], np.linspace(-3, 4, 15), n=1000)
    assert set(h) == {(1500.0, 5.0, 0), (1500.0, 5.0, 1)} and all(np.all(v >= 0) for v in h.values())
