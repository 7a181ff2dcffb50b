"""Symmetries of the numba hadronic currents of the tau decayer (3, 4 and 5 pions).

Properties that follow from the physics and not from the code: the CLEO three-pion current is
transverse to Q (J.Q = 0); each current is symmetric under the exchange of identical pions
(the three-pion one only with ``bose=True``); and J transforms as a Lorentz vector, J(L p) = L J(p)
for a proper orthochronous L (boost times rotation; the Levi-Civita terms of the 5-pion J_a
need det L = +1). Each test fails if a permutation term, the transverse projection, the Bose
image of F1, a metric sign or a Levi-Civita sign is dropped or changed.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pytest

from muonbsm.constants import M_TAU, pdg_mass
from muonbsm.generator.decays.kinematics import nbody_rest
from muonbsm.generator.decays.tau_br import MODE_SPECS
from muonbsm.generator.decays.tau_currents_3pi import three_pion_current
from muonbsm.generator.decays.tau_currents_multipion import five_pion_current, four_pion_current

THREE_PION = (7, 8)  # pi0 pi0 pi-, pi- pi- pi+
MULTI_PION = {9: four_pion_current, 10: four_pion_current, 11: five_pion_current, 19: five_pion_current,
              20: five_pion_current}
METRIC = np.array([1.0, -1.0, -1.0, -1.0])


def _hadrons(code: int, n: int = 300, seed: int = 0) -> tuple[tuple[int, ...], np.ndarray]:
    """Daughters and tau-rest-frame hadron momenta (n, k, 4) [GeV] of mode ``code`` (flat phase space)."""
    daughters = MODE_SPECS[code].daughters
    masses = [pdg_mass(abs(d)) for d in daughters[:-1]] + [0.0]
    mom, _ = nbody_rest(M_TAU, masses, n, np.random.default_rng(seed + code))
    return daughters, mom[:, :-1]


def _close(a: np.ndarray, b: np.ndarray, rtol: float) -> bool:
    """|a - b| <= rtol max_mu |a| per decay (components of J may vanish individually)."""
    scale = np.max(np.abs(a), axis=-1, keepdims=True)
    return bool(np.all(np.abs(a - b) <= rtol * scale))


def _lorentz(rng: np.random.Generator, beta: float = 0.8) -> np.ndarray:
    """Random rotation followed by a boost of speed ``beta`` along a random axis (4x4, contravariant)."""
    q, r = np.linalg.qr(rng.normal(size=(3, 3)))
    rot = q * np.sign(np.diag(r))
    if np.linalg.det(rot) < 0:
        rot[:, 0] *= -1.0
    n = rng.normal(size=3)
    n /= np.linalg.norm(n)
    gamma = 1.0 / np.sqrt(1.0 - beta**2)
    boost = np.eye(4)
    boost[0, 0] = gamma
    boost[0, 1:] = boost[1:, 0] = -gamma * beta * n
    boost[1:, 1:] += (gamma - 1.0) * np.outer(n, n)
    lam = np.eye(4)
    lam[1:, 1:] = rot
    return boost @ lam


@pytest.mark.parametrize("code", THREE_PION)
@pytest.mark.parametrize("bose", [True, False])
def test_three_pion_current_is_transverse(code, bose):
    daughters, had = _hadrons(code)
    j = three_pion_current(daughters, had, bose=bose)
    q = had.sum(axis=1)
    jq = np.sum(j * q * METRIC, axis=1)
    scale = np.max(np.abs(j), axis=1) * q[:, 0]
    assert np.all(np.abs(jq) <= 1e-12 * scale)
    assert np.all(np.max(np.abs(j), axis=1) > 0)


@pytest.mark.parametrize("code", THREE_PION)
def test_three_pion_current_bose_symmetry(code):
    """Exchanging the identical pions (the first two) leaves J unchanged with ``bose=True``;
    Pythia's neutral-mode F2 (``bose=False``) is not symmetric (the charged mode is)."""
    daughters, had = _hadrons(code)
    swapped = had[:, [1, 0, 2]]
    assert _close(three_pion_current(daughters, had), three_pion_current(daughters, swapped), 1e-10)
    j, j_swap = three_pion_current(daughters, had, bose=False), three_pion_current(daughters, swapped, bose=False)
    if code == 7:
        assert np.median(np.max(np.abs(j - j_swap), axis=1) / np.max(np.abs(j), axis=1)) > 0.05
    else:
        assert _close(j, j_swap, 1e-10)


@pytest.mark.parametrize("code", sorted(MULTI_PION))
def test_multipion_current_symmetric_under_identical_pions(code):
    """Every exchange of two identical pions leaves the 4- and 5-pion currents unchanged."""
    daughters, had = _hadrons(code)
    current = MULTI_PION[code]
    j = current(daughters, had)
    assert np.all(np.isfinite(j)) and np.count_nonzero(np.max(np.abs(j), axis=1)) > 0.9 * len(j)
    pairs = [(a, b) for a, b in combinations(range(len(daughters) - 1), 2) if daughters[a] == daughters[b]]
    assert pairs
    for a, b in pairs:
        order = list(range(had.shape[1]))
        order[a], order[b] = b, a
        assert _close(j, current(daughters, had[:, order]), 1e-10), f"mode {code}: exchange {a} <-> {b}"


@pytest.mark.parametrize("code", (*THREE_PION, *sorted(MULTI_PION)))
def test_current_is_lorentz_covariant(code):
    daughters, had = _hadrons(code, n=200)
    current = MULTI_PION.get(code, three_pion_current)
    lam = _lorentz(np.random.default_rng(100 + code))
    j = current(daughters, had)
    j_boosted = current(daughters, had @ lam.T)
    assert _close(j_boosted, j @ lam.T, 1e-9)
