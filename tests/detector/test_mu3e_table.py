"""Calibration (rescaling factor with its error) and the efficiency table of the Mu3e model."""

import awkward as ak
import numpy as np
import pytest

from muonbsm.detector.mu3e.calibration import calibrate, rescaling_factor, weighted_efficiency
from muonbsm.detector.mu3e.config import load_config, replace_value
from muonbsm.detector.mu3e.reconstruction import simulate
from muonbsm.detector.mu3e.samples import make_samples, parse_mass, phase_space_mu_eee
from muonbsm.detector.mu3e.table import TABLE_STEPS, efficiency_table, efficiency_vs_mass, format_table, load_reference
from muonbsm.seeds import rng

CFG = load_config()
PS = phase_space_mu_eee(20_000, 21, ("sample", 0, "generation"))


def test_rescaling_factor_reproduces_reference():
    f = rescaling_factor(PS, CFG, 1, ("detector",))
    final = simulate(PS, CFG, rng(1, "detector"), rescale=f.value).step("final").efficiency
    assert final == pytest.approx(CFG.efficiency.reference_total, rel=1e-12)
    half = rescaling_factor(PS, replace_value(CFG, "efficiency.reference_total", CFG.efficiency.reference_total / 2),
                            1, ("detector",))
    assert half.value == pytest.approx(f.value / 2) and half.error == pytest.approx(f.error / 2)
    assert 0.2 < f.value < 2.0
    # sigma_r / r = sigma_eps / eps ~ sqrt((1 - eps) / (eps n_eff)) for the weighted phase-space sample
    eps = f.model_efficiency / (CFG.efficiency.vertex * CFG.efficiency.timing)
    w = ak.to_numpy(PS.weight)
    n_eff = w.sum() ** 2 / np.square(w).sum()
    assert f.error / f.value == pytest.approx(np.sqrt((1 - eps) / (eps * n_eff)), rel=0.15)
    cal = calibrate(CFG, seed=3, n=20_000)
    assert cal.value == pytest.approx(f.value, abs=4 * np.hypot(cal.error, f.error))


def test_weighted_binomial_error_matches_spread():
    """The reported binomial errors equal the spread of the efficiency over independent
    detector streams and samples (a check the formula does not know about)."""
    w = np.random.default_rng(5).exponential(size=4000)  # weighted events, weights independent of passing
    values, errors = [], []
    for k in range(40):
        passed = rng(9, "toys", k).random(4000) < 0.3
        e, s = weighted_efficiency(w, passed)
        values.append(e)
        errors.append(s)
    assert np.std(values, ddof=1) == pytest.approx(np.mean(errors), rel=0.3)
    geo = []
    for k in range(12):
        ps = phase_space_mu_eee(3000, 7, ("sample", k, "generation"))
        rows = efficiency_table({"phase-space": ps}, CFG, seed=7, indices={"phase-space": k})
        geo.append(next((r["value"], r["error"]) for r in rows if r["step"] == "geometric_short"))
    v, e = np.array(geo).T
    assert np.std(v, ddof=1) == pytest.approx(e.mean(), rel=0.5)


def test_table_rows_and_reference(tmp_path):
    ref = tmp_path / "ref.csv"
    ref.write_text("# made-up numbers for the test\nsample,step,value\nphase-space,final,0.2\nphase-space,geometric_short,0.5\n")
    rows = efficiency_table({"phase-space": PS}, CFG, seed=4, reference=ref)
    assert [r["step"] for r in rows] == list(TABLE_STEPS)
    by = {r["step"]: r for r in rows}
    assert by["final"]["value"] == pytest.approx(CFG.efficiency.reference_total)
    assert by["final"]["error"] == 0.0  # the calibration sample reproduces the reference by construction
    assert by["final"]["ratio"] == pytest.approx(by["final"]["value"] / 0.2)
    assert by["geometric_short"]["reference"] == 0.5 and by["rescaling"]["reference"] is None
    for key in ("geometric_short", "geometric_long", "rescaling", "reconstruction_short", "reconstruction_long"):
        assert 0 < by[key]["error"] < 0.02, key
    text = format_table(rows)
    assert "Final efficiency" in text and "phase-space ref" in text and "ratio" in text
    assert f"± {by['geometric_short']['error']:.2g}"[:5] in text
    again = efficiency_table({"phase-space": PS}, CFG, seed=4, reference=ref)
    assert rows == again


def test_final_error_includes_rescaling():
    ic = make_samples("dark-photon:30MeV", 3000, 2)
    rows = efficiency_table({"dp": ic["dark-photon:30MeV"]}, CFG, seed=2, n_calibration=5000)
    by = {r["step"]: r for r in rows}
    rel_r = by["rescaling"]["error"] / by["rescaling"]["value"]
    assert by["final"]["error"] / by["final"]["value"] > rel_r > 0


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
    with pytest.raises(ValueError, match="repeat"):
        make_samples("ic,ic", 10, 1)
    s = make_samples("dark-photon:20MeV", 2000, 5)["dark-photon:20MeV"]
    m_true = ak.to_numpy((s.particles[:, 1] + s.particles[:, 2]).mass)
    assert np.allclose(m_true, 0.02, rtol=1e-6)
    curve = efficiency_vs_mass({0.02: s}, CFG, seed=1, n_calibration=20_000)
    assert curve["mass"].tolist() == [0.02] and 0 < curve["efficiency"][0] < 1 and curve["error"][0] > 0
    assert curve["geometric_short_error"][0] > 0
