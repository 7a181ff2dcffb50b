"""Tests of muonbsm.generator.decays.kinematics: conservation, on-shell, flat phase space, vertices."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, stats

from muonbsm.generator.decays import kinematics as kin
from muonbsm.generator.dirac import minkowski_dot
from muonbsm.generator.phase_space import boost, kallen


def _random_parents(n: int, mass: float, rng: np.random.Generator) -> np.ndarray:
    p = rng.normal(size=(n, 3)) * rng.uniform(0.0, 500.0, (n, 1))
    return np.column_stack([np.sqrt(np.sum(p**2, axis=1) + mass**2), p])


def test_two_body_conservation_and_on_shell():
    rng = np.random.default_rng(1)
    parent = _random_parents(2000, 5.0, rng)
    d1, d2 = kin.two_body_decay(parent, 0.105, 1.777, rng)
    assert np.max(np.abs(d1 + d2 - parent) / parent[:, :1]) < 1e-12
    assert np.allclose(kin.invariant_mass(d1), 0.105, atol=1e-6)
    assert np.allclose(kin.invariant_mass(d2), 1.777, atol=1e-8)


def test_two_body_helicity_angle():
    """cos_theta given in the helicity frame: recover it by boosting back to the rest frame."""
    rng = np.random.default_rng(2)
    parent = _random_parents(500, 2.0, rng)
    cos_in = rng.uniform(-1, 1, 500)
    d1, _ = kin.two_body_decay(parent, 0.1, 0.2, rng, cos_theta=cos_in)
    back = np.column_stack([parent[:, 0], -parent[:, 1:]])
    rest = boost(d1, back)
    cos_out = np.sum(rest[:, 1:] * kin.flight_directions(parent), axis=1) / np.linalg.norm(rest[:, 1:], axis=1)
    assert np.allclose(cos_out, cos_in, atol=1e-9)
    with pytest.raises(ValueError, match="cos_theta"):
        kin.two_body_decay(parent, 0.1, 0.2, rng, cos_theta=np.full(500, 1.5))


def test_two_body_momentum_closed_channel():
    assert kin.two_body_momentum(1.0, 0.3, 0.4) == pytest.approx(np.sqrt(kallen(1.0, 0.09, 0.16)) / 2.0)
    with pytest.raises(ValueError, match="m_parent"):
        kin.two_body_momentum(1.0, 0.6, 0.6)


def test_rotate_z_to_maps_axis():
    rng = np.random.default_rng(3)
    d = rng.normal(size=(100, 3))
    d[0] = [0, 0, -2.0]
    d[1] = [0, 0, 3.0]
    z = np.tile([0.0, 0.0, 1.0], (100, 1))
    out = kin.rotate_z_to(z, d)
    assert np.allclose(out, d / np.linalg.norm(d, axis=1, keepdims=True), atol=1e-12)
    v = rng.normal(size=(100, 3, 4))
    rot = kin.rotate_z_to(v, d)
    assert np.allclose(np.linalg.norm(rot[..., 1:], axis=-1), np.linalg.norm(v[..., 1:], axis=-1))
    assert np.allclose(rot[..., 0], v[..., 0])


def test_rest_to_lab_by_hand():
    """Helicity-frame momenta to the lab: a forward daughter (+z at rest) flies along the parent with
    |p| = gamma (p* + beta E*), a daughter at rest moves with the parent's velocity; parents along
    -z, +z, at rest and oblique; equal to a rotation followed by a boost."""
    rng = np.random.default_rng(8)
    m_par, p_star, m_d = 1.777, 0.5, 0.14
    e_star = np.hypot(p_star, m_d)
    d = rng.normal(size=(50, 3))
    d[0], d[1], d[2] = [0, 0, -1.0], [0, 0, 4.0], [0, 0, 1.0]  # d[2]: at rest, +z stays +z
    pabs = rng.uniform(0.0, 200.0, 50)
    pabs[2] = 0.0
    d_hat = d / np.linalg.norm(d, axis=1, keepdims=True)
    parent = np.column_stack([np.hypot(pabs, m_par), pabs[:, None] * d_hat])
    rest = np.zeros((50, 3, 4))
    rest[:, 0] = [e_star, 0.0, 0.0, p_star]
    rest[:, 1] = [m_d, 0.0, 0.0, 0.0]
    rest[:, 2, 1:] = rng.normal(size=(50, 3))
    rest[:, 2, 0] = np.hypot(np.linalg.norm(rest[:, 2, 1:], axis=1), m_d)
    lab = kin.rest_to_lab(rest, parent)
    gamma, beta = parent[:, 0] / m_par, pabs / parent[:, 0]
    assert np.allclose(lab[:, 0, 1:], (gamma * (p_star + beta * e_star))[:, None] * d_hat, atol=1e-9)
    assert np.allclose(lab[:, 1], parent * m_d / m_par, atol=1e-12)
    reference = boost(kin.rotate_z_to(rest, parent[:, 1:]), parent)
    assert np.allclose(lab, reference, rtol=1e-12, atol=1e-9)


def test_nbody_rest_conservation_and_flat_dalitz():
    """GENBOD weights give a uniform Dalitz plot (flat 3-body phase space)."""
    rng = np.random.default_rng(4)
    masses = np.array([0.14, 0.14, 0.5])
    mom, w = kin.nbody_rest(1.777, masses, 200_000, rng)
    assert np.max(np.abs(mom.sum(axis=1) - [1.777, 0, 0, 0])) < 1e-12
    assert np.allclose(kin.invariant_mass(mom), masses, atol=1e-7)
    m12sq = minkowski_dot(mom[:, 0] + mom[:, 1], mom[:, 0] + mom[:, 1])
    # marginal of m12^2 for a flat Dalitz plot is proportional to the allowed m23^2 range
    edges = np.linspace((masses[0] + masses[1]) ** 2, (1.777 - masses[2]) ** 2, 11)
    hist, _ = np.histogram(m12sq, edges, weights=w)
    hist2, _ = np.histogram(m12sq, edges, weights=w**2)

    def width(s: float) -> float:
        m12 = np.sqrt(s)
        e2 = (s - masses[0] ** 2 + masses[1] ** 2) / (2 * m12)
        e3 = (1.777**2 - s - masses[2] ** 2) / (2 * m12)
        p2, p3 = np.sqrt(max(e2**2 - masses[1] ** 2, 0)), np.sqrt(max(e3**2 - masses[2] ** 2, 0))
        return 4 * p2 * p3

    expected = np.array([integrate.quad(width, a, b)[0] for a, b in zip(edges[:-1], edges[1:])])
    expected *= hist.sum() / expected.sum()
    chi2 = np.sum((hist - expected) ** 2 / hist2)
    assert stats.chi2.sf(chi2, 9) > 1e-3


def test_sample_mass_mixture_density():
    rng = np.random.default_rng(5)
    lo, hi = np.full(400_000, 0.28), np.full(400_000, 1.6)
    m, pdf = kin.sample_mass_mixture(lo, hi, 0.775, 0.149, 0.7, rng)
    assert np.all((m >= 0.28) & (m <= 1.6))
    norm = integrate.quad(lambda x: kin.mass_mixture_pdf(np.array(x), 0.28, 1.6, 0.775, 0.149, 0.7), 0.28, 1.6, points=[0.775])[0]
    assert norm == pytest.approx(1.0, rel=1e-6)
    assert np.allclose(pdf, kin.mass_mixture_pdf(m, lo, hi, 0.775, 0.149, 0.7))
    edges = np.linspace(0.28, 1.6, 31)
    hist, _ = np.histogram(m, edges)
    exp = np.array([integrate.quad(lambda x: kin.mass_mixture_pdf(np.array(x), 0.28, 1.6, 0.775, 0.149, 0.7), a, b)[0] for a, b in zip(edges[:-1], edges[1:])])
    exp *= m.size
    assert stats.chi2.sf(np.sum((hist - exp) ** 2 / exp), 29) > 1e-3


def test_decay_vertices_mean_length():
    rng = np.random.default_rng(6)
    n = 200_000
    p = 50.0
    parent = np.tile([np.hypot(p, 1.777), 0.0, p / np.sqrt(2), p / np.sqrt(2)], (n, 1))
    start = np.tile([1.0, 2.0, 3.0], (n, 1))
    vtx, length = kin.decay_vertices(parent, 0.087, rng, start)
    expected = p / 1.777 * 0.087
    assert length.mean() == pytest.approx(expected, rel=4.0 / np.sqrt(n))
    assert np.allclose(vtx - start, length[:, None] * np.array([0, 1, 1]) / np.sqrt(2))
    prompt, zero = kin.decay_vertices(parent[:10], 0.0, rng)
    assert np.all(prompt == 0) and np.all(zero == 0)
    with pytest.raises(ValueError, match="ctau_mm"):
        kin.decay_vertices(parent[:10], -1.0, rng)
    with pytest.raises(ValueError, match="production_vertex"):
        kin.decay_vertices(parent[:10], 1.0, rng, np.zeros((3, 3)))
