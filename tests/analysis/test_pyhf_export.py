"""pyhf export and cross-check of the expected limits (acceptance: within 2%)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from muonbsm.analysis.stats.likelihood import BinnedModel
from muonbsm.analysis.stats.limits import expected_limit
from muonbsm.analysis.stats.pyhf_export import pyhf_expected_limit, to_workspace

pyhf = pytest.importorskip("pyhf")


def toy_model(n: int, seed: int, b_scale: float) -> BinnedModel:
    rng = np.random.default_rng(seed)
    s = rng.exponential(1.0, n)
    b = rng.exponential(b_scale, n) + 0.2 * b_scale
    return BinnedModel(s, b, s**2 / 50, b**2 / 50, np.full(n, 50), np.full(n, 50), 1e-12)


def test_workspace_schema() -> None:
    m = toy_model(10, 0, 20.0)
    spec = to_workspace(m, staterror=True)
    json.dumps(spec)
    ws = pyhf.Workspace(spec)  # validates against the pyhf schema
    pdf = ws.model()
    assert pdf.config.poi_name == "mu"
    assert "mcstat" in pdf.config.parameters
    np.testing.assert_allclose(ws.data(pdf, include_auxdata=False), m.b)
    with pytest.raises(ValueError, match="b > 0"):
        to_workspace(BinnedModel(np.ones(2), np.zeros(2), np.ones(2), np.ones(2), np.ones(2, int), np.ones(2, int)))


@pytest.mark.parametrize("n, seed, b_scale", [(1, 1, 10.0), (30, 2, 5.0), (900, 3, 50.0), (100, 4, 0.5)])
@pytest.mark.parametrize("method", ["logpdf", "qmu_tilde"])
def test_cross_check_within_2_percent(n: int, seed: int, b_scale: float, method: str) -> None:
    m = toy_model(n, seed, b_scale)
    ours = expected_limit(m, min_bkg_events=0, mc_error="none").mu_limit
    theirs = pyhf_expected_limit(m, method=method)
    assert theirs == pytest.approx(ours, rel=0.02)


def test_cls_and_staterror_are_weaker() -> None:
    m = toy_model(5, 5, 1e4)
    ours = expected_limit(m, min_bkg_events=0, mc_error="none").mu_limit
    cls = pyhf_expected_limit(m, method="cls")
    assert cls / ours == pytest.approx(1.96 / 1.645, rel=0.02)  # CLs vs the 2.71 crossing, Gaussian regime
    stat = pyhf_expected_limit(m, method="qmu_tilde", staterror=True)
    assert stat > ours
