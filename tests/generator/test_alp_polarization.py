"""Tau polarisations of mu N -> tau N a, a -> mu tau: helicity amplitudes vs explicit Dirac traces
and spinors (generator.dirac), parity zeros, frame limits."""

import math

import numpy as np
import pytest

from muonbsm.constants import M_MU, M_TAU
from muonbsm.generator import dirac
from muonbsm.generator.processes.alp import kinematics as K
from muonbsm.generator.processes.alp.polarization import (alp_rest_frame_polarization, lab_helicity,
                                                          production_polarization)
from muonbsm.models.alp import couplings

M = 193.7


def _kin(energy=50.0, m_a=2.0, n=60, seed=3):
    rng = np.random.default_rng(seed)
    x = rng.uniform(m_a / energy, 1 - M_TAU / energy, n)
    th = np.exp(rng.uniform(np.log(1e-3), 0.0, n))
    lo, hi = K.t_limits(energy, x, th, M_MU, M_TAU, m_a, M)
    ok = hi > lo
    t = np.exp(np.log(lo[ok]) + rng.random(ok.sum()) * (np.log(hi[ok]) - np.log(lo[ok])))
    return K.build_kinematics(energy, x[ok], th[ok], t, rng.uniform(0, 2 * np.pi, ok.sum()), M_MU, M_TAU, m_a, M)


def _projector_polarization(kin, s, p):
    """Oracle: 1/2 Tr[(p'+m)(1 + h gamma5 n-slash)/2 O (p+m) O-bar], vertex s - p gamma5."""
    eye = dirac.IDENTITY
    pp = kin.pprime
    pa = np.linalg.norm(pp[:, 1:], axis=1)
    n = np.column_stack([pa / M_TAU, pp[:, :1] * pp[:, 1:] / pa[:, None] / M_TAU])
    nsl = dirac.slash(kin.P_i + kin.P_f)
    a1 = (dirac.slash(kin.p - kin.k) + M_TAU * eye) / kin.d1[..., None, None]
    a2 = (dirac.slash(kin.pprime + kin.k) + M_MU * eye) / kin.d2[..., None, None]
    gam = s * eye - p * dirac.GAMMA5
    o = nsl @ a1 @ gam + gam @ a2 @ nsl
    y = dirac.slash(kin.p) + M_MU * eye
    r = [np.trace((dirac.slash(pp) + M_TAU * eye) @ (eye + h * dirac.GAMMA5 @ dirac.slash(n)) / 2 @ o @ y
                  @ dirac.dirac_bar(o), axis1=-2, axis2=-1).real for h in (1, -1)]
    return (r[0] - r[1]) / (r[0] + r[1])


def test_production_polarization_matches_projector_trace():
    kin = _kin()
    s, p = couplings(1.0, math.pi / 4)
    pol = production_polarization(kin, s, p)
    np.testing.assert_allclose(pol, _projector_polarization(kin, s, p), atol=1e-9)
    assert np.all(np.abs(pol) <= 1) and np.mean(pol) > 0.2   # right-chiral tau- dominates (s, p > 0)
    np.testing.assert_allclose(production_polarization(kin, s, p, beam_charge=1), -pol)


@pytest.mark.parametrize("theta", [0.0, math.pi / 2])
def test_parity_zero_for_pure_scalar_or_pseudoscalar(theta):
    kin = _kin(energy=500.0, m_a=10.0)
    s, p = couplings(1.0, theta)
    assert np.max(np.abs(production_polarization(kin, s, p))) < 1e-10
    assert abs(alp_rest_frame_polarization(10.0, s, p, -1)) < 1e-12


