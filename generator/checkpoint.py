"""Resumable runs: each finished chunk is kept as an atomic Parquet file in a work directory.

``<output dir>/.<output name>.chunks/`` holds

* ``plan.pkl``: the trained vegas grid, the unweighting threshold and the chunk sizes, with the
  fingerprint of everything that determines the events (process, seed, run options);
* ``chunk-000012.parquet``: chunk 12, its Monte Carlo sums in the file metadata.

A rerun with the same fingerprint reuses the plan and skips the chunks on disk; a different
fingerprint clears the directory. Files appear only complete (:func:`muonbsm.io.atomic_path`),
so a killed run never leaves a chunk that a rerun would trust by mistake.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import shutil
from pathlib import Path
from typing import Any

from muonbsm import io
from muonbsm.io.parquet import ParquetWriter
from muonbsm.generator.sampling import ChunkResult

__all__ = ["Checkpoint", "fingerprint"]


def fingerprint(description: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of ``description``."""
    return hashlib.sha256(json.dumps(description, sort_keys=True, default=repr).encode()).hexdigest()


class Checkpoint:
    """The work directory of one output file."""

    def __init__(self, output: str | Path, key: str) -> None:
        output = Path(output)
        self.root = output.parent / f".{output.name}.chunks"
        self.key = key
        plan = self.root / "plan.pkl"
        if self.root.exists() and (not plan.exists() or self._load(plan).get("key") != key):
            shutil.rmtree(self.root)
        self.root.mkdir(parents=True, exist_ok=True)

    @staticmethod
    def _load(path: Path) -> dict[str, Any]:
        with path.open("rb") as f:
            return pickle.load(f)

    def plan(self) -> dict[str, Any] | None:
        """The stored plan, or None."""
        path = self.root / "plan.pkl"
        return self._load(path)["plan"] if path.exists() else None

    def save_plan(self, plan: dict[str, Any]) -> None:
        """Store the plan atomically."""
        with io.atomic_path(self.root / "plan.pkl") as tmp:
            tmp.write_bytes(pickle.dumps({"key": self.key, "plan": plan}))

    def _chunk(self, index: int) -> Path:
        return self.root / f"chunk-{index:06d}.parquet"

    def done(self, index: int) -> bool:
        """True if chunk ``index`` is on disk."""
        return self._chunk(index).exists()

    def save_chunk(self, index: int, chunk: ChunkResult) -> None:
        """Store chunk ``index`` (its events and sums) atomically."""
        sums = {"n_trials": chunk.n_trials, "sum_w": chunk.sum_w, "sum_w2": chunk.sum_w2, "n_overweight": chunk.n_overweight}
        with io.atomic_path(self._chunk(index)) as tmp:
            writer = ParquetWriter(tmp)
            writer.write(chunk.events)
            writer.close(sums)

    def load_chunk(self, index: int) -> ChunkResult:
        """Read chunk ``index`` back."""
        events, sums = io.read(self._chunk(index))
        return ChunkResult(events=events, **sums)

    def clear(self) -> None:
        """Remove the work directory (after the final file is in place)."""
        shutil.rmtree(self.root, ignore_errors=True)
