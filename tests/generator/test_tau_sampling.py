"""The multichannel phase-space densities of the tau decayer are normalised proposal densities.

For every channel c, candidates drawn from c alone and weighted by h/f_c estimate the
phase-space integral of h, whatever c's topology (chain or tree) and resonances. The reference
is independent of the channel code: the flat GENBOD estimate (sorted uniform masses, weight
prod p*) times the volume T^(k-2)/(k-2)! of the ordered masses, T = m_tau - sum m.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from muonbsm.constants import M_TAU
from muonbsm.generator.decays import kinematics as kin
from muonbsm.generator.decays import tau, tau_sampling


def _observable(mom: np.ndarray) -> np.ndarray:
    """A smooth test function of the candidates: 1 + (E_Q - p_zQ)^2 + E of the first hadron [GeV^2]."""
    q = mom[:, :-1].sum(axis=1)
    return 1.0 + (q[:, 0] - q[:, 3]) ** 2 + mom[:, 0, 0]


@pytest.mark.parametrize("code", [7, 9, 10, 11, 14])  # pi0 pi0 pi- (rho rho), 2pi- pi+ pi0 (omega omega), pi- 3pi0 (a1 -> rho pi), five pions (omega rho trees), K pi pi0
def test_every_channel_density_is_normalised(code):
    mode = tau.MODES[code]
    ids = mode.daughters[:-1]
    masses = np.array([tau._mass(c) for c in ids])
    chs = tau_sampling.channels(ids)
    assert any(ch.pair for ch in chs) == (code == 11)
    assert any(ch.cross for ch in chs) == (code in (7, 9))
    rng = np.random.default_rng(30 + code)
    table = tau._sampler(code).table
    n = 100_000
    full = np.concatenate([masses, [0.0]])
    flat, w_flat = kin.nbody_rest(M_TAU, full, 4 * n, rng)
    k = full.size
    volume = (M_TAU - full.sum()) ** (k - 2) / math.factorial(k - 2)
    ref = w_flat * _observable(flat) * volume  # the sorted uniform masses have density 1/volume
    for c, ch in enumerate(chs):
        mom = tau_sampling._sample_channel(ch, table.sample(c, n, rng), masses, rng)
        est = _observable(mom) / tau_sampling._channel_densities(chs, table, masses, mom)[:, c]
        err = np.hypot(est.std() / np.sqrt(n), ref.std() / np.sqrt(ref.size))
        assert est.mean() == pytest.approx(ref.mean(), abs=4.5 * err), f"channel {c}: {ch}"


@pytest.mark.parametrize("code", [9, 11])  # chains with cross masses, trees
def test_candidates_conserve_momentum_and_masses(code):
    """Tree and chain candidates: on-shell daughters that sum to the tau at rest."""
    rng = np.random.default_rng(3)
    sampler = tau._sampler(code)
    ids = tau.MODES[code].daughters
    for c, ch in enumerate(sampler.channels):
        mom = tau_sampling._sample_channel(ch, sampler.table.sample(c, 2000, rng), sampler.masses, rng)
        assert np.allclose(mom.sum(axis=1), [M_TAU, 0.0, 0.0, 0.0], atol=1e-9)
        m2 = mom[..., 0] ** 2 - np.sum(mom[..., 1:] ** 2, axis=-1)
        assert np.allclose(m2, np.array([tau._mass(c) for c in ids]) ** 2, atol=1e-8)


@pytest.mark.parametrize("code", [7, 9])  # pi0 pi0 pi-, 2pi- pi+ pi0
def test_unweighted_decays_follow_the_weighted_proposal(code):
    """The accept-reject output has the Q spectrum of the weighted candidates (w = |M|^2 / f).

    Independent of any reference generator; it fails for an envelope that varies with the
    candidate (e.g. per bin of Q without re-weighting the proposal), which biases the output.
    """
    rng = np.random.default_rng(50 + code)
    mode = tau.MODES[code]
    n = 60_000
    decays = tau.rest_frame_decays(code, np.zeros(n), rng)
    mom, w_ps = tau._proposal(mode, 20 * n, rng)
    w = w_ps * tau._me_weight(mode, mom, np.zeros(len(w_ps)))

    def q_mass(p: np.ndarray) -> np.ndarray:
        return kin.invariant_mass(p[:, :-1].sum(axis=1))

    edges = np.linspace(tau._masses(mode)[:-1].sum(), M_TAU, 11)
    h_acc, _ = np.histogram(q_mass(decays), edges)
    h_w, _ = np.histogram(q_mass(mom), edges, weights=w)
    h_w2, _ = np.histogram(q_mass(mom), edges, weights=w * w)
    keep = h_acc >= 10
    p_w = h_w / h_w.sum()
    var = h_acc * (1 - h_acc / n) + n**2 * h_w2 / h_w.sum() ** 2
    chi2 = float(np.sum((h_acc - n * p_w)[keep] ** 2 / var[keep]))
    assert chi2 < 30.0, f"chi2 = {chi2:.1f} for {keep.sum()} bins"



def test_q_tables_are_normalised_and_an_empty_histogram_gives_a_uniform_table():
    edges = np.linspace(0.5, 1.5, 5)
    table = tau_sampling.QTable.from_histograms(edges, np.array([[0.0, 0.0, 0.0, 0.0], [1.0, 2.0, 3.0, 4.0]]))
    assert np.allclose(table.density[0], 1.0)  # 1 / (1.5 - 0.5) GeV^-1
    assert np.allclose(table.density[1], (0.85 * np.array([1, 2, 3, 4]) / 10 + 0.15 / 4) / 0.25)  # by hand
    assert np.allclose(table.cdf[:, -1], 1.0) and np.allclose(np.sum(table.density * np.diff(edges), axis=1), 1.0)
