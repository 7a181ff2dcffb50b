"""Provenance stored in every output file: seed, run card, versions, rate and counts.

The rate of a sample is defined once, by the run engine (:mod:`muonbsm.generator.generate`),
which stores ``rate``, ``rate_error`` and ``rate_unit`` (``"BR"`` or ``"pb"``) in the metadata;
every format carries that same pair (ROOT and Parquet in the metadata JSON, LHE in ``XSECUP`` /
``XERRUP``, HepMC3 in each event's ``GenCrossSection``): :func:`file_rate`.
"""

from __future__ import annotations

import json
import platform
from importlib import metadata as _importlib_metadata
from typing import Any

__all__ = ["package_versions", "encode", "decode", "file_rate"]

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


def file_rate(meta: dict[str, Any], sum_w: float, sum_w2: float) -> tuple[float, float]:
    """The rate and its error a file declares, in the sample's unit (BR or pb): the run's
    ``meta["rate"]`` +- ``meta["rate_error"]``; without them (a sample written by hand), the sum
    of the weights written, ``sum_w`` +- ``sqrt(sum_w2)``.

    >>> file_rate({"rate": 2.0, "rate_error": 0.1}, 1.9, 0.04)
    (2.0, 0.1)
    >>> file_rate({}, 1.5, 0.25)
    (1.5, 0.5)
    """
    rate, error = meta.get("rate"), meta.get("rate_error")
    if isinstance(rate, (int, float)) and isinstance(error, (int, float)):
        return float(rate), float(error)
    return float(sum_w), float(sum_w2) ** 0.5
