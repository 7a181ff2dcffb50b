"""Configuration loading and validation of the Mu3e detector model."""

import sys
from pathlib import Path

import pytest

from muonbsm.errors import CardError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from muonbsm.detector.mu3e.config import config_from_dict, default_config_path, load_config, replace_value


def _data():
    return tomllib.loads(default_config_path().read_text())


def test_default_is_phase_one_geometry():
    cfg = load_config()
    g = cfg.geometry
    assert g.b_tesla == 1.0 and g.target_length_mm == 100.0 and g.target_radius_mm == 19.0
    assert [l.radius_mm for l in g.layers] == [23.3, 29.8, 73.9, 86.3]
    assert [2 * l.half_length_mm for l in g.layers] == pytest.approx([124.7, 124.7, 351.9, 372.6])
    assert cfg.maps.short.is_file() and cfg.maps.long_upgrade.is_file()
    assert len(cfg.resolution.mee_rms_gev) == 4
    assert "(approx.)" in default_config_path().read_text()


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (lambda d: d["field"].update(b_tesla=-1.0), r"\[field\] b_tesla: got -1.0; allowed: a finite number in \(0, 20\] T"),
        (lambda d: d["field"].update(b_tesla="strong"), r"\[field\] b_tesla: got 'strong'"),
        (lambda d: d["field"].update(b_tesla=True), r"\[field\] b_tesla: got True"),
        (lambda d: d["field"].update(bfield=1.0), r"\[field\] unknown key 'bfield'"),
        (lambda d: d.update(extra={}), "unknown key 'extra'"),
        (lambda d: d["layers"][2].update(radius_mm=20.0), r"\[\[layers\]\] radius_mm: must increase"),
        (lambda d: d["layers"][2].update(radius_mm="2 cm"), r"\[\[layers\]\] radius_mm: must increase"),
        (lambda d: d["layers"][1].update(radius_mm="3 Mm"), r"\[layers\[2\]\] radius_mm: length: unknown unit 'Mm'"),
        (lambda d: d["layers"][0].update(radius_mm=10.0), r"\[target\] radius_mm: must be below"),
        (lambda d: d["efficiency"].update(vertex=1.5), r"\[efficiency\] vertex: got 1.5"),
        (lambda d: d["efficiency"].pop("timing"), r"\[efficiency\] timing is required"),
        (lambda d: d["resolution"].update(mee_rms_gev=[0.001, 0.001]), r"\[resolution\] mee_rms_gev: got \[0.001, 0.001\]"),
        (lambda d: d["resolution"]["crystal_ball"].update(n=1.0), r"\[resolution.crystal_ball\] n: got 1.0"),
        (lambda d: d["recurl"].update(layers=["L7"]), r"\[recurl\] layers\[0\]: got 'L7'"),
        (lambda d: d["recurl"].update(max_turns=0), r"\[recurl\] max_turns: got 0"),
        (lambda d: d["selection"].update(inner_recurl_short="yes"), r"\[selection\] inner_recurl_short: got 'yes'"),
        (lambda d: d["displaced_vertex"].update(form="box"), r"\[displaced_vertex\] form: got 'box'"),
        (lambda d: d.pop("maps"), r"\[maps\] short is required"),
    ],
)
def test_malformed_configuration_names_the_key(edit, match):
    data = _data()
    edit(data)
    with pytest.raises(CardError, match=match) as exc:
        config_from_dict(data, base_dir=default_config_path().parent, source=Path("mine.toml"))
    assert str(exc.value).startswith("mine.toml: ")


def test_units_follow_the_key_name():
    data = _data()
    data["target"]["radius_mm"] = "1.9cm"
    data["selection"]["pt_min_gev"] = "10MeV"
    cfg = config_from_dict(data)
    assert cfg.geometry.target_radius_mm == pytest.approx(19.0) and cfg.selection.pt_min_gev == pytest.approx(0.01)


def test_bad_files(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        load_config(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[field\nb_tesla = 1")
    with pytest.raises(ValueError, match="not valid TOML"):
        load_config(bad)


def test_map_paths_relative_to_file(tmp_path):
    text = default_config_path().read_text()
    path = tmp_path / "mine.toml"
    path.write_text(text)
    cfg = load_config(path)
    assert cfg.maps.short == tmp_path / "mu3e_map_short.csv"
    assert cfg.source == path


def test_replace_value():
    cfg = load_config()
    new = replace_value(cfg, "resolution.mee_rms_gev", (0.001,) * 4)
    assert new.resolution.mee_rms_gev == (0.001,) * 4 and cfg.resolution.mee_rms_gev != new.resolution.mee_rms_gev
    with pytest.raises(ValueError, match="dotted"):
        replace_value(cfg, "efficiency.nothing", 1)
