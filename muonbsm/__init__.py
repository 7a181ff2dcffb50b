"""muonbsm: Monte Carlo for new-physics searches with muons, from a Lagrangian coupling to
events, detector-level samples and a sensitivity reach.

Entry points (imported on first use, so ``import muonbsm`` stays light):

* :func:`generate`: a run card (TOML path or dict) or a process object -> an event file;
  returns the run summary (``rate`` +- ``rate_error`` in ``rate_unit``, BR or pb);
* :func:`read` (= :func:`muonbsm.io.read`): an event file -> ``(events, metadata)``;
  :func:`write` (= :func:`muonbsm.io.write`).

Submodules: :mod:`~muonbsm.io` (ROOT, Parquet, LHE, HepMC3), :mod:`~muonbsm.events` (the
record), :mod:`~muonbsm.cards`, :mod:`~muonbsm.constants` (PDG and CODATA, the BSM PDG codes),
:mod:`~muonbsm.units`, :mod:`~muonbsm.targets`, :mod:`~muonbsm.errors`, :mod:`~muonbsm.models`,
and the three stages :mod:`~muonbsm.generator`, :mod:`~muonbsm.detector`,
:mod:`~muonbsm.analysis`.

>>> import muonbsm
>>> muonbsm.read is muonbsm.io.read
True
"""

from __future__ import annotations

import importlib
import os
from importlib import metadata as _metadata
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from muonbsm import io
    from muonbsm.io import read, write

__version__: str = _metadata.version("muonbsm")

_SUBMODULES = ("analysis", "cards", "constants", "detector", "errors", "events", "generator", "io", "models",
               "targets", "units")
_FROM_IO = ("read", "write")

__all__ = ["__version__", "generate", *_FROM_IO, *_SUBMODULES]


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"muonbsm.{name}")
    if name in _FROM_IO:
        return getattr(importlib.import_module("muonbsm.io"), name)
    raise AttributeError(f"module 'muonbsm' has no attribute {name!r}")


def __dir__() -> list[str]:
    return list(__all__)


def generate(card_or_process: str | os.PathLike[str] | dict[str, Any] | Any, output: str | os.PathLike[str] | None = None,
             *, events: int | None = None, seed: int | None = None, unweighted: bool | None = None,
             workers: int | None = None, merge: bool | None = None, progress: bool = False,
             **sections: dict[str, Any]) -> dict[str, Any]:
    """Generate a sample into ``output`` and return the run summary (``rate``, ``rate_error`` in
    ``rate_unit``, ``n_events``, ``output``, ...): :func:`muonbsm.generator.generate.run_card`.

    ``card_or_process``: a run card, as a TOML path or as a dict of its sections (validated
    like the ``muonbsm generate`` command's: errors name the section and key), or a process
    object of :mod:`muonbsm.generator.processes` (then ``output``, ``events`` and ``seed`` are
    required, and ``training`` the only section). ``output`` (``.root``, ``.parquet``, ``.lhe[.gz]``, ``.hepmc[3]``), ``events`` and
    ``seed``, ``unweighted`` override the card's ``[run]`` keys; further keyword dicts override card sections,
    e.g. ``training={"neval": 5000}``. ``workers``: local worker processes (default: the
    card's); ``merge``: one file instead of a dataset directory of shards (``.root``,
    ``.parquet``; LHE and HepMC3 are always one file); ``read`` opens either.

    Example (the README's)::

        run = muonbsm.generate("samples/mu3e_ic.toml", "ic.parquet", events=20000, unweighted=False)
        events, meta = muonbsm.read("ic.parquet")
    """
    from muonbsm.generator import generate as engine

    given = (("output", None if output is None else os.fspath(output)), ("events", events), ("seed", seed),
             ("unweighted", unweighted))
    run: dict[str, Any] = {k: v for k, v in given if v is not None}
    if isinstance(card_or_process, (str, os.PathLike, dict)):
        card = _card(card_or_process, run, sections)
        return {**engine.run_card(card, workers=workers, merge=merge, progress=progress).to_dict(),
                "output": card["run"]["output"]}
    if set(sections) - {"training"}:
        raise TypeError(f"generate: section overrides {sorted(set(sections) - {'training'})} need a run card, "
                        "not a process (which takes training=)")
    missing = [k for k in ("output", "events", "seed") if k not in run]
    if missing:
        raise TypeError(f"generate: a process needs {', '.join(missing)}")
    from muonbsm.generator.executors import make_executor

    with make_executor(workers or 1, "processes" if workers else None) as executor:
        summary = engine.generate(card_or_process, run["output"], run["events"], seed=run["seed"],
                                  unweighted=bool(unweighted), training=engine.TrainingOptions(**sections.get("training", {})),
                                  executor=executor, merge=bool(merge), progress=progress)
    return {**summary.to_dict(), "output": run["output"]}


def _card(source: str | os.PathLike[str] | dict[str, Any], run: dict[str, Any],
          sections: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The validated card of ``source`` with ``run`` merged into ``[run]`` and ``sections`` into
    their sections (validation sees the merged card)."""
    from muonbsm.cards import parse_card, read_toml

    text, name = "", "card"
    if isinstance(source, dict):
        raw = {k: dict(v) if isinstance(v, dict) else v for k, v in source.items()}
    else:
        name = os.fspath(source)
        raw = read_toml(source, "run card")
        with open(source, encoding="utf-8") as f:
            text = f.read()
    for key, values in {"run": run, **sections}.items():
        if not isinstance(values, dict):
            raise TypeError(f"generate: {key}= must be a dict of [{key}] keys, got {values!r}")
        raw[key] = {**raw.get(key, {}), **values}
    card = parse_card(raw, name)
    card["source"] = {"path": name, "text": text}
    return card
