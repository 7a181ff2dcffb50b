"""Declarative schemas for every input file, and the one validator that reads them.

A schema is a :class:`Table` of keys; each key is a :class:`Key` that declares its type, unit,
range, default and help. The same declaration drives

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

import argparse
import difflib
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from muonbsm import units
from muonbsm.errors import CardError

__all__ = ["REQUIRED", "Key", "Int", "Float", "Quantity", "Bool", "Str", "Choice", "IntChoice", "List", "Table",
           "TableList", "TableMap", "validate", "where", "markdown"]


class _Required:
    def __repr__(self) -> str:
        return "required"


#: The default of a key that must be given.
REQUIRED: Any = _Required()
_NO_DEFAULT = object()


def where(file: str, path: Sequence[str], key: str | None = None) -> str:
    """``"FILE: [sec.sub] key"``: the location of a key in a card, as every message states it."""
    head = f"{file}: [{'.'.join(path)}]" if path else f"{file}:"
    return f"{head} {key}" if key is not None else head


def _fmt(x: float) -> str:
    if x == 2**63 - 1:
        return "2^63-1"
    if float(x).is_integer() and abs(x) < 1e6:
        return str(int(x))
    if isinstance(x, int) and x > 0 and str(x).rstrip("0") == "1":
        return f"10^{len(str(x)) - 1}"
    return f"{x:g}"


def _toml(v: Any) -> str:
    """A default value as it is written in a card."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return f'"{v}"'
    if isinstance(v, list):
        return "[" + ", ".join(_toml(x) for x in v) + "]"
    return repr(v)


@dataclass(frozen=True, kw_only=True)
class Key:
    """A key of a table: ``convert(value, where)`` checks and converts one value."""

    default: Any = REQUIRED
    help: str = ""

    def convert(self, value: Any, loc: str) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def allowed(self) -> str:
        """What the key accepts, in words (used by messages, CLI help and docs)."""
        return ""

    def unit(self) -> str:
        """The unit of a bare number ("" if dimensionless)."""
        return ""

    def fail(self, loc: str, value: Any) -> CardError:
        """The error for ``value`` at ``loc``: what was given and what is allowed."""
        return CardError(f"{loc}: got {value!r}; allowed: {self.allowed()}")

    def arg(self, flag: str) -> Callable[[str], Any]:
        """An argparse ``type`` for the flag ``flag`` applying this key's rules to the text."""

        def parse(text: str) -> Any:
            try:
                return self.convert(self.from_text(text), flag)
            except CardError as exc:
                raise argparse.ArgumentTypeError(str(exc).removeprefix(f"{flag}: ")) from None

        parse.__name__ = type(self).__name__.lower()
        return parse

    def from_text(self, text: str) -> Any:
        """The command-line text as a TOML-like value (numbers for numeric keys)."""
        return text

    def describe(self) -> str:
        """One line for help and docs: help text, unit, allowed values, default."""
        parts = [self.help.rstrip(".")] if self.help else []
        parts.append(self.allowed())
        if self.default is REQUIRED:
            parts.append("required")
        elif self.default is not None:
            parts.append(f"default {self.default!r}")
        return "; ".join(p for p in parts if p)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _text_number(text: str) -> Any:
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


