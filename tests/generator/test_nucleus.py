"""Tests of the nuclear and atomic form factors (Batell et al., Eqs. 16-20)."""

import numpy as np
import pytest

from muonbsm.generator.processes.alp import form_factors as nucleus


def test_limits():
    assert nucleus.g2_elastic_nuclear(0.0, 82, 207.2) == pytest.approx(82**2)
    assert nucleus.g2_inelastic_nuclear(0.0, 82, 207.2) == pytest.approx(82)
    assert nucleus.g2_elastic_atomic(0.0, 82) == 0.0
    assert nucleus.g2_elastic_atomic(1.0, 82) == pytest.approx(1.0, abs=1e-8)


def test_series_continuity_and_cutoff():
    r = 1.2 * 207.2 ** (1 / 3) / 0.1973270
    t0 = (0.05 / r) ** 2
    lo = nucleus.g2_elastic_nuclear(t0 * (1 - 1e-9), 82, 207.2)
    hi = nucleus.g2_elastic_nuclear(t0 * (1 + 1e-9), 82, 207.2)
    assert lo == pytest.approx(hi, rel=1e-9)
    t = np.array([0.5, 0.99, 1.01, 2.0])
    g = nucleus.g2(t, 82, 207.2)
    assert np.all(g[:2] > 0) and np.all(g[2:] == 0)
    assert nucleus.g2(1.5, 82, 207.2, t_cut=2.0) > 0


def test_coherent_dominates_small_t():
    t = np.logspace(-7, -3, 20)
    el = nucleus.g2(t, 82, 207.2, components="elastic")
    inel = nucleus.g2(t, 82, 207.2, components="inelastic")
    assert np.all(el > 10 * inel)
    assert np.allclose(el + inel, nucleus.g2(t, 82, 207.2))


def test_bad_input():
    with pytest.raises(ValueError, match="t = -q"):
        nucleus.g2(-1.0, 82, 207.2)
    with pytest.raises(ValueError, match="components"):
        nucleus.g2(0.1, 82, 207.2, components="coherent")
    with pytest.raises(ValueError, match="t_cut"):
        nucleus.g2(0.1, 82, 207.2, t_cut=0.0)
