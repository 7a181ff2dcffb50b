"""Calibration (rescaling factor) and the efficiency table of the Mu3e model."""

import awkward as ak
import numpy as np
import pytest

from muonbsm.detector.mu3e.calibration import calibrate, rescaling_factor
from muonbsm.detector.mu3e.config import load_config, replace_value
from muonbsm.detector.mu3e.reconstruction import simulate
from muonbsm.detector.mu3e.samples import make_samples, parse_mass, phase_space_mu_eee
from muonbsm.detector.mu3e.table import TABLE_STEPS, efficiency_table, efficiency_vs_mass, format_table, load_reference

CFG = load_config()
PS = phase_space_mu_eee(20_000, np.random.default_rng(21))


def test_rescaling_factor_reproduces_reference():
    f = rescaling_factor(PS, CFG, np.random.default_rng(1))
    final = simulate(PS, CFG, np.random.default_rng(1), rescale=f).step("final").efficiency
    assert final == pytest.approx(CFG.efficiency.reference_total, rel=1e-12)
    half = rescaling_factor(PS, replace_value(CFG, "efficiency.reference_total", CFG.efficiency.reference_total / 2),
                            np.random.default_rng(1))
    assert half == pytest.approx(f / 2)
    assert 0.2 < f < 2.0
    assert calibrate(CFG, seed=3, n=20_000) == pytest.approx(f, rel=0.05)


def test_table_rows_and_reference(tmp_path):
    ref = tmp_path / "ref.csv"
    ref.write_text("# made-up numbers for the test\nsample,step,value\nphase-space,final,0.2\nphase-space,geometric_short,0.5\n")
    rows = efficiency_table({"phase-space": PS}, CFG, seed=4, reference=ref)
    assert [r["step"] for r in rows] == list(TABLE_STEPS)
    by = {r["step"]: r for r in rows}
    assert by["final"]["value"] == pytest.approx(CFG.efficiency.reference_total)
    assert by["final"]["ratio"] == pytest.approx(by["final"]["value"] / 0.2)
    assert by["geometric_short"]["reference"] == 0.5 and by["rescaling"]["reference"] is None
    assert 0 < by["geometric_short"]["error"] < 0.01
    text = format_table(rows)
    assert "Final efficiency" in text and "phase-space ref" in text and "ratio" in text
    again = efficiency_table({"phase-space": PS}, CFG, seed=4, reference=ref)
    assert rows == again


@pytest.mark.parametrize(
    ("body", "match"),
    [("a,b,c\n", "header"), ("sample,step,value\nps,final\n", "3 columns"),
     ("sample,step,value\nps,best,0.1\n", "step"), ("sample,step,value\nps,final,x\n", "not a number"),
     ("sample,step,value\nps,final,-1\n", ">= 0")],
)
def test_malformed_reference(tmp_path, body, match):
    path = tmp_path / "r.csv"
    path.write_text(body)
    with pytest.raises(ValueError, match=match):
        load_reference(path)


def test_samples_and_mass_curve():
    assert parse_mass("20MeV") == pytest.approx(0.02) and parse_mass("0.05GeV") == pytest.approx(0.05)
    with pytest.raises(ValueError, match="mass"):
        parse_mass("200MeV")
    with pytest.raises(ValueError, match="sample"):
        make_samples("muon-pie", 10, 1)
    s = make_samples("dark-photon:20MeV", 2000, 5)["dark-photon:20MeV"]
    m_true = ak.to_numpy((s.particles[:, 1] + s.particles[:, 2]).mass)
    assert np.allclose(m_true, 0.02, rtol=1e-6)
    curve = efficiency_vs_mass({0.02: s}, CFG, seed=1, n_calibration=20_000)
    assert curve["mass"].tolist() == [0.02] and 0 < curve["efficiency"][0] < 1 and curve["error"][0] > 0
