"""Declarative schemas for every input file, and the one validator that reads them.

A schema is a :class:`Table` of keys; each key is a :class:`Key` that declares its type, unit,
range, default and help (the key types live in :mod:`muonbsm.schema_keys` and are re-exported
here). The same declaration drives

* validation (:func:`validate`): unknown keys (with close matches), wrong types, booleans where
  numbers are expected, nan/inf, out-of-range values and bad units raise
  :class:`~muonbsm.errors.CardError` naming the file, the section, the key, the value given and
  what is allowed;
* the command line (:meth:`Key.arg`): an argparse ``type`` that applies the same rules to a flag;
* the reference page ``docs/cards.md`` (:func:`markdown`, ``python -m muonbsm.schema --markdown``).

Units follow one rule everywhere: a dimensional value may be a string with a unit
(``"20MeV"``, ``"1.5 TeV"``, ``"2cm"``, see :mod:`muonbsm.units`); a bare number is in the unit
the key's name states (``masses_mev``, ``radius_mm``) or, when the name states none, in GeV
(energies, masses) or mm (lengths).

>>> schema = Table({"run": Table({"events": Int(lo=1, help="events to write"),
...                               "mass": Quantity("energy", default="20MeV", lo=0.0)})})
>>> validate(schema, {"run": {"events": 10}}, "card.toml")
{'run': {'events': 10, 'mass': 0.02}}
>>> validate(schema, {"run": {"evnts": 10}}, "card.toml")
Traceback (most recent call last):
...
muonbsm.errors.CardError: card.toml: [run] unknown key 'evnts' (did you mean 'events'?); allowed: events, mass
"""

from __future__ import annotations

import abc
import argparse
import difflib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from muonbsm import units
from muonbsm.errors import CardError
from muonbsm.schema_keys import (  # the key types, re-exported: one import for every schema
    REQUIRED,
    _NO_DEFAULT,
    Bool,
    Choice,
    Float,
    Int,
    IntChoice,
    Key,
    List,
    Quantity,
    Str,
    _toml,
    where,
)

__all__ = ["REQUIRED", "Key", "Int", "Float", "Quantity", "Bool", "Str", "Choice", "IntChoice", "List", "Table",
           "TableList", "TableMap", "validate", "where", "markdown"]


class _Container(Key):
    """Keys validated with ``run`` (tables, arrays of tables, tables of tables), never alone."""

    def convert(self, value: Any, loc: str) -> Any:
        raise CardError(f"{loc}: a table cannot be converted on its own")  # pragma: no cover

    @abc.abstractmethod
    def run(self, value: Any, file: str, path: tuple[str, ...]) -> Any:
        """The validated ``value`` (``None`` when absent) of the table at ``path`` in ``file``."""


