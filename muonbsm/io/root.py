"""ROOT TTree output through ``uproot``, readable by ROOT 6.

Layout of the tree ``events`` (one level of jaggedness):

* ``nparticles`` (int32): number of particles in the event;
* ``particles_px, particles_py, particles_pz, particles_E`` [GeV],
  ``particles_pdg``, ``particles_charge``, ``particles_status``, ``particles_mother``,
  ``particles_vx, particles_vy, particles_vz`` [mm]: arrays of length ``nparticles``;
* ``weight`` and every process-specific per-event scalar, one value per event.

The metadata (JSON) is a ``TObjString`` named ``metadata`` in the same file.
"""

from __future__ import annotations

import os
from typing import Any

import awkward as ak
import numpy as np
import uproot

from muonbsm.events import PARTICLE_FIELDS
from muonbsm.io import metadata as _meta

__all__ = ["RootWriter", "read_root", "read_root_metadata"]

_TREE = "events"


def _counter(name: str) -> str:
    return "n" + name


def _field(outer: str, inner: str) -> str:
    return f"{outer}_{inner}" if outer else inner


def _columns(events: ak.Array) -> dict[str, Any]:
    cols: dict[str, Any] = {"particles": events.particles[list(PARTICLE_FIELDS)]}
    for name in events.fields:
        if name != "particles":
            cols[name] = ak.to_numpy(events[name])
    return cols


class RootWriter:
    """Append event chunks to a TTree; the metadata string is written on :meth:`close`."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self._file = uproot.recreate(path)
        self._tree: uproot.WritableTree | None = None  # created by the first chunk

    def write(self, events: ak.Array) -> None:
        """Append one chunk of events (the event schema of :mod:`muonbsm.events`)."""
        if len(events) == 0:
            return
        cols = _columns(events)
        if self._tree is None:
            types = {k: (v.type.content if k == "particles" else v.dtype) for k, v in cols.items()}
            self._tree = self._file.mktree(_TREE, types, counter_name=_counter, field_name=_field)
        self._tree.extend(cols)

    def close(self, meta: dict[str, Any]) -> None:
        """Store ``meta`` as the ``metadata`` TObjString and close the file."""
        self._file["metadata"] = _meta.encode(meta)
        self._file.close()


def read_root_metadata(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The muonbsm metadata dict of a ROOT file (without reading the events)."""
    with uproot.open(path) as f:
        if "metadata" not in f:
            raise ValueError(f"{path}: not a muonbsm ROOT file (no 'metadata' string)")
        return _meta.decode(str(f["metadata"]))


def read_root(path: str | os.PathLike[str]) -> tuple[ak.Array, dict[str, Any]]:
    """Read a muonbsm ROOT file back into the event schema and its metadata dict."""
    from muonbsm.events import from_jagged

    with uproot.open(path) as f:
        meta = _meta.decode(str(f["metadata"]))
        if _TREE not in f:
            return from_jagged({k: np.zeros((0, 0)) for k in PARTICLE_FIELDS}, np.zeros(0)), meta
        arrays = f[_TREE].arrays(library="ak")
    particles = {k: arrays[f"particles_{k}"] for k in PARTICLE_FIELDS}
    scalars = {k: ak.to_numpy(arrays[k]) for k in arrays.fields if not k.startswith("particles_") and k != "nparticles"}
    weight = scalars.pop("weight")
    return from_jagged(particles, weight, **scalars), meta
