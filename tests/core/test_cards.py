"""Cards: every shipped card validates; each kind of malformed card names file, section and key."""

import math
from pathlib import Path

import pytest

from muonbsm.cards import ALP_REACH, GENERATION, MU3E_REACH, PIPELINE, check_output, load_card, parse_card, read_toml
from muonbsm.errors import CardError, InputError, PhysicsRangeError
from muonbsm.generator.processes.registry import FORMATS, PROCESSES, X_MODELS
from muonbsm.schema import validate

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
BASE = {"run": {"seed": 1, "events": 10, "output": "x.root"}, "process": {"name": "mu3e-ic"}}
SIGNAL = {"run": BASE["run"], "process": {"name": "mu3e-signal"}, "model": {"name": "dark-photon", "mass": "20MeV", "epsilon": 1e-4}}
ALP = {"run": BASE["run"], "process": {"name": "alp"}, "alp": {"beam_energy": "1.5TeV", "m_a": "5GeV"}}


def _schema_of(raw):
    """The schema a sample card follows, from its sections."""
    for section, schema in (("run", GENERATION), ("pipeline", PIPELINE), ("reach", ALP_REACH), ("scan", MU3E_REACH)):
        if section in raw:
            return schema
    raise AssertionError(f"no schema has the sections {sorted(raw)}")


@pytest.mark.parametrize("card", sorted(SAMPLES.glob("*.toml")), ids=lambda p: p.name)
def test_every_shipped_card_validates(card):
    raw = read_toml(card, "card")
    assert validate(_schema_of(raw), raw, card.name)


def test_generation_cards_load():
    assert load_card(SAMPLES / "mu3e_ic.toml")["run"]["events"] > 0


def test_units_in_cards():
    card = parse_card({**BASE, "cuts": {"min_energy": "10MeV", "mee_window": ["79.5MeV", 0.0805]}})
    assert card["cuts"]["min_energy"] == pytest.approx(0.01)
    assert card["cuts"]["mee_window"] == pytest.approx([0.0795, 0.0805])
    assert parse_card(ALP)["alp"]["beam_energy"] == 1500.0


@pytest.mark.parametrize("process", list(PROCESSES))
def test_every_process_name_validates(process):
    card = {"mu3e-ic": BASE, "mu3e-signal": SIGNAL, "alp": ALP}[process]
    assert parse_card(card)["process"]["name"] == process


@pytest.mark.parametrize("model", list(X_MODELS))
def test_every_model_name_validates(model):
    coupling = X_MODELS[model].couplings[0]
    card = {**SIGNAL, "model": {"name": model, "mass": "20MeV", coupling: 1e-4}}
    assert parse_card(card)["model"]["name"] == model


@pytest.mark.parametrize("suffix", list(FORMATS))
def test_every_format_validates(suffix):
    assert parse_card({**BASE, "run": {**BASE["run"], "output": f"x{suffix}"}})["run"]["output"] == f"x{suffix}"


def _with(card, section, **keys):
    return {**card, section: {**card.get(section, {}), **keys}}


