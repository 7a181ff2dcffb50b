"""Tests of |M|^2 for mu N -> tau N a: compiled helicity amplitudes vs the trace oracle, Ward identity."""

import numpy as np
import pytest

from muonbsm.constants import M_MU, M_TAU
from muonbsm.generator import dirac
from muonbsm.generator.processes.alp import kinematics as K
from muonbsm.generator.processes.alp import matrix_element as ME

M = 193.0


def _kin(energy, m_a, m_out=M_TAU, n=400, seed=3):
    rng = np.random.default_rng(seed)
    x = rng.uniform(m_a / energy, 1 - m_out / energy, n)
    th = np.exp(rng.uniform(np.log(1e-4), 0.0, n))
    lo, hi = K.t_limits(energy, x, th, M_MU, m_out, m_a, M)
    ok = hi > lo
    t = np.exp(np.log(lo[ok]) + rng.random(ok.sum()) * (np.log(hi[ok]) - np.log(lo[ok])))
    phi = rng.uniform(0, np.pi, ok.sum())
    return K.build_kinematics(energy, x[ok], th[ok], t, phi, M_MU, m_out, m_a, M)


@pytest.mark.parametrize("emission", ["alp", "photon"])
@pytest.mark.parametrize("s,p", [(0.3e-3, 0.7e-3), (1e-3, 0.0), (0.0, 1e-3)])
def test_fast_matches_oracle(emission, s, p):
    kin = _kin(20.0, 2.0)
    a = ME.lepton_trace(kin, s, p, M_MU, M_TAU, emission=emission)
    b = ME.lepton_trace_fast(kin, s, p, M_MU, M_TAU, emission=emission)
    assert np.all(a > 0)
    np.testing.assert_allclose(b, a, rtol=1e-8)


def test_flavour_conserving_fast_matches_oracle():
    kin = _kin(20.0, 0.5, m_out=M_MU)
    a = ME.lepton_trace(kin, 0.0, 1e-3, M_MU, M_MU)
    np.testing.assert_allclose(ME.lepton_trace_fast(kin, 0.0, 1e-3, M_MU, M_MU), a, rtol=1e-8)


@pytest.mark.parametrize("emission", ["alp", "photon"])
def test_ward_identity(emission):
    """N -> q: the two diagrams cancel to machine precision (relative to one diagram alone)."""
    kin = _kin(20.0, 2.0)
    ward = ME.lepton_trace(kin, 0.3e-3, 0.7e-3, M_MU, M_TAU, emission=emission, current="q")
    gam = 0.3e-3 * dirac.IDENTITY + 0.7e-3 * dirac.GAMMA5 if emission == "alp" else dirac.GAMMA[1]
    one = dirac.slash(kin.q) @ (dirac.slash(kin.p - kin.k) + M_TAU * dirac.IDENTITY) @ gam
    one = one / kin.d1[:, None, None]
    x_out = dirac.slash(kin.pprime) + M_TAU * dirac.IDENTITY
    y_in = dirac.slash(kin.p) + M_MU * dirac.IDENTITY
    scale = np.abs(np.trace(x_out @ one @ y_in @ dirac.dirac_bar(one), axis1=1, axis2=2))
    assert np.all(np.abs(ward) < 1e-12 * scale)


def test_amplitude_squared_normalisation():
    kin = _kin(20.0, 2.0, n=50)
    t = -dirac.minkowski_dot(kin.q, kin.q)
    msq = ME.amplitude_squared(kin, t, np.full(t.shape, 82.0**2), 1e-3, 0.0, M_MU, M_TAU)
    tr = ME.lepton_trace(kin, 1e-3, 0.0, M_MU, M_TAU)
    np.testing.assert_allclose(msq, (4 * np.pi / 137.035999) ** 2 * 82**2 / t**2 * tr, rtol=1e-6)
    with pytest.raises(ValueError, match="emission"):
        ME.lepton_trace(kin, 1e-3, 0.0, M_MU, M_TAU, emission="gluon")
