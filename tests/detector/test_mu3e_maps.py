"""Efficiency maps on (p, lambda) grids."""

import numpy as np
import pytest

from muonbsm.detector.mu3e.config import load_config
from muonbsm.detector.mu3e.maps import EfficiencyMap, acceptance_map, load_map, write_map

CFG = load_config()


def test_default_maps_have_provenance_and_plateau():
    short = load_map(CFG.maps.short)
    long = load_map(CFG.maps.long_upgrade)
    assert "write_default_maps" in short.provenance and "approx" in short.provenance
    assert set(np.unique(short.values)) == {0.0, CFG.maps.plateau_short}
    assert set(np.unique(long.values)) == {0.0, CFG.maps.plateau_long}
    # nothing below the L3/L4 reach (p < 10 MeV), plateau at 30 MeV, lambda = 0
    assert short(np.array([0.005, 0.030]), np.array([0.0, 0.0])).tolist() == [0.0, CFG.maps.plateau_short]
    # outside the grid -> 0
    assert short(np.array([0.2]), np.array([0.0]))[0] == 0.0


def test_acceptance_map_geometry():
    rng = np.random.default_rng(1)
    acc = acceptance_map(CFG, "short", rng, n_per_bin=50, p_edges=np.array([0.005, 0.010, 0.030, 0.050]),
                         lambda_edges=np.array([-1.5, -0.2, 0.2, 1.5]))
    assert np.all(acc.values[0] == 0)  # p < 10 MeV never reaches L3/L4
    assert acc.values[2, 1] > 0.95  # central, stiff tracks
    assert acc.values[2, 0] < acc.values[2, 1]
    with pytest.raises(ValueError, match="kind"):
        acceptance_map(CFG, "medium", rng)


def test_roundtrip_and_mev_header(tmp_path):
    emap = EfficiencyMap(np.array([0.0, 0.01, 0.05]), np.array([-1.0, 0.0, 1.0]), np.array([[0.1, 0.2], [0.3, 0.4]]), "test map")
    path = tmp_path / "m.csv"
    write_map(emap, path)
    back = load_map(path)
    assert np.allclose(back.values, emap.values) and np.allclose(back.p_edges, emap.p_edges)
    assert back.provenance == "test map"
    mev = tmp_path / "mev.csv"
    mev.write_text("# digitised\np_low_MeV,p_high_MeV,lambda_low,lambda_high,efficiency\n"
                   "10,20,-1,1,0.5\n20,30,-1,1,0.9\n")
    m = load_map(mev)
    assert m(np.array([0.015, 0.025, 0.035]), np.zeros(3)).tolist() == [0.5, 0.9, 0.0]


@pytest.mark.parametrize(
    ("body", "match"),
    [
        ("p_low_GeV,p_high_GeV,lambda_low,lambda_high,eff\n0,1,0,1,0.5\n", "header"),
        ("p_low_GeV,p_high_GeV,lambda_low,lambda_high,efficiency\n0,0.01,0,1,1.5\n", r"\[0, 1\]"),
        ("p_low_GeV,p_high_GeV,lambda_low,lambda_high,efficiency\n0,0.01,0,1,0.5\n0.02,0.03,0,1,0.5\n", "contiguous"),
        ("p_low_GeV,p_high_GeV,lambda_low,lambda_high,efficiency\n0,0.01,0,0.5,0.5\n0.01,0.02,0,0.5,0.5\n"
         "0,0.01,0.5,1,0.5\n", "exactly once"),
        ("p_low_GeV,p_high_GeV,lambda_low,lambda_high,efficiency\n0,0.01,0,1,abc\n", "non-numeric"),
        ("p_low_GeV,p_high_GeV,lambda_low,lambda_high,efficiency\n0,0.01,0,3,0.5\n", "lambda"),
        ("# only comments\n", "no header"),
    ],
)
def test_malformed_maps(tmp_path, body, match):
    path = tmp_path / "bad.csv"
    path.write_text(body)
    with pytest.raises(ValueError, match=match):
        load_map(path)


def test_missing_map_file(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        load_map(tmp_path / "nope.csv")
