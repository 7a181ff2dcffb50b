"""Numba kernels against the explicit-matrix oracle (muonbsm.generator.processes.mu3e.matrix_element)."""

from __future__ import annotations

import numpy as np
import pytest

from muonbsm.constants import M_E
from muonbsm.generator.processes.mu3e import matrix_element_oracle as oracle
from muonbsm.generator.processes.mu3e import matrix_element as fast
from muonbsm.models import mu3e

from .muon_decay_samples import flat, x_events


POLS = [np.zeros(3), np.array([0.0, 0.0, -0.86]), np.array([0.3, -0.4, 0.5]), np.array([0.0, 0.0, 1.0])]
MODELS = {
    "dark_photon": mu3e.dark_photon(0.02, 1e-3),
    "vector_axial": mu3e.vector(0.03, 2e-3, -1e-3, 0.5e-3, 3e-3),
    "axial_mu_only": mu3e.vector(0.012, 0.0, 0.0, 0.0, 1e-3),
    "scalar_e_mu": mu3e.scalar(0.01, 1e-3, 2e-3),
    "pseudoscalar": mu3e.pseudoscalar(0.05, 1e-3, -2e-3),
    "scalar_mixed_cp": mu3e.XModel("scalar", 0.015, g_s_e=1e-3, g_p_e=2e-3, g_s_mu=-1e-3, g_p_mu=0.5e-3),
    "scalar_mu_only": mu3e.scalar(0.003, 0.0, 1e-3),
    "pseudoscalar_e_only": mu3e.pseudoscalar(0.08, 1e-3, 0.0),
}


@pytest.fixture(scope="module")
def five_body():
    mom, _ = flat(np.random.default_rng(11), [M_E, M_E, M_E, 0.0, 0.0], 400)
    return mom


@pytest.mark.parametrize("pol", POLS, ids=lambda p: str(list(p)))
def test_ic_fast_vs_oracle(five_body, pol) -> None:
    np.testing.assert_allclose(fast.me2_ic(*five_body, pol), oracle.me2_ic(*five_body, pol), rtol=1e-10)
    np.testing.assert_allclose(
        fast.me2_ic_true_pair(*five_body, pol), oracle.me2_ic_true_pair(*five_body, pol), rtol=1e-10
    )


@pytest.mark.parametrize("pol", POLS, ids=lambda p: str(list(p)))
def test_michel_fast_vs_oracle(five_body, pol) -> None:
    mom, _ = flat(np.random.default_rng(12), [M_E, 0.0, 0.0], 400)
    np.testing.assert_allclose(fast.me2_michel(*mom, pol), oracle.me2_michel(*mom, pol), rtol=1e-10)


@pytest.mark.parametrize("name", list(MODELS))
def test_signal_fast_vs_oracle(name: str) -> None:
    model = MODELS[name]
    rng = np.random.default_rng(13)
    mom, _ = x_events(rng, model.mass, 300)
    for pol in POLS:
        np.testing.assert_allclose(
            fast.me2_signal(*mom, pol, model), oracle.me2_signal(*mom, pol, model), rtol=1e-10
        )


def test_per_event_polarisation(five_body) -> None:
    pols = np.random.default_rng(14).uniform(-0.5, 0.5, size=(400, 3))
    np.testing.assert_allclose(fast.me2_ic(*five_body, pols), oracle.me2_ic(*five_body, pols), rtol=1e-10)


def test_bad_shapes(five_body) -> None:
    with pytest.raises(ValueError, match="momenta"):
        fast.me2_ic(five_body[0][:10], *five_body[1:], POLS[0])


def test_degenerate_directions(five_body) -> None:
    """Positron exactly along -z, electron exactly along +z (helicity-spinor branch cuts)."""
    mom = [p[:50].copy() for p in five_body]
    for i in range(50):
        a, b = mom[0][i, 1:], np.array([0.0, 0.0, -1.0])
        a = a / np.linalg.norm(a)
        v, c = np.cross(a, b), np.dot(a, b)
        vx = np.array([[0, -v[2], v[1]], [v[2], 0, -v[0]], [-v[1], v[0], 0]])
        rot = np.eye(3) + vx + vx @ vx / (1 + c)  # rotation taking a to -z
        for p in mom:
            p[i, 1:] = rot @ p[i, 1:]
    mom[0][:, 1:2] = 0.0  # exact zeros
    mom[0][:, 2:3] = 0.0
    # e- exactly along +z for half of the events (momentum balance is irrelevant for this comparison)
    mom[2][:25, 1:] = mom[2][:25, 1:] * [0.0, 0.0, 1.0]
    mom[2][:25, 3] = np.sqrt(np.sum(five_body[2][:25, 1:] ** 2, axis=1))
    mom[2][:25, 0] = np.sqrt(mom[2][:25, 3] ** 2 + M_E**2)
    for pol in POLS[1:3]:
        np.testing.assert_allclose(fast.me2_ic(*mom, pol), oracle.me2_ic(*mom, pol), rtol=1e-10)