@dataclass(frozen=True)
class Int(Key):
    """An integer in ``[lo, hi]`` (booleans and floats rejected); ``hi`` defaults to 2^63 - 1."""

    lo: int | None = None
    hi: int = 2**63 - 1

    def convert(self, value: Any, loc: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(loc, value)
        if (self.lo is not None and value < self.lo) or value > self.hi:
            raise self.fail(loc, value)
        return value

    def allowed(self) -> str:
        lo = "-inf" if self.lo is None else _fmt(self.lo)
        return f"an integer in [{lo}, {_fmt(self.hi)}]"

    def from_text(self, text: str) -> Any:
        try:
            return int(text)
        except ValueError:
            return text


def _range(lo: float | None, hi: float | None, lo_open: bool, hi_open: bool, unit: str) -> str:
    left = "(" if lo_open or lo is None else "["
    right = ")" if hi_open or hi is None else "]"
    text = f"{left}{'-inf' if lo is None else _fmt(lo)}, {'inf' if hi is None else _fmt(hi)}{right}"
    return f"{text} {unit}".rstrip()


def _in_range(x: float, lo: float | None, hi: float | None, lo_open: bool, hi_open: bool) -> bool:
    if lo is not None and (x < lo or (lo_open and x == lo)):
        return False
    return hi is None or not (x > hi or (hi_open and x == hi))


@dataclass(frozen=True)
class Float(Key):
    """A finite number in a range (``lo_open``/``hi_open`` exclude the ends); no unit."""

    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    hi_open: bool = False
    units: str = ""

    def unit(self) -> str:
        return self.units

    def convert(self, value: Any, loc: str) -> float:
        if not _number(value) or not math.isfinite(value):
            raise self.fail(loc, value)
        if not _in_range(value, self.lo, self.hi, self.lo_open, self.hi_open):
            raise self.fail(loc, value)
        return float(value)

    def allowed(self) -> str:
        return f"a finite number in {_range(self.lo, self.hi, self.lo_open, self.hi_open, self.units)}"

    def from_text(self, text: str) -> Any:
        return _text_number(text)


_UNIT = {"energy": "GeV", "length": "mm"}


@dataclass(frozen=True)
class Quantity(Key):
    """An energy/mass/momentum (GeV) or a length (mm): a number in ``default_unit`` (the unit
    the key's name states; GeV or mm otherwise) or a string with a unit (``"20MeV"``).

    ``lo`` and ``hi`` are in the canonical unit (GeV, mm); the converted value is too.
    """

    dimension: str = "energy"
    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    hi_open: bool = False
    default_unit: str = ""

    def convert(self, value: Any, loc: str) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise self.fail(loc, value)
        if isinstance(value, (int, float)) and not math.isfinite(value):
            raise self.fail(loc, value)
        text = f"{value!r}{self.default_unit}" if _number(value) and self.default_unit else value
        try:
            x = units.parse_quantity(text, self.dimension)
        except ValueError as exc:
            raise CardError(f"{loc}: {exc}") from None
        if not _in_range(x, self.lo, self.hi, self.lo_open, self.hi_open):
            raise self.fail(loc, value)
        return x

    def unit(self) -> str:
        return self.default_unit or _UNIT[self.dimension]

    def allowed(self) -> str:
        rng = _range(self.lo, self.hi, self.lo_open, self.hi_open, _UNIT[self.dimension])
        article = "an" if self.dimension == "energy" else "a"
        return (f"{article} {self.dimension} in {rng} (a number in {self.unit()}, or a string with a unit: "
                f"{', '.join(units.spellings(self.dimension))})")

    def in_unit(self, unit: str) -> Quantity:
        """The same key with bare numbers in ``unit`` (for a ``*_mev``-style alias)."""
        return replace(self, default_unit=unit)


@dataclass(frozen=True)
class Bool(Key):
    """``true`` or ``false`` (not 0/1, not strings); on the command line ``true``/``false``."""

    def convert(self, value: Any, loc: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(loc, value)
        return value

    def allowed(self) -> str:
        return "true or false"

    def from_text(self, text: str) -> Any:
        return {"true": True, "false": False}.get(text.lower(), text)


@dataclass(frozen=True)
class Str(Key):
    """A string (``empty=False``: non-empty), e.g. a file name or a label."""

    empty: bool = False
    what: str = "a string"

    def convert(self, value: Any, loc: str) -> str:
        if not isinstance(value, str) or (not self.empty and not value):
            raise self.fail(loc, value)
        return value

    def allowed(self) -> str:
        return self.what if self.empty else f"{self.what} (non-empty)"


@dataclass(frozen=True)
class Choice(Key):
    """One name of a table (``options``: a mapping or a sequence of names)."""

    options: Iterable[str] | Callable[[], Iterable[str]] = ()

    def names(self) -> list[str]:
        """The allowed names, in table order (a callable table is read when needed)."""
        return list(self.options() if callable(self.options) else self.options)

    def convert(self, value: Any, loc: str) -> str:
        names = self.names()
        if not isinstance(value, str) or value not in names:
            close = difflib.get_close_matches(str(value), names, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise CardError(f"{loc}: got {value!r}{hint}; allowed: {self.allowed()}")
        return value

    def allowed(self) -> str:
        return "one of " + ", ".join(self.names())


@dataclass(frozen=True)
class IntChoice(Key):
    """One of a few integers (e.g. a beam charge -1 or +1); ``meaning`` explains them."""

    values: tuple[int, ...] = ()
    meaning: str = ""

    def convert(self, value: Any, loc: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value not in self.values:
            raise self.fail(loc, value)
        return value

    def allowed(self) -> str:
        text = "one of " + ", ".join(f"{v:+d}" if v else "0" for v in self.values)
        return f"{text} ({self.meaning})" if self.meaning else text

    def from_text(self, text: str) -> Any:
        return _text_number(text)


@dataclass(frozen=True)
class List(Key):
    """A list of ``item`` values: exactly ``length`` items, or between ``min_len`` and
    ``max_len``; ``check(values) -> str | None`` returns a problem with the whole list."""

    item: Key = field(default_factory=lambda: Float())
    length: int | None = None
    min_len: int = 1
    max_len: int | None = None
    check: Callable[[list[Any]], str | None] | None = None
    rule: str = ""

    def convert(self, value: Any, loc: str) -> list[Any]:
        if not isinstance(value, list):
            raise self.fail(loc, value)
        n = len(value)
        if (self.length is not None and n != self.length) or n < self.min_len or (self.max_len is not None and n > self.max_len):
            raise self.fail(loc, value)
        out = [self.item.convert(v, f"{loc}[{i}]") for i, v in enumerate(value)]
        if self.check is not None:
            problem = self.check(out)
            if problem:
                raise CardError(f"{loc}: got {value!r}; {problem}")
        return out

    def unit(self) -> str:
        return self.item.unit()

    def allowed(self) -> str:
        if self.length is not None:
            size = f"{self.length}"
        elif self.max_len is None:
            size = f"{self.min_len} or more" if self.min_len else "any number of"
        else:
            size = f"{self.min_len} to {self.max_len}"
        text = f"a list of {size} items, each {self.item.allowed()}"
        return f"{text}; {self.rule}" if self.rule else text

    def in_unit(self, unit: str) -> List:
        """The same list with its quantities' bare numbers in ``unit``."""
        assert isinstance(self.item, Quantity)
        return replace(self, item=self.item.in_unit(unit))

    def from_text(self, text: str) -> Any:
        return [self.item.from_text(t) for t in text.split(",")]


class Table(Key):
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
    if isinstance(key, (Table, TableList, TableMap)):
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
class TableList(Key):
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
class TableMap(Key):
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
