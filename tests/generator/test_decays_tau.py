"""Tests of the fast tau decayer: conservation, BRs, Michel spectrum, polarisation, vertices."""

from __future__ import annotations

import awkward as ak
import numpy as np
import pytest
from scipy import integrate, stats

from muonbsm import events
from muonbsm.constants import CTAU_TAU_MM, M_MU, M_TAU, pdg_mass
from muonbsm.generator import dirac
from muonbsm.generator.decays import tau, tau_currents
from muonbsm.events import charge_of
from muonbsm.generator.dirac import minkowski_dot


def _taus(n: int, rng: np.random.Generator, pmax: float = 1000.0) -> np.ndarray:
    p = rng.normal(size=(n, 3))
    p *= rng.uniform(0.0, pmax, (n, 1)) / np.linalg.norm(p, axis=1, keepdims=True)
    return np.column_stack([np.sqrt(np.sum(p**2, axis=1) + M_TAU**2), p])


def _flat(res: tau.DecayResult) -> dict[str, np.ndarray]:
    d = ak.flatten(res.daughters)
    return {f: ak.to_numpy(d[f]) for f in ("E", "px", "py", "pz", "pdg", "status", "mother")}


def test_branching_ratios_table():
    assert tau.BRANCHING_RATIOS.sum() == pytest.approx(1.0, abs=1e-12)
    assert np.all(tau.BRANCHING_RATIOS > 0)
    assert tau.BRANCHING_RATIOS[1] == pytest.approx(0.1736568957)  # PDG 2026 fit, S035.1
    assert tau.BRANCHING_RATIOS[tau.N_PRONGS == 3].sum() == pytest.approx(0.1455073774, abs=1e-3)  # S035.209
    for mode in tau.MODES:  # charge conservation: tau^- daughters sum to -1
        assert sum(float(c) for c in charge_of(np.array(mode.daughters))) == -1.0


def test_hadronic_me_matches_dirac_trace():
    """Closed form of Tr[k gamma^mu P' gamma^nu (1 - gamma5)] J_mu J*_nu / 4 vs explicit matrices."""
    rng = np.random.default_rng(1)
    k, pp = rng.normal(size=(20, 4)), rng.normal(size=(20, 4))
    j = rng.normal(size=(20, 4)) + 1j * rng.normal(size=(20, 4))
    one = np.eye(4)
    t = np.einsum("nab,mbc,ncd,lde,ea->nml", dirac.slash(k), dirac.GAMMA, dirac.slash(pp), dirac.GAMMA, one - dirac.GAMMA5)
    oracle = np.einsum("nml,nm,nl->n", t, dirac.lower_index(j), dirac.lower_index(np.conj(j))) / 4
    assert np.allclose(oracle.imag, 0.0, atol=1e-10)
    assert np.allclose(tau_currents.hadronic_me(j, k, pp), oracle.real, rtol=1e-10, atol=1e-10)


def test_conservation_on_shell_and_schema():
    rng = np.random.default_rng(2)
    n = 10_000
    p = _taus(n, rng)
    pdg = np.where(rng.random(n) < 0.5, 15, -15)
    res = tau.decay_taus(p, pdg, rng, polarization=rng.uniform(-1, 1, n), mother_index=np.full(n, 3))
    f = _flat(res)
    counts = ak.to_numpy(ak.num(res.daughters))
    owner = np.repeat(np.arange(n), counts)
    mom = np.column_stack([f["E"], f["px"], f["py"], f["pz"]])
    total = np.zeros((n, 4))
    np.add.at(total, owner, mom)
    assert np.max(np.abs(total - p) / p[:, :1]) < 1e-9
    m2 = minkowski_dot(mom, mom)
    m_pdg = np.array([0.0 if abs(c) in (12, 14, 16) else pdg_mass(abs(int(c))) for c in f["pdg"]])
    assert np.max(np.abs(m2 - m_pdg**2) / f["E"] ** 2) < 1e-9
    assert np.all(f["mother"] == 3) and np.all(f["status"] == 1)
    charge = ak.to_numpy(ak.sum(res.daughters.charge, axis=1))
    assert np.all(charge == np.where(pdg > 0, -1, 1))
    n_ch = ak.to_numpy(ak.sum(res.daughters.charge != 0, axis=1))
    assert np.all(n_ch == res.n_charged)
    ev = events.from_arrays({k: p[:, None, i] for i, k in enumerate(("E", "px", "py", "pz"))} | {"pdg": pdg[:, None]}, weight=np.ones(n))
    merged = events.append_particles(ev, res.daughters)
    assert np.all(ak.to_numpy(ak.num(merged.particles)) == counts + 1)


def test_mode_fractions_reproduce_brs():
    rng = np.random.default_rng(3)
    n = 100_000
    p = np.tile([np.hypot(M_TAU, 20.0), 0.0, 0.0, 20.0], (n, 1))
    res = tau.decay_taus(p, np.full(n, 15), rng)
    counts = np.bincount(res.mode, minlength=len(tau.MODES))
    expected = n * tau.BRANCHING_RATIOS
    assert stats.chi2.sf(np.sum((counts - expected) ** 2 / expected), len(counts) - 1) > 1e-3
    frac3 = np.mean(res.n_charged == 3)
    assert frac3 == pytest.approx(tau.BRANCHING_RATIOS[tau.N_PRONGS == 3].sum(), abs=4 * np.sqrt(0.15 / n))


