"""Event files: ROOT TTree (uproot), Parquet, Les Houches (LHE) and HepMC3, chosen by suffix,
written atomically, and dataset directories of shards (:mod:`muonbsm.io.dataset`).

Every format carries the sample's rate +- error (:func:`muonbsm.io.metadata.file_rate`) and
reads back into the same schema with :func:`read`, which raises
:class:`~muonbsm.errors.IntegrityError` for an LHE or HepMC3 file that is cut short or yields
fewer events than it declares. Modules: :mod:`~muonbsm.io.root`, :mod:`~muonbsm.io.parquet`,
:mod:`~muonbsm.io.lhe`, :mod:`~muonbsm.io.hepmc`, :mod:`~muonbsm.io.dataset`,
:mod:`~muonbsm.io.metadata`, :mod:`~muonbsm.io.atomic`.

>>> sorted(WRITERS)
['.hepmc', '.hepmc3', '.lhe', '.lhe.gz', '.parquet', '.root']
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import awkward as ak
from pyarrow.lib import ArrowException
from uproot.deserialization import DeserializationError

from muonbsm.errors import IntegrityError, MuonbsmError
from muonbsm.io.atomic import atomic_path
from muonbsm.io.hepmc import HepMCWriter, read_hepmc
from muonbsm.io.lhe import LheWriter, read_lhe
from muonbsm.io.parquet import ParquetWriter, read_parquet
from muonbsm.io.root import RootWriter, read_root

__all__ = ["WRITERS", "atomic_path", "check_suffix", "writer_for", "read", "write"]

Writer = RootWriter | ParquetWriter | LheWriter | HepMCWriter
WRITERS: dict[str, type[Writer]] = {
    ".root": RootWriter, ".parquet": ParquetWriter, ".lhe": LheWriter, ".lhe.gz": LheWriter,
    ".hepmc": HepMCWriter, ".hepmc3": HepMCWriter,
}
_READERS = {
    ".root": read_root, ".parquet": read_parquet, ".lhe": read_lhe, ".lhe.gz": read_lhe,
    ".hepmc": read_hepmc, ".hepmc3": read_hepmc,
}


def check_suffix(path: str | os.PathLike[str]) -> str:
    """The lower-case suffix of ``path`` (the longest registered ending, e.g. ``.lhe.gz``) if
    muonbsm can write it; ValueError otherwise."""
    name = Path(path).name.lower()
    for suffix in sorted(WRITERS, key=len, reverse=True):
        if name.endswith(suffix):
            return suffix
    raise ValueError(
        f"output file {str(path)!r}: unknown format {Path(path).suffix.lower()!r}; allowed suffixes: {sorted(WRITERS)}"
    )


def writer_for(path: str | os.PathLike[str]) -> Writer:
    """A streaming writer for ``path``, chosen by its suffix (see :data:`WRITERS`)."""
    return WRITERS[check_suffix(path)](path)


def write(events: ak.Array, path: str | os.PathLike[str], meta: dict[str, Any]) -> None:
    """Write a whole sample with its metadata to ``path`` atomically."""
    suffix = check_suffix(path)
    with atomic_path(path) as tmp:
        writer = WRITERS[suffix](tmp)
        writer.write(events)
        writer.close(meta)


def read(path: str | os.PathLike[str]) -> tuple[ak.Array, dict[str, Any]]:
    """Read events and metadata from a file written by muonbsm (format by suffix), or from a
    dataset directory of shards (:mod:`muonbsm.io.dataset`).

    :class:`~muonbsm.errors.IntegrityError` for a file that is cut short or corrupt (a ROOT or
    Parquet file the library cannot decode, an LHE or HepMC3 file with fewer events than it
    declares); a missing file stays :class:`FileNotFoundError`.
    """
    if Path(path).is_dir():
        from muonbsm.io.dataset import read_dataset

        return read_dataset(path)
    suffix = check_suffix(path)
    try:
        return _READERS[suffix](path)
    except (FileNotFoundError, PermissionError, IsADirectoryError):
        raise
    except (OSError, ArrowException, DeserializationError) as err:
        if suffix not in (".root", ".parquet") or isinstance(err, MuonbsmError):
            raise
        raise IntegrityError(f"{path}: not a readable {suffix} file, truncated or corrupt ({err})") from None
