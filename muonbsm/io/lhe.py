"""Les Houches Event files (``.lhe``, ``.lhe.gz``) readable by Pythia 8 and ``pylhe``.

Format: the Les Houches Event File accord, J. Alwall et al., Comput. Phys. Commun. 176 (2007)
300, hep-ph/0609017 (LHEF 3.0: arXiv:1405.1067). One ``<event>`` block per muonbsm event:

* event line ``NUP IDPRUP XWGTUP SCALUP AQEDUP AQCDUP`` with ``IDPRUP = 1``, ``XWGTUP`` = the
  muonbsm event weight (pb for cross sections; for decay samples the branching-ratio weight,
  dimensionless, so that the ``<init>`` "cross section" ``XSECUP`` is the fiducial branching
  ratio: the metadata ``unit`` says which), ``SCALUP`` = invariant mass of the incoming
  particles [GeV] (0 if none), ``AQEDUP = 1/137.036``, ``AQCDUP = -1`` (not used);
* one line per particle ``IDUP ISTUP MOTHUP1 MOTHUP2 ICOLUP1 ICOLUP2 PUP1..5 VTIMUP SPINUP``:
  status 4 (incoming) -> -1, 1 -> 1, 2 (decayed) -> 2; a particle with muonbsm mother ``m``
  has ``MOTHUP = (m+1, 0)``; a non-incoming particle without mother points to the incoming
  particles (``(1, 2)`` for a 2 -> n scattering, ``(1, 0)`` for a decay); colours 0;
  ``PUP5`` = sqrt(max(E^2 - p^2, 0)); ``VTIMUP`` = proper decay length c tau = m |x_decay -
  x_prod| / |p| [mm] of decayed particles (decay vertex = production vertex of a daughter),
  else 0; ``SPINUP = 9`` (unknown);
* after the particle lines a ``<muonbsm s1="..." ...>`` tag holding the per-event scalars
  (``polarization_x``, ``t`` ...) and one line per particle ``mother charge vx vy vz`` (the
  exact muonbsm mother index, the charge [e], the production vertex [mm]), closed by
  ``</muonbsm>``. LHEF readers ignore unknown tags; :func:`read_lhe` uses it to restore the
  record exactly.

``<init>``: beams = the incoming particles of the first event (PDG id and energy [GeV]:
``(13, 1000822080)`` with energies ``(E_mu, M_Pb)`` for a muon on a lead target at rest, or
``(13, 0)`` with ``(m_mu, 0)`` for a decay at rest, ``(0, 0)`` without incoming particles);
``IDWTUP = 3`` if all weights are equal, else ``+4`` (``-4`` with negative weights); ``XSECUP``,
``XERRUP`` = the sample's rate and its error, :func:`muonbsm.io.metadata.file_rate` (metadata
``rate``, ``rate_error``; without them sum(w), sqrt(sum(w^2))); ``XMAXUP`` = max |w|. The
header holds the metadata JSON (``<muonbsm_metadata>``, with ``<``, ``>``, ``&`` written as
JSON ``\\u`` escapes so that it is plain XML text), the names and dtypes of the scalars
(``<muonbsm_scalars>``) and the number of events written (``<muonbsm_n_events>``):
:func:`read_lhe` raises :class:`~muonbsm.errors.IntegrityError` if the file yields fewer, or
if it ends before ``</LesHouchesEvents>``.

Design (bounded memory): the metadata and the init block are known only at :meth:`close`, but
come first in the file; :class:`LheWriter` therefore formats each chunk and appends it to an
anonymous temporary file in the output directory, and :meth:`LheWriter.close` writes header
and init to ``path`` and copies the events after them in blocks. Floats are printed with 17
significant digits (float32 fields with 10), so :func:`read_lhe` restores them bit for bit.
A ``.gz`` suffix writes gzip with mtime 0 (the same events give the same bytes).

Pythia 8 (8.317) reads files with two incoming particles, e.g. mu- on 208Pb, with
``Beams:frameType = 4``, ``Check:beams = off`` (a lepton-nucleus pair), ``LesHouches:matchInOut =
off`` (the nucleus is no parton), ``PartonLevel:ISR/FSR/MPI/Remnants = off`` and
non-PDG ids declared with ``id:new`` (muonbsm's BSM codes 52-55 are Pythia particles); it then
decays the taus (tests/core/test_io_lhe.py, tests/interop/test_chain.py). The nucleus is the
target's isotope with that isotope's mass (:mod:`muonbsm.targets`): 208Pb works as is (Pythia
ships the EPS09 grid of A = 208); 184W needs ``1000741840:new = 184W 184Wbar 1 222 0 171.3492``
and ``PDF:nPDFSetB = 0`` (isospin-only nuclear PDF: Pythia 8.317 ships no EPS09 grid for A =
184). Pythia cannot set up a beam with id 0, so decay-at-rest files (one incoming particle) are
valid LHEF for ``pylhe`` and :func:`read_lhe` but not Pythia input.
"""

