"""Detector-level arrays, reproducibility, smearing and cut-flow of the Mu3e model."""

import awkward as ak
import numpy as np
import pytest
from scipy import integrate

from muonbsm.detector.mu3e.config import load_config, replace_value
from muonbsm.detector.mu3e.reconstruction import pair_masses, simulate
from muonbsm.detector.mu3e.samples import phase_space_mu_eee
from muonbsm.detector.mu3e.smearing import crystal_ball_pdf, standard_crystal_ball
from muonbsm.events import from_arrays

CFG = load_config()
EVENTS = phase_space_mu_eee(20_000, 11, ("sample", 0, "generation"))


def _arrays(res):
    ev = res.events
    return [ak.to_numpy(ev[f]) for f in ("m_ee_1", "m_ee_2", "weight", "vertex_z", "n_long")] + [
        ak.to_numpy(ev.tracks[f]) for f in ("px", "py", "pz", "reconstructed", "long")]


def test_same_seed_same_arrays():
    a = _arrays(simulate(EVENTS, CFG, np.random.default_rng(5)))
    b = _arrays(simulate(EVENTS, CFG, np.random.default_rng(5)))
    c = _arrays(simulate(EVENTS, CFG, np.random.default_rng(6)))
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not np.array_equal(a[0], c[0]) and not np.array_equal(a[3], c[3])


def test_fields_and_cutflow_consistency():
    res = simulate(EVENTS, CFG, np.random.default_rng(1), rescale=0.6)
    ev = res.events
    assert len(ev) == len(EVENTS)
    assert ak.to_numpy(ev.tracks.px).shape == (len(EVENTS), 3)
    # reconstructed momenta carry the vector behaviour
    assert np.all(ak.to_numpy(ev.tracks.mass) == pytest.approx(0.000511, abs=1e-6))
    w = ak.to_numpy(EVENTS.weight)
    final = res.step("final")
    assert final.efficiency == pytest.approx(ak.to_numpy(ev.weight).sum() / w.sum())
    prod = (res.step("geometric_short").efficiency * res.step("rescaling").efficiency
            * res.step("reconstruction_short").efficiency * res.step("vertex_timing").efficiency)
    assert final.efficiency == pytest.approx(prod)
    assert res.step("vertex_timing").efficiency == pytest.approx(CFG.efficiency.vertex * CFG.efficiency.timing)
    # plateau maps: reconstruction of three short tracks = plateau^3 (binomial tolerance)
    assert res.step("reconstruction_short").efficiency == pytest.approx(CFG.maps.plateau_short**3, abs=0.015)
    assert res.step("geometric_long").efficiency <= res.step("geometric_short").efficiency
    long = ak.to_numpy(ev.tracks.long)
    assert np.all(long <= ak.to_numpy(ev.tracks.reconstructed))
    assert np.array_equal(long.sum(axis=1), ak.to_numpy(ev.n_long))
    with pytest.raises(ValueError, match="key"):
        res.step("nothing")


def test_changing_configuration_changes_result():
    base = simulate(EVENTS, CFG, np.random.default_rng(2)).step("final").efficiency
    for dotted, value in (("efficiency.vertex", 0.5), ("geometry.target_length_mm", 300.0)):
        new = simulate(EVENTS, replace_value(CFG, dotted, value), np.random.default_rng(2)).step("final").efficiency
        assert new < base - 0.01, dotted
    no_recurl = replace_value(CFG, "geometry.recurl_z_centers_mm", ())
    assert (simulate(EVENTS, no_recurl, np.random.default_rng(2)).step("geometric_long").efficiency
            < simulate(EVENTS, CFG, np.random.default_rng(2)).step("geometric_long").efficiency)