# (card, error class, text the message must contain: the section and the key)
MALFORMED = [
    (_with(BASE, "run", sed=2), CardError, "[run] unknown key 'sed' (did you mean 'seed'?)"),
    (_with(BASE, "run", seed=-1), CardError, "[run] seed: got -1"),
    (_with(BASE, "run", events=2**63), CardError, "[run] events: got 9223372036854775808"),
    (_with(BASE, "run", events=10.0), CardError, "[run] events: got 10.0"),
    (_with(BASE, "run", events=True), CardError, "[run] events: got True"),
    (_with(BASE, "run", output="x.txt"), CardError, "[run] output: got 'x.txt'"),
    ({"process": BASE["process"], "run": {"seed": 1, "output": "x.root"}}, CardError, "[run] events is required"),
    (_with(BASE, "process", name="mu3e-xyz"), CardError, "[process] name: got 'mu3e-xyz' (did you mean 'mu3e-ic'?)"),
    (_with(BASE, "process", name="mu3e-signal"), CardError, "process 'mu3e-signal' needs a [model] section"),
    (_with(BASE, "process", polarization=[0, 0, 2]), CardError, "[process] polarization[2]: got 2"),
    (_with(BASE, "process", polarization=[0, 0.8, 0.8]), CardError, "[process] polarization: got [0, 0.8, 0.8]; |P| must be <= 1"),
    (_with(BASE, "cuts", min_energy="10 parsec"), CardError, "[cuts] min_energy: energy: unknown unit 'parsec'"),
    (_with(BASE, "cuts", min_energy="10Mev"), CardError, "[cuts] min_energy: energy: unknown unit 'Mev'"),
    (_with(BASE, "cuts", min_pt="-1MeV"), CardError, "[cuts] min_pt: got '-1MeV'"),
    (_with(BASE, "cuts", min_pt=math.nan), CardError, "[cuts] min_pt: "),
    (_with(BASE, "cuts", mee_window=["81MeV", "80MeV"]), CardError, "[cuts] mee_window: got ['81MeV', '80MeV']; need lo < hi"),
    ({**BASE, "detector": {}}, CardError, "unknown section 'detector'"),
    ({**BASE, "model": SIGNAL["model"]}, CardError, "[model] is not used by process 'mu3e-ic'"),
    ({**ALP, "cuts": {"min_pt": "1MeV"}}, CardError, "[cuts] is not used by process 'alp'"),
    (_with(BASE, "process", name="alp"), CardError, "process 'alp' needs a [alp] section"),
    (_with(BASE, "training", overweight_fraction=1.5), CardError, "[training] overweight_fraction: got 1.5"),
    (_with(BASE, "training", nitn=math.inf), CardError, "[training] nitn: got inf"),
    (_with(SIGNAL, "model", name="axion"), CardError, "[model] name: got 'axion'"),
    (_with(SIGNAL, "model", mass="200MeV"), PhysicsRangeError, "[model] mass: got 0.2 GeV; allowed: 2 m_e < m_X"),
    (_with(SIGNAL, "model", mass="20meV"), PhysicsRangeError, "[model] mass: got 2e-11 GeV"),
    (_with(SIGNAL, "model", epsilon=0.0), CardError, "[model] epsilon: model 'dark-photon' needs epsilon > 0"),
    (_with(SIGNAL, "model", g_e=1e-5), CardError, "[model] g_e: not a coupling of model 'dark-photon'"),
    (_with(SIGNAL, "model", ctau="1cm"), CardError, "[model] ctau: the lifetime of model 'dark-photon'"),
    ({**SIGNAL, "process": {"name": "mu3e-signal", "prompt": False}, "model": {"name": "scalar", "mass": "20MeV", "g_mu": 1e-4}},
     CardError, "[model] ctau: required with [process] prompt = false for a muon-only X"),
    (_with(ALP, "alp", beam_charge=0), CardError, "[alp] beam_charge: got 0; allowed: one of -1, +1"),
    (_with(ALP, "alp", target="Fe"), CardError, "[alp] target: got 'Fe'"),
    (_with(ALP, "alp", beam_energy="3GeV"), PhysicsRangeError, "[alp] beam_energy: 3 GeV is below the threshold"),
    (_with(ALP, "alp", t_max=1e-9), PhysicsRangeError, "[alp] t_max: 1e-09 GeV^2 leaves no phase space"),
    (_with(ALP, "alp", g_chi=1.0, m_chi="3GeV"), PhysicsRangeError, "[alp] m_chi: got 3 GeV"),
]


@pytest.mark.parametrize(("card", "error", "text"), MALFORMED, ids=[m[2][:40] for m in MALFORMED])
def test_malformed_cards_name_the_key(card, error, text):
    with pytest.raises(error) as exc:
        parse_card(card, "bad.toml")
    assert str(exc.value).startswith("bad.toml: ") and text in str(exc.value)