from __future__ import annotations

import gzip
import io
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import IO, Any

import awkward as ak
import numpy as np
from numpy.typing import NDArray

from muonbsm.constants import ALPHA
from muonbsm.errors import IntegrityError
from muonbsm.events import PARTICLE_FIELDS, STATUS_DECAYED, STATUS_FINAL, STATUS_INCOMING, charge_of, from_jagged
from muonbsm.io import metadata as _meta

__all__ = ["LheWriter", "read_lhe"]

_META_TAG = "muonbsm_metadata"
_SCALARS_TAG = "muonbsm_scalars"
_COUNT_TAG = "muonbsm_n_events"
_EVENT_TAG = "muonbsm"
_DTYPES = {"pdg": np.int32, "status": np.int8, "mother": np.int16, "charge": np.float32,
           "vx": np.float32, "vy": np.float32, "vz": np.float32}
_PARTICLE_LINE = "%d %d %d %d 0 0 %.16e %.16e %.16e %.16e %.16e %.10e 9."
_EXTRA_LINE = "%d %.9e %.9e %.9e %.9e"
_EVENT_LINE = "%d 1 %.16e %.16e " + f"{ALPHA:.10e}" + " -1."


def _is_gzip(path: Path) -> bool:
    return path.name.lower().endswith(".gz")


def _text_writer(raw: IO[bytes], gz: bool) -> IO[str]:
    """ASCII text on top of the open binary file ``raw``; gzip with mtime 0 and no file name
    in its header when ``gz`` (so the bytes do not depend on time or the temporary name)."""
    stream = gzip.GzipFile(filename="", fileobj=raw, mode="wb", compresslevel=6, mtime=0) if gz else raw
    return io.TextIOWrapper(stream, encoding="ascii")


def _format_value(dtype: np.dtype) -> str:
    return "%.16e" if dtype.kind == "f" else "%d"


