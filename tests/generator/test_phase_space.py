"""Phase space: analytic volumes, conservation laws, the Mu3e channel map and its densities."""

import numpy as np
import pytest

from muonbsm.constants import M_E, M_MU
from muonbsm.generator.phase_space import boost, flat_decay, invariant_mass_squared, massless_volume, two_body_decay
from muonbsm.generator.processes.mu3e.kinematics import MuonDecayChannel


@pytest.mark.parametrize("k", [2, 3, 4, 5])
def test_flat_decay_reproduces_massless_volume(k):
    rng = np.random.default_rng(k)
    _, w = flat_decay(1.0, [0.0] * k, 200_000, rng)
    err = w.std() / np.sqrt(w.size) if k > 2 else 1e-15
    assert abs(w.mean() - massless_volume(k, 1.0)) < 4 * err + 1e-12 * massless_volume(k, 1.0)


def test_flat_decay_conserves_momentum_and_mass_shells():
    rng = np.random.default_rng(0)
    masses = [M_E, M_E, M_E]
    p, _ = flat_decay(M_MU, masses, 1000, rng)
    assert np.allclose(p.sum(axis=1), [M_MU, 0, 0, 0], atol=1e-14)
    assert np.allclose(invariant_mass_squared(p), np.square(masses), atol=1e-15)


def test_boost_inverts():
    rng = np.random.default_rng(1)
    parent = np.array([[5.0, 1.0, -2.0, 3.0]])
    p = np.concatenate([[[2.0]], rng.normal(size=(1, 3))], axis=1)
    back = boost(boost(p, parent), parent * np.array([1, -1, -1, -1]))
    assert np.allclose(back, p, atol=1e-12)


def test_two_body_decay_in_rest_frame_is_back_to_back():
    parent = np.array([[1.0, 0.0, 0.0, 0.0]])
    p1, p2 = two_body_decay(parent, np.array([0.1]), np.array([0.2]), np.array([0.3]), np.array([1.0]))
    assert np.allclose(p1[:, 1:] + p2[:, 1:], 0.0)
    assert np.allclose(p1[:, 0] + p2[:, 0], 1.0)


def _massless_channel_volume(n=400_000):
    """Channel map with tiny lepton mass: compare with the analytic massless 5-body volume."""
    m_e = 1e-7
    ch = MuonDecayChannel(2 * m_e, 1.0 - m_e, m_mu=1.0, m_e=m_e)
    u = np.random.default_rng(5).random((n, ch.dim))
    _, w = ch.momenta(u)
    return w.mean(), w.std() / np.sqrt(n)


def test_channel_reproduces_massless_five_body_volume():
    mean, err = _massless_channel_volume()
    exact = massless_volume(5, 1.0)
    assert abs(mean - exact) < 4 * err
    assert err / exact < 0.01


def test_channel_matches_flat_decay_with_masses_and_multichannel_weight():
    rng = np.random.default_rng(3)
    ch = MuonDecayChannel(2 * M_E, M_MU - M_E)
    p, w = ch.momenta(rng.random((400_000, 11)))
    assert np.allclose(p.sum(axis=1), [M_MU, 0, 0, 0], atol=1e-13)
    g1, g2 = ch.density(p, (0, 2)), ch.density(p, (1, 2))
    assert np.median(np.abs(g1 * w - 1)) < 1e-9
    multichannel = 2.0 / (1.0 / w + g2)
    _, wf = flat_decay(M_MU, [M_E, M_E, M_E, 0, 0], 400_000, rng)
    diff = multichannel.mean() - wf.mean()
    err = np.hypot(multichannel.std(), wf.std()) / np.sqrt(400_000)
    assert abs(diff) < 4 * err


def test_window_channel_samples_inside_window():
    ch = MuonDecayChannel(0.0795, 0.0805)
    p, _ = ch.momenta(np.random.default_rng(2).random((1000, 11)))
    m1 = np.sqrt(invariant_mass_squared(p[:, 0] + p[:, 2]))
    assert np.all((m1 >= 0.0795 - 1e-12) & (m1 <= 0.0805 + 1e-12))


def test_channel_rejects_bad_range():
    with pytest.raises(ValueError, match="m_ee range"):
        MuonDecayChannel(0.2, 0.3)
