"""Run cards: defaults, units, and a clear error for each kind of malformed card."""

from pathlib import Path

import pytest

from muonbsm.cards import CardError, load_card, parse_card

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
BASE = {"run": {"seed": 1, "events": 10, "output": "x.root"}, "process": {"name": "mu3e-ic"}}


GENERATION_CARDS = ["mu3e_ic.toml", "mu3e_ic_window80.toml", "mu3e_dark_photon.toml", "mu3e_scalar.toml", "alp_beamdump.toml"]


@pytest.mark.parametrize("card", [SAMPLES / name for name in GENERATION_CARDS], ids=lambda p: p.name)
def test_shipped_cards_are_valid(card):
    assert load_card(card)["run"]["events"] > 0


def test_units_in_cards():
    card = parse_card({**BASE, "cuts": {"min_energy": "10MeV", "mee_window": ["79.5MeV", 0.0805]}})
    assert card["cuts"]["min_energy"] == pytest.approx(0.01)
    assert card["cuts"]["mee_window"] == pytest.approx([0.0795, 0.0805])


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ({"run": {"seed": 1, "events": 10, "output": "x.root", "sed": 2}}, r"unknown key\(s\) \['sed'\]"),
        ({"run": {"seed": -1, "events": 10, "output": "x.root"}}, r"\[run\] seed: -1 is out of range"),
        ({"run": {"seed": 1, "output": "x.root"}}, r"\[run\] events is required"),
        ({"process": {"name": "mu3e-xyz"}}, "is not one of"),
        ({"process": {"name": "mu3e-signal"}}, r"needs a \[model\] section"),
        ({"cuts": {"min_energy": "10 parsec"}}, "unknown unit"),
        ({"cuts": {"min_pt": "-1MeV"}}, "must be >= 0"),
        ({"cuts": {"mee_window": ["81MeV", "80MeV"]}}, "need lo < hi"),
        ({"process": {"name": "mu3e-ic", "polarization": [0, 0, 2]}}, r"\|P\| must be <= 1"),
        ({"detector": {}}, r"unknown section\(s\)"),
        ({"process": {"name": "alp"}}, r"needs a \[alp\] section"),
        ({"process": {"name": "alp"}, "alp": {"beam_energy": 160, "m_a": "2GeV", "beam_charge": 0}}, "beam charge"),
    ],
)
def test_malformed_cards(patch, message):
    with pytest.raises(CardError, match=message):
        parse_card({**BASE, **patch})


def test_missing_and_invalid_files(tmp_path):
    with pytest.raises(CardError, match="does not exist"):
        load_card(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[run\nseed = 1")
    with pytest.raises(CardError, match="not valid TOML"):
        load_card(bad)
