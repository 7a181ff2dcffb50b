"""c-tau reweighting of one displaced sample and the coupling solve with a lifetime-dependent
efficiency (muonbsm.analysis.mu3e.lifetime)."""

from __future__ import annotations

import numpy as np
import pytest

from muonbsm.analysis.mu3e.lifetime import SAMPLING_MM, DisplacedSignal, sampling_means, solve_scale
from muonbsm.analysis.mu3e.samples import DetectorLevel
from muonbsm.detector.mu3e.vertex import DisplacedVertex


def _sample(n: int, rng: np.random.Generator, weight) -> DisplacedSignal:
    means = np.asarray(SAMPLING_MM)
    length = means[rng.integers(0, means.size, n)] * rng.exponential(1.0, n)
    beta_gamma = rng.uniform(0.5, 4.0, n)
    z = np.zeros((n, 4))
    level = DetectorLevel(z, z, z, np.zeros(n), np.zeros(n), weight(length), np.zeros((n, 3)), 1.0, n, n)
    return DisplacedSignal(level, length, beta_gamma)


@pytest.mark.parametrize("ctau", [0.003, 0.1, 3.0])
def test_reweighting_reproduces_the_exponential_decay(ctau: float) -> None:
    """With detector weight q(L) (transverse displacement), the reweighted sum is
    E_bg[ int dL/lambda e^{-L/lambda} q(L) ], lambda = beta gamma c tau (quadrature)."""
    dv = DisplacedVertex()
    rng = np.random.default_rng(11)
    n = 200_000
    sample = _sample(n, rng, lambda L: dv.quality(L, 0.0, 0.9) / n)
    eff, err = sample.efficiency(ctau, 1.0)

    # E_bg[int dL/lambda e^{-L/lambda} q(L)]: Gauss-Legendre in beta gamma, trapezoid on a log grid
    # in L (q(L > 10 mm) < 1e-300, so the grid ends there)
    bg_nodes, bg_w = np.polynomial.legendre.leggauss(24)
    bg = 2.25 + 1.75 * bg_nodes
    L = np.r_[0.0, np.logspace(-7, 1, 6000)]
    lam = bg[:, None] * ctau
    integrand = np.exp(-L[None, :] / lam) / lam * dv.quality(L, 0.0, 0.9)[None, :]
    expected = float(np.sum(bg_w * 0.5 * np.trapezoid(integrand, L, axis=1)))
    assert eff == pytest.approx(expected, abs=4 * err + 1e-4)
    assert err < 0.05 * eff + 1e-4  # the mixture covers the range: no runaway weights
    if ctau <= 0.03:  # decays inside the mixture's reach: without q the sample keeps its rate
        flat = _sample(n, rng, lambda L: np.full(L.size, 1.0 / n))
        assert flat.efficiency(ctau, 1.0)[0] == pytest.approx(1.0, abs=0.03)
    assert sampling_means(dv) == pytest.approx(SAMPLING_MM)
    with pytest.raises(ValueError, match="ctau_mm"):
        sample.reweight(0.0)


def test_solve_scale_against_closed_forms() -> None:
    grid = np.logspace(-3, 3, 25)
    br_ref, ctau_ref = 1e-10, 2.0
    # lifetime-independent limit: s^2 = B / B_ref
    assert solve_scale(br_ref, ctau_ref, grid, np.full(25, 4e-12)) == pytest.approx(0.2, rel=1e-8)
    # B_lim = B0 (ctau / c0)^a: s^(2 (1 + a)) = (B0 / B_ref) (ctau_ref / c0)^a
    b0, c0, a = 1e-12, 1.0, 0.7
    s = solve_scale(br_ref, ctau_ref, grid, b0 * (grid / c0) ** a)
    assert s == pytest.approx(((b0 / br_ref) * (ctau_ref / c0) ** a) ** (1 / (2 * (1 + a))), rel=1e-6)
    # a longer reference lifetime (same rate) needs a larger coupling
    assert solve_scale(br_ref, 20 * ctau_ref, grid, b0 * (grid / c0) ** a) > s
    with pytest.raises(ValueError, match="br_limit"):
        solve_scale(br_ref, ctau_ref, grid, np.r_[np.inf, np.ones(24)])


@pytest.mark.parametrize("form", ["chi2", "gaussian", "step"])
def test_prompt_threshold(form: str) -> None:
    """Below prompt_ctau the vertex quality costs <= 1e-3 on average (checked by sampling L)."""
    import dataclasses

    from muonbsm.analysis.mu3e.lifetime import prompt_ctau

    dv = dataclasses.replace(DisplacedVertex(), form=form)
    ctau = prompt_ctau(dv, np.array([0.5, 2.0]), 0.9)
    L = np.random.default_rng(2).exponential(2.0 * ctau, 1_000_000)
    loss = 1.0 - float(np.mean(dv.quality(L, 0.0, 0.9)))
    assert 0.7e-3 < loss < 1.3e-3
