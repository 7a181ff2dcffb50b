"""Executors that run generation tasks: in this process, in local worker processes, or on a
dask.distributed cluster.

Every executor has ``run(fn, context, tasks) -> iterator of results`` (in completion order:
the tasks write their own shards, whose names fix the order of the data) and ``close()``.
``context`` is sent once per worker, tasks are small, results are small summaries: no event
ever passes through the driver. An executor is a context manager; leaving it closes it.

* :class:`SerialExecutor`: one task after the other in this process (numba uses all cores).
* :class:`ProcessExecutor`: ``workers`` processes (:mod:`muonbsm.generator.worker`) with one
  numba thread each, at most two tasks in flight per worker. Workers die with the driver
  (``PR_SET_PDEATHSIG``); ``close`` after an error or a signal terminates them (SIGTERM, then
  SIGKILL after 1 s), so they stop within about a second. No multiprocessing machinery is
  used (no resource tracker, no semaphores left behind).
* :class:`DaskExecutor`: a dask.distributed scheduler address, or a LocalCluster. Workers
  write into the shard directory, which must be the same path on every worker (a shared file
  system). dask's loggers stay at WARNING unless muonbsm logs at INFO (``muonbsm -v``).
"""

from __future__ import annotations

import abc
import logging
import os
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from types import TracebackType
from typing import Any, Protocol

from muonbsm.errors import InputError, MuonbsmError
from muonbsm.generator.worker import receive, send

__all__ = ["Executor", "SerialExecutor", "ProcessExecutor", "DaskExecutor", "make_executor"]

log = logging.getLogger("muonbsm")


class Executor(Protocol):
    """Runs ``fn(context, task)`` for every task; yields the results as they complete."""

    workers: int
    single_thread: bool

    def run(self, fn: Callable[[Any, Any], Any], context: Any, tasks: Iterable[Any]) -> Iterator[Any]: ...

    def close(self, abort: bool = False) -> None: ...

    def __enter__(self) -> Any: ...

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None: ...


class _Managed(abc.ABC):
    """``with executor:`` closes it on exit (``abort`` after an exception); subclasses define close."""

    @abc.abstractmethod
    def close(self, abort: bool = False) -> None:
        """Release the executor's workers (``abort``: stop them at once)."""

    def __enter__(self) -> Any:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close(abort=exc is not None)


class SerialExecutor(_Managed):
    """Run tasks one after the other in this process (numba kernels still use all cores)."""

    workers = 1
    single_thread = False
    description = "serial"

    def run(self, fn: Callable[[Any, Any], Any], context: Any, tasks: Iterable[Any]) -> Iterator[Any]:
        for task in tasks:
            yield fn(context, task)

    def close(self, abort: bool = False) -> None:
        """Nothing to release."""


class _Worker:
    def __init__(self, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "muonbsm.generator.worker"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, env=env, close_fds=True, bufsize=0)
        self.inflight = 0
        self.has_context: int | None = None

    def send(self, message: tuple[Any, ...]) -> None:
        assert self.proc.stdin is not None
        send(self.proc.stdin, message)

    def receive(self) -> tuple[Any, ...] | None:
        assert self.proc.stdout is not None
        return receive(self.proc.stdout)


