"""Helix geometry of the Mu3e detector model."""

import dataclasses

import numpy as np
import pytest

from muonbsm.detector.mu3e.config import load_config
from muonbsm.detector.mu3e.geometry import (
    crossings,
    helix_radius_mm,
    make_helix,
    sample_target_vertex,
    track_acceptance,
)

CFG = load_config()
GEO = CFG.geometry


def _random_tracks(n, rng, p_lo=0.002, p_hi=0.053):
    p = rng.uniform(p_lo, p_hi, n)
    cos_t = rng.uniform(-1, 1, n)
    phi = rng.uniform(0, 2 * np.pi, n)
    st = np.sqrt(1 - cos_t**2)
    q = rng.choice([-1.0, 1.0], n)
    x0, y0, z0 = sample_target_vertex(n, GEO, rng)
    return p * st * np.cos(phi), p * st * np.sin(phi), p * cos_t, q, x0, y0, z0


def test_helix_radius_formula():
    # R = p_T / (0.3 B): 30 MeV in 1 T -> 100.07 mm
    assert helix_radius_mm(np.array(0.03), 1.0) == pytest.approx(100.069, rel=1e-4)
    assert helix_radius_mm(np.array(0.03), 2.0) == pytest.approx(50.035, rel=1e-4)


def test_crossings_match_stepped_trajectory():
    """psi of the first outward/inward crossing of L3 agrees with a small-step propagation."""
    rng = np.random.default_rng(3)
    px, py, pz, q, x0, y0, z0 = _random_tracks(40, rng, 0.012, 0.05)
    hx = make_helix(px, py, pz, q, x0, y0, z0, GEO.b_tesla)
    ok, psi_out, psi_in = crossings(hx, 73.9)
    dpsi = 2e-4
    steps = np.arange(1, int(2 * np.pi / dpsi) + 1) * dpsi
    for i in np.nonzero(ok)[0][:15]:
        pt = np.hypot(px[i], py[i])
        radius = pt / 0.299792458 * 1e3
        # stepped motion: rotate the unit direction by -sign(q) dpsi each step (Lorentz force)
        ang = np.arctan2(py[i], px[i]) - np.sign(q[i]) * (steps - dpsi / 2)
        x = x0[i] + np.cumsum(radius * dpsi * np.cos(ang))
        y = y0[i] + np.cumsum(radius * dpsi * np.sin(ang))
        r = np.hypot(x, y)
        first_out = steps[np.argmax(r >= 73.9)]
        after = r < 73.9
        after[: np.argmax(r >= 73.9)] = False
        first_in = steps[np.argmax(after)]
        assert psi_out[i] == pytest.approx(first_out, abs=3 * dpsi)
        assert psi_in[i] == pytest.approx(first_in, abs=3 * dpsi)
        assert hx.max_radius[i] == pytest.approx(r.max(), rel=1e-3)


def test_compiled_acceptance_matches_numpy_helix():
    """The compiled kernel agrees with the numpy helix algebra (outward hits of every layer)."""
    rng = np.random.default_rng(4)
    tr = _random_tracks(20_000, rng)
    acc = track_acceptance(*tr, GEO)
    hx = make_helix(*tr, GEO.b_tesla)
    out = []
    for i, layer in enumerate(GEO.layers):
        ok, psi_out, _ = crossings(hx, layer.radius_mm)
        assert np.array_equal(ok, acc.reaches[:, i])
        with np.errstate(invalid="ignore"):
            out.append(ok & (np.abs(hx.z_at(psi_out)) <= layer.half_length_mm))
    assert np.array_equal(np.all(out, axis=0), acc.short)
    assert np.all(acc.long <= acc.short)


