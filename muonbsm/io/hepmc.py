"""HepMC3 ASCII files (``.hepmc``, ``.hepmc3``) through ``pyhepmc``.

Format: HepMC3 (A. Buckley et al., Comput. Phys. Commun. 260 (2021) 107310, arXiv:1912.08005),
units GeV and mm. Each muonbsm event becomes a ``GenEvent`` with the muonbsm statuses (HepMC
status 4 beam, 1 final, 2 decayed are the muonbsm codes). Particles are written in
topological order, as the HepMC3 ASCII reader needs (a particle line may only name a parent
already read): the incoming particles first, then generation by generation (the X of a Mu3e
signal before its e+ e-, a tau before its decay products), keeping the muonbsm order within a
generation. The vertex graph is built from the mother indices with ``GenEvent.from_hepevt``:
a particle with mother ``m`` comes out of the end vertex of particle ``m``; a non-incoming
particle without mother comes out of the primary vertex, whose incoming particles are the
incoming (status 4) particles; vertex positions are the production vertices ``vx, vy, vz``
[mm] of the outgoing particles (``t = 0``). The single event weight (name ``weight``) is the
muonbsm weight (pb, or a branching ratio for decay samples). Every event carries the sample's
``GenCrossSection``: the rate +- error of :func:`muonbsm.io.metadata.file_rate` (17 digits),
accepted events = the events in the file, attempted = the run's trials (-1 if unknown).

String attributes, so that floats keep all 17 digits (HepMC3 prints double attributes with 15):

* per event, each process scalar (``polarization_x`` ...) and ``muonbsm``: per particle in
  file order ``index mother charge vx vy vz`` (the muonbsm index and mother, so that the
  muonbsm order is restored on reading, and what the graph cannot always carry: beam and root
  particles have no production vertex, a single-parent vertex cannot tell "no mother" from
  "mother");
* run info ``muonbsm_metadata`` (the metadata JSON), ``muonbsm_scalars`` (``name:dtype``) and
  ``muonbsm_n_events`` (the number of events written: :func:`read_hepmc` raises
  :class:`~muonbsm.errors.IntegrityError` if the file yields fewer).

Design (bounded memory): the metadata is only known at :meth:`HepMCWriter.close` but the run
info comes first in the file; events are therefore written to an anonymous temporary file in
the output directory, and ``close`` writes the header with the full run info to ``path`` and
copies the event blocks after it, replacing a provisional cross section by the final one.
"""

from __future__ import annotations

import io
import os
import re
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import awkward as ak
import numpy as np
from numpy.typing import NDArray

from muonbsm.errors import IntegrityError
from muonbsm.events import PARTICLE_FIELDS, STATUS_INCOMING, charge_of, from_jagged
from muonbsm.io import metadata as _meta

if TYPE_CHECKING:
    import pyhepmc

__all__ = ["HepMCWriter", "read_hepmc"]

_META_ATTR = "muonbsm_metadata"
_SCALARS_ATTR = "muonbsm_scalars"
_COUNT_ATTR = "muonbsm_n_events"
_XSEC_LINE = b"A 0 GenCrossSection "
_EXTRA_COLUMNS = 6
_EXTRA_ATTR = "muonbsm"
_WEIGHT_NAME = "weight"
_FOOTER = b"HepMC::Asciiv3-END_EVENT_LISTING"
_FROM_RECORD = ("px", "py", "pz", "E", "pdg", "status")
_DTYPES = {"pdg": np.int32, "status": np.int8, "mother": np.int16, "charge": np.float32,
           "vx": np.float32, "vy": np.float32, "vz": np.float32}


def _pyhepmc() -> Any:
    """The ``pyhepmc`` module (an optional dependency, imported on first use)."""
    from muonbsm import extras

    return extras.pyhepmc()


def _run_info(attributes: dict[str, str]) -> pyhepmc.GenRunInfo:
    pyhepmc = _pyhepmc()
    run = pyhepmc.GenRunInfo()
    run.weight_names = [_WEIGHT_NAME]
    tool = pyhepmc.GenRunInfo.ToolInfo("muonbsm", _meta.package_versions()["muonbsm"], "muonbsm event record")
    run.tools = [tool]
    for key, value in attributes.items():
        run.attributes[key] = value
    return run


