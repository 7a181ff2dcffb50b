"""The one event record shared by every process.

An event sample is an :class:`awkward.Array` of records with

* ``particles``: a variable-length list per event of ``Momentum4D`` records (``vector``
  behaviour) with fields ``px, py, pz, E`` [GeV], ``pdg`` (PDG id), ``charge`` [e],
  ``status`` (1 final state, 2 decayed, 4 incoming beam/target), ``mother`` (index of the
  mother in the same list, -1 for none), ``vx, vy, vz`` [mm] (production vertex);
* ``weight``: the event weight in the unit of the sample (a branching ratio for decays,
  pb for cross sections), so that ``sum(weight)`` is the fiducial rate;
* any process-specific per-event scalars (``polarization_x``, ``beam_energy``, ``t`` ...).

>>> import numpy as np
>>> p = {"px": np.zeros((2, 1)), "py": np.zeros((2, 1)), "pz": np.ones((2, 1)),
...      "E": np.full((2, 1), 2.0), "pdg": np.full((2, 1), 11)}
>>> ev = from_arrays(p, weight=np.array([0.5, 0.5]))
>>> [round(float(m), 4) for m in ev.particles.mass[:, 0]]
[1.7321, 1.7321]
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

import awkward as ak
import numpy as np
import vector
from numpy.typing import NDArray
from particle import Particle
from particle import ParticleNotFound

from muonbsm.constants import PDG_IDS

vector.register_awkward()

__all__ = [
    "PARTICLE_FIELDS",
    "STATUS_FINAL",
    "STATUS_DECAYED",
    "STATUS_INCOMING",
    "NEUTRAL_BSM_IDS",
    "charge_of",
    "from_arrays",
    "from_jagged",
    "append_particles",
    "four_momenta",
]

#: Fields of each particle record, in storage order.
PARTICLE_FIELDS: tuple[str, ...] = ("px", "py", "pz", "E", "pdg", "charge", "status", "mother", "vx", "vy", "vz")
STATUS_FINAL = 1
STATUS_DECAYED = 2
STATUS_INCOMING = 4

_INT_FIELDS = {"pdg": np.int32, "status": np.int8, "mother": np.int16}


#: Neutral BSM ids without PDG-table entries that muonbsm writes (absolute values): the X, the
#: ALP and the dark fermion chi, from :data:`muonbsm.constants.PDG_IDS`.
NEUTRAL_BSM_IDS = frozenset(PDG_IDS.values())


@lru_cache(maxsize=None)
def _charge(code: int) -> float:
    if abs(code) in NEUTRAL_BSM_IDS:
        return 0.0
    if abs(code) >= 1_000_000_000:  # nucleus 100ZZZAAAI
        return float((abs(code) // 10_000) % 1000) * (1 if code > 0 else -1)
    try:
        charge = Particle.from_pdgid(code).charge
    except ParticleNotFound:
        charge = None
    if charge is None:
        raise ValueError(f"PDG id {code} is not in the PDG tables and not a muonbsm BSM id "
                         f"({sorted(NEUTRAL_BSM_IDS)}); give its charge explicitly") from None
    return float(charge)


def charge_of(pdg: NDArray[np.integer]) -> NDArray[np.float32]:
    """Electric charge in units of e for an array of PDG ids: PDG tables (:mod:`particle`),
    nuclear codes 100ZZZAAAI (charge Z) and the neutral BSM ids of :data:`NEUTRAL_BSM_IDS`."""
    pdg = np.asarray(pdg)
    if pdg.ndim == 2 and pdg.shape[0] > 1 and pdg.strides[0] == 0:  # one row broadcast over events
        return np.broadcast_to(charge_of(pdg[:1]), pdg.shape)
    codes, inverse = np.unique(pdg, return_inverse=True)
    table = np.array([_charge(int(c)) for c in codes], dtype=np.float32)
    return table[inverse].reshape(pdg.shape)


def _complete(particles: Mapping[str, NDArray]) -> dict[str, NDArray]:
    """Fill defaults for missing particle fields of regular ``(n_events, n_particles)`` arrays."""
    shape = np.shape(particles["E"])
    out: dict[str, NDArray] = {}
    for name in PARTICLE_FIELDS:
        if name in particles:
            value = np.asarray(particles[name])
        elif name == "charge":
            value = charge_of(particles["pdg"])
        elif name == "status":
            value = np.full(shape, STATUS_FINAL)
        elif name == "mother":
            value = np.full(shape, -1)
        else:
            value = np.zeros(shape)
        out[name] = value.astype(_INT_FIELDS.get(name, np.float64 if name in "px py pz E".split() else np.float32))
    return out


def from_arrays(
    particles: Mapping[str, NDArray],
    weight: NDArray[np.float64],
    **scalars: NDArray,
) -> ak.Array:
    """Build an event sample from regular arrays.

    Parameters
    ----------
    particles
        Mapping of particle field name to an array of shape ``(n_events, n_particles)``;
        ``px, py, pz, E`` [GeV] and ``pdg`` are required, ``charge`` defaults to the PDG
        charge, ``status`` to 1, ``mother`` to -1 and the vertex ``vx, vy, vz`` [mm] to 0.
    weight
        Event weights, shape ``(n_events,)``, in the unit of the sample (BR or pb).
    scalars
        Further per-event arrays of shape ``(n_events,)``.
    """
    full = _complete(particles)
    n_events, n_part = np.shape(full["E"])
    # the layout is built directly (no unflatten/zip passes): the same array as from_jagged gives
    offsets = ak.index.Index64(np.arange(0, (n_events + 1) * n_part, n_part, dtype=np.int64))
    content = ak.contents.RecordArray([ak.contents.NumpyArray(full[k].reshape(-1)) for k in PARTICLE_FIELDS],
                                      list(PARTICLE_FIELDS), parameters={"__record__": "Momentum4D"})
    names, columns = ["particles", "weight"], [ak.contents.ListOffsetArray(offsets, content),
                                               ak.contents.NumpyArray(np.asarray(weight, dtype=np.float64))]
    for k, v in scalars.items():
        names.append(k)
        columns.append(ak.contents.NumpyArray(np.ascontiguousarray(v)))
    return ak.Array(ak.contents.RecordArray(columns, names, length=n_events))


def from_jagged(particles: Mapping[str, ak.Array], weight: NDArray[np.float64], **scalars: NDArray) -> ak.Array:
    """Build an event sample from jagged per-event particle fields (all of ``PARTICLE_FIELDS``).

    This is the inverse of splitting ``events.particles`` into its fields, as the file readers do.
    """
    content = ak.zip({k: particles[k] for k in PARTICLE_FIELDS}, with_name="Momentum4D")
    fields = {"particles": content, "weight": np.asarray(weight, dtype=np.float64)}
    for k, v in scalars.items():
        fields[k] = np.asarray(v)
    return ak.zip(fields, depth_limit=1)


def append_particles(events: ak.Array, new: ak.Array) -> ak.Array:
    """Append a jagged list of particle records ``new`` (same fields) to each event's list.

    ``new`` must have one (possibly empty) list per event; mother indices in ``new`` refer
    to positions in the concatenated list.
    """
    merged = ak.concatenate([events.particles, new[list(PARTICLE_FIELDS)]], axis=1)
    merged = ak.with_name(merged, "Momentum4D")
    return ak.with_field(events, merged, "particles")


def four_momenta(events: ak.Array, index: int) -> NDArray[np.float64]:
    """Four-momenta ``(E, px, py, pz)`` of particle ``index`` of every event as an ``(n, 4)`` array."""
    p = events.particles[:, index]
    return np.stack([ak.to_numpy(p[f]) for f in ("E", "px", "py", "pz")], axis=-1)