@pytest.mark.parametrize(
    ("schema", "raw", "text"),
    [
        (ALP_REACH, {"reach": {"masses_gev": [2.0], "n_required": "three"}}, "[reach] n_required: got 'three'"),
        (ALP_REACH, {"reach": {"masses_gev": [2.0], "channels": ["visble"]}}, "[reach] channels[0]: got 'visble' (did you mean 'visible'?)"),
        (ALP_REACH, {"reach": {"masses_gev": [-2.0]}}, "[reach] masses_gev[0]: got -2.0"),
        (ALP_REACH, {"reach": {}}, "[reach] masses is required"),
        (ALP_REACH, {"reach": {"masses": [2.0]}, "invisible": {"m_chi_over_m_a": 0.6}}, "[invisible] m_chi_over_m_a: got 0.6"),
        (MU3E_REACH, {"scan": {"models": ["dark-photon"], "masses_mev": [20]}, "statistics": {"polarization": 0.5}},
         "[statistics] polarization: got 0.5"),
        (MU3E_REACH, {"scan": {"models": ["dark-photon"], "masses_mev": [200]}}, "[scan] masses_mev[0]: got 200"),
        (MU3E_REACH, {"scan": {"models": ["axion"], "masses": ["20MeV"]}}, "[scan] models[0]: got 'axion'"),
        (MU3E_REACH, {"scan": {"models": ["dark-photon"], "masses": ["20MeV"], "pairs": ["a,d"]}}, "[scan] pairs[0]: got 'a,d'"),
        (MU3E_REACH, {"scan": {"models": ["m"], "masses": ["20MeV"]}, "models": {"m": {"process": "scalar", "coupling": "g_x"}}},
         "[models.m] coupling: got 'g_x'"),
        (PIPELINE, {"pipeline": {"output_dir": "r"}, "generate": [{"card": "a.toml", "events": 0}]}, "[generate[1]] events: got 0"),
        (PIPELINE, {"pipeline": {"output_dir": "r"}, "generate": [{"card": "a.toml", "format": "csv"}]}, "[generate[1]] format: got 'csv'"),
        (PIPELINE, {"pipeline": {}}, "[pipeline] output_dir is required"),
    ],
)
def test_malformed_reach_and_pipeline_cards_name_the_key(schema, raw, text):
    with pytest.raises(CardError) as exc:
        validate(schema, raw, "bad.toml")
    assert str(exc.value).startswith("bad.toml: ") and text in str(exc.value)


def test_reach_mass_aliases_keep_their_unit():
    a = validate(ALP_REACH, {"reach": {"masses_gev": [2.0, "500MeV"]}}, "c")
    b = validate(ALP_REACH, {"reach": {"masses": ["2GeV", 0.5]}}, "c")
    assert a["reach"]["masses"] == b["reach"]["masses"] == [2.0, 0.5]
    m = validate(MU3E_REACH, {"scan": {"models": ["dark-photon"], "masses_mev": [20]}}, "c")
    assert m["scan"]["masses"] == [pytest.approx(0.02)]


def test_check_output(tmp_path):
    assert check_output(tmp_path / "x.root") == tmp_path / "x.root"
    (tmp_path / "d.root").mkdir()
    with pytest.raises(InputError, match="--output: .* is a directory"):
        check_output(tmp_path / "d.root")
    with pytest.raises(InputError, match="--output: directory .* does not exist"):
        check_output(tmp_path / "no" / "x.root")


def test_missing_and_invalid_files(tmp_path):
    with pytest.raises(CardError, match="does not exist"):
        load_card(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[run\nseed = 1")
    with pytest.raises(CardError, match="not valid TOML"):
        load_card(bad)


def test_names_tables_match_the_writers():
    """The light names table of formats (validation before heavy imports) is the writers' table."""
    from muonbsm import io
    from muonbsm.cards import DATASET_MANIFEST
    from muonbsm.io.dataset import MANIFEST

    assert set(FORMATS) == set(io.WRITERS) and DATASET_MANIFEST == MANIFEST


def test_dataset_directory_is_a_valid_unmerged_output(tmp_path):
    ds = tmp_path / "x.parquet"
    ds.mkdir()
    with pytest.raises(InputError, match="not a muonbsm dataset"):
        check_output(ds, dataset=True)
    (ds / "_manifest.json").write_text("{}")
    assert check_output(ds, dataset=True) == ds
    with pytest.raises(InputError, match="is a directory"):
        check_output(ds, dataset=False)


@pytest.mark.parametrize("process", list(PROCESSES))
def test_every_process_name_dispatches_to_its_builder(process):
    """registry.PROCESSES -> card -> build_process: the table, not an if/elif, picks the class."""
    from muonbsm.generator.processes.registry import build_process

    card = parse_card({"mu3e-ic": BASE, "mu3e-signal": SIGNAL, "alp": ALP}[process])
    built = build_process(card)
    expected = {"mu3e-ic": "InternalConversion", "mu3e-signal": "XEmission", "alp": "AlpProduction"}[process]
    assert type(built).__name__ == expected and built.describe()