def test_below_pt_threshold_never_reaches_l3():
    """Max radius d + R <= r0 + 2R: a track with r0 + 2R < r(L3) never reaches L3, any p_z."""
    rng = np.random.default_rng(5)
    px, py, pz, q, x0, y0, z0 = _random_tracks(50_000, rng, 0.001, 0.02)
    acc = track_acceptance(px, py, pz, q, x0, y0, z0, GEO)
    bound = np.hypot(x0, y0) + 2 * helix_radius_mm(np.hypot(px, py), 1.0)
    below = bound < GEO.layer("L3").radius_mm
    assert below.sum() > 1000
    assert not acc.reaches[below, 2].any() and not acc.short[below].any()
    # from the axis: threshold p_T = 0.3 B r / 2 = 11.08 MeV for L3, even for large p_z
    pt = np.array([0.0110, 0.0112])
    acc0 = track_acceptance(pt, 0 * pt, np.array([0.05, 0.05]), 1.0, 0.0, 0.0, 0.0, GEO)
    assert acc0.reaches[:, 2].tolist() == [False, True]


def test_phi_symmetry():
    """Rotating momentum and vertex about the beam axis leaves the classification unchanged."""
    rng = np.random.default_rng(6)
    px, py, pz, q, x0, y0, z0 = _random_tracks(20_000, rng)
    a = track_acceptance(px, py, pz, q, x0, y0, z0, GEO)
    for ang in (0.7, np.pi / 2, 2.5):
        c, s = np.cos(ang), np.sin(ang)
        b = track_acceptance(c * px - s * py, s * px + c * py, pz, q, c * x0 - s * y0, s * x0 + c * y0, z0, GEO)
        assert np.mean(a.short != b.short) < 1e-3 and np.mean(a.long != b.long) < 1e-3
    # mirror y -> -y with the charge flipped is also a symmetry (B along z)
    m = track_acceptance(px, -py, pz, -q, x0, -y0, z0, GEO)
    assert np.mean(a.short != m.short) < 1e-3
    # acceptance does not depend on the track azimuth
    phi = np.arctan2(py, px)
    fr = [a.short[(phi >= lo) & (phi < lo + np.pi / 2)].mean() for lo in (-np.pi, -np.pi / 2, 0, np.pi / 2)]
    assert np.ptp(fr) < 0.03


def test_target_end_has_smaller_acceptance_than_centre():
    rng = np.random.default_rng(7)
    px, py, pz, q, _, _, _ = _random_tracks(40_000, rng, 0.01, 0.053)
    centre = track_acceptance(px, py, pz, q, 19.0, 0.0, 0.0, GEO).short.mean()
    end_up = track_acceptance(px, py, pz, q, 0.0, 0.0, -50.0, GEO).short.mean()
    end_down = track_acceptance(px, py, pz, q, 0.0, 0.0, 50.0, GEO).short.mean()
    assert end_up < centre - 0.02 and end_down < centre - 0.02
    assert end_up == pytest.approx(end_down, abs=0.01)


def test_long_needs_recurl_stations_or_central_return():
    """Removing the recurl stations removes long tracks with large |lambda| only."""
    rng = np.random.default_rng(8)
    tr = _random_tracks(20_000, rng, 0.015, 0.053)
    with_st = track_acceptance(*tr, GEO)
    no_st = track_acceptance(*tr, dataclasses.replace(GEO, recurl_z_centers_mm=()))
    assert no_st.long.sum() < with_st.long.sum()
    assert np.all(no_st.long <= with_st.long)


def test_inner_recurl_short_option():
    """A 6 MeV p_T track from the axis reaches L2 but not L3: short only with the option."""
    args = (np.array([0.006]), np.array([0.0]), np.array([0.001]), 1.0, 0.0, 0.0, 0.0, GEO)
    assert not track_acceptance(*args).short[0]
    assert track_acceptance(*args, inner_recurl_short=True).short[0]


def test_target_vertex_on_double_cone():
    rng = np.random.default_rng(9)
    x, y, z = sample_target_vertex(200_000, GEO, rng)
    r = np.hypot(x, y)
    assert np.allclose(r, 19.0 * (1 - np.abs(z) / 50.0))
    assert np.abs(z).max() <= 50.0
    assert np.mean(np.abs(z)) == pytest.approx(50.0 / 3, rel=0.01)  # triangular density in |z|
    assert abs(np.mean(z)) < 0.2
    with pytest.raises(ValueError, match="n"):
        sample_target_vertex(-1, GEO, rng)
