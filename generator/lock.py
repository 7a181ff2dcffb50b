"""One writer per output: an exclusive ``fcntl.flock`` on a lock file beside the output.

``<dir>/.<name>.lock`` holds the PID of the run that owns ``<dir>/<name>`` (a file or a dataset
directory) and its work directory. The kernel releases a flock when its holder dies, however it
dies (SIGKILL included), so a stale lock of a dead process is taken over by the next run with
no liveness guess. A second live run fails at once with :class:`~muonbsm.errors.OutputLockedError`
naming the path and the PID that holds it. The lock file is opened without inheritance
(``O_CLOEXEC``), so worker processes never hold it.

>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> with OutputLock(d / "x.parquet") as lock:
...     lock.path.name
'.x.parquet.lock'
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path
from types import TracebackType

from muonbsm.errors import OutputLockedError

__all__ = ["OutputLock", "lock_path"]


def lock_path(output: str | os.PathLike[str]) -> Path:
    """The lock file of ``output``."""
    out = Path(output)
    return out.parent / f".{out.name}.lock"


class OutputLock:
    """Exclusive, non-blocking lock on ``output`` for the lifetime of a run (a context manager)."""

    def __init__(self, output: str | os.PathLike[str]) -> None:
        self.output = Path(output)
        self.path = lock_path(output)
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock or raise :class:`OutputLockedError` at once."""
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                pid = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
                os.close(fd)
                raise OutputLockedError(f"{self.output}: output is in use by another muonbsm run (PID {pid}, "
                                        f"lock {self.path}); wait for it or choose another --output") from None
            # the previous holder may have unlinked the file between our open and our flock:
            # then we hold a lock nobody else can see; retry on the current file
            try:
                same = os.stat(self.path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd

    def check_free(self) -> None:
        """Raise :class:`OutputLockedError` now if another live run holds the output (a cheap
        early check before heavy work; :meth:`acquire` decides)."""
        if self.path.exists():
            self.acquire()
            self.release()

    def release(self) -> None:
        """Remove the lock file and release the lock (unlink first, so no one locks a stale inode)."""
        if self._fd is None:
            return
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)
        os.close(self._fd)
        self._fd = None

    def __enter__(self) -> OutputLock:
        self.acquire()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.release()