def _parents(status: NDArray, mother: NDArray, counts: NDArray[np.int64]) -> NDArray[np.int64]:
    """HEPEVT parent ranges ``(first, last)`` (0-based, inclusive; ``(-1, -1)`` none) of a chunk."""
    n_ev = len(counts)
    event_of = np.repeat(np.arange(n_ev), counts)
    offsets = np.concatenate([[0], np.cumsum(counts)])[:-1]
    local = np.arange(len(status)) - offsets[event_of]
    incoming = status == STATUS_INCOMING
    big = np.iinfo(np.int64).max
    first = np.full(n_ev, big)
    np.minimum.at(first, event_of[incoming], local[incoming])
    last = np.full(n_ev, -1)
    np.maximum.at(last, event_of[incoming], local[incoming])
    n_in = np.bincount(event_of[incoming], minlength=n_ev)
    has_in = n_in > 0
    first = np.where(has_in, first, -1)
    last = np.where(has_in & (n_in == last - first + 1), last, first)
    primary = (mother < 0) & ~incoming
    out = np.stack([mother, mother], axis=-1).astype(np.int64)
    out[primary] = np.stack([first[event_of], last[event_of]], axis=-1)[primary]
    out[incoming] = -1
    return out


def _file_order(status: NDArray, mother: NDArray[np.int64], counts: NDArray[np.int64]
                ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Topological particle order of a chunk: ``(order, mother_in_file)``, where ``order`` lists
    the flat indices in file order (per event: incoming particles, then by generation, stable)
    and ``mother_in_file`` (in file order) the within-event file index of each mother, -1 none."""
    n_ev, n_tot = len(counts), int(counts.sum())
    event_of = np.repeat(np.arange(n_ev), counts)
    offsets = np.concatenate([[0], np.cumsum(counts)])[:-1]
    local = np.arange(n_tot) - offsets[event_of]
    has_mother = mother >= 0
    if np.any(mother >= counts[event_of]):
        raise ValueError("events: a mother index points past the end of its event")
    flat_mother = np.where(has_mother, offsets[event_of] + mother, 0)
    depth = np.zeros(n_tot, dtype=np.int64)
    for _ in range(int(counts.max(initial=0)) + 1):
        new = np.where(has_mother, depth[flat_mother] + 1, 0)
        if np.array_equal(new, depth):
            break
        depth = new
    else:
        raise ValueError("events: the mother indices form a cycle")
    rank = np.where(status == STATUS_INCOMING, 0, depth + 1)
    order = np.lexsort((local, rank, event_of))
    position = np.empty(n_tot, dtype=np.int64)
    position[order] = local  # events stay contiguous: the k-th in file order is the k-th within its event
    mother_in_file = np.where(has_mother, position[flat_mother], -1)[order]
    return order, mother_in_file


class HepMCWriter:
    """Stream event chunks into a HepMC3 ASCII file; the run info (with the metadata) is
    written on :meth:`close` (events are staged in an anonymous temporary file)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        pyhepmc = _pyhepmc()
        self._path = Path(path)
        self._tmp = tempfile.TemporaryFile(dir=self._path.parent)
        self._ios = pyhepmc.io.pyiostream(self._tmp)
        self._run = _run_info({})
        self._writer: Any = pyhepmc.io.WriterAscii(self._ios, self._run)  # None once closed
        self._scalars: dict[str, np.dtype] | None = None
        self._n = 0
        self._sum_w = self._sum_w2 = 0.0
        self._provisional = pyhepmc.GenCrossSection()
        self._provisional.set_cross_section(-1.0, -1.0, -1, -1)

    def write(self, events: ak.Array) -> None:
        """Append one chunk of events (the event schema of :mod:`muonbsm.events`)."""
        if len(events) == 0:
            return
        if self._writer is None:
            raise ValueError("HepMCWriter.write: the writer is closed")
        scalars = {k: ak.to_numpy(events[k]).dtype for k in events.fields if k not in ("particles", "weight")}
        if self._scalars is None:
            self._scalars = scalars
        elif scalars != self._scalars:
            raise ValueError(f"events: per-event scalars {scalars} differ from the first chunk's {self._scalars}")
        pyhepmc = _pyhepmc()
        parts = events.particles
        counts = ak.to_numpy(ak.num(parts)).astype(np.int64)
        raw = {k: ak.to_numpy(ak.flatten(parts[k])) for k in PARTICLE_FIELDS}
        order, mother_in_file = _file_order(raw["status"], raw["mother"].astype(np.int64), counts)
        f = {k: v[order] for k, v in raw.items()}
        index = (np.arange(len(order)) - np.repeat(np.cumsum(counts) - counts, counts))[order]
        mom = np.stack([f["px"], f["py"], f["pz"]], axis=-1)
        mass = np.sqrt(np.maximum(f["E"] ** 2 - np.sum(mom**2, axis=-1), 0.0))
        parents = _parents(f["status"], mother_in_file, counts)
        pid, status = f["pdg"].astype(np.int32), f["status"].astype(np.int32)
        vtx = [f[k].astype(np.float64) for k in ("vx", "vy", "vz")]
        extra = list(map("%d %d %.9e %.9e %.9e %.9e".__mod__, zip(
            index.tolist(), f["mother"].tolist(),
            *(f[k].astype(np.float64).tolist() for k in ("charge", "vx", "vy", "vz")))))
        texts = {k: list(map(("%.17g" if d.kind == "f" else "%d").__mod__,
                             ak.to_numpy(events[k]).astype(np.float64 if d.kind == "f" else np.int64).tolist()))
                 for k, d in scalars.items()}
        weights = ak.to_numpy(events.weight).astype(np.float64).tolist()
        bounds = np.concatenate([[0], np.cumsum(counts)]).tolist()
        zeros = np.zeros(int(counts.max()))
        for i, w in enumerate(weights):
            a, b = bounds[i], bounds[i + 1]
            event = pyhepmc.GenEvent(pyhepmc.Units.GEV, pyhepmc.Units.MM)
            event.from_hepevt(self._n + i, f["px"][a:b], f["py"][a:b], f["pz"][a:b], f["E"][a:b], mass[a:b],
                              pid[a:b], status[a:b], parents=parents[a:b], vx=vtx[0][a:b], vy=vtx[1][a:b],
                              vz=vtx[2][a:b], vt=zeros[: b - a], fortran=False)
            event.run_info = self._run
            event.weights = [w]
            event.cross_section = self._provisional
            event.attributes[_EXTRA_ATTR] = " ".join(extra[a:b])
            for k, values in texts.items():
                event.attributes[k] = values[i]
            self._writer.write_event(event)
        self._n += len(weights)
        w = np.asarray(weights)
        self._sum_w += float(w.sum())
        self._sum_w2 += float((w**2).sum())

    def close(self, meta: dict[str, Any]) -> None:
        """Write the header with ``meta`` in the run info, then the staged events, and close."""
        # A stream-based WriterAscii writes its footer when destroyed (and again on every
        # close()), so the writers are released, not closed.
        self._writer = None
        self._ios.flush()
        spec = " ".join(f"{k}:{d.name}" for k, d in (self._scalars or {}).items())
        pyhepmc = _pyhepmc()
        head = io.BytesIO()
        head_ios = pyhepmc.io.pyiostream(head)
        pyhepmc.io.WriterAscii(head_ios, _run_info({_META_ATTR: _meta.encode(meta), _SCALARS_ATTR: spec,
                                                    _COUNT_ATTR: str(self._n)}))
        head_ios.flush()
        header = head.getvalue()
        header = header[: header.index(_FOOTER)]
        size = self._tmp.seek(0, os.SEEK_END)
        self._tmp.seek(max(size - 256, 0))
        tail = self._tmp.read()
        end = size - len(tail) + tail.rindex(_FOOTER)
        self._tmp.seek(0)
        start = (b"\n" + self._tmp.read(min(end, 1 << 16))).find(b"\nE ")
        start = end if start < 0 else start
        self._tmp.seek(start)
        rate, error = _meta.file_rate(meta, self._sum_w, self._sum_w2)
        trials = meta.get("n_trials", -1)
        provisional = _XSEC_LINE + self._provisional.to_string().encode() + b"\n"
        final = _XSEC_LINE + f"{rate:.17e} {error:.17e} {self._n} {trials}\n".encode()
        with open(self._path, "wb") as out:
            out.write(header)
            remaining = end - start
            while remaining > 0:
                block = self._tmp.read(min(remaining, 1 << 20))
                if len(block) < remaining:
                    block += self._tmp.readline()  # whole lines, so no provisional is split
                out.write(block.replace(provisional, final))
                remaining -= len(block)
            out.write(_FOOTER + b"\n\n")
        self._tmp.close()


def _unescape(text: str) -> str:
    """Undo HepMC3's string-attribute escaping (``\\|`` for a newline, ``\\x`` for ``x``)."""
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "|" else m.group(1), text)


