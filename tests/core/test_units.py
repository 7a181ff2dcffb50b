"""Strict units: case-sensitive SI spellings, spaces allowed, clear errors for the rest."""

import math

import pytest

from muonbsm import units


@pytest.mark.parametrize(
    ("text", "gev"),
    [("20MeV", 0.02), ("20 MeV", 0.02), ("1.5TeV", 1500.0), ("20meV", 20e-12), ("3keV", 3e-6), ("7eV", 7e-9),
     ("0.5", 0.5), ("-20MeV", -0.02), ("1e3MeV", 1.0), (2, 2.0), (0.25, 0.25)],
)
def test_energies(text, gev):
    # meV is milli-electronvolt (1e-12 GeV), not MeV: a hand count of SI prefixes
    assert units.energy(text) == pytest.approx(gev, rel=1e-12)


@pytest.mark.parametrize(("text", "mm"), [("2cm", 20.0), ("2 m", 2000.0), ("3mm", 3.0), ("5um", 5e-3), ("1km", 1e6), (4, 4.0)])
def test_lengths(text, mm):
    assert units.length(text) == pytest.approx(mm)


@pytest.mark.parametrize(
    ("func", "text", "message"),
    [
        (units.length, "2Mm", "unknown unit 'Mm'"),
        (units.energy, "20Mev", "unknown unit 'Mev'"),
        (units.energy, "20mev", "unknown unit 'mev'"),
        (units.energy, "20 GEV", "unknown unit 'GEV'"),
        (units.energy, "2cm", "unknown unit 'cm'"),
        (units.length, "2MeV", "unknown unit 'MeV'"),
        (units.energy, "twenty", "cannot read"),
        (units.energy, "nan", "cannot read"),
        (units.energy, math.inf, "finite"),
        (units.energy, True, "expected a number"),
    ],
)
def test_bad_units_name_the_accepted_spellings(func, text, message):
    with pytest.raises(ValueError, match=message) as exc:
        func(text)
    if "unknown unit" in message:
        assert "accepted spellings" in str(exc.value) and "case-sensitive" in str(exc.value)


def test_spellings_are_the_tables():
    assert units.spellings("energy") == ["meV", "eV", "keV", "MeV", "GeV", "TeV"]
    assert "m" in units.spellings("length") and "Mm" not in units.spellings("length")
