"""The declarative schema machinery: each key kind, the messages, aliases, and docs/cards.md."""

import math
import subprocess
import sys
from pathlib import Path

import pytest

from muonbsm.errors import CardError
from muonbsm.schema import (Bool, Choice, Float, Int, IntChoice, List, Quantity, Str, Table, TableList, TableMap,
                            validate)

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = Table({
    "sec": Table({
        "n": Int(lo=1, hi=100, default=5, help="a count"),
        "x": Float(lo=0.0, hi=1.0, hi_open=True, default=0.5),
        "e": Quantity("energy", lo=0.0, default=None),
        "flag": Bool(default=False),
        "name": Choice(options=("alpha", "beta"), default="alpha"),
        "charge": IntChoice(values=(-1, 1), default=-1),
        "v": List(Float(), length=2, default=None),
        "label": Str(default="x"),
    }, aliases={"e_mev": ("e", "MeV")}),
    "layers": TableList(table=Table({"r_mm": Quantity("length", lo=0.0, default_unit="mm")}), min_len=0),
    "models": TableMap(table=Table({"g": Float(default=0.0)})),
})


def _check(data):
    return validate(SCHEMA, data, "my.toml")


def test_defaults_and_conversion():
    out = _check({"sec": {"e": "20MeV"}, "layers": [{"r_mm": 2}, {"r_mm": "1cm"}], "models": {"m1": {"g": 1}}})
    assert out["sec"] == {"n": 5, "x": 0.5, "e": 0.02, "flag": False, "name": "alpha", "charge": -1, "v": None,
                          "label": "x"}
    assert out["layers"] == [{"r_mm": 2.0}, {"r_mm": 10.0}] and out["models"] == {"m1": {"g": 1.0}}


def test_alias_takes_the_unit_of_its_name():
    assert _check({"sec": {"e_mev": 20}})["sec"]["e"] == pytest.approx(0.02)
    with pytest.raises(CardError, match=r"my.toml: \[sec\] give e or its old name e_mev, not both"):
        _check({"sec": {"e_mev": 20, "e": 0.02}})


@pytest.mark.parametrize(
    ("sec", "message"),
    [
        ({"n": True}, r"\[sec\] n: got True; allowed: an integer in \[1, 100\]"),
        ({"n": 2.0}, r"\[sec\] n: got 2.0"),
        ({"n": 2**63}, r"\[sec\] n: got 9223372036854775808"),
        ({"x": math.nan}, r"\[sec\] x: got nan; allowed: a finite number in \[0, 1\)"),
        ({"x": math.inf}, r"\[sec\] x: got inf"),
        ({"x": 1.0}, r"\[sec\] x: got 1.0"),
        ({"x": False}, r"\[sec\] x: got False"),
        ({"e": "5 parsec"}, r"\[sec\] e: .*unknown unit 'parsec'"),
        ({"e": "-1MeV"}, r"\[sec\] e: got '-1MeV'; allowed: an energy in \[0, inf\) GeV"),
        ({"e_mev": True}, r"\[sec\] e_mev: got True"),
        ({"flag": 1}, r"\[sec\] flag: got 1; allowed: true or false"),
        ({"name": "alpah"}, r"\[sec\] name: got 'alpah' \(did you mean 'alpha'\?\); allowed: one of alpha, beta"),
        ({"charge": 0}, r"\[sec\] charge: got 0; allowed: one of -1, \+1"),
        ({"v": [1.0]}, r"\[sec\] v: got \[1.0\]; allowed: a list of 2 items"),
        ({"v": [1.0, "a"]}, r"\[sec\] v\[1\]: got 'a'"),
        ({"label": ""}, r"\[sec\] label: got ''"),
        ({"nn": 1}, r"\[sec\] unknown key 'nn' \(did you mean 'n'\?\)"),
    ],
)
def test_messages_name_file_section_key_value_and_range(sec, message):
    with pytest.raises(CardError, match=message) as exc:
        _check({"sec": sec})
    assert str(exc.value).startswith("my.toml: ")


def test_nested_locations():
    with pytest.raises(CardError, match=r"my.toml: \[layers\[2\]\] r_mm: got -1"):
        _check({"layers": [{"r_mm": 1}, {"r_mm": -1}]})
    with pytest.raises(CardError, match=r"my.toml: \[models.m1\] unknown key 'h'"):
        _check({"models": {"m1": {"h": 1}}})
    with pytest.raises(CardError, match=r"my.toml: unknown section 'extra'"):
        _check({"extra": {}})
    with pytest.raises(CardError, match=r"my.toml: \[sec\] must be a table"):
        _check({"sec": 3})


def test_required_key():
    with pytest.raises(CardError, match=r"my.toml: \[layers\[1\]\] r_mm is required"):
        _check({"layers": [{}]})


def test_cli_argument_type_uses_the_same_rule():
    import argparse

    parse = Int(lo=1).arg("--events")
    assert parse("12") == 12
    with pytest.raises(argparse.ArgumentTypeError, match=r"got -5; allowed: an integer in \[1,"):
        parse("-5")


def test_docs_cards_md_is_generated_from_the_schemas():
    """docs/cards.md is the output of `python -m muonbsm.schema --markdown` (regenerate it when a schema changes)."""
    res = subprocess.run([sys.executable, "-m", "muonbsm.schema", "--markdown"], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    assert (ROOT / "docs" / "cards.md").read_text() == res.stdout
    for text in ("[run]", "`events`", "[[experiment]]", "[scan]", "`masses` (old name: masses_mev)"):
        assert text in res.stdout
