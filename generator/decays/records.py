"""Decay output in the event schema of :mod:`muonbsm.events`, shared by every decayer.

A decayer returns a :class:`DecayResult`: the daughters as a jagged awkward array with one
list of particle records (``px, py, pz, E`` [GeV], ``pdg``, ``charge`` [e], ``status``,
``mother``, ``vx, vy, vz`` [mm]) per parent, ready for :func:`muonbsm.events.append_particles`,
plus per-parent arrays: decay vertex [mm], decay-mode code and number of charged prongs.

>>> import numpy as np
>>> mom = np.array([[1.0, 0.0, 0.0, 1.0], [1.0, 0.0, 0.0, -1.0]])
>>> d = make_daughters(np.array([2]), mom, np.array([22, 22]), np.zeros((1, 3)), np.array([3, 3]))
>>> d.pdg.tolist(), d.mother.tolist()
([[22, 22]], [[3, 3]])
"""

from __future__ import annotations

from dataclasses import dataclass

import awkward as ak
import numpy as np
from numpy.typing import NDArray

from muonbsm.events import PARTICLE_FIELDS, STATUS_FINAL, charge_of

__all__ = ["DecayResult", "make_daughters"]


@dataclass(frozen=True)
class DecayResult:
    """Output of a decayer for ``n`` parents.

    Attributes
    ----------
    daughters
        Jagged awkward array (``Momentum4D`` records, fields of the event schema), one list
        per parent, momenta [GeV] and production vertices [mm].
    vertices
        Decay vertices ``(n, 3)`` [mm].
    mode
        Decay-mode code ``(n,)`` (table in the decayer's module docstring).
    n_charged
        Number of charged final-state daughters ``(n,)`` (the prong count).
    polarization
        Longitudinal polarisation ``(n,)`` each parent was decayed with (helicity along its
        flight direction in the frame of the input momenta), or None for spinless parents.
    """

    daughters: ak.Array
    vertices: NDArray[np.float64]
    mode: NDArray[np.int64]
    n_charged: NDArray[np.int64]
    polarization: NDArray[np.float64] | None = None


def make_daughters(
    counts: NDArray[np.integer],
    momenta: NDArray[np.float64],
    pdg: NDArray[np.integer],
    vertices: NDArray[np.float64],
    mother: NDArray[np.integer],
    status: NDArray[np.integer] | None = None,
) -> ak.Array:
    """Jagged daughter records from flat arrays ordered parent by parent.

    ``counts`` ``(n,)`` daughters per parent; ``momenta`` ``(N, 4)`` (E, px, py, pz) [GeV];
    ``pdg`` ``(N,)``; ``vertices`` ``(n, 3)`` [mm], the production vertex of every daughter of
    a parent; ``mother`` ``(N,)`` mother index of each daughter in the event list; ``status``
    ``(N,)`` defaults to 1 (final state).
    """
    counts = np.asarray(counts, dtype=np.int64)
    n_tot = int(counts.sum())
    if momenta.shape != (n_tot, 4) or np.shape(pdg) != (n_tot,) or np.shape(mother) != (n_tot,):
        raise ValueError("momenta, pdg and mother must have sum(counts) rows")
    vtx = np.repeat(np.asarray(vertices, dtype=np.float64), counts, axis=0)
    pdg = np.asarray(pdg, dtype=np.int32)
    fields = {
        "px": momenta[:, 1],
        "py": momenta[:, 2],
        "pz": momenta[:, 3],
        "E": momenta[:, 0],
        "pdg": pdg,
        "charge": charge_of(pdg),
        "status": (np.full(n_tot, STATUS_FINAL) if status is None else np.asarray(status)).astype(np.int8),
        "mother": np.asarray(mother).astype(np.int16),
        "vx": vtx[:, 0].astype(np.float32),
        "vy": vtx[:, 1].astype(np.float32),
        "vz": vtx[:, 2].astype(np.float32),
    }
    content = ak.zip({k: ak.from_numpy(np.ascontiguousarray(fields[k])) for k in PARTICLE_FIELDS}, with_name="Momentum4D")
    return ak.unflatten(content, counts)
