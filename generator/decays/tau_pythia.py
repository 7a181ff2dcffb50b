"""Optional Pythia 8 backend for tau decays (``pip install muonbsm[pythia]``, i.e. pythia8mc 8.317.2).

Each tau is put alone into an empty Pythia event record (``ProcessLevel:all = off``) with its
four-momentum and helicity (``Particle::pol``, read by Pythia's ``TauDecays`` with its
helicity-dependent matrix elements, Ilten, Nucl. Phys. Proc. Suppl. 253-255 (2014) 77), and
``Pythia::next()`` decays it; the final-state daughters are collected. pi0, K_S and K_L are
kept stable (``mayDecay = off``) unless ``decay_pi0`` is set, matching
:func:`muonbsm.generator.decays.tau.decay_taus`; eta, omega and other short-lived
resonances decay. The decay vertex is sampled as in the fast decayer (beta gamma c tau X).
This is a Python loop over taus (about 2e3 decays/s): use it for validation.

Mode codes are those of :mod:`muonbsm.generator.decays.tau`, matched on the final-state
content (exactly for the modes listed with K_S/K_L, with K_S/K_L counted as K0 for the modes
listed with K0); -1 for final states outside the table. ``mode=`` forces one mode's channels
(per-mode validation; the channel switches are reset on every call).
"""

from __future__ import annotations

from collections import Counter
from functools import lru_cache
from types import ModuleType
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from muonbsm.constants import CTAU_TAU_MM, M_TAU
from muonbsm.generator.decays import kinematics as kin
from muonbsm.events import charge_of
from muonbsm.generator.decays.records import DecayResult, make_daughters
from muonbsm.generator.decays.tau import MODES

__all__ = ["import_pythia", "decay_taus_pythia"]


def import_pythia() -> ModuleType:
    """Import the Pythia 8 Python module (``pythia8mc`` wheel, or a ``pythia8`` build)."""
    from muonbsm import extras

    return extras.pythia8()


@lru_cache(maxsize=2)
def _pythia(decay_pi0: bool) -> Any:
    pythia8 = import_pythia()
    py = pythia8.Pythia("", False)
    settings = ["ProcessLevel:all = off", "Print:quiet = on", "Random:setSeed = on", "310:mayDecay = off", "130:mayDecay = off"]
    settings.append(f"111:mayDecay = {'on' if decay_pi0 else 'off'}")
    for s in settings:
        py.readString(s)
    if not py.init():
        raise RuntimeError("Pythia 8 initialisation failed")
    return py


_SELF_CONJUGATE = (22, 111, 130, 310)


def _mode_key(ids: list[int], merge: bool = True) -> tuple:
    """Final-state content; ``merge``: K_S, K_L, K0, Kbar0 all as 311 (modes listed with K0)."""
    kaons = (130, 310, 311) if merge else (311,)
    return tuple(sorted(Counter(311 if abs(i) in kaons else i for i in ids).items()))


@lru_cache(maxsize=1)
def _mode_table() -> dict[tuple, int]:
    """Content -> mode code: exact for modes with explicit K_S/K_L, K0-merged for K0 modes."""
    table = {}
    for code, m in enumerate(MODES):
        explicit = any(abs(d) in (130, 310) for d in m.daughters)
        table[(explicit, _mode_key(list(m.daughters), merge=not explicit))] = code
    return table


def _lookup(ids: list[int]) -> int:
    table = _mode_table()
    return table.get((True, _mode_key(ids, merge=False)), table.get((False, _mode_key(ids)), -1))


def _force(py: Any, mode: int | None) -> None:
    """Switch Pythia's tau channels: all on (``mode`` None) or only those giving fast-decayer ``mode``."""
    entry = py.particleData.particleDataEntryPtr(15)
    target = None if mode is None else _mode_key(list(MODES[mode].daughters), merge=not any(abs(d) in (130, 310) for d in MODES[mode].daughters))
    matched = 0
    for i in range(entry.sizeChannels()):
        ch = entry.channel(i)
        products = [ch.product(k) for k in range(ch.multiplicity())]
        explicit = mode is not None and any(abs(d) in (130, 310) for d in MODES[mode].daughters)
        on = target is None or _mode_key(products, merge=not explicit) == target
        ch.onMode(1 if on else 0)
        matched += on
    if not matched:
        which = "any mode" if mode is None else f"mode {mode} ({MODES[mode].name})"
        raise ValueError(f"Pythia 8 has no tau channel for {which}")


