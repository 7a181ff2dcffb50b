"""Write-then-rename: an output file appears under its final name only when it is complete
(written under a hidden temporary name, fsynced, renamed, and the directory entry fsynced)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

__all__ = ["atomic_path", "fsync_path"]


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it to ``path`` if the block succeeds.

    The temporary name keeps the suffix (writers choose their format by it) and is hidden:
    ``dir/.partial-<pid>.name.root``. On any exception (the command line turns SIGTERM and
    Ctrl-C into exceptions) the temporary file is removed and the exception propagates, so a
    failed or interrupted write leaves nothing behind; temporaries of killed writers (SIGKILL)
    are removed by the next write of the same file.
    """
    final = Path(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale(final)
    tmp = final.with_name(f".partial-{os.getpid()}.{final.name}")
    try:
        yield tmp
        fsync_path(tmp)
        os.replace(tmp, final)
        fsync_path(final.parent)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def _remove_stale(final: Path) -> None:
    """Delete temporary files of ``final`` left by writers that were killed (SIGKILL, power
    loss): those whose process no longer exists."""
    for stale in final.parent.glob(f".partial-*.{final.name}"):
        pid = stale.name[len(".partial-") : -len(final.name) - 1]
        if pid.isdigit() and not _alive(int(pid)):
            with contextlib.suppress(FileNotFoundError):
                stale.unlink()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def fsync_path(path: str | os.PathLike[str]) -> None:
    """Flush the data of the file or directory at ``path`` to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
