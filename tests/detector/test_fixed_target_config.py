"""Fixed-target experiment configurations: defaults, validation, beam spectra."""

from __future__ import annotations

import numpy as np
import pytest

from muonbsm.detector.fixed_target.config import get_experiment, load_experiments, parse_experiment, read_spectrum
from muonbsm.errors import CardError

_BASE = {"name": "X", "variant": "v", "target": "Pb", "thickness_cm": 2.0,
         "beam": {"energy_gev": 100.0, "charge": -1, "n_muons": 1e10}}


def test_defaults_cover_the_issue():
    exps = {e.key: e for e in load_experiments()}
    assert set(exps) == {"NA64mu/current", "NA64mu/projected", "FASERnu2/chain", "FASERnu2/ultimate",
                         "ThinPb1.5TeV/delta_2cm", "ThinPb1.5TeV/delta_2mm", "ThinPb1.5TeV/ultimate"}
    na64 = exps["NA64mu/current"]
    assert (na64.beam.energy_gev, na64.beam.n_muons, na64.selection.max_muon_energy_gev) == (160.0, 2e10, 80.0)
    assert exps["NA64mu/projected"].beam.n_muons == 1e13 and na64.selection.tau_decay == "muonic"
    faser = exps["FASERnu2/chain"]
    assert faser.target == "W" and faser.thickness_cm == 640.0 and faser.selection.delta_mm == 2.0
    assert faser.beam.charge == 0 and faser.beam.stand_in and faser.selection.tau_decays_in_target
    assert exps["FASERnu2/ultimate"].selection.tau_decay == "any"
    thin = exps["ThinPb1.5TeV/delta_2cm"]
    assert (thin.thickness_cm, thin.beam.n_muons, thin.beam.energy_gev, thin.selection.delta_mm) == (2.0, 1e16, 1500.0, 20.0)
    assert thin.channels == ("invisible", "visible") and thin.selection.tau_decay == "3prong"
    assert exps["ThinPb1.5TeV/delta_2mm"].selection.delta_mm == 2.0


@pytest.mark.parametrize("change, match", [
    ({"thickness_cm": -1.0}, r"\[experiment\[1\]\] thickness_cm: got -1.0"),
    ({"thickness_cm": "2 parsec"}, r"\[experiment\[1\]\] thickness_cm: length: unknown unit 'parsec'"),
    ({"colour": 1}, r"\[experiment\[1\]\] unknown key 'colour'"),
    ({"target": "Unobtainium"}, r"\[experiment\[1\]\] target: got 'Unobtainium'"),
    ({"channels": ["dark"]}, r"\[experiment\[1\]\] channels\[0\]: got 'dark'"),
    ({"energy_loss": "continuous"}, r"\[experiment\[1\]\] dedx_a, dedx_b"),
    ({"selection": {"tau_decay": "2prong"}}, r"\[experiment\[1\].selection\] tau_decay: got '2prong'"),
    ({"selection": {"delta_mm": -2}}, r"\[experiment\[1\].selection\] delta_mm: got -2"),
    ({"selection": {"charge_flip": 1}}, r"\[experiment\[1\].selection\] charge_flip: got 1"),
    ({"beam": {"energy_gev": 100.0, "charge": 2, "n_muons": 1.0}}, r"\[experiment\[1\].beam\] charge: got 2"),
    ({"beam": {"charge": 1, "n_muons": 1.0}}, r"\[experiment\[1\].beam\] energy_gev, spectrum_file: give exactly one"),
    ({"beam": {"energy_gev": 100.0, "charge": 1, "n_muons": 0}}, r"\[experiment\[1\].beam\] n_muons: got 0"),
    ({"beam": {"energy_gev": float("nan"), "charge": 1, "n_muons": 1.0}}, r"\[experiment\[1\].beam\] energy_gev"),
    ({"beam": {"energy_gev": 100.0, "charge": 1, "n_muons": 1.0, "spectrum_nodes": True}}, r"spectrum_nodes: got True"),
])
def test_validation_names_the_key(change, match):
    with pytest.raises(CardError, match=match):
        parse_experiment({**_BASE, **change})


def test_energy_units_follow_the_key_name():
    e = parse_experiment({**_BASE, "beam": {"energy_gev": "1.5TeV", "charge": -1, "n_muons": 1.0}, "thickness_cm": "2mm"})
    assert e.beam.energy_gev == 1500.0 and e.thickness_cm == pytest.approx(0.2)


def test_user_file_and_duplicates(tmp_path):
    f = tmp_path / "e.toml"
    f.write_text('[[experiment]]\nname="A"\nvariant="b"\ntarget="W"\nthickness_cm=1.0\n'
                 'beam={energy_gev=50.0, charge=1, n_muons=1e9}\n')
    (e,) = load_experiments(f)
    assert e.key == "A/b" and e.selection.tau_decay == "any"
    f.write_text(f.read_text() * 2)
    with pytest.raises(ValueError, match="unique"):
        load_experiments(f)
    with pytest.raises(ValueError, match="unknown experiment"):
        get_experiment([e], "A/c")


def test_spectrum_nodes(tmp_path):
    f = tmp_path / "spec.csv"
    e = np.geomspace(10.0, 1000.0, 50)
    rows = "\n".join(f"{x},{1.0 / x},0.6" for x in e)
    f.write_text("# dN/dE ~ 1/E\nenergy_gev,dn_de,frac_mu_minus\n" + rows + "\n")
    assert read_spectrum(f)[0][0] == pytest.approx(10.0)
    exp = parse_experiment({**_BASE, "beam": {"spectrum_file": "spec.csv", "charge": 0, "n_muons": 1.0,
                                              "spectrum_nodes": 4}}, base=tmp_path)
    nodes, w, fm = exp.beam.energy_nodes()
    assert len(nodes) == 4 and w.sum() == pytest.approx(1.0)
    assert w == pytest.approx(np.full(4, 0.25), rel=2e-3)          # equal muons per log bin for 1/E
    assert fm == pytest.approx(0.6)
    mono = parse_experiment(_BASE).beam.energy_nodes()
    assert [a.tolist() for a in mono] == [[100.0], [1.0], [1.0]]
