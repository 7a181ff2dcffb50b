"""The muonbsm exception family and the exit codes the command line maps them to.

=========================  ====  ==============================================================
exception                  exit  meaning
=========================  ====  ==============================================================
:class:`InputError`        2     bad input: a card key, a CLI flag, a value out of range
:class:`CardError`         2     a run card / configuration that cannot be used (names the key)
:class:`PhysicsRangeError` 2     a parameter leaves no phase space (threshold, ``t_max``, ...)
:class:`IntegrityError`    3     saved state or a file failed verification (hash, fingerprint)
:class:`OutputLockedError` 1     another live run holds the output
:class:`MuonbsmIOError`    1     a file-system failure (no space, no permission), with the path
:class:`MuonbsmError`      1     anything else muonbsm reports on purpose
=========================  ====  ==============================================================

Input errors subclass :class:`ValueError` and I/O errors :class:`OSError`, so generic handlers
keep working.

>>> issubclass(CardError, InputError) and CardError("x").exit_code
2
"""

from __future__ import annotations

__all__ = [
    "MuonbsmError",
    "InputError",
    "CardError",
    "PhysicsRangeError",
    "IntegrityError",
    "MuonbsmIOError",
    "OutputLockedError",
]


class MuonbsmError(Exception):
    """Base class of every error muonbsm raises on purpose; ``exit_code`` is the CLI's."""

    exit_code: int = 1


class InputError(MuonbsmError, ValueError):
    """Bad user input (card key, command-line flag, argument value)."""

    exit_code = 2


class CardError(InputError):
    """A run card or configuration that cannot be used; the message names card, section, key."""


class PhysicsRangeError(InputError):
    """A physical parameter outside its allowed range; the message names the parameter."""


class IntegrityError(MuonbsmError):
    """Saved state (shard, plan, checkpoint, file) that failed verification."""

    exit_code = 3


class MuonbsmIOError(MuonbsmError, OSError):
    """A file-system failure, reported with the path (and the space needed, where known)."""


class OutputLockedError(MuonbsmIOError):
    """The output is held by another live run (the message names the path and its PID)."""
