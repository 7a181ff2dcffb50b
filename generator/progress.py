"""Progress on long work: a tqdm bar on a terminal, periodic log lines otherwise."""

from __future__ import annotations

import logging
import sys
import time
from types import TracebackType

__all__ = ["Progress"]

log = logging.getLogger("muonbsm")


class Progress:
    """Count ``total`` units (``unit``: ev, pt, ...) of work named ``what``.

    Interactive runs (stderr is a terminal) get a tqdm bar; non-interactive runs (CI, batch
    jobs, files) get a log line at most every ``interval`` seconds and one at the end.
    """

    def __init__(self, total: int, what: str, interval: float = 30.0, enabled: bool = True, unit: str = "ev") -> None:
        self.total, self.what, self.interval, self.done = total, what, interval, 0
        self._bar = None
        self._start = self._last = time.monotonic()
        self._enabled = enabled
        if enabled and sys.stderr.isatty():
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=what, unit=unit, unit_scale=True, leave=False)

    def update(self, n: int) -> None:
        """Record ``n`` more units done."""
        self.done += n
        if self._bar is not None:
            self._bar.update(n)
        elif self._enabled and time.monotonic() - self._last >= self.interval:
            self._last = time.monotonic()
            log.info("%s: %d/%d (%.0f%%)", self.what, self.done, self.total, 100.0 * self.done / max(self.total, 1))

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self._bar is not None:
            self._bar.close()
        elif self._enabled and exc is None:
            log.info("%s: done, %d in %.1f s", self.what, self.done, time.monotonic() - self._start)
