"""One way to hash: canonical JSON into SHA-256.

:func:`digest` is the only hasher of muonbsm objects (run fingerprints, sample caches, shard
contents described as objects). Canonical means sorted keys, no whitespace, floats by their
shortest round-trip ``repr`` (what :mod:`json` writes), numpy scalars and arrays as lists,
paths as strings. Objects JSON cannot represent raise :class:`TypeError` instead of being
silently stringified.

>>> digest({"b": 1, "a": [1.5, "x"]}) == digest({"a": [1.5, "x"], "b": 1})
True
>>> digest({"a": 1})[:12]
'015abd7f5cc5'
"""

from __future__ import annotations

import hashlib
import json
import pathlib
from typing import Any

import numpy as np

__all__ = ["canonical_json", "digest", "file_digest", "arrays_digest"]


def _default(obj: Any) -> Any:
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, (pathlib.PurePath,)):
        return str(obj)
    if isinstance(obj, (set, frozenset)):
        return sorted(obj)
    if hasattr(obj, "__dataclass_fields__"):
        import dataclasses

        return {"__dataclass__": type(obj).__qualname__, **dataclasses.asdict(obj)}
    raise TypeError(f"muonbsm.hashing.digest: cannot hash object of type {type(obj).__name__}")


def canonical_json(obj: Any) -> str:
    """The canonical JSON text of ``obj`` (sorted keys, compact separators, no NaN/inf)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=_default, allow_nan=False)


def digest(obj: Any) -> str:
    """SHA-256 hex digest of :func:`canonical_json` of ``obj``."""
    return hashlib.sha256(canonical_json(obj).encode()).hexdigest()


def file_digest(path: str | pathlib.Path, chunk_bytes: int = 1 << 20) -> str:
    """SHA-256 hex digest of the bytes of the file at ``path``, read in ``chunk_bytes`` blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk_bytes):
            h.update(block)
    return h.hexdigest()


def arrays_digest(arrays: "list[tuple[str, np.ndarray]]") -> str:
    """SHA-256 hex digest of named numpy arrays in the given order: for each, its name, dtype
    (native byte order) and length, then its raw little-endian bytes (shard content hashes)."""
    h = hashlib.sha256()
    for name, arr in arrays:
        a = np.ascontiguousarray(arr)
        a = a.astype(a.dtype.newbyteorder("<"), copy=False)
        h.update(f"{name}:{a.dtype.str}:{a.size};".encode())
        h.update(a.data.cast("B"))  # = memoryview(a), which numpy's stubs allow only for Python >= 3.12
    return h.hexdigest()