def decay_taus_pythia(
    p_tau: ArrayLike,
    pdg: ArrayLike,
    rng: np.random.Generator,
    *,
    polarization: ArrayLike | None = None,
    production_vertex: ArrayLike | None = None,
    mother_index: ArrayLike | None = None,
    decay_pi0: bool = False,
    mode: int | None = None,
) -> DecayResult:
    """Decay taus ``p_tau`` ``(n, 4)`` (E, px, py, pz) [GeV], ids ``pdg`` (+-15) with Pythia 8.

    ``mode`` (a fast-decayer mode code) forces Pythia into the channels of its tau decay table
    with that final state (for per-mode validation); None: Pythia's own branching ratios.

    Same arguments and output as :func:`muonbsm.generator.decays.tau.decay_taus` (helicity
    ``polarization`` in [-1, 1], vertices [mm]); Pythia is seeded from ``rng``. With
    ``decay_pi0`` the photons are listed as final-state daughters of the tau (``mother_index``).
    """
    p_tau = np.asarray(p_tau, dtype=np.float64)
    pdg = np.asarray(pdg)
    if p_tau.ndim != 2 or p_tau.shape[1] != 4 or not np.all(np.isfinite(p_tau)):
        raise ValueError("p_tau must be a finite (n, 4) array of (E, px, py, pz) [GeV]")
    n = p_tau.shape[0]
    if pdg.shape != (n,) or not np.all(np.isin(pdg, (15, -15))):
        raise ValueError("pdg must be an (n,) array of 15 (tau-) or -15 (tau+)")
    pol = np.zeros(n) if polarization is None else np.asarray(polarization, dtype=np.float64)
    if pol.shape != (n,) or np.any(np.abs(pol) > 1.0):
        raise ValueError("polarization must be an (n,) array in [-1, 1]")
    m_in = kin.invariant_mass(p_tau)
    if np.any(p_tau[:, 0] <= 0) or np.any(np.abs(m_in - M_TAU) > 1e-4 * M_TAU):
        raise ValueError("p_tau must have E > 0 and invariant mass M_TAU within 1e-4 (E >= M_TAU)")
    mother = np.zeros(n, dtype=np.int64) if mother_index is None else np.broadcast_to(np.asarray(mother_index), (n,))
    py = _pythia(decay_pi0)
    py.rndm.init(int(rng.integers(1, 900_000_000)))
    _force(py, mode)
    event = py.event
    moms: list[list[float]] = []
    ids: list[int] = []
    counts = np.zeros(n, dtype=np.int64)
    modes = np.full(n, -1, dtype=np.int64)
    for i in range(n):  # Pythia decays one tau per call
        e, px, py_, pz = p_tau[i]
        event.reset()
        event.append(int(pdg[i]), 1, 0, 0, px, py_, pz, float(np.sqrt(px * px + py_ * py_ + pz * pz + M_TAU**2)), M_TAU)
        event[1].pol(float(pol[i]))
        if not py.next():
            raise RuntimeError("Pythia failed to decay a tau")
        fs = [event[j] for j in range(2, event.size()) if event[j].isFinal()]
        ids.extend(int(p.id()) for p in fs)
        moms.extend([p.e(), p.px(), p.py(), p.pz()] for p in fs)
        counts[i] = len(fs)
        modes[i] = _lookup([int(p.id()) if pdg[i] == 15 or p.id() in _SELF_CONJUGATE else -int(p.id()) for p in fs])
    flat_pdg = np.array(ids, dtype=np.int64)
    pabs = np.linalg.norm(p_tau[:, 1:], axis=1)
    parent = np.column_stack([np.sqrt(pabs**2 + M_TAU**2), p_tau[:, 1:]])
    vertices, _ = kin.decay_vertices(parent, CTAU_TAU_MM, rng, None if production_vertex is None else np.asarray(production_vertex))
    daughters = make_daughters(counts, np.array(moms, dtype=np.float64).reshape(-1, 4), flat_pdg, vertices, np.repeat(mother, counts))
    charged = charge_of(flat_pdg) != 0
    n_charged = np.add.reduceat(charged.astype(np.int64), np.concatenate([[0], np.cumsum(counts)[:-1]])) if n else np.zeros(0, np.int64)
    return DecayResult(daughters, vertices, modes, n_charged)
