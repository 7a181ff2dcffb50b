"""Tests of the explicit Dirac spinors in muonbsm.generator.dirac."""

from __future__ import annotations

import numpy as np
import pytest

from muonbsm.generator import dirac as d


def _momenta(rng: np.random.Generator, n: int, mass: float) -> np.ndarray:
    p3 = rng.normal(size=(n, 3)) * 0.05
    p3[0] = [0.0, 0.0, -0.04]  # along -z
    p3[1] = [0.0, 0.0, 0.04]  # along +z
    p3[2] = [0.0, 0.0, 0.0]  # at rest (only meaningful if massive)
    e = np.sqrt(mass**2 + np.sum(p3**2, axis=1))
    return np.concatenate([e[:, None], p3], axis=1)


@pytest.mark.parametrize("mass", [0.105658, 0.000511, 0.0])
def test_dirac_equation_completeness_normalisation(mass: float) -> None:
    rng = np.random.default_rng(1)
    p = _momenta(rng, 50, mass)
    if mass == 0.0:
        p = p[3:]
    u, v = d.u_spinor(p, mass), d.v_spinor(p, mass)
    ps = d.slash(p)
    eye = np.eye(4)
    scale = p[:, 0, None, None]
    # Dirac equation (pslash - m) u = 0, (pslash + m) v = 0
    assert np.max(np.abs(np.einsum("nab,nhb->nha", ps - mass * eye, u))) < 1e-12 * np.max(scale)
    assert np.max(np.abs(np.einsum("nab,nhb->nha", ps + mass * eye, v))) < 1e-12 * np.max(scale)
    ub, vb = d.spinor_bar(u), d.spinor_bar(v)
    # completeness
    np.testing.assert_allclose(np.einsum("nha,nhb->nab", u, ub), ps + mass * eye, atol=1e-13)
    np.testing.assert_allclose(np.einsum("nha,nhb->nab", v, vb), ps - mass * eye, atol=1e-13)
    # normalisation and orthogonality
    np.testing.assert_allclose(np.einsum("nha,nka->nhk", ub, u), 2 * mass * np.eye(2) + 0 * ps[:, :2, :2], atol=1e-13)
    np.testing.assert_allclose(np.einsum("nha,nka->nhk", vb, v), -2 * mass * np.eye(2) + 0 * ps[:, :2, :2], atol=1e-13)
    # u^dagger u = 2E
    np.testing.assert_allclose(np.einsum("nha,nha->nh", np.conj(u), u).real, 2 * p[:, :1] * np.ones((1, 2)), rtol=1e-12)


def test_helicity_eigenstates() -> None:
    rng = np.random.default_rng(2)
    p = _momenta(rng, 40, 0.01)[3:]
    xi = d.helicity_two_spinors(p)
    phat = p[:, 1:] / np.linalg.norm(p[:, 1:], axis=1, keepdims=True)
    sig = np.einsum("ni,iab->nab", phat, d.PAULI)
    for k, h in enumerate(d.HELICITIES):
        np.testing.assert_allclose(np.einsum("nab,nb->na", sig, xi[:, k]), h * xi[:, k], atol=1e-13)


def test_v_is_antiparticle_of_physical_helicity() -> None:
    """v(p,h) v-bar(p,h) = (pslash - m)(1 + gamma5 sslash)/2 with the helicity spin vector s."""
    m = 0.02
    p = np.array([np.hypot(m, 0.03), 0.01, -0.02, np.sqrt(0.03**2 - 0.01**2 - 0.02**2)])
    pabs = np.linalg.norm(p[1:])
    v = d.v_spinor(p, m)
    for k, h in enumerate(d.HELICITIES):
        s = h * np.concatenate([[pabs / m], p[0] / m * p[1:] / pabs])
        proj = 0.5 * (d.slash(p) - m * np.eye(4)) @ (np.eye(4) + d.GAMMA5 @ d.slash(s))
        np.testing.assert_allclose(np.outer(v[k], d.spinor_bar(v[k])), proj, atol=1e-12)


def test_spin_density() -> None:
    rho = d.spin_density(np.array([0.0, 0.0, -0.86]))
    np.testing.assert_allclose(rho, np.diag([0.07, 0.93]), atol=1e-14)
    with pytest.raises(ValueError, match="pol"):
        d.spin_density(np.array([1.0, 1.0, 0.0]))