def _first_incoming(status: ak.Array) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Indices of the first and second incoming particle of each event (-1 if absent)."""
    idx = ak.local_index(status)[status == STATUS_INCOMING]
    first = ak.to_numpy(ak.fill_none(ak.firsts(idx), -1))
    second = ak.to_numpy(ak.fill_none(ak.firsts(idx[:, 1:]), -1))
    return first.astype(np.int64), second.astype(np.int64)


def _format_chunk(events: ak.Array, scalars: dict[str, np.dtype]) -> str:
    """The ``<event>`` blocks of a chunk as text (see the module docstring for the layout)."""
    parts = events.particles
    counts = ak.to_numpy(ak.num(parts)).astype(np.int64)
    n_ev, n_tot = len(counts), int(counts.sum())
    f = {k: ak.to_numpy(ak.flatten(parts[k])) for k in PARTICLE_FIELDS}
    if not np.all(np.isin(f["status"], (STATUS_FINAL, STATUS_DECAYED, STATUS_INCOMING))):
        raise ValueError("events: particle status must be 1 (final), 2 (decayed) or 4 (incoming) for LHE output")
    offsets = np.concatenate([[0], np.cumsum(counts)])
    event_of = np.repeat(np.arange(n_ev), counts)
    first, second = _first_incoming(parts.status)
    mother = f["mother"].astype(np.int64)
    has_mother, incoming = mother >= 0, f["status"] == STATUS_INCOMING
    m1 = np.where(has_mother, mother + 1, np.where(incoming, 0, first[event_of] + 1))
    m2 = np.where(has_mother | incoming, 0, second[event_of] + 1)
    mom = np.stack([f["px"], f["py"], f["pz"]], axis=-1)
    p_abs = np.linalg.norm(mom, axis=-1)
    mass = np.sqrt(np.maximum(f["E"] ** 2 - p_abs**2, 0.0))
    vtx = np.stack([f["vx"], f["vy"], f["vz"]], axis=-1).astype(np.float64)
    decay_vtx = np.full((n_tot, 3), np.nan)
    decay_vtx[(offsets[:-1][event_of] + mother)[has_mother]] = vtx[has_mother]
    dist = np.linalg.norm(decay_vtx - vtx, axis=-1)
    ok = np.isfinite(dist) & (p_abs > 0)
    vtim = np.where(ok, mass * np.where(ok, dist, 0.0) / np.where(ok, p_abs, 1.0), 0.0)
    status_lhe = np.where(incoming, -1, f["status"].astype(np.int64))
    p_in = [np.bincount(event_of, weights=np.where(incoming, f[k], 0.0), minlength=n_ev)
            for k in ("E", "px", "py", "pz")]
    s_in = p_in[0] ** 2 - p_in[1] ** 2 - p_in[2] ** 2 - p_in[3] ** 2
    scale = np.sqrt(np.maximum(s_in, 0.0))

    particle_lines = list(map(_PARTICLE_LINE.__mod__, zip(
        f["pdg"].tolist(), status_lhe.tolist(), m1.tolist(), m2.tolist(), f["px"].tolist(), f["py"].tolist(),
        f["pz"].tolist(), f["E"].tolist(), mass.tolist(), vtim.tolist())))
    extra_lines = list(map(_EXTRA_LINE.__mod__, zip(
        mother.tolist(), *(f[k].astype(np.float64).tolist() for k in ("charge", "vx", "vy", "vz")))))
    weight = ak.to_numpy(events.weight).tolist()
    event_lines = list(map(_EVENT_LINE.__mod__, zip(counts.tolist(), weight, scale.tolist())))
    tag = "<" + _EVENT_TAG + "".join(f' {k}="{_format_value(d)}"' for k, d in scalars.items()) + ">"
    values = [ak.to_numpy(events[k]).astype(np.float64 if d.kind == "f" else np.int64).tolist()
              for k, d in scalars.items()]
    tag_lines = list(map(tag.__mod__, zip(*values))) if scalars else [tag] * n_ev

    # Each event takes 2 n + 5 lines: <event>, event line, n particles, tag, n extras, </muonbsm>, </event>.
    start = np.concatenate([[0], np.cumsum(2 * counts + 5)])
    out = np.empty(int(start[-1]), dtype=object)
    start = start[:-1]
    within = np.arange(n_tot) - offsets[:-1][event_of]
    out[start] = "<event>"
    out[start + 1] = event_lines
    out[(start + 2)[event_of] + within] = particle_lines
    out[start + 2 + counts] = tag_lines
    out[(start + 3 + counts)[event_of] + within] = extra_lines
    out[start + 3 + 2 * counts] = f"</{_EVENT_TAG}>"
    out[start + 4 + 2 * counts] = "</event>"
    return "\n".join(out.tolist()) + "\n"


class LheWriter:
    """Stream event chunks into a Les Houches Event file; header and init are written on
    :meth:`close` (events are staged in an anonymous temporary file, so memory stays bounded)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self._path = Path(path)
        self._body = tempfile.TemporaryFile(mode="w+", encoding="ascii", dir=self._path.parent)
        self._scalars: dict[str, np.dtype] | None = None
        self._beams = ((0, 0.0), (0, 0.0))
        self._sum_w = self._sum_w2 = self._max_w = 0.0
        self._weights_equal, self._negative, self._first_w = True, False, 0.0
        self._n = 0

    def write(self, events: ak.Array) -> None:
        """Append one chunk of events (the event schema of :mod:`muonbsm.events`)."""
        if len(events) == 0:
            return
        scalars = {k: ak.to_numpy(events[k]).dtype for k in events.fields if k not in ("particles", "weight")}
        if self._scalars is None:
            self._scalars = scalars
            first = events.particles[0]
            inc = first[first.status == STATUS_INCOMING]
            beams = [(int(p), float(e)) for p, e in zip(ak.to_list(inc.pdg)[:2], ak.to_list(inc.E)[:2])]
            padded = beams + [(0, 0.0)] * 2
            self._beams = (padded[0], padded[1])
            self._first_w = float(events.weight[0])
        elif scalars != self._scalars:
            raise ValueError(f"events: per-event scalars {scalars} differ from the first chunk's {self._scalars}")
        w = ak.to_numpy(events.weight).astype(np.float64)
        self._sum_w += float(w.sum())
        self._sum_w2 += float((w**2).sum())
        self._max_w = max(self._max_w, float(np.abs(w).max()))
        self._weights_equal &= bool(np.all(w == self._first_w))
        self._negative |= bool(np.any(w < 0))
        self._body.write(_format_chunk(events, scalars))
        self._n += len(w)

    def close(self, meta: dict[str, Any]) -> None:
        """Write header (``meta`` as JSON) and init, then the staged events, and close."""
        rate, error = _meta.file_rate(meta, self._sum_w, self._sum_w2)
        idwtup = 3 if self._weights_equal else (-4 if self._negative else 4)
        scalars = " ".join(f"{k}:{d.name}" for k, d in (self._scalars or {}).items())
        (id1, e1), (id2, e2) = self._beams
        text = _meta.encode(meta).replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
        self._body.seek(0)
        with open(self._path, "wb") as raw, _text_writer(raw, _is_gzip(self._path)) as out:
            out.write('<LesHouchesEvents version="3.0">\n<header>\n')
            out.write(f"<{_META_TAG}>{text}</{_META_TAG}>\n<{_SCALARS_TAG}>{scalars}</{_SCALARS_TAG}>\n")
            out.write(f"<{_COUNT_TAG}>{self._n}</{_COUNT_TAG}>\n")
            out.write(f"</header>\n<init>\n{id1} {id2} {e1:.16e} {e2:.16e} 0 0 0 0 {idwtup} 1\n")
            out.write(f"{rate:.16e} {error:.16e} {self._max_w:.16e} 1\n</init>\n")
            shutil.copyfileobj(self._body, out, 1 << 20)
            out.write("</LesHouchesEvents>\n")
        self._body.close()


