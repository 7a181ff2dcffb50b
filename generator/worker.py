"""A local worker process of :class:`muonbsm.generator.executors.ProcessExecutor`.

Started as ``python -m muonbsm.generator.worker``. It asks the kernel to kill it when its
parent dies (``prctl(PR_SET_PDEATHSIG, SIGKILL)``, Linux) and exits at once if the parent is
already gone, so no worker outlives a killed run. It ignores SIGINT (Ctrl-C reaches the whole
process group; the driver stops its workers) and dies on SIGTERM (default action).

Protocol on stdin/stdout: frames of an 8-byte little-endian length and a pickle.
In: ``("context", RunContext)``, ``("task", fn, ShardTask)``, ``("stop",)``.
Out: ``("ready", pid)``, ``("done", result)``, ``("error", exception, traceback_text)``.
"""

from __future__ import annotations

import ctypes
import os
import pickle
import signal
import struct
import sys
import traceback
from typing import IO, Any

__all__ = ["main", "send", "receive", "set_parent_death_signal"]

_PR_SET_PDEATHSIG = 1
_HEADER = struct.Struct("<Q")


def set_parent_death_signal(sig: int = signal.SIGKILL) -> bool:
    """Ask Linux to send ``sig`` to this process when its parent exits; False elsewhere."""
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    return libc.prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0) == 0


def send(stream: IO[bytes], message: tuple[Any, ...]) -> None:
    """Write one frame (all of it, also on an unbuffered stream)."""
    body = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    data = memoryview(_HEADER.pack(len(body)) + body)
    while data:
        written = stream.write(data)
        data = data[written if written is not None else len(data):]
    stream.flush()


def _read_exact(stream: IO[bytes], size: int) -> bytes | None:
    parts, left = [], size
    while left:
        block = stream.read(left)
        if not block:
            return None
        parts.append(block)
        left -= len(block)
    return b"".join(parts)


def receive(stream: IO[bytes]) -> tuple[Any, ...] | None:
    """Read one frame; None at end of stream. The driver reads its workers' pipes unbuffered
    (a buffered reader could hold a second frame that ``select`` then never reports)."""
    head = _read_exact(stream, _HEADER.size)
    if head is None:
        return None
    (size,) = _HEADER.unpack(head)
    data = _read_exact(stream, size)
    return None if data is None else pickle.loads(data)


def _error_message(exc: BaseException) -> tuple[Any, ...]:
    text = "".join(traceback.format_exception(exc))
    try:
        pickle.dumps(exc)
        return ("error", exc, text)
    except Exception:
        return ("error", RuntimeError(f"{type(exc).__name__}: {exc}"), text)


def main() -> None:
    """Serve tasks until ``stop`` or the end of stdin."""
    set_parent_death_signal()
    parent = int(os.environ.get("MUONBSM_PARENT_PID", "0"))
    if parent and os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    inp = os.fdopen(os.dup(0), "rb")
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # stray prints go to stderr, not into the result stream
    context = None
    send(out, ("ready", os.getpid()))
    while (message := receive(inp)) is not None:
        if message[0] == "stop":
            break
        if message[0] == "context":
            context = message[1]
            continue
        _, fn, task = message
        try:
            result = fn(context, task)
        except BaseException as exc:  # reported to the driver, which decides
            send(out, _error_message(exc))
            continue
        send(out, ("done", result))
    out.close()


if __name__ == "__main__":
    main()
