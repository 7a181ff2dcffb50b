"""Optional dependencies, imported on first use; a missing one says which extra to install.

==============  ===================  =============================================
helper          module               install
==============  ===================  =============================================
:func:`pyhf`    ``pyhf``             ``pip install "muonbsm[stats]"``
:func:`pyhepmc` ``pyhepmc``          ``pip install "muonbsm[hepmc]"``
:func:`pylhe`   ``pylhe``            ``pip install "muonbsm[lhe]"``
:func:`pythia8` ``pythia8mc``        ``pip install "muonbsm[pythia]"``
:func:`dask`    ``dask.distributed`` ``pip install "muonbsm[dask]"``
:func:`pyplot`  ``matplotlib``       ``pip install matplotlib`` (a core dependency)
==============  ===================  =============================================

Importing this module imports none of them and changes no global state (no plotting backend
is selected: figures are drawn on :class:`matplotlib.figure.Figure` objects).

>>> sorted(EXTRAS)
['dask', 'hepmc', 'lhe', 'pyplot', 'pythia', 'stats']
"""

from __future__ import annotations

import importlib
from types import ModuleType

from muonbsm.errors import MuonbsmError

__all__ = ["EXTRAS", "MissingExtraError", "require", "pyhf", "pyhepmc", "pylhe", "pythia8", "dask", "pyplot"]

#: extra -> (modules tried in order, what needs it)
EXTRAS: dict[str, tuple[tuple[str, ...], str]] = {
    "stats": (("pyhf",), "the pyhf cross-check of the limits"),
    "hepmc": (("pyhepmc",), "HepMC3 files"),
    "lhe": (("pylhe",), "reading LHE files with pylhe"),
    "pythia": (("pythia8mc", "pythia8"), "the Pythia 8 tau-decay backend"),
    "dask": (("dask.distributed",), "dask.distributed clusters (--scheduler)"),
    "pyplot": (("matplotlib.pyplot",), "figures"),
}


class MissingExtraError(MuonbsmError, ImportError):
    """An optional dependency is not installed; the message says how to install it."""


def require(extra: str) -> ModuleType:
    """The module of ``extra`` (a key of :data:`EXTRAS`), imported now."""
    modules, what = EXTRAS[extra]
    for name in modules:
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    hint = 'pip install matplotlib' if extra == "pyplot" else f'pip install "muonbsm[{extra}]"'
    raise MissingExtraError(f"{what}: {modules[0]} is not installed; {hint}")


def pyhf() -> ModuleType:
    """``pyhf`` (extra ``stats``)."""
    return require("stats")


def pyhepmc() -> ModuleType:
    """``pyhepmc`` (extra ``hepmc``)."""
    return require("hepmc")


def pylhe() -> ModuleType:
    """``pylhe`` (extra ``lhe``)."""
    return require("lhe")


def pythia8() -> ModuleType:
    """The Pythia 8 Python module: the ``pythia8mc`` wheel or a ``pythia8`` build (extra ``pythia``)."""
    return require("pythia")


def dask() -> ModuleType:
    """``dask.distributed`` (extra ``dask``)."""
    return require("dask")


def pyplot() -> ModuleType:
    """``matplotlib.pyplot``, for the few callers that need its figure manager (no backend is set)."""
    return require("pyplot")