def _michel_parts(x: float, x0: float) -> tuple[float, float]:
    """PDG muon-decay-parameter functions beta F_IS, beta F_AS (rho = delta = 3/4, eta = 0, xi = 1).

    d^2 Gamma / dx dcos(theta) is proportional to beta (F_IS - P cos(theta) F_AS) for tau^- -> l^-,
    x = E_l / W, W = (m_tau^2 + m_l^2) / 2 m_tau, x0 = m_l / W, beta = sqrt(x^2 - x0^2).
    """
    beta = np.sqrt(max(x * x - x0 * x0, 0.0))
    f_is = x * (1 - x) + (1 / 6) * (4 * x * x - 3 * x - x0 * x0)
    f_as = (beta / 3) * (1 - x + 0.5 * (4 * x - 3 + (np.sqrt(1 - x0 * x0) - 1)))
    return beta * f_is, beta * f_as


@pytest.mark.parametrize("pol", [0.0, 1.0, -0.6])
def test_michel_spectrum_exact_muon_mass(pol):
    """tau^- -> mu^- nubar nu at rest: 2D (x, cos theta) spectrum vs Michel formula, exact m_mu."""
    rng = np.random.default_rng(4)
    n = 100_000
    mom = tau.rest_frame_decays(1, np.full(n, pol), rng)
    w_max = (M_TAU**2 + M_MU**2) / (2 * M_TAU)
    x0 = M_MU / w_max
    x = mom[:, 0, 0] / w_max
    cos_t = mom[:, 0, 3] / np.linalg.norm(mom[:, 0, 1:], axis=1)
    xe, ce = np.linspace(x0, 1.0, 13), np.linspace(-1, 1, 6)
    hist, _, _ = np.histogram2d(x, cos_t, [xe, ce])
    iso = np.array([integrate.quad(lambda v: _michel_parts(v, x0)[0], a, b)[0] for a, b in zip(xe[:-1], xe[1:])])
    aniso = np.array([integrate.quad(lambda v: _michel_parts(v, x0)[1], a, b)[0] for a, b in zip(xe[:-1], xe[1:])])
    exp = iso[:, None] * np.diff(ce)[None, :] - pol * aniso[:, None] * np.diff(ce**2)[None, :] / 2
    exp *= n / exp.sum()
    chi2 = np.sum((hist - exp) ** 2 / exp)
    assert stats.chi2.sf(chi2, exp.size - 1) > 1e-3, chi2


@pytest.mark.parametrize("pol", [1.0, -0.5])
def test_pion_angular_distribution(pol):
    """tau^- -> pi^- nu: dN/dcos ~ 1 + P cos theta; tau^+ (CP image) gives 1 - P cos theta."""
    rng = np.random.default_rng(5)
    n = 100_000
    mom = tau.rest_frame_decays(2, np.full(n, pol), rng)
    cos_t = mom[:, 0, 3] / np.linalg.norm(mom[:, 0, 1:], axis=1)
    edges = np.linspace(-1, 1, 21)
    hist, _ = np.histogram(cos_t, edges)
    exp = n * (np.diff(edges) / 2 + pol * np.diff(edges**2) / 4)
    assert stats.chi2.sf(np.sum((hist - exp) ** 2 / exp), 19) > 1e-3
    # lab frame, tau^+ at (almost) rest along +z: pi^+ angle with +z
    m = 30_000
    p = np.tile([np.hypot(M_TAU, 1e-6), 0.0, 0.0, 1e-6], (m, 1))
    res = tau.decay_taus(p, np.full(m, -15), rng, polarization=np.full(m, pol))
    sel = res.mode == 2
    pi = res.daughters[sel][res.daughters[sel].pdg == 211]
    cos_lab = ak.to_numpy(ak.flatten(pi.pz / pi.p))
    assert np.mean(cos_lab) == pytest.approx(-pol / 3, abs=4 * np.sqrt(1 / 3 / cos_lab.size))


def test_decay_length_mean_and_vertices():
    rng = np.random.default_rng(6)
    n = 40_000
    pz = 30.0
    p = np.tile([np.hypot(M_TAU, pz), 0.0, 0.0, pz], (n, 1))
    start = np.tile([0.0, 1.0, -5.0], (n, 1))
    res = tau.decay_taus(p, np.full(n, 15), rng, production_vertex=start)
    length = res.vertices[:, 2] + 5.0
    assert np.allclose(res.vertices[:, :2], [0.0, 1.0])
    assert length.mean() == pytest.approx(pz / M_TAU * CTAU_TAU_MM, rel=4 / np.sqrt(n))
    vz = ak.to_numpy(res.daughters.vz[:, 0])
    assert np.allclose(vz, res.vertices[:, 2], rtol=1e-6)