class Table(_Container):
    """A TOML table: ``keys`` -> :class:`Key` (nested tables allowed).

    ``aliases`` maps an old key name to ``(new key, unit of its bare numbers)``; ``optional``
    tables that are absent validate to ``None`` instead of their defaults; ``checks`` are
    functions ``(values, loc) -> None`` for rules across keys (raise :class:`CardError`).
    """

    def __init__(self, keys: Mapping[str, Key], help: str = "", *, optional: bool = False,
                 aliases: Mapping[str, tuple[str, str]] | None = None,
                 checks: Sequence[Callable[[dict[str, Any], str], None]] = ()) -> None:
        for name, value in (("keys", dict(keys)), ("help", help), ("optional", optional),
                            ("aliases", dict(aliases or {})), ("checks", tuple(checks)), ("default", _NO_DEFAULT)):
            object.__setattr__(self, name, value)
        self.keys: dict[str, Key]
        self.optional: bool
        self.aliases: dict[str, tuple[str, str]]
        self.checks: tuple[Callable[[dict[str, Any], str], None], ...]

    def allowed(self) -> str:
        return "a table"

    def convert(self, value: Any, loc: str) -> dict[str, Any]:
        raise CardError(f"{loc}: a table cannot be converted on its own")  # pragma: no cover

    def run(self, value: Any, file: str, path: tuple[str, ...]) -> dict[str, Any] | None:
        """Validate a mapping against this table (``file``/``path`` locate it in messages)."""
        if value is None:
            if self.optional:
                return None
            value = {}
        if not isinstance(value, Mapping):
            raise CardError(f"{where(file, path)} must be a table, got {value!r}")
        given = dict(value)
        for old, (new, unit) in self.aliases.items():
            if old in given:
                if new in given:
                    raise CardError(f"{where(file, path)} give {new} or its old name {old}, not both")
                given[new] = _Aliased(given.pop(old), unit, old)
        names = list(self.keys)
        unknown = [k for k in given if k not in self.keys]
        if unknown:
            close = difflib.get_close_matches(unknown[0], names + list(self.aliases), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            kind = "section" if not path and all(isinstance(k, (Table, TableList, TableMap)) for k in self.keys.values()) else "key"
            raise CardError(f"{where(file, path)} unknown {kind} {unknown[0]!r}{hint}; allowed: {', '.join(names) or 'none'}")
        out: dict[str, Any] = {}
        for name, key in self.keys.items():
            out[name] = _run_key(key, given.get(name, _NO_DEFAULT), file, path, name)
        for check in self.checks:
            check(out, where(file, path))
        return out


@dataclass(frozen=True)
class _Aliased:
    value: Any
    unit: str
    old: str


def _run_key(key: Key, value: Any, file: str, path: tuple[str, ...], name: str) -> Any:
    if isinstance(key, _Container):
        return key.run(None if value is _NO_DEFAULT else value, file, (*path, name))
    loc = where(file, path, name)
    if isinstance(value, _Aliased):
        loc = where(file, path, value.old)
        key = key.in_unit(value.unit) if isinstance(key, (Quantity, List)) and value.unit else key
        value = value.value
    if value is _NO_DEFAULT:
        if key.default is REQUIRED:
            raise CardError(f"{loc} is required ({key.allowed()})")
        default = key.default
        return key.convert(default, loc) if isinstance(default, str) and isinstance(key, Quantity) else default
    return key.convert(value, loc)


@dataclass(frozen=True)
class TableList(_Container):
    """An array of tables (``[[layers]]``), each validated by ``table``; ``min_len`` entries."""

    table: Table = field(default_factory=lambda: Table({}))
    min_len: int = 0
    default: Any = _NO_DEFAULT

    def allowed(self) -> str:
        return f"{self.min_len} or more [[tables]]"

    def run(self, value: Any, file: str, path: tuple[str, ...]) -> list[dict[str, Any]]:
        value = [] if value is None else value
        if not isinstance(value, list) or len(value) < self.min_len:
            raise CardError(f"{file}: [[{'.'.join(path)}]] needs {self.min_len} or more tables, got {value!r}")
        return [self.table.run(v, file, (*path[:-1], f"{path[-1]}[{i + 1}]")) or {} for i, v in enumerate(value)]


@dataclass(frozen=True)
class TableMap(_Container):
    """A table of named tables (``[models.NAME]``), each validated by ``table``."""

    table: Table = field(default_factory=lambda: Table({}))
    default: Any = _NO_DEFAULT

    def allowed(self) -> str:
        return "named tables [section.NAME]"

    def run(self, value: Any, file: str, path: tuple[str, ...]) -> dict[str, dict[str, Any]]:
        value = {} if value is None else value
        if not isinstance(value, Mapping):
            raise CardError(f"{where(file, path)} must be a table of tables, got {value!r}")
        return {name: self.table.run(v, file, (*path, name)) or {} for name, v in value.items()}


def validate(schema: Table, data: Mapping[str, Any], file: str = "card") -> dict[str, Any]:
    """``data`` checked against ``schema``, with defaults filled in and units converted.

    Raises :class:`~muonbsm.errors.CardError` naming ``file``, the section and the key.
    """
    return schema.run(data, file, ()) or {}


def _rows(table: Table, path: tuple[str, ...]) -> tuple[list[str], list[tuple[tuple[str, ...], Table | TableList | TableMap]]]:
    rows, subs = [], []
    for name, key in table.keys.items():
        if isinstance(key, (Table, TableList, TableMap)):
            subs.append(((*path, name), key))
            continue
        olds = [old for old, (new, _) in table.aliases.items() if new == name]
        alias = f" (old name: {', '.join(olds)})" if olds else ""
        default = "required" if key.default is REQUIRED else ("-" if key.default is None else f"`{_toml(key.default)}`")
        rows.append(f"| `{name}`{alias} | {key.unit() or '-'} | {key.allowed().replace('|', '/')} | {default} | {key.help} |")
    return rows, subs


def _markdown_table(title: str, table: Table | TableList | TableMap, path: tuple[str, ...], out: list[str]) -> None:
    inner = table.table if isinstance(table, (TableList, TableMap)) else table
    label = {TableList: f"[[{'.'.join(path)}]]", TableMap: f"[{'.'.join(path)}.NAME]"}.get(type(table), f"[{'.'.join(path)}]")
    rows, subs = _rows(inner, path)
    if rows:
        head = title if not path else label
        note = " (optional section)" if isinstance(inner, Table) and inner.optional else ""
        out += [f"#### `{head}`{note}" if path else f"#### {head}", ""]
        if inner.help:
            out += [inner.help, ""]
        out += ["| key | unit | allowed | default | meaning |", "|---|---|---|---|---|", *rows, ""]
    elif inner.help and path:
        out += [f"#### `{label}`", "", inner.help, ""]
    for sub_path, sub in subs:
        _markdown_table(title, sub, sub_path, out)


def markdown(schemas: Mapping[str, tuple[Table, str]]) -> str:
    """The reference page of ``schemas`` (title -> (schema, introduction)) as Markdown."""
    out = ["# Card and configuration reference", "",
           "Generated from the schemas in `muonbsm.cards` by `python -m muonbsm.schema --markdown`;",
           "do not edit by hand. Every key is validated before any work starts: unknown keys, wrong",
           "types, booleans where numbers are expected, nan/inf, out-of-range values and bad units are",
           "errors naming the file, the section and the key (exit status 2).", "",
           "Units: " + units.__doc__.split("\n\n")[1].replace("\n", " ").strip(), ""]
    for title, (schema, intro) in schemas.items():
        out += [f"## {title}", "", intro, ""]
        _markdown_table(title, schema, (), out)
    return "\n".join(out).rstrip() + "\n"


def _main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m muonbsm.schema", description="print the card reference")
    parser.add_argument("--markdown", action="store_true", help="print docs/cards.md")
    parser.parse_args(argv)
    from muonbsm import schema  # not __main__: the classes the cards were built with
    from muonbsm.cards import SCHEMAS

    print(schema.markdown(SCHEMAS), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())
