"""Publishing a run's output and reporting disk failures.

* :func:`publish_dataset`: manifest, then the work directory renamed into the dataset directory;
* :func:`merge_shards`: the shards streamed in order into one file (peak disk: final + one shard);
* :func:`check_space` / :func:`disk_error`: one-line errors with the path and the space needed
  (ENOSPC, EDQUOT, EACCES, EPERM, EROFS).
"""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path
from typing import Any

from muonbsm import io
from muonbsm.errors import MuonbsmIOError
from muonbsm.generator.checkpoint import WorkDir
from muonbsm.generator.shards import ShardSummary
from muonbsm.io.atomic import fsync_path
from muonbsm.io.dataset import MANIFEST, write_manifest

__all__ = ["DISK_ERRORS", "check_space", "disk_error", "expected_bytes", "merge_shards", "publish_dataset", "remove"]

#: errno values that mean "this disk cannot take the output" (reported with the space needed)
DISK_ERRORS = (errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EPERM, errno.EROFS)


def disk_error(exc: OSError, output: Path, work: WorkDir, need_bytes: float | None, n_shards: int) -> MuonbsmIOError:
    """One-line error for a failed write: the path, what failed, the space the run still needs."""
    where = Path(exc.filename) if exc.filename else work.root
    probe = next((p for p in (where, work.root, output.parent) if p.exists()), None)
    free = shutil.disk_usage(probe).free if probe is not None else 0
    if need_bytes:
        need = f"about {need_bytes / 1e6:.1f} MB more ({free / 1e6:.1f} MB free)"
    else:  # not even one shard fitted: the free space bounds the size of one shard from below
        need = f"more than {free / 1e6:.1f} MB (the free space) per shard, for {n_shards} shards"
    what = {errno.ENOSPC: "no space left on device", errno.EDQUOT: "disk quota exceeded",
            errno.EACCES: "permission denied", errno.EPERM: "permission denied",
            errno.EROFS: "read-only file system"}.get(exc.errno or 0, exc.strerror or str(exc))
    hint = f"this run needs {need}" if exc.errno in (errno.ENOSPC, errno.EDQUOT) else f"the run needs write access; it needs {need}"
    return MuonbsmIOError(f"{where}: {what}; {hint}; complete shards are kept in {work.root}, rerun to resume")


def expected_bytes(done: dict[int, ShardSummary], plan: dict[str, Any], merge: bool) -> float | None:
    """Bytes still to be written: the remaining shards at the measured bytes per trial, plus
    the merged file (the shards of a merge are removed one by one as they are copied)."""
    if not done:
        return None
    per_trial = sum(s.bytes for s in done.values()) / max(sum(s.n_trials for s in done.values()), 1)
    remaining = sum(n for i, (_, n) in enumerate(plan["chunks"]) if i not in done)
    return per_trial * remaining + (max(s.bytes for s in done.values()) if merge else 0.0)


def check_space(out: Path, work: WorkDir, done: dict[int, ShardSummary], plan: dict[str, Any], merge: bool) -> None:
    """Fail early, with the space needed, when the rest of the run cannot fit on the disk."""
    need = expected_bytes(done, plan, merge)
    if need is not None and need > shutil.disk_usage(work.root).free:
        raise disk_error(OSError(errno.ENOSPC, "No space left on device", str(work.root)), out, work, need,
                          len(plan["chunks"]))


def remove(path: Path) -> None:
    """Remove a file or a directory tree, if present."""
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()


def publish_dataset(work: WorkDir, shards: list[ShardSummary], out: Path, meta: dict[str, Any], fmt: str) -> None:
    """Write the manifest, drop the plan and rename the work directory to ``out`` (replacing a
    previous output of this name, which the lock says no live run uses)."""
    write_manifest(work.root / MANIFEST, meta, [s.to_dict() for s in shards], fmt)
    work.plan_path.unlink(missing_ok=True)
    old = out.parent / f".{out.name}.old-{os.getpid()}"
    if out.exists():
        os.replace(out, old)
    os.replace(work.root, out)
    fsync_path(out.parent)
    remove(old)


def merge_shards(work: WorkDir, shards: list[ShardSummary], out: Path, meta: dict[str, Any]) -> None:
    """Stream the shards in order into one file; each shard is removed once copied, so the peak
    disk use is the final size plus one shard. An interrupted merge leaves the remaining shards
    (a rerun recomputes the removed ones)."""
    from muonbsm.io.parquet import ParquetWriter

    with io.atomic_path(out) as tmp:
        writer = io.writer_for(tmp)
        for s in shards:
            path = work.root / s.file
            if isinstance(writer, ParquetWriter) and path.suffix == ".parquet":
                import pyarrow.parquet as pq

                writer.write_table(pq.read_table(path))
            else:
                events, _ = io.read(path)
                writer.write(events)
            path.unlink()
        writer.close(meta)
    shutil.rmtree(work.root, ignore_errors=True)
