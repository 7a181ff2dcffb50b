"""Key types of the declarative schemas (:mod:`muonbsm.schema`): one class per kind of value.

:class:`Key` is the abstract base (``convert``, ``allowed``, ``unit``, ``arg`` for the command
line, ``describe`` for help and docs); :class:`Int`, :class:`Float`, :class:`Quantity` (a value
with a unit, see :mod:`muonbsm.units`), :class:`Bool`, :class:`Str`, :class:`Choice`,
:class:`IntChoice` and :class:`List` are the scalar and list keys. Tables of keys, the
validator and the docs generator are in :mod:`muonbsm.schema`, which re-exports these names.
"""

from __future__ import annotations

import abc
import argparse
import difflib
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from muonbsm import units
from muonbsm.errors import CardError

__all__ = ["REQUIRED", "Key", "Int", "Float", "Quantity", "Bool", "Str", "Choice", "IntChoice", "List", "where"]


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
class Key(abc.ABC):
    """A key of a table: ``convert(value, where)`` checks and converts one value."""

    default: Any = REQUIRED
    help: str = ""

    @abc.abstractmethod
    def convert(self, value: Any, loc: str) -> Any:
        """The checked and converted ``value``; raises :class:`CardError` naming ``loc``."""

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


