"""Flat phase-space samples of polarised-muon decays at rest, shared by the amplitude tests."""

from __future__ import annotations

import numpy as np

from muonbsm.constants import M_E, M_MU
from muonbsm.generator import phase_space as ps


def flat(rng: np.random.Generator, masses: list[float], n: int) -> tuple[list[np.ndarray], np.ndarray]:
    """Flat phase space of mu+ at rest (muonbsm.generator.phase_space): list of (n, 4) momenta, dPhi weights."""
    p, w = ps.flat_decay(M_MU, masses, n, rng)
    return [np.ascontiguousarray(p[:, i]) for i in range(len(masses))], w


def x_events(rng: np.random.Generator, m: float, n: int) -> tuple[list[np.ndarray], np.ndarray]:
    """mu+ -> e+ X(m) nu nubar, X -> e+ e- isotropic: [e+, e+_X, e-, nu, nubar] and dPhi4 dPhi2 weight."""
    (pe, px, pnu, pnb), w4 = flat(rng, [M_E, m, 0.0, 0.0], n)
    xp, xm = ps.two_body_decay(px, M_E, M_E, rng.uniform(-1, 1, n), rng.uniform(0, 2 * np.pi, n))
    return [pe, xp, xm, pnu, pnb], w4 * ps.two_body_weight(m, M_E, M_E)