@pytest.mark.parametrize("m_a,ref", [(2.0, 0.8409), (10.0, 0.9925)])
def test_alp_rest_frame_formula_matches_spinors(m_a, ref):
    s, p = couplings(1.0, math.pi / 4)
    pst = math.sqrt((m_a**2 - (M_TAU + M_MU) ** 2) * (m_a**2 - (M_TAU - M_MU) ** 2)) / (2 * m_a)
    d = np.array([0.3, 0.4, math.sqrt(0.75)])
    pt = np.array([math.hypot(pst, M_TAU), *(pst * d)])
    pm = np.array([math.hypot(pst, M_MU), *(-pst * d)])
    u, v = dirac.u_spinor(pt, M_TAU), dirac.v_spinor(pm, M_MU)
    g = s * dirac.IDENTITY - p * dirac.GAMMA5            # tau-bar (s - p gamma5) mu: a -> tau- mu+
    amp2 = np.array([[abs(dirac.spinor_bar(u[i]) @ g @ v[j]) ** 2 for j in range(2)] for i in range(2)])
    spinors = (amp2[0].sum() - amp2[1].sum()) / amp2.sum()
    assert alp_rest_frame_polarization(m_a, s, p, -1) == pytest.approx(spinors, abs=1e-12)
    assert spinors == pytest.approx(ref, abs=1e-4)
    assert alp_rest_frame_polarization(m_a, s, p, +1) == pytest.approx(-spinors, abs=1e-12)


def test_lab_helicity_limits():
    rng = np.random.default_rng(1)
    e = rng.uniform(0.05, 5.0, 20)
    dirs = rng.normal(size=(20, 3))
    dirs /= np.linalg.norm(dirs, axis=1)[:, None]
    pt = np.column_stack([np.hypot(e, M_TAU), e[:, None] * dirs])
    alp_at_rest = np.tile([5.0, 0.0, 0.0, 0.0], (20, 1))
    np.testing.assert_allclose(lab_helicity(pt, alp_at_rest, 0.7), 0.7, atol=1e-12)
    # ALP moving along the tau: helicity kept if the tau is faster than the ALP, flipped if slower
    p_alp = 3.0 * dirs
    along = np.column_stack([np.full(20, np.hypot(5.0, 3.0)), p_alp])
    faster = np.linalg.norm(pt[:, 1:], axis=1) / pt[:, 0] > 3.0 / np.hypot(5.0, 3.0)
    assert 0 < faster.sum() < 20
    np.testing.assert_allclose(lab_helicity(pt, along, 0.7), np.where(faster, 0.7, -0.7), atol=1e-9)


def main(n: int = 20_000) -> None:  # pragma: no cover - printing script
    """sigma-weighted mean polarisations (+- MC error) of mu- Pb -> tau- Pb a, a -> mu+ tau-."""
    from muonbsm.generator.generate import TrainingOptions, sample_events
    from muonbsm.generator.processes.alp.production import AlpProduction

    print(f"{'E [GeV]':>7s} {'m_a':>5s} {'theta/pi':>8s} {'P prod (lab)':>18s} {'P alp tau (lab)':>18s} {'P* alp tau (a frame)':>20s}")
    for energy in (1500.0, 160.0):
        for m_a in (2.0, 10.0):
            for th in (0.0, 0.25, 0.5):
                proc = AlpProduction("Pb", energy, m_a, 1.0, th * math.pi, decay="charge_flip")
                ev, _, _ = sample_events(proc, n, seed=3, training=TrainingOptions(nitn=6, neval=10_000))
                w = ev.weight.to_numpy()
                out = []
                for f in ("tau_polarization_prod", "tau_polarization_alp"):
                    x = ev[f].to_numpy()
                    m = np.sum(w * x) / np.sum(w)
                    out.append(f"{m:+8.4f} +- {np.sqrt(np.sum((w * (x - m)) ** 2)) / np.sum(w):.4f}")
                s, p = couplings(1.0, th * math.pi)
                print(f"{energy:7.0f} {m_a:5.1f} {th:8.2f} {out[0]:>18s} {out[1]:>18s} "
                      f"{alp_rest_frame_polarization(m_a, s, p, -1):+20.4f}", flush=True)


if __name__ == "__main__":  # pragma: no cover
    main()
