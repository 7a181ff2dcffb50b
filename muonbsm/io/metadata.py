"""Provenance stored in every output file: seed, run card, versions, rate and counts."""

from __future__ import annotations

import json
import platform
from importlib import metadata as _importlib_metadata
from typing import Any

__all__ = ["package_versions", "encode", "decode"]

_PACKAGES = ("muonbsm", "numpy", "awkward", "vector", "uproot", "vegas", "numba", "particle")


def package_versions() -> dict[str, str]:
    """Versions of muonbsm and the packages that shape its numbers, plus the Python version."""
    out = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            out[name] = _importlib_metadata.version(name)
        except _importlib_metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def encode(meta: dict[str, Any]) -> str:
    """Serialise metadata to canonical JSON (sorted keys, so identical runs give identical bytes)."""
    return json.dumps(meta, sort_keys=True, default=float)


def decode(text: str | bytes) -> dict[str, Any]:
    """Inverse of :func:`encode`."""
    return json.loads(text)
