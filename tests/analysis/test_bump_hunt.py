"""Window optimisation and the plain bump-hunt limit."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize_scalar
from scipy.special import erf, lambertw

from muonbsm.analysis.mu3e.bump_hunt import bump_hunt_limit, in_window, optimal_window, window_sums


def test_window_sums_match_masks() -> None:
    rng = np.random.default_rng(0)
    m, w = rng.uniform(0, 0.05, 5000), rng.exponential(1.0, 5000)
    w[::7] = 0.0
    hw = np.array([0.001, 0.004, 0.02])
    s, s2, n = window_sums(0.03, m, w, hw)
    for k, h in enumerate(hw):
        sel = in_window(m, 0.03, h)
        assert s[k] == pytest.approx(w[sel].sum())
        assert s2[k] == pytest.approx((w[sel] ** 2).sum())
        assert n[k] == np.count_nonzero(w[sel])


def test_optimal_window_gaussian_on_flat() -> None:
    """Gaussian peak on a flat background: S/sqrt(B) ~ erf(k/sqrt2)/sqrt(k) peaks at k = 1.40 sigma."""
    k_opt = minimize_scalar(lambda k: -erf(k / np.sqrt(2)) / np.sqrt(k), bounds=(0.1, 5), method="bounded").x
    rng = np.random.default_rng(2)
    sigma = 0.0005
    sig = rng.normal(0.03, sigma, 200_000)
    bkg = rng.uniform(0.02, 0.04, 400_000)
    w = optimal_window(0.03, sig, np.full(sig.size, 1e-9), bkg, np.full(bkg.size, 1e-6), n_scan=400)
    assert w.half_width / sigma == pytest.approx(k_opt, abs=0.1)
    assert w.significance == pytest.approx(np.nanmax(w.significances))


def test_bump_hunt_limit_is_analytic_single_bin() -> None:
    rng = np.random.default_rng(3)
    sig = rng.normal(0.03, 0.0005, 10_000)
    bkg = rng.uniform(0.02, 0.04, 50_000)
    ws, wb = np.full(sig.size, 1e-15), np.full(bkg.size, 1e-12)
    res, win = bump_hunt_limit(0.03, sig, ws, bkg, wb, n_decays=1e15, signal_br=1e-11)
    s, b = win.s, win.b
    y = -lambertw(-np.exp(-(1 + 2.71 / (2 * b))), -1).real
    assert res.mu_limit == pytest.approx(b * (y - 1) / s, rel=1e-9)
    assert res.br_limit == pytest.approx(res.mu_limit * 1e-11)
    fixed, none = bump_hunt_limit(0.03, sig, ws, bkg, wb, n_decays=1e15, half_width=win.half_width, statistic="gaussian")
    assert none is None
    assert fixed.mu_limit == pytest.approx(np.sqrt(2.71 * b) / s, rel=1e-9)


def test_window_errors() -> None:
    with pytest.raises(ValueError, match="background MC"):
        optimal_window(0.03, np.array([0.03]), np.array([1.0]), np.array([0.01]), np.array([1.0]))
    with pytest.raises(ValueError, match="half_widths"):
        optimal_window(0.03, np.array([0.03]), np.array([1.0]), np.array([0.03]), np.array([1.0]), half_widths=[0.0])
