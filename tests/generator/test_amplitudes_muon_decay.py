"""Oracle matrix elements of mu+ decay: Michel normalisation and spectrum, Ward identity,
Lorentz and rotation covariance (muonbsm.generator.processes.mu3e.matrix_element_oracle)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from muonbsm.constants import E_CHARGE, G_F, M_E, M_MU
from muonbsm.generator.processes.mu3e import matrix_element_oracle as md
from muonbsm.generator import phase_space as ps
from muonbsm.models import mu3e

from .muon_decay_samples import flat, x_events

POLS = [np.zeros(3), np.array([0.0, 0.0, -0.86]), np.array([0.3, -0.4, 0.5])]
FIVE = [M_E, M_E, M_E, 0.0, 0.0]


def michel_momenta(ee: np.ndarray, t: np.ndarray, rng: np.random.Generator):
    """e+, nu_e, nubar_mu momenta (GeV) from E_e, t in [-1, 1] (E_nu = (M - E_e + p_e t)/2) and
    a random orientation. The Dalitz measure is dPhi_3 = dE_e dE_nu / (32 pi^3) after angles."""
    pe = np.sqrt(ee**2 - M_E**2)
    q0 = M_MU - ee
    enu = 0.5 * (q0 + pe * t)
    cos = np.clip(((q0 - enu) ** 2 - pe**2 - enu**2) / (2 * pe * enu), -1.0, 1.0)
    sin = np.sqrt(1.0 - cos**2)
    rot = Rotation.random(len(ee), random_state=rng).as_matrix()
    psi = rng.uniform(0, 2 * np.pi, len(ee))
    e1, e2, e3 = rot[:, :, 0], rot[:, :, 1], rot[:, :, 2]
    dnu = cos[:, None] * e1 + sin[:, None] * (np.cos(psi)[:, None] * e2 + np.sin(psi)[:, None] * e3)
    p_e = np.concatenate([ee[:, None], pe[:, None] * e1], axis=1)
    p_nu = np.concatenate([enu[:, None], enu[:, None] * dnu], axis=1)
    p_nb = -p_e - p_nu
    p_nb[:, 0] += M_MU
    return p_e, p_nu, p_nb


def test_michel_width() -> None:
    """Gauss-Legendre over (E_e, E_nu): Gamma = G_F^2 M^5/(192 pi^3) f(m_e^2/M^2) to < 1e-3."""
    rng = np.random.default_rng(1)
    xg, wg = np.polynomial.legendre.leggauss(200)
    emax = (M_MU**2 + M_E**2) / (2 * M_MU)
    ee = 0.5 * (emax + M_E) + 0.5 * (emax - M_E) * xg
    tg, wt = np.polynomial.legendre.leggauss(4)  # |M|^2 is linear in E_nu
    big_e, big_t = np.meshgrid(ee, tg, indexing="ij")
    weight = np.outer(0.5 * (emax - M_E) * wg, wt) * 0.5 * np.sqrt(big_e**2 - M_E**2)
    moms = michel_momenta(big_e.ravel(), big_t.ravel(), rng)
    me2 = md.me2_michel(*moms, np.zeros(3))
    width = np.sum(me2 * weight.ravel()) / (32 * math.pi**3) / (2 * M_MU)
    x = M_E**2 / M_MU**2
    f = 1 - 8 * x + 8 * x**3 - x**4 - 12 * x**2 * math.log(x)
    expected = G_F**2 * M_MU**5 / (192 * math.pi**3) * f
    print(f"Michel width / G_F^2 M^5 f(x)/(192 pi^3) - 1 = {width / expected - 1:.2e}")
    assert abs(width / expected - 1) < 1e-3
    # analytic unpolarised form 64 G_F^2 (P.p_nu)(p_e.p_nubar)
    dot = lambda a, b: a[:, 0] * b[:, 0] - np.sum(a[:, 1:] * b[:, 1:], axis=1)  # noqa: E731
    np.testing.assert_allclose(me2, 64 * G_F**2 * M_MU * moms[1][:, 0] * dot(moms[0], moms[2]), rtol=1e-10)


def test_polarised_michel_spectrum() -> None:
    """chi^2 of the (x, cos theta) histogram against x^2[(3-2x) + P cos(2x-1)] (m_e -> 0)."""
    rng = np.random.default_rng(2)
    n, pz = 200_000, -0.86
    emax = (M_MU**2 + M_E**2) / (2 * M_MU)
    ee = rng.uniform(M_E, emax, n)
    moms = michel_momenta(ee, rng.uniform(-1, 1, n), rng)
    wgt = md.me2_michel(*moms, np.array([0.0, 0.0, pz])) * np.sqrt(ee**2 - M_E**2)
    x = 2 * ee / M_MU
    cth = moms[0][:, 3] / np.linalg.norm(moms[0][:, 1:], axis=1)
    xe, ce = np.linspace(0.1, 1.0, 10), np.linspace(-1, 1, 9)
    h, _, _ = np.histogram2d(x, cth, bins=[xe, ce], weights=wgt)
    h2, _, _ = np.histogram2d(x, cth, bins=[xe, ce], weights=wgt**2)
    # analytic bin integrals: int x^2(3-2x) dx = x^3 - x^4/2; int x^2(2x-1) dx = x^4/2 - x^3/3
    ia = np.diff(xe**3 - xe**4 / 2)
    ib = np.diff(xe**4 / 2 - xe**3 / 3)
    pred = ia[:, None] * np.diff(ce)[None, :] + pz * ib[:, None] * np.diff(ce**2 / 2)[None, :]
    pred *= h.sum() / pred.sum()
    chi2 = np.sum((h - pred) ** 2 / h2)
    ndf = h.size - 1
    print(f"polarised Michel (x, cos) histogram: chi2/ndf = {chi2:.1f}/{ndf}")
    assert chi2 / ndf < 1.6, chi2 / ndf


@pytest.mark.parametrize("which", ["michel", "ic", "signal"])
def test_rotation_covariance_polarised(which: str) -> None:
    """|M|^2(R p, R P) = |M|^2(p, P): checks the phases of the muon spin states."""
    rng = np.random.default_rng(3)
    mom, _ = flat(rng, FIVE, 200)
    rot = Rotation.random(random_state=4).as_matrix()
    r = [np.concatenate([p[:, :1], p[:, 1:] @ rot.T], axis=1) for p in mom]
    pol = np.array([0.6, 0.0, 0.3])
    if which == "michel":
        mom, _ = flat(rng, [M_E, 0.0, 0.0], 200)
        r = [np.concatenate([p[:, :1], p[:, 1:] @ rot.T], axis=1) for p in mom]
        a, b = md.me2_michel(*mom, pol), md.me2_michel(*r, rot @ pol)
    elif which == "signal":
        model = mu3e.XModel("vector", 0.02, g_v_e=1e-3, g_a_e=-2e-3, g_v_mu=3e-3, g_a_mu=1e-3)
        mom, _ = x_events(rng, model.mass, 200)
        r = [np.concatenate([p[:, :1], p[:, 1:] @ rot.T], axis=1) for p in mom]
        a, b = md.me2_signal(*mom, pol, model), md.me2_signal(*r, rot @ pol, model)
    else:
        a, b = md.me2_ic(*mom, pol), md.me2_ic(*r, rot @ pol)
    np.testing.assert_allclose(a, b, rtol=1e-10)


def _random_lorentz(rng: np.random.Generator):
    rot = Rotation.random(random_state=rng).as_matrix()
    frame = np.array([0.0, 0.3, -0.5, 0.6])
    frame[0] = np.sqrt(0.7**2 + np.sum(frame[1:] ** 2))
    return lambda p: ps.boost(np.concatenate([p[:, :1], p[:, 1:] @ rot.T], axis=1), frame)


MODELS = [
    mu3e.dark_photon(0.02, 1e-3),
    mu3e.vector(0.03, 2e-3, -1e-3, 0.5e-3, 3e-3),
    mu3e.scalar(0.01, 1e-3, 2e-3),
    mu3e.pseudoscalar(0.05, 1e-3, -2e-3),
    mu3e.XModel("scalar", 0.015, g_s_e=1e-3, g_p_e=2e-3, g_s_mu=-1e-3, g_p_mu=0.5e-3),
    mu3e.scalar(0.01, 0.0, 1e-3),
]


@pytest.mark.parametrize("which", ["ic", "true_pair"] + [f"signal{i}" for i in range(len(MODELS))])
def test_lorentz_invariance(which: str) -> None:
    """Unpolarised |M|^2 unchanged under boost+rotation of all momenta (muon included)."""
    rng = np.random.default_rng(5)
    lor = _random_lorentz(rng)
    pmu = md.muon_rest_momentum(100)
    if which.startswith("signal"):
        model = MODELS[int(which[6:])]
        mom, _ = x_events(rng, model.mass, 100)
        a = md.me2_signal(*mom, np.zeros(3), model)
        b = md.me2_signal(*[lor(p) for p in mom], np.zeros(3), model, pmu=lor(pmu))
    else:
        func = md.me2_ic if which == "ic" else md.me2_ic_true_pair
        mom, _ = flat(rng, FIVE, 100)
        a = func(*mom, np.zeros(3))
        b = func(*[lor(p) for p in mom], np.zeros(3), pmu=lor(pmu))
    np.testing.assert_allclose(b, a, rtol=1e-9)


@pytest.mark.parametrize("g_v", [E_CHARGE, 1e-3])
def test_ward_identity(g_v: float) -> None:
    """eps -> q in the lepton line with the insertion (muon + positron emission) gives 0."""
    rng = np.random.default_rng(6)
    n = 300
    mom, _ = flat(rng, FIVE, n)
    p1, p2, pm, pnu, pnb = mom
    pmu = md.muon_rest_momentum(n)
    q = p2 + pm
    ward = md._vector_vertex(np.broadcast_to(q[:, None, None, :], (n, 2, 2, 4)), g_v, 0.0)
    eps = rng.normal(size=(n, 2, 2, 4)) * np.max(np.abs(q), axis=1)[:, None, None, None]
    ref = md._vector_vertex(eps, g_v, 0.0)
    amp_q = md._line_with_insertion(pmu, p1, pnu, pnb, q, ward, ward)
    amp_ref = md._line_with_insertion(pmu, p1, pnu, pnb, q, ref, ref)
    assert np.max(np.abs(amp_q)) < 1e-13 * np.max(np.abs(amp_ref))
    # the muon line alone is not conserved (sanity: the test is not trivially zero)
    amp_mu = md._line_with_insertion(pmu, p1, pnu, pnb, q, ward, 0 * ward)
    assert np.max(np.abs(amp_mu)) > 1e-3 * np.max(np.abs(amp_ref))


def test_dark_photon_equals_scaled_true_pair() -> None:
    """|N|^2(dark photon, eps) = eps^4 m^4 |M_1|^2 pointwise at m_ee = m (q.D = 0)."""
    rng = np.random.default_rng(7)
    model = mu3e.dark_photon(0.02, 1e-3)
    mom, _ = x_events(rng, model.mass, 200)
    for pol in POLS:
        a = md.me2_signal(*mom, pol, model)
        b = md.me2_ic_true_pair(*mom, pol)
        np.testing.assert_allclose(a, 1e-12 * model.mass**4 * b, rtol=1e-10)


def test_ic_symmetric_under_positron_exchange() -> None:
    rng = np.random.default_rng(8)
    mom, _ = flat(rng, FIVE, 100)
    pol = POLS[2]
    np.testing.assert_allclose(md.me2_ic(*mom, pol), md.me2_ic(mom[1], mom[0], *mom[2:], pol), rtol=1e-12)


def test_pol_per_event_broadcast() -> None:
    rng = np.random.default_rng(9)
    mom, _ = flat(rng, [M_E, 0.0, 0.0], 50)
    pols = rng.uniform(-0.5, 0.5, size=(50, 3))
    a = md.me2_michel(*mom, pols)
    b = np.array([md.me2_michel(*[p[i : i + 1] for p in mom], pols[i])[0] for i in range(50)])
    np.testing.assert_allclose(a, b, rtol=1e-12)
    with pytest.raises(ValueError, match="pol"):
        md.me2_michel(*mom, np.array([0.0, 0.0, 1.5]))
