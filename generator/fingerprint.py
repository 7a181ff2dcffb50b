"""Run fingerprints: one digest of everything that determines the events of a generation run.

A shard or a plan is reused only under the same fingerprint (:mod:`muonbsm.generator.shards`,
:mod:`muonbsm.generator.checkpoint`). The fingerprint is :func:`muonbsm.hashing.digest` of

* the run description: the parsed run card without its comments and without the keys that do
  not change the events (``run.output``, ``run.workers``), or the process description for the
  Python API; the seed, the event count, the chunk size, weighted/unweighted, the training
  options and the shard format;
* the package version and :func:`source_digest`, a hash of the source of the installed
  ``muonbsm`` and ``muonbsm.generator`` packages, so that editing the code (an editable install,
  a new matrix element) starts a fresh run instead of mixing old and new events.

>>> a = run_fingerprint({"seed": 1})
>>> a == run_fingerprint({"seed": 1}) and a != run_fingerprint({"seed": 2})
True
"""

from __future__ import annotations

from functools import lru_cache
from importlib import metadata as _md
from pathlib import Path
from typing import Any

from muonbsm.hashing import digest, file_digest

__all__ = ["source_digest", "run_fingerprint", "card_description"]

#: card keys that do not change the events (where they go, how many processes make them)
_EXECUTION_KEYS = {"run": ("output", "workers", "merge")}


@lru_cache(maxsize=1)
def source_digest() -> str:
    """SHA-256 over the paths and bytes of every ``.py`` file (and package data) of the installed
    ``muonbsm`` and ``muonbsm.generator`` packages, in sorted order."""
    import muonbsm
    import muonbsm.generator

    entries = []
    for pkg in (muonbsm, muonbsm.generator):
        for base in map(Path, pkg.__path__):
            files = [f for f in base.rglob("*") if f.is_file() and "__pycache__" not in f.parts
                     and (f.suffix == ".py" or "data" in f.relative_to(base).parts[:1])]
            entries += [(pkg.__name__, str(f.relative_to(base)), file_digest(f)) for f in sorted(files)]
    return digest(entries)


def package_version() -> str:
    """The installed muonbsm version."""
    try:
        return _md.version("muonbsm")
    except _md.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "unknown"


def card_description(card: dict[str, Any]) -> dict[str, Any]:
    """The parsed card without its source text and the execution-only keys (output, workers):
    what of a card changes the events."""
    out = {k: dict(v) if isinstance(v, dict) else v for k, v in card.items() if k != "source"}
    for section, keys in _EXECUTION_KEYS.items():
        for key in keys:
            out.get(section, {}).pop(key, None)
    return out


def run_fingerprint(description: dict[str, Any]) -> str:
    """Digest of ``description`` (what the caller says determines the events) together with the
    package version and :func:`source_digest`."""
    return digest({"run": description, "version": package_version(), "source": source_digest()})
