"""(g-2)_mu targets and coupling bands."""

from __future__ import annotations

import numpy as np
import pytest

from muonbsm.analysis.stats.bands import TARGETS, GMinus2Target, band_from_unit, coupling_band, get_target


def test_targets() -> None:
    assert get_target().delta_a == pytest.approx(249e-11)
    assert get_target().sigma == pytest.approx(48e-11)
    wp25 = get_target("WP2025")
    assert wp25.delta_a == pytest.approx(38.5e-11, rel=1e-9)
    assert wp25.sigma == pytest.approx(np.hypot(62, 14.5) * 1e-11)
    assert set(TARGETS) == {"WP2020", "WP2025"}
    with pytest.raises(ValueError, match="target"):
        get_target("WP1999")


def test_closed_form_band() -> None:
    unit = np.array([1e-9, 249e-11, 1e-7])
    lo1, hi1 = band_from_unit(unit, "WP2020", 1)
    lo2, hi2 = band_from_unit(unit, "WP2020", 2)
    np.testing.assert_allclose(unit * lo1**2, 201e-11)
    np.testing.assert_allclose(unit * hi1**2, 297e-11)
    assert np.all(lo2 < lo1) and np.all(hi2 > hi1)
    # pseudoscalar (negative contribution) cannot explain a positive anomaly ...
    assert np.all(np.isnan(band_from_unit(-unit, "WP2020", 2)[0]))
    # ... but is allowed up to a coupling by the no-anomaly target; the band reaches zero
    lo, hi = band_from_unit(-unit, "WP2025", 1)
    np.testing.assert_allclose(lo, 0.0)
    np.testing.assert_allclose(-unit * hi**2, 38.5e-11 - np.hypot(62, 14.5) * 1e-11)


@pytest.mark.parametrize("target", ["WP2020", "WP2025", GMinus2Target(1e-9, 1e-10, "toy")])
def test_generic_band_matches_closed_form(target: str | GMinus2Target) -> None:
    unit = 3e-7
    for n_sigma in (1, 2):
        lo, hi = band_from_unit(unit, target, n_sigma)
        glo, ghi = coupling_band(lambda g: unit * g**2, target, n_sigma, g_min=1e-6, g_max=1.0)
        assert ghi == pytest.approx(float(hi), rel=1e-9)
        expected_lo = max(float(lo), 1e-6)
        assert glo == pytest.approx(expected_lo, rel=1e-9)


def test_generic_band_empty() -> None:
    assert np.isnan(coupling_band(lambda g: -g**2, "WP2020", 1)[0])
