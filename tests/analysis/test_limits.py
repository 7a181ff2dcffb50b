"""Expected limits, MC-statistics propagation, mass scans and coupling conversion."""

from __future__ import annotations

import numpy as np
import pytest

from muonbsm.analysis.stats.likelihood import BinnedModel, fill_2d, solve_mu
from muonbsm.analysis.stats.limits import coupling_limit, expected_limit, gain, q_threshold, scan_expected_limits


def model(s: np.ndarray, b: np.ndarray, n_mc: int = 400, br: float = 1e-12) -> BinnedModel:
    """Model whose MC variances correspond to n_mc equal-weight events per bin."""
    return BinnedModel(s, b, s**2 / n_mc, b**2 / n_mc, np.full(s.size, n_mc), np.full(s.size, n_mc), br)


def test_single_bin_and_br() -> None:
    r = expected_limit(model(np.array([4.0]), np.array([16.0])), statistic="gaussian")
    assert r.mu_limit == pytest.approx(np.sqrt(2.71 * 16) / 4)
    assert r.br_limit == pytest.approx(r.mu_limit * 1e-12)
    assert (r.cl, r.q_target, r.statistic, r.n_bins_used) == (0.95, 2.71, "gaussian", 1)


def test_q_threshold() -> None:
    assert q_threshold(0.95) == 2.71
    assert q_threshold(0.9) == pytest.approx(1.2815516**2, rel=1e-6)
    with pytest.raises(ValueError):
        q_threshold(1.2)


def test_linear_mc_error_matches_toys() -> None:
    rng = np.random.default_rng(5)
    s = rng.exponential(2.0, 200)
    b = rng.exponential(100.0, 200) + 20.0
    m = model(s, b, n_mc=100)
    lin = expected_limit(m, mc_error="linear")
    toys = expected_limit(m, mc_error="toys", n_toys=400, rng=np.random.default_rng(1))
    assert lin.mu_limit == toys.mu_limit
    assert toys.mu_mc_error == pytest.approx(lin.mu_mc_error, rel=0.2)
    assert lin.br_mc_error == pytest.approx(lin.mu_mc_error * 1e-12)
    g = expected_limit(m, statistic="gaussian", mc_error="linear")
    gt = expected_limit(m, statistic="gaussian", mc_error="toys", n_toys=400, rng=np.random.default_rng(2))
    assert gt.mu_mc_error == pytest.approx(g.mu_mc_error, rel=0.2)
    with pytest.raises(ValueError, match="rng"):
        expected_limit(m, mc_error="toys")


def test_scan_equals_individual() -> None:
    rng = np.random.default_rng(9)
    models = []
    for k in range(8):
        n = 20 + 10 * k
        cnt = rng.integers(0, 30, n)
        models.append(BinnedModel(rng.exponential(1.0, n), rng.exponential(40.0, n) + 1, np.ones(n), np.ones(n),
                                  np.ones(n, dtype=np.int64), cnt, 1e-11))
    scan = scan_expected_limits(models, mc_error="linear")
    for m, r in zip(models, scan):
        single = expected_limit(m, mc_error="linear")
        assert r.mu_limit == pytest.approx(single.mu_limit, rel=1e-12)
        assert r.mu_mc_error == pytest.approx(single.mu_mc_error, rel=1e-10)
        assert r.n_dropped == single.n_dropped


def test_angular_gain_toy_pipeline() -> None:
    """A signal flat in cos(theta) against a background peaked at +1 gains from the binning."""
    rng = np.random.default_rng(4)
    n = 200_000
    cb = 1 - rng.exponential(0.3, n)
    cb = cb[cb > -1]
    xb = rng.random(cb.size)
    cs, xs = rng.uniform(-1, 1, 20_000), rng.random(20_000)
    bw, sw = np.full(cb.size, 1e-10), np.full(20_000, 1e-14)
    m = fill_2d((cs, xs), sw, (cb, xb), bw, ranges=((-1, 1), (0, 1)), bins=(30, 30), n_decays=1e15,
                signal_br=sw.sum())
    ang = expected_limit(m)
    one = expected_limit(BinnedModel(np.array([m.s.sum()]), np.array([m.b.sum()]), np.zeros(1), np.zeros(1),
                                     np.array([1]), np.array([cb.size]), m.signal_br))
    assert gain(one, ang) > 1.5
    assert ang.signal_fraction_dropped < 0.5
    assert ang.n_dropped > 0  # the sparse backward bins


def test_coupling_limit_and_gain() -> None:
    assert coupling_limit(4e-14, 1e-12, 1e-3) == pytest.approx(2e-4)
    np.testing.assert_allclose(coupling_limit(np.array([1e-12, 1e-10]), 1e-12, 1e-3, power=4), [1e-3, 1e-3 * 10**0.5])
    assert gain(2e-12, 1e-12) == 2.0
    with pytest.raises(ValueError, match="power"):
        coupling_limit(1.0, 1.0, 1.0, power=0)
    with pytest.raises(ValueError, match="br_at_reference"):
        coupling_limit(1.0, 0.0, 1.0)


def test_poisson_gaussian_agree_at_large_b() -> None:
    rng = np.random.default_rng(8)
    s, b = rng.exponential(1.0, 900), rng.exponential(1e4, 900) + 1e3
    assert float(solve_mu(s, b)) == pytest.approx(float(solve_mu(s, b, statistic="gaussian")), rel=1e-2)


def test_gain_mc_error_matches_replica_spread() -> None:
    """The linear gain error (with the bump/angular correlation) equals the spread of the gain
    over independent MC replicas of the same templates; quadrature of the two limits' own
    errors would overstate it."""
    from muonbsm.analysis.stats.likelihood import fill_2d
    from muonbsm.analysis.stats.limits import gain_mc_error
    from muonbsm.seeds import rng

    gains, errors, naive = [], [], []
    for k in range(60):
        g = rng(3, "toys", k)
        xs, ys = g.beta(5, 2, 1500), g.beta(2, 2, 1500)  # signal peaks where the background is low
        xb, yb = g.random(6000), g.random(6000)
        ws, wb = g.exponential(1e-3, 1500), g.exponential(1e-1, 6000)
        ang_model = fill_2d((xs, ys), ws, (xb, yb), wb, ((0, 1), (0, 1)), (6, 6), signal_br=1.0)
        bump_model = BinnedModel(np.array([ws.sum()]), np.array([wb.sum()]), np.array([np.square(ws).sum()]),
                                 np.array([np.square(wb).sum()]), np.array([ws.size]), np.array([wb.size]))
        bump, ang = expected_limit(bump_model), expected_limit(ang_model)
        gains.append(bump.mu_limit / ang.mu_limit)
        errors.append(gain_mc_error(bump_model, bump, ang_model, ang))
        naive.append(gains[-1] * np.hypot(bump.mu_mc_error / bump.mu_limit, ang.mu_mc_error / ang.mu_limit))
    spread = np.std(gains, ddof=1)
    assert spread == pytest.approx(np.mean(errors), rel=0.25)
    assert np.mean(naive) > 1.3 * np.mean(errors)