def test_reproducible_with_seed():
    p = _taus(3000, np.random.default_rng(7))
    pdg = np.full(3000, 15)
    a = tau.decay_taus(p, pdg, np.random.default_rng(8))
    b = tau.decay_taus(p, pdg, np.random.default_rng(8))
    assert np.array_equal(a.mode, b.mode) and np.array_equal(a.vertices, b.vertices)
    assert ak.all(ak.flatten(a.daughters.E) == ak.flatten(b.daughters.E))


def test_pi0_decay_option():
    rng = np.random.default_rng(9)
    n = 5000
    p = _taus(n, rng)
    res = tau.decay_taus(p, np.full(n, 15), rng, decay_pi0=True, first_index=np.full(n, 2))
    d = res.daughters
    photons = d[(d.pdg == 22) & (d.mother >= 2)]  # pi0 photons (the remainder mode emits a direct photon)
    mothers = ak.to_numpy(ak.flatten(photons.mother)) - 2
    owner = np.repeat(np.arange(n), ak.to_numpy(ak.num(photons)))
    assert np.all(ak.to_numpy(ak.flatten(d.pdg))[np.cumsum(np.r_[0, ak.to_numpy(ak.num(d))[:-1]])[owner] + mothers] == 111)
    final = d[d.status == 1]
    e_final = ak.to_numpy(ak.sum(final.E, axis=1))
    assert np.allclose(e_final, p[:, 0], rtol=1e-9)
    assert ak.all(d[d.pdg == 111].status == 2)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"p_tau": np.array([[1.0, 0.0, 0.0, 0.0]])}, "p_tau"),
        ({"p_tau": np.array([[-5.0, 0.0, 0.0, -4.67]])}, "p_tau"),
        ({"p_tau": np.array([1.0, 2.0, 3.0, 4.0])}, "p_tau"),
        ({"pdg": np.array([13])}, "pdg"),
        ({"polarization": np.array([1.5])}, "polarization"),
    ],
)
def test_bad_input_raises(kwargs, match):
    args = {"p_tau": np.array([[np.hypot(M_TAU, 3.0), 3.0, 0.0, 0.0]]), "pdg": np.array([15]), "polarization": None}
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        tau.decay_taus(args["p_tau"], args["pdg"], np.random.default_rng(0), polarization=args["polarization"])


def test_no_weight_above_pilot_envelope():
    """The accept-reject envelope bounds the weights in a larger sample (P = 0, +-1)."""
    rng = np.random.default_rng(10)
    for code in (1, 2, 4, 5, 7, 8, 12, 15):
        m0, m1, _ = tau._max_weight(code)
        for pol, bound in ((0.0, m0), (-1.0, m1), (1.0, m1)):
            mom, w_ps = tau._proposal(tau.MODES[code], 100_000, rng)
            w = w_ps * tau._me_weight(tau.MODES[code], mom, np.full(100_000, pol))
            assert w.max() < bound


def test_per_event_polarisation_is_applied_and_recorded():
    """Mixed P = +1 / -1 per tau: each half follows (1 +- cos)/2 (pi nu, rest frame via the lab
    energy), and DecayResult.polarization returns the input; a scalar is broadcast."""
    rng = np.random.default_rng(12)
    n = 120_000
    pz = 50.0
    p = np.tile([np.hypot(M_TAU, pz), 0.0, 0.0, pz], (n, 1))
    pol = np.where(np.arange(n) % 2 == 0, 1.0, -1.0)
    res = tau.decay_taus(p, np.full(n, 15), rng, polarization=pol)
    assert np.array_equal(res.polarization, pol)
    sel = res.mode == 2
    e_pi = ak.to_numpy(ak.flatten(res.daughters[sel].E[res.daughters[sel].pdg == -211]))
    m_pi = pdg_mass(211)
    e_star, p_star = (M_TAU**2 + m_pi**2) / (2 * M_TAU), (M_TAU**2 - m_pi**2) / (2 * M_TAU)
    gamma, bg = np.hypot(M_TAU, pz) / M_TAU, pz / M_TAU
    cos = (e_pi - gamma * e_star) / (bg * p_star)
    for sign in (1.0, -1.0):
        c = cos[pol[sel] == sign]
        assert np.mean(c) == pytest.approx(sign / 3, abs=4 * np.sqrt(1 / 3 / c.size))
    scalar = tau.decay_taus(p[:10], np.full(10, -15), rng, polarization=-0.3)
    assert np.allclose(scalar.polarization, -0.3)


def test_stored_pilots_match_the_sources():
    """The stored accept-reject pilots are those of the current decayer (else every process reruns them)."""
    from muonbsm.generator.decays import tau_pilots

    assert tau_pilots.load() is not None, "rebuild with: python -m muonbsm.generator.decays.tau_pilots --write"
    m0, m1, mean = tau._max_weight(4)
    assert (m0, m1, mean) == tau._max_weight(4, use_stored=False)  # stored values are the pilot's, bit for bit
