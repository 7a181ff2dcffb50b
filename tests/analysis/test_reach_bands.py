"""(g-2)_mu bands, asymmetric-DM relic line and user bound files."""

from __future__ import annotations

import math

import numpy as np
import pytest

from muonbsm.analysis.fixed_target.bands import DELTA_AMU_WP2020, SIGMA_AMU_WP2020, amu_band, load_bound, relic_line
from muonbsm.constants import M_TAU
from muonbsm.models.alp import amu_closed_form, sigmav_chichi_to_mutau


def test_band_edges_reproduce_the_target():
    m = np.array([2.0, 5.0, 10.0])
    lo, hi = amu_band(m, math.pi / 2)
    for mi, a, b in zip(m, lo, hi):
        assert amu_closed_form(mi, a, math.pi / 2) == pytest.approx(DELTA_AMU_WP2020 - 2 * SIGMA_AMU_WP2020)
        assert amu_closed_form(mi, b, math.pi / 2) == pytest.approx(DELTA_AMU_WP2020 + 2 * SIGMA_AMU_WP2020)


def test_seed_check_theta_half_pi_at_m_tau():
    lo, hi = amu_band([M_TAU], math.pi / 2, n_sigma=1.0)
    assert lo[0] < 2.0 < hi[0]                      # seed: C/Lambda ~ 2 TeV^-1 (g ~ 4e-3)


def test_band_rises_towards_pi_over_4_and_vanishes_there():
    c = [amu_band([5.0], f * math.pi)[1][0] for f in (0.5, 0.375, 0.3)]
    assert c[0] < c[1] < c[2]
    assert np.isnan(amu_band([5.0], math.pi / 4)[0][0])          # cos 2 theta = 0: negative shift
    with pytest.raises(ValueError):
        amu_band([5.0], 1.0, sigma_amu=0.0)


def test_relic_line():
    line = relic_line([2.0, 5.0, 10.0])
    assert np.isnan(line[0])                                    # m_chi = 0.67 GeV < m_tau / 2
    for m, c in zip((5.0, 10.0), line[1:]):
        assert sigmav_chichi_to_mutau(m / 3, m, c, 1.0) == pytest.approx(4.4e-26)


def test_user_bound(tmp_path):
    f = tmp_path / "b.csv"
    f.write_text("# label: Z -> mu tau (seed II D)\nma_gev,c_over_lambda_per_tev\n2,60\n20,60\n")
    b = load_bound(f)
    assert b.label == "Z -> mu tau (seed II D)" and b.c_over_lambda.tolist() == [60.0, 60.0]
    f.write_text("m,c\n1,2\n3,4\n")
    with pytest.raises(ValueError, match="header"):
        load_bound(f)


def test_cmb_band_edges_reproduce_their_definitions():
    import math

    from muonbsm.analysis.fixed_target.bands import (F_EFF_MUTAU, P_ANN_PLANCK2018, RELIC_SIGMAV_CM3_S, id_cmb_band,
                                                     symmetric_fraction)
    from muonbsm.models.alp import sigmav_chichi_to_mutau

    m = np.array([2.0, 5.0, 10.0, 20.0])
    lo, hi = id_cmb_band(m)
    assert np.isnan(lo[0]) and np.isnan(hi[0])                       # m_chi < m_tau/2: no mu tau annihilation
    for m_a, a, b in zip(m[1:], lo[1:], hi[1:]):
        m_chi = m_a / 3
        assert sigmav_chichi_to_mutau(m_chi, m_a, a, 1.0) == pytest.approx(RELIC_SIGMAV_CM3_S, rel=1e-6)
        sv = sigmav_chichi_to_mutau(m_chi, m_a, b, 1.0)
        k = sv / RELIC_SIGMAV_CM3_S
        r = symmetric_fraction(k)
        assert r == pytest.approx(math.exp(-2 * k * (1 - r) / (1 + r)), rel=1e-9)
        assert F_EFF_MUTAU * sv / m_chi * 2 * r / (1 + r) ** 2 == pytest.approx(P_ANN_PLANCK2018, rel=1e-6)
        assert 1.0 < b / a < 3.0
    assert symmetric_fraction(0.5) == 1.0 and symmetric_fraction(400.0) == 0.0
    # a weaker bound (1e-25) leaves nothing excluded: symmetric Dirac DM at the relic line is then allowed
    lo2, hi2 = id_cmb_band(m, p_ann_max=1e-25)
    assert np.all(np.isnan(hi2))
