"""One seed scheme: every random stream derives from the master seed and a named path.

A path is a sequence of *stream names*, each followed by exactly as many integer indices as the
table :data:`STREAMS` declares for it, e.g. ``("generation.chunk", 7)`` or
``("sample", 2, "detector")``. :func:`seed_sequence` turns it into
``numpy.random.SeedSequence(seed, spawn_key=key)`` with ``key`` the names' ids and the indices
in order. Names have fixed arities, so the key is a prefix code: two different paths never give
the same key, and no stream can be reused by another stage by construction. No float is ever
hashed into a seed: masses, energies etc. are addressed by their *index* in a scan.

Stream table (ids are append-only: never renumber, or old seeds change meaning):

==========================  ===  =====  ====================================================
name                        id   idx    used for
==========================  ===  =====  ====================================================
``generation.training``     0    1      vegas training of phase-space channel ``i``
``generation.probe``        1    1      maximum-weight probe of channel ``i``
``generation.chunk``        2    1      the events of chunk ``i``
``sample``                  3    1      sample ``k`` of a multi-sample job (prefix; its own
                                        generation / detector streams follow it)
``detector``                4    0      detector simulation (smearing, efficiencies)
``calibration.sample``      5    0      the phase-space sample that calibrates the detector
``calibration.detector``    6    0      the detector simulation of that sample
``toys``                    7    1      pseudo-experiment batch ``i``
``mass``                    8    1      mass point ``i`` of a scan (prefix)
``decays``                  9    0      decays of unstable particles in an event builder
``reach.fixed_target``      10   2      fixed-target reach efficiency: experiment ``i``,
                                        channel ``j`` (prefix; follow with ``mass``)
``plots``                   11   0      samples drawn only for figures
``generation``              12   0      event generation of a sample or mass point: its own
                                        draws, or (via :func:`int_seed`) the integer master
                                        seed of a generator run, whose ``generation.*``
                                        streams then derive from that integer
``rate``                    13   0      vegas integration of a total rate (via
                                        :func:`int_seed`)
``lifetime``                14   1      displaced-X signal sample of model ``k`` for c-tau
                                        reweighting (prefix; follow with ``generation`` etc.)
==========================  ===  =====  ====================================================

>>> seed_sequence(1, "generation.chunk", 3).spawn_key
(2, 3)
>>> seed_sequence(1, "sample", 2, "detector").spawn_key
(3, 2, 4)
>>> rng(1, "generation.chunk", 3).random() == rng(1, "generation.chunk", 3).random()
True
"""

from __future__ import annotations

from typing import Final

import numpy as np

__all__ = ["STREAMS", "seed_sequence", "rng", "spawn_key", "int_seed"]

#: name -> (id, number of integer indices that follow the name)
STREAMS: Final[dict[str, tuple[int, int]]] = {
    "generation.training": (0, 1),
    "generation.probe": (1, 1),
    "generation.chunk": (2, 1),
    "sample": (3, 1),
    "detector": (4, 0),
    "calibration.sample": (5, 0),
    "calibration.detector": (6, 0),
    "toys": (7, 1),
    "mass": (8, 1),
    "decays": (9, 0),
    "reach.fixed_target": (10, 2),
    "plots": (11, 0),
    "generation": (12, 0),
    "rate": (13, 0),
    "lifetime": (14, 1),
}

_MAX_INDEX: Final = 2**32  # SeedSequence folds keys into 32-bit words: keep each in one word

if len({i for i, _ in STREAMS.values()}) != len(STREAMS):  # pragma: no cover - table invariant
    raise RuntimeError("muonbsm.seeds.STREAMS: two stream names share an id")


def spawn_key(*path: str | int) -> tuple[int, ...]:
    """The spawn key of ``path`` (names of :data:`STREAMS`, each followed by its indices).

    Raises :class:`ValueError` for an unknown name, a wrong number of indices, a non-integer or
    an index outside ``[0, 2^32)``.
    """
    key: list[int] = []
    items = list(path)
    pos = 0
    if not items:
        raise ValueError("a seed path needs at least one stream name")
    while pos < len(items):
        name = items[pos]
        if not isinstance(name, str) or name not in STREAMS:
            raise ValueError(f"seed path {path!r}: {name!r} at position {pos} is not a stream name "
                             f"(one of {', '.join(STREAMS)})")
        ident, arity = STREAMS[name]
        idx = items[pos + 1 : pos + 1 + arity]
        if len(idx) != arity or any(isinstance(i, (bool, str)) or not isinstance(i, (int, np.integer))
                                    for i in idx):
            raise ValueError(f"seed path {path!r}: {name!r} takes {arity} integer index(es)")
        for i in idx:
            if not 0 <= int(i) < _MAX_INDEX:
                raise ValueError(f"seed path {path!r}: index {i} outside [0, 2^32)")
        key.append(ident)
        key.extend(int(i) for i in idx)
        pos += 1 + arity
    return tuple(key)


def seed_sequence(seed: int, *path: str | int) -> np.random.SeedSequence:
    """``SeedSequence(seed, spawn_key=spawn_key(*path))`` for the master ``seed`` (int >= 0)."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"master seed must be a non-negative integer, got {seed!r}")
    return np.random.SeedSequence(int(seed), spawn_key=spawn_key(*path))


def rng(seed: int, *path: str | int) -> np.random.Generator:
    """A PCG64 :class:`numpy.random.Generator` on the stream ``path`` of master ``seed``."""
    return np.random.default_rng(seed_sequence(seed, *path))


def int_seed(seed: int, *path: str | int) -> int:
    """An integer master seed in ``[0, 2^63)`` drawn from the stream ``path`` of ``seed``.

    For stages that take an integer seed and derive their own streams from it (an event
    generator run nested in a multi-sample job): the nested run's streams are then
    ``SeedSequence(int_seed(...), spawn_key=...)``, independent of every stream of ``seed``.

    >>> int_seed(1, "sample", 0, "generation") == int_seed(1, "sample", 0, "generation")
    True
    >>> int_seed(1, "sample", 0, "generation") != int_seed(1, "sample", 1, "generation")
    True
    """
    return int(seed_sequence(seed, *path).generate_state(1, np.uint64)[0] >> np.uint64(1))
