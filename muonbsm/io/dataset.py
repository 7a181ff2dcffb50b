"""Dataset directories: the ordered shards of one generation run and their manifest.

Layout of a dataset ``<name>/`` (for example ``results/ic.parquet/``):

* ``part-000000.parquet``, ``part-000001.parquet``, ... (or ``part-*.root``): one shard per
  chunk, in chunk order, each a complete muonbsm event file with the run metadata and the
  shard's own record (``shard``: chunk index, run fingerprint, Monte Carlo sums, content hash);
* ``_manifest.json``: ``{"format": "muonbsm-dataset", "version": 1, "shard_format",
  "metadata", "shards"}`` where ``metadata`` is what a merged file of the run would carry
  (``rate``, ``rate_error``, ``rate_unit``, ``sum_w``, ``n_events``, ... and the run card) and
  ``shards`` lists every shard in order with its ``file``, ``n_events``, sums and ``file_sha256``.

A dataset directory appears only complete (it is renamed into place after its manifest is
written), so every reader sees all or nothing. It reads with ``muonbsm.io.read(dir)``,
``ak.from_parquet(dir)``, ``dask_awkward.from_parquet(dir)``, ``pyarrow.dataset.dataset(dir)``
(files starting with ``_`` or ``.`` are skipped) and ``uproot.concatenate(dir + "/part-*.root:events")``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import awkward as ak

from muonbsm.errors import IntegrityError
from muonbsm.hashing import file_digest
from muonbsm.io.atomic import atomic_path

__all__ = ["MANIFEST", "is_dataset", "read_manifest", "write_manifest", "read_dataset", "shard_paths"]

MANIFEST = "_manifest.json"
_FORMAT = "muonbsm-dataset"


def is_dataset(path: str | os.PathLike[str]) -> bool:
    """True if ``path`` is a directory with a muonbsm manifest."""
    return (Path(path) / MANIFEST).is_file()


def write_manifest(path: str | os.PathLike[str], metadata: dict[str, Any], shards: list[dict[str, Any]], shard_format: str) -> None:
    """Write the manifest atomically (canonical JSON: identical runs give identical bytes)."""
    doc = {"format": _FORMAT, "version": 1, "shard_format": shard_format, "metadata": metadata, "shards": shards}
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(doc, sort_keys=True, indent=1) + "\n")


def read_manifest(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The manifest of dataset ``path``; :class:`~muonbsm.errors.IntegrityError` if missing or invalid."""
    file = Path(path) / MANIFEST
    try:
        doc = json.loads(file.read_text())
    except FileNotFoundError:
        raise IntegrityError(f"{path}: not a complete muonbsm dataset (no {MANIFEST})") from None
    except ValueError as exc:
        raise IntegrityError(f"{file}: corrupt manifest ({exc})") from None
    if not isinstance(doc, dict) or doc.get("format") != _FORMAT:
        raise IntegrityError(f"{file}: not a muonbsm dataset manifest")
    return doc


def shard_paths(path: str | os.PathLike[str]) -> list[Path]:
    """The shard files of dataset ``path`` in order."""
    return [Path(path) / s["file"] for s in read_manifest(path)["shards"]]


def read_dataset(path: str | os.PathLike[str], verify: bool = True) -> tuple[ak.Array, dict[str, Any]]:
    """All events of dataset ``path`` in shard order and the run metadata (the manifest's).

    With ``verify`` every shard's SHA-256 is checked against the manifest first.
    """
    from muonbsm.io.parquet import read_parquet
    from muonbsm.io.root import read_root

    doc = read_manifest(path)
    parts = []
    for s in doc["shards"]:
        file = Path(path) / s["file"]
        if verify and (not file.is_file() or file_digest(file) != s["file_sha256"]):
            raise IntegrityError(f"{file}: missing or altered (SHA-256 differs from {MANIFEST})")
        parts.append((read_root if file.suffix == ".root" else read_parquet)(file)[0])
    events = ak.concatenate(parts) if len(parts) > 1 else parts[0]
    return events, doc["metadata"]
