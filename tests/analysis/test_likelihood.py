"""Binned Asimov likelihood: analytic single-bin answers, vectorised solves, the dropping rule."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import brentq
from scipy.special import lambertw

from muonbsm.analysis.stats.likelihood import (
    BinnedModel, drop_sparse_bins, fill_2d, q_gaussian, q_poisson, solve_mu,
)

Q = 2.71


def poisson_single_bin(s: float, b: float, q: float = Q) -> float:
    """Analytic: 2[mu s - b ln(1 + mu s/b)] = q  <=>  y - ln y = 1 + q/2b, y = 1 + mu s/b (W_-1)."""
    c = 1.0 + q / (2.0 * b)
    y = -lambertw(-np.exp(-c), -1).real
    return b * (y - 1.0) / s


@pytest.mark.parametrize("s, b", [(4.0, 16.0), (1.0, 1e6), (30.0, 0.5), (1e-3, 1e-2)])
def test_single_bin_analytic(s: float, b: float) -> None:
    mu_p = solve_mu(np.array([s]), np.array([b]), Q, "poisson")
    mu_g = solve_mu(np.array([s]), np.array([b]), Q, "gaussian")
    assert float(mu_p) == pytest.approx(poisson_single_bin(s, b), rel=1e-9)
    assert float(mu_g) == pytest.approx(np.sqrt(Q * b) / s, rel=1e-14)
    assert float(mu_p) >= float(mu_g)  # q_Poisson <= q_Gauss


def test_b_zero_bin_poisson_limit() -> None:
    # q = 2 mu s exactly for b = 0
    assert float(solve_mu(np.array([3.0]), np.array([0.0]))) == pytest.approx(Q / 6.0, rel=1e-12)
    with pytest.raises(ValueError, match="Gaussian"):
        solve_mu(np.array([3.0]), np.array([0.0]), statistic="gaussian")


def test_q_small_x_stable() -> None:
    s, b = np.array([1e-6, 2e-6]), np.array([1e6, 3e6])
    assert float(q_poisson(1.0, s, b)) == pytest.approx(float(q_gaussian(1.0, s, b)), rel=1e-9)


def test_vectorised_scan_equals_loop() -> None:
    rng = np.random.default_rng(7)
    s = rng.exponential(1.0, (20, 50)) * (rng.random((20, 50)) < 0.7)
    b = rng.exponential(30.0, (20, 50)) + 0.1
    mu = solve_mu(s, b)
    loop = [brentq(lambda m, k=k: float(q_poisson(m, s[k], b[k])) - Q, 1e-9, 1e6, xtol=1e-14, rtol=1e-13)
            for k in range(20)]
    np.testing.assert_allclose(mu, loop, rtol=1e-10)
    np.testing.assert_allclose(q_poisson(mu, s, b), Q, rtol=1e-10)
    # higher dimensions work too
    assert solve_mu(s.reshape(4, 5, 50), b.reshape(4, 5, 50)).shape == (4, 5)


@pytest.mark.parametrize("statistic", ["gaussian", "poisson"])
def test_binned_never_weaker_than_bin_sum(statistic: str) -> None:
    """Cauchy-Schwarz (Gaussian) / subadditivity of the perspective b f(s/b) (Poisson)."""
    rng = np.random.default_rng(11)
    for _ in range(50):
        s = rng.exponential(1.0, 900)
        b = rng.exponential(50.0, 900) + 1.0
        mu_2d = float(solve_mu(s, b, Q, statistic))
        mu_1d = float(solve_mu(np.array([s.sum()]), np.array([b.sum()]), Q, statistic))
        assert mu_2d <= mu_1d * (1 + 1e-12)
    # equality for a signal shaped like the background
    mu_2d = float(solve_mu(0.01 * b, b, Q, statistic))
    assert mu_2d == pytest.approx(float(solve_mu(np.array([0.01 * b.sum()]), np.array([b.sum()]), Q, statistic)))


def test_fill_2d_and_drop_rule() -> None:
    # background: 12 MC events in bin (0,0), 3 in bin (1,1), 1 zero-weight event in (1,0);
    # signal: one event in each of (0,0), (1,1) and (0,1) (no background there)
    bx = np.r_[np.full(12, 0.25), np.full(3, 0.75), 0.75]
    by = np.r_[np.full(12, 0.25), np.full(3, 0.75), 0.25]
    bw = np.r_[np.full(12, 2.0), np.full(3, 1.0), 0.0]
    sx, sy, sw = np.array([0.25, 0.75, 0.25, 5.0]), np.array([0.25, 0.75, 0.75, 0.5]), np.array([1.0, 2.0, 3.0, 9.0])
    m = fill_2d((sx, sy), sw, (bx, by), bw, ranges=((0, 1), (0, 1)), bins=(2, 2), n_decays=10.0, signal_br=15.0)
    # flattened index = ix * 2 + iy
    np.testing.assert_allclose(m.b, [240.0, 0.0, 0.0, 30.0])
    np.testing.assert_allclose(m.b_sumw2, [100 * 48.0, 0.0, 0.0, 100 * 3.0])
    np.testing.assert_array_equal(m.b_count, [12, 0, 0, 3])
    np.testing.assert_allclose(m.s, [10.0, 30.0, 0.0, 20.0])  # the out-of-range signal event is not binned
    assert m.signal_br == 15.0
    # a value on the upper edge (cos = 1 exactly) lands in the last bin
    edge = fill_2d((np.array([1.0]), np.array([0.5])), np.array([1.0]), (np.array([1.0]), np.array([1.0])),
                   np.array([1.0]), ranges=((-1, 1), (0, 1)), bins=(2, 2), signal_br=1.0)
    np.testing.assert_allclose(edge.s, [0, 0, 0, 1.0])
    np.testing.assert_allclose(edge.b, [0, 0, 0, 1.0])
    with pytest.raises(ValueError, match="signal_br"):
        fill_2d((sx, sy), sw, (bx, by), bw, ranges=((0, 1), (0, 1)), signal_br=0.0)
    kept, rep = drop_sparse_bins(m, 10)
    assert (rep.n_bins, rep.n_dropped) == (4, 2)
    assert rep.signal_fraction_dropped == pytest.approx(50.0 / 60.0)
    np.testing.assert_allclose(kept.s, [10.0])
    kept5, rep5 = drop_sparse_bins(m, 3)
    assert rep5.n_dropped == 1 and kept5.n_bins == 2
    assert len(m.edges) == 2 and m.edges[0].size == 3


def test_model_validation() -> None:
    with pytest.raises(ValueError, match="shape"):
        BinnedModel(np.ones(2), np.ones(3), np.ones(2), np.ones(2), np.ones(2, int), np.ones(2, int))
    with pytest.raises(ValueError, match="statistic"):
        solve_mu(np.ones(2), np.ones(2), statistic="chi2")
    with pytest.raises(ValueError, match="q_target"):
        solve_mu(np.ones(2), np.ones(2), q_target=0.0)
    assert np.isinf(solve_mu(np.zeros(3), np.ones(3)))


def test_binned_model_as_weighted_hist() -> None:
    """The templates come back as hist.Hist with weighted storage: values and variances
    equal a direct numpy histogram of the weights and the squared weights."""
    import hist

    g = np.random.default_rng(4)
    x, y, w = g.random(500), g.random(500), g.exponential(size=500)
    m = fill_2d((x, y), w, (x, y), 2 * w, ((0.0, 1.0), (0.0, 1.0)), (4, 5), n_decays=3.0, signal_br=1.0)
    hs, hb = m.histograms()
    assert isinstance(hs, hist.Hist) and hs.storage_type is hist.storage.Weight
    ref, _, _ = np.histogram2d(x, y, bins=(4, 5), range=((0, 1), (0, 1)), weights=3.0 * w)
    ref2, _, _ = np.histogram2d(x, y, bins=(4, 5), range=((0, 1), (0, 1)), weights=(3.0 * w) ** 2)
    np.testing.assert_allclose(hs.values(), ref)
    np.testing.assert_allclose(hs.variances(), ref2)
    np.testing.assert_allclose(hb.values(), 2 * ref)
    with pytest.raises(ValueError, match="edges"):
        m.subset(np.arange(m.n_bins) < 3).histograms()