def _text(value: Any) -> str:
    """A string attribute as read back (``pyhepmc`` returns it unparsed)."""
    return value if isinstance(value, str) else value.astype(str)


def _run_attributes(path: Path) -> dict[str, str]:
    """Run-info attributes: the ``A name value`` lines before the first event."""
    out: dict[str, str] = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("E "):
                break
            if line.startswith("A "):
                name, _, value = line[2:].rstrip("\n").partition(" ")
                out[name] = _unescape(value)
    return out


def read_hepmc(path: str | os.PathLike[str]) -> tuple[ak.Array, dict[str, Any]]:
    """Read a HepMC3 ASCII file into the muonbsm event schema and its metadata dict.

    Files written by :class:`HepMCWriter` are restored exactly (particles in the muonbsm order);
    :class:`~muonbsm.errors.IntegrityError` if such a file yields fewer events than its run info
    declares or has no end-of-listing line (truncated or corrupt). For other HepMC3 files the mother is the single parent (-1
    for none or several), the vertex the production vertex position [mm] (0 without one), the
    charge that of the PDG id, the weight the first one, and the metadata the last event's
    ``GenCrossSection`` as ``rate`` +- ``rate_error`` (``rate_unit`` "pb"; ``{}`` without one).
    Momenta in GeV (files in MeV are converted).
    """
    pyhepmc = _pyhepmc()
    with open(path, "rb") as f:
        f.seek(max(f.seek(0, os.SEEK_END) - 256, 0))
        if _FOOTER not in f.read():
            raise IntegrityError(f"{path}: truncated HepMC3 file (no {_FOOTER.decode()} line)")
    run = _run_attributes(Path(path))
    meta = _meta.decode(run[_META_ATTR]) if _META_ATTR in run else {}
    scalar_types = {n: np.dtype(d) for n, d in (s.split(":") for s in run.get(_SCALARS_ATTR, "").split())}
    cols: dict[str, list[NDArray]] = {k: [] for k in _FROM_RECORD}
    counts, weights, extras = [], [], []
    scalars: dict[str, list[str]] = {k: [] for k in scalar_types}
    with pyhepmc.open(path) as f:
        for event in f:
            event.set_units(pyhepmc.Units.GEV, pyhepmc.Units.MM)
            p = event.numpy.particles
            for k, src in zip(_FROM_RECORD, (p.px, p.py, p.pz, p.e, p.pid, p.status)):
                cols[k].append(np.asarray(src))
            counts.append(len(p.pid))
            weights.append(event.weights[0] if len(event.weights) else 1.0)
            attrs = event.attributes
            if _EXTRA_ATTR in attrs:
                extras.append(_text(attrs[_EXTRA_ATTR]))
                for k in scalar_types:
                    scalars[k].append(_text(attrs[k]))
            else:
                extras.append(_graph_extras(event))
            if _META_ATTR not in run and event.cross_section is not None:  # foreign: the last estimate
                xsec = event.cross_section
                meta = {"rate": float(xsec.xsec()), "rate_error": float(xsec.xsec_err()), "rate_unit": "pb"}
    declared = int(run.get(_COUNT_ATTR, -1))
    if len(counts) < declared:
        raise IntegrityError(f"{path}: {len(counts)} of the {declared} events its run info declares could be "
                             "read (truncated or corrupt file)")
    n_counts = np.asarray(counts, dtype=np.int64)
    flat = {k: (np.concatenate(v) if v else np.zeros(0)) for k, v in cols.items()}
    table = np.array(" ".join(extras).split(), dtype=np.float64).reshape(-1, _EXTRA_COLUMNS)
    start = np.repeat(np.cumsum(n_counts) - n_counts, n_counts)
    target = start + table[:, 0].astype(np.int64)
    for k in _FROM_RECORD:
        flat[k] = _restore(flat[k], target)
    for i, k in enumerate(("mother", "charge", "vx", "vy", "vz")):
        flat[k] = _restore(table[:, i + 1], target)
    if np.isnan(flat["charge"]).any():
        flat["charge"] = np.where(np.isnan(flat["charge"]), charge_of(flat["pdg"].astype(np.int64)), flat["charge"])
    jagged = {k: ak.unflatten(flat[k].astype(_DTYPES.get(k, np.float64)), n_counts) for k in PARTICLE_FIELDS}
    values = {k: np.array(scalars[k], dtype=str).astype(np.float64 if d.kind == "f" else np.int64).astype(d)
              for k, d in scalar_types.items() if len(scalars[k]) == len(counts)}
    return from_jagged(jagged, np.asarray(weights, dtype=np.float64), **values), meta


def _restore(values: NDArray, target: NDArray[np.int64]) -> NDArray:
    """``values`` (file order) moved to their muonbsm positions ``target``."""
    out = np.empty_like(values)
    out[target] = values
    return out


def _graph_extras(event: pyhepmc.GenEvent) -> str:
    """``index mother charge vx vy vz`` per particle of a foreign event, from its vertex graph
    (index: the file order; charge NaN: filled from the PDG id by the caller)."""
    index = {particle.id: i for i, particle in enumerate(event.particles)}
    rows = []
    for particle in event.particles:
        vertex = particle.production_vertex
        parents = [] if vertex is None else list(vertex.particles_in)
        mother = index[parents[0].id] if len(parents) == 1 else -1
        pos = (0.0, 0.0, 0.0) if vertex is None else (vertex.position.x, vertex.position.y, vertex.position.z)
        rows.append(f"{index[particle.id]} {mother} nan {pos[0]!r} {pos[1]!r} {pos[2]!r}")
    return " ".join(rows)
