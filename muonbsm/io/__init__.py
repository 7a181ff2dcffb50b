"""Event files: ROOT TTree (uproot) and Parquet, chosen by suffix, written atomically.

>>> sorted(WRITERS)
['.parquet', '.root']
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import awkward as ak

from muonbsm.io.atomic import atomic_path
from muonbsm.io.parquet import ParquetWriter, read_parquet
from muonbsm.io.root import RootWriter, read_root

__all__ = ["WRITERS", "atomic_path", "check_suffix", "writer_for", "read", "write"]

WRITERS = {".root": RootWriter, ".parquet": ParquetWriter}
_READERS = {".root": read_root, ".parquet": read_parquet}


def check_suffix(path: str | os.PathLike[str]) -> str:
    """The lower-case suffix of ``path`` if muonbsm can write it; ValueError otherwise."""
    suffix = Path(path).suffix.lower()
    if suffix not in WRITERS:
        raise ValueError(f"output file {str(path)!r}: unknown format {suffix!r}; allowed suffixes: {sorted(WRITERS)}")
    return suffix


def writer_for(path: str | os.PathLike[str]) -> RootWriter | ParquetWriter:
    """A streaming writer for ``path``, chosen by its suffix (``.root`` or ``.parquet``)."""
    return WRITERS[check_suffix(path)](path)


def write(events: ak.Array, path: str | os.PathLike[str], meta: dict[str, Any]) -> None:
    """Write a whole sample with its metadata to ``path`` atomically."""
    suffix = check_suffix(path)
    with atomic_path(path) as tmp:
        writer = WRITERS[suffix](tmp)
        writer.write(events)
        writer.close(meta)


def read(path: str | os.PathLike[str]) -> tuple[ak.Array, dict[str, Any]]:
    """Read events and metadata from a file written by muonbsm (format by suffix)."""
    return _READERS[check_suffix(path)](path)
