"""Executors that run generation chunks: in this process, in local worker processes, or on a
dask.distributed cluster. All return results *in chunk order*, so the output file does not
depend on the executor or on the number of workers (each chunk's random numbers are fixed by
the master seed and the chunk index, see :mod:`muonbsm.generator.sampling`).

At most ``2 * workers`` chunks are in flight, which bounds the memory of a run.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, Protocol

__all__ = ["Executor", "SerialExecutor", "ProcessExecutor", "DaskExecutor", "make_executor"]


class Executor(Protocol):
    """Maps a function over task arguments, yielding results in order."""

    def map(self, fn: Callable[..., Any], tasks: Iterable[tuple[Any, ...]]) -> Iterator[Any]: ...


class SerialExecutor:
    """Run chunks one after the other in this process (numba kernels still use all cores)."""

    def map(self, fn: Callable[..., Any], tasks: Iterable[tuple[Any, ...]]) -> Iterator[Any]:
        for args in tasks:
            yield fn(*args)


def _init_worker() -> None:
    """One numba thread per worker process: the processes are the parallelism."""
    os.environ["NUMBA_NUM_THREADS"] = "1"
    import numba

    numba.set_num_threads(1)


def _ordered(submit: Callable[..., Future], fn: Callable[..., Any], tasks: Iterable[tuple[Any, ...]], depth: int) -> Iterator[Any]:
    pending: deque[Future] = deque()
    for args in tasks:
        pending.append(submit(fn, *args))
        if len(pending) >= depth:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


class ProcessExecutor:
    """Run chunks in ``workers`` local processes.

    Workers are *spawned*, not forked: forking a process whose numba kernels already started
    their thread pool is unsafe. Processes and matrix elements must therefore be importable
    (module-level functions and classes), as they are in muonbsm.
    """

    def __init__(self, workers: int) -> None:
        if workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        self.workers = workers

    def map(self, fn: Callable[..., Any], tasks: Iterable[tuple[Any, ...]]) -> Iterator[Any]:
        with ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"), initializer=_init_worker) as pool:
            yield from _ordered(pool.submit, fn, tasks, 2 * self.workers)


class DaskExecutor:
    """Run chunks on a dask.distributed cluster (``pip install muonbsm[dask]``).

    ``address`` is a scheduler address (``tcp://host:8786``); ``None`` starts a LocalCluster
    with ``workers`` single-threaded workers.
    """

    def __init__(self, address: str | None = None, workers: int = 2) -> None:
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError as exc:  # pragma: no cover - depends on the optional extra
            raise ImportError("the dask executor needs dask.distributed: pip install 'muonbsm[dask]'") from exc
        if address is None:
            self._cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True)
            self._client = Client(self._cluster)
        else:
            self._cluster = None
            self._client = Client(address)
        self.workers = workers

    def map(self, fn: Callable[..., Any], tasks: Iterable[tuple[Any, ...]]) -> Iterator[Any]:
        depth = 2 * max(self.workers, len(self._client.scheduler_info().get("workers", {})) or 1)
        yield from _ordered(lambda f, *a: self._client.submit(f, *a, pure=False), fn, tasks, depth)

    def close(self) -> None:
        self._client.close()
        if self._cluster is not None:
            self._cluster.close()


def make_executor(workers: int = 1, scheduler: str | None = None) -> Executor:
    """The executor for a run: serial for one worker, local processes for more, dask when a
    ``scheduler`` address (or ``"local"`` for a LocalCluster) is given."""
    if scheduler is not None:
        return DaskExecutor(None if scheduler == "local" else scheduler, workers)
    return SerialExecutor() if workers == 1 else ProcessExecutor(workers)