def _between(text: str, tag: str) -> str | None:
    match = re.search(f"<{tag}>(.*?)</{tag}>", text, re.DOTALL)
    return None if match is None else match.group(1)


def _foreign_rate(text: str) -> dict[str, Any]:
    """``{"rate", "rate_error", "rate_unit"}`` of a foreign file: the sum of the ``XSECUP`` of its
    processes [pb] and their errors in quadrature (``{}`` without processes)."""
    lines = [line.split() for line in (_between(text, "init") or "").split("\n")]
    rows = [r for r in [r for r in lines if r and not r[0].startswith(("#", "<"))][1:] if len(r) == 4]
    if not rows:
        return {}
    xsec = [(float(r[0]), float(r[1])) for r in rows]
    return {"rate": sum(x for x, _ in xsec), "rate_error": sum(e * e for _, e in xsec) ** 0.5, "rate_unit": "pb"}


def _numbers(lines: list[str], idx: NDArray[np.int64], width: int) -> NDArray[np.float64]:
    """The whitespace-separated numbers of ``lines[idx]`` as an array of shape ``(len(idx), width)``."""
    tokens = " ".join([lines[i] for i in idx.tolist()]).split()
    return np.array(tokens, dtype=np.float64).reshape(-1, width)


def read_lhe(path: str | os.PathLike[str]) -> tuple[ak.Array, dict[str, Any]]:
    """Read a Les Houches Event file into the muonbsm event schema and its metadata dict.

    Files written by :class:`LheWriter` are restored exactly (:class:`~muonbsm.errors.IntegrityError`
    if one is truncated or yields fewer events than its header declares). Other LHE files are read from
    their particle lines: status -1/-2/-9 -> 4, 1 -> 1, 2/3 -> 2; mother = ``MOTHUP1 - 1`` for a
    single mother, -1 for none or two; charge from the PDG id; vertices 0; metadata: the
    ``<init>`` cross section, ``rate`` +- ``rate_error`` (``rate_unit`` "pb").
    Momenta [GeV], vertices [mm], weight = ``XWGTUP``.
    """
    try:
        with (gzip.open(path, "rt", encoding="utf-8") if _is_gzip(Path(path)) else open(path, encoding="utf-8")) as f:
            text = f.read()
    except (EOFError, gzip.BadGzipFile, UnicodeDecodeError) as err:
        raise IntegrityError(f"{path}: not a readable LHE file ({err})") from None
    if "<init>" not in text or "</LesHouchesEvents>" not in text:
        raise IntegrityError(f"{path}: truncated LHE file (no <init> block or no </LesHouchesEvents>)")
    header = text[: text.index("<init>")]
    meta_text = _between(header, _META_TAG)
    meta = _foreign_rate(text) if meta_text is None else _meta.decode(meta_text)
    spec = (_between(header, _SCALARS_TAG) or "").split()
    scalar_types = {name: np.dtype(d) for name, d in (s.split(":") for s in spec)}
    body = text[text.index("</init>") + len("</init>"): text.rindex("</LesHouchesEvents>")]
    lines = [s.strip() for s in body.split("\n")]
    start = np.flatnonzero(np.fromiter((s.startswith("<event") for s in lines), dtype=bool, count=len(lines)))
    declared = int(_between(header, _COUNT_TAG) or -1)
    if len(start) < declared:
        raise IntegrityError(f"{path}: {len(start)} of the {declared} events its header declares could be read")
    if len(start) == 0:
        empty = {k: ak.unflatten(np.zeros(0, dtype=_DTYPES.get(k, np.float64)), np.zeros(0, dtype=np.int64))
                 for k in PARTICLE_FIELDS}
        return from_jagged(empty, np.zeros(0), **{k: np.zeros(0, dtype=d) for k, d in scalar_types.items()}), meta
    head = _numbers(lines, start + 1, 6)
    counts = head[:, 0].astype(np.int64)
    event_of = np.repeat(np.arange(len(counts)), counts)
    within = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    table = _numbers(lines, (start + 2)[event_of] + within, 13)
    tag_at = start + 2 + counts
    ours = np.fromiter((lines[i].startswith(f"<{_EVENT_TAG}") for i in tag_at.tolist()), dtype=bool, count=len(tag_at))
    cols: dict[str, NDArray] = {k: table[:, i + 6] for i, k in enumerate(("px", "py", "pz", "E"))}
    cols["pdg"] = table[:, 0]
    ist = table[:, 1].astype(np.int64)
    cols["status"] = np.select([ist < 0, ist == 1], [STATUS_INCOMING, STATUS_FINAL], STATUS_DECAYED)
    if np.all(ours):
        extra = _numbers(lines, (tag_at + 1)[event_of] + within, 5)
        for i, k in enumerate(("mother", "charge", "vx", "vy", "vz")):
            cols[k] = extra[:, i]
        tags = " ".join([lines[i] for i in tag_at.tolist()])
        values = np.array(re.findall('="([^"]*)"', tags), dtype=str).reshape(len(start), len(scalar_types))
        scalars = {k: values[:, j].astype(np.float64 if d.kind == "f" else np.int64).astype(d)
                   for j, (k, d) in enumerate(scalar_types.items())}
    else:
        m1, m2 = table[:, 2].astype(np.int64), table[:, 3].astype(np.int64)
        cols["mother"] = np.where((m2 == 0) | (m2 == m1), m1 - 1, -1)
        cols["charge"] = charge_of(cols["pdg"].astype(np.int64))
        for k in ("vx", "vy", "vz"):
            cols[k] = np.zeros(len(table))
        scalars = {}
    jagged = {k: ak.unflatten(np.asarray(cols[k]).astype(_DTYPES.get(k, np.float64)), counts) for k in PARTICLE_FIELDS}
    return from_jagged(jagged, np.ascontiguousarray(head[:, 2]), **scalars), meta