def test_mee_smearing_rms_per_number_of_long_tracks():
    cfg = replace_value(CFG, "resolution.mee_rms_gev", (0.004, 0.003, 0.002, 0.001))
    ev = simulate(EVENTS, cfg, np.random.default_rng(3)).events
    diff = ak.to_numpy(ev.m_ee_1 - ev.m_ee_1_true)
    n_long = ak.to_numpy(ev.n_long)
    far = ak.to_numpy(ev.m_ee_1_true) > 0.02  # away from the 2 m_e clip
    for k, rms in enumerate((0.004, 0.003, 0.002, 0.001)):
        sel = far & (n_long == k)
        assert sel.sum() > 500
        assert np.std(diff[sel]) == pytest.approx(rms, rel=0.08)
    # truth pair masses agree with the vector behaviour of the input
    p = EVENTS.particles
    m_vec = ak.to_numpy((p[:, 0] + p[:, 2]).mass)
    assert np.allclose(ak.to_numpy(ev.m_ee_1_true), m_vec, rtol=1e-9)


def test_crystal_ball_sampler_matches_density():
    t = standard_crystal_ball(np.random.default_rng(4), 400_000, alpha=1.2, n=2.5)
    assert integrate.quad(crystal_ball_pdf, -np.inf, np.inf, args=(1.2, 2.5))[0] == pytest.approx(1.0, rel=1e-6)
    edges = np.linspace(-8, 4, 49)
    hist, _ = np.histogram(t, bins=edges)
    expect = np.array([integrate.quad(crystal_ball_pdf, a, b, args=(1.2, 2.5))[0] for a, b in zip(edges[:-1], edges[1:])]) * t.size
    ok = expect > 50
    pull = (hist[ok] - expect[ok]) / np.sqrt(expect[ok])
    assert np.mean(pull**2) < 2.0
    cfg = replace_value(CFG, "resolution.crystal_ball", True)
    ev = simulate(EVENTS, cfg, np.random.default_rng(3)).events
    diff = ak.to_numpy(ev.m_ee_2 - ev.m_ee_2_true)
    assert np.mean(diff < -5 * CFG.resolution.mee_rms_gev[3]) > 1e-3  # low-side tail present


def test_displaced_generator_vertex_is_translated():
    n = 2000
    p = {"E": np.full((n, 3), 0.03), "px": np.full((n, 3), 0.0299), "py": np.zeros((n, 3)), "pz": np.zeros((n, 3)),
         "pdg": np.broadcast_to([-11, -11, 11], (n, 3)), "vz": np.full((n, 3), 400.0)}
    cfg = replace_value(CFG, "selection.sample_vertex", False)
    far = simulate(from_arrays(p, np.ones(n)), cfg, np.random.default_rng(1))
    near = simulate(from_arrays({**p, "vz": np.zeros((n, 3))}, np.ones(n)), cfg, np.random.default_rng(1))
    assert far.step("geometric_short").efficiency == 0.0 and near.step("geometric_short").efficiency == 1.0


def test_bad_input():
    n = 3
    p = {"E": np.ones((n, 2)), "px": np.zeros((n, 2)), "py": np.zeros((n, 2)), "pz": np.ones((n, 2)), "pdg": np.full((n, 2), 11)}
    with pytest.raises(ValueError, match="indices 0, 1, 2"):
        simulate(from_arrays(p, np.ones(n)), CFG, np.random.default_rng(1))
    p3 = {k: np.concatenate([v, v[:, :1]], axis=1) for k, v in p.items()}
    p3["pdg"] = np.full((n, 3), 22)
    with pytest.raises(ValueError, match="pdg"):
        simulate(from_arrays(p3, np.ones(n)), CFG, np.random.default_rng(1))
    with pytest.raises(ValueError, match="rescale"):
        simulate(EVENTS, CFG, np.random.default_rng(1), rescale=-1.0)


def test_pair_masses_back_to_back():
    e = np.array([[0.03, 0.02, 0.03]])
    px = np.array([[0.03, 0.0, -0.03]])
    zero = np.zeros((1, 3))
    m = pair_masses(e, px, zero, zero)
    assert m[0, 0] == pytest.approx(0.06)