class ProcessExecutor(_Managed):
    """Run tasks in ``workers`` local processes (started at once, so that they import while the
    driver trains)."""

    single_thread = True

    def __init__(self, workers: int) -> None:
        if workers < 1:
            raise InputError(f"--workers: must be >= 1, got {workers}")
        self.workers = workers
        self.description = f"{workers} local processes"
        env = {**os.environ, "NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MUONBSM_PARENT_PID": str(os.getpid())}
        self._pool = [_Worker(env) for _ in range(workers)]
        self._selector = selectors.DefaultSelector()
        for w in self._pool:
            assert w.proc.stdout is not None
            self._selector.register(w.proc.stdout, selectors.EVENT_READ, w)
            self._expect(w, "ready")

    def _expect(self, worker: _Worker, kind: str) -> tuple[Any, ...]:
        message = worker.receive()
        if message is None:
            code = worker.proc.wait()
            raise MuonbsmError(f"worker process {worker.proc.pid} exited (status {code}) before finishing its task")
        if message[0] == "error":
            log.info("worker %d traceback:\n%s", worker.proc.pid, message[2])
            raise message[1]
        if message[0] != kind:  # pragma: no cover - protocol invariant
            raise MuonbsmError(f"worker process {worker.proc.pid}: unexpected message {message[0]!r}")
        return message

    def run(self, fn: Callable[[Any, Any], Any], context: Any, tasks: Iterable[Any]) -> Iterator[Any]:
        todo = iter(tasks)
        pending = 0
        for w in self._pool:
            if w.has_context != id(context):
                w.send(("context", context))
                w.has_context = id(context)
        exhausted = False
        while True:
            for w in self._pool:
                while not exhausted and w.inflight < 2:
                    task = next(todo, None)
                    if task is None:
                        exhausted = True
                        break
                    w.send(("task", fn, task))
                    w.inflight += 1
                    pending += 1
            if pending == 0:
                return
            for key, _ in self._selector.select():
                w = key.data
                message = self._expect(w, "done")
                w.inflight -= 1
                pending -= 1
                yield message[1]

    def close(self, abort: bool = False) -> None:
        """Stop the workers: politely after a clean run, SIGTERM then SIGKILL after an error
        (idempotent)."""
        if not self._pool:
            return
        for w in self._pool:
            if w.proc.poll() is None:
                try:
                    if abort:
                        w.proc.send_signal(signal.SIGTERM)
                    else:
                        w.send(("stop",))
                except (BrokenPipeError, OSError):
                    pass
        deadline = time.monotonic() + (1.0 if abort else 10.0)
        for w in self._pool:
            try:
                w.proc.wait(max(deadline - time.monotonic(), 0.01))
            except subprocess.TimeoutExpired:
                w.proc.kill()
                w.proc.wait()
            for stream in (w.proc.stdin, w.proc.stdout):
                try:
                    if stream is not None:
                        stream.close()
                except OSError:
                    pass
        self._selector.close()
        self._pool = []


def _quiet_dask() -> None:
    level = logging.INFO if log.getEffectiveLevel() <= logging.INFO else logging.WARNING
    for name in ("distributed", "distributed.scheduler", "distributed.worker", "distributed.nanny",
                 "distributed.core", "distributed.client", "tornado", "bokeh"):
        logging.getLogger(name).setLevel(level)


class DaskExecutor(_Managed):
    """Run tasks on a dask.distributed cluster (``pip install muonbsm[dask]``).

    ``address`` is a scheduler address (``tcp://host:8786``); ``None`` starts a LocalCluster
    with ``workers`` single-threaded worker processes. The shard directory must be reachable
    under the same absolute path by every worker.
    """

    single_thread = True

    def __init__(self, address: str | None = None, workers: int = 2, connect_timeout: float = 10.0) -> None:
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError as exc:  # pragma: no cover - depends on the optional extra
            raise MuonbsmError("the dask executor needs dask.distributed: pip install 'muonbsm[dask]'") from exc
        _quiet_dask()
        self._cluster = None
        if address is None:
            self._cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                         dashboard_address=None, silence_logs=logging.WARNING)
            self._client: Client | None = Client(self._cluster)  # None once closed
            self.description = f"dask LocalCluster ({workers} workers)"
        else:
            try:
                self._client = Client(address, timeout=connect_timeout)
            except (OSError, TimeoutError) as exc:
                raise MuonbsmError(f"--scheduler {address}: cannot connect to a dask scheduler ({exc})") from None
            self.description = f"dask scheduler {address}"
        self.workers = max(len(self._client.scheduler_info().get("workers", {})), 1)
        self._futures: list[Any] = []

    def run(self, fn: Callable[[Any, Any], Any], context: Any, tasks: Iterable[Any]) -> Iterator[Any]:
        from dask.distributed import as_completed

        if self._client is None:
            raise MuonbsmError("the dask executor is closed")

        shared = self._client.scatter(context, broadcast=True, hash=False)
        self._futures = [self._client.submit(fn, shared, task, pure=False, retries=0) for task in tasks]
        for future in as_completed(self._futures):
            yield future.result()
        self._futures = []

    def close(self, abort: bool = False) -> None:
        """Cancel what is still running, then close the client (and the LocalCluster); idempotent."""
        if self._client is None:
            return
        if self._futures:
            self._client.cancel(self._futures, force=True)
            self._futures = []
        self._client.close()
        self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None


def make_executor(workers: int = 1, scheduler: str | None = None) -> Executor:
    """The executor for a run: serial for one worker without a scheduler, local processes for
    ``workers > 1`` (or ``workers == 1`` with ``scheduler="processes"``), dask for a
    ``scheduler`` address (or ``"local"`` for a LocalCluster of ``workers`` processes)."""
    if scheduler == "processes":
        return ProcessExecutor(workers)
    if scheduler is not None:
        return DaskExecutor(None if scheduler == "local" else scheduler, workers)
    return SerialExecutor() if workers == 1 else ProcessExecutor(workers)
