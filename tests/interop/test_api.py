"""The Python API (`import muonbsm`), `muonbsm --version`, the licence and the citation file."""

import importlib.metadata
import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

import muonbsm

ROOT = Path(__file__).resolve().parents[2]


def test_import_is_light_and_lazy():
    """`import muonbsm` loads no numerical stack; the entry points load on first use."""
    code = ("import sys, json, muonbsm; before = sorted(m for m in ('numba', 'awkward', 'numpy', 'uproot', 'vector') "
            "if m in sys.modules); muonbsm.read; print(json.dumps([before, 'awkward' in sys.modules]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    before, after = json.loads(out.stdout)
    assert before == [] and after is True


def test_public_names():
    assert muonbsm.__version__ == importlib.metadata.version("muonbsm")
    assert dir(muonbsm) == sorted(muonbsm.__all__)
    for name in muonbsm.__all__:
        assert getattr(muonbsm, name) is not None, name
    assert muonbsm.read is muonbsm.io.read and muonbsm.write is muonbsm.io.write
    with pytest.raises(AttributeError, match="no attribute 'reed'"):
        muonbsm.reed  # noqa: B018


def test_generate_needs_output_events_and_seed_for_a_process():
    with pytest.raises(TypeError, match="needs events, seed"):
        muonbsm.generate(object(), "x.parquet")
    with pytest.raises(TypeError, match=r"\['model'\] need a run card"):
        muonbsm.generate(object(), "x.parquet", events=1, seed=1, model={"mass": 0.02})


def test_generate_a_process_object(tmp_path):
    from muonbsm.generator.processes.mu3e.process import InternalConversion

    summary = muonbsm.generate(InternalConversion(), tmp_path / "ic.parquet", events=50, seed=3, merge=True,
                               training={"nitn": 2, "neval": 2000})
    events, meta = muonbsm.read(tmp_path / "ic.parquet")
    assert summary["n_events"] == len(events) == 50 and summary["rate_unit"] == "BR"
    assert float(events.weight.to_numpy().sum()) == pytest.approx(meta["rate"], rel=1e-12) == summary["rate"]


def test_generate_validates_overrides_like_a_card(tmp_path):
    """A bad override is a card error naming section and key, before any work or file."""
    from muonbsm.errors import CardError

    with pytest.raises(CardError, match=r"\[training\].*neval"):
        muonbsm.generate(ROOT / "samples" / "mu3e_ic.toml", tmp_path / "ic.parquet", training={"neval": -5})
    assert list(tmp_path.iterdir()) == []


def test_cli_version():
    code = "import sys; from muonbsm.cli import main; sys.exit(main(['--version']))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == f"muonbsm {muonbsm.__version__}"


def test_licence_matches_pyproject():
    licence = (ROOT / "LICENSE").read_text()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "BSD-3-Clause" and project["license-files"] == ["LICENSE"]  # SPDX (PEP 639)
    assert licence.startswith("BSD 3-Clause License") and "Copyright (c) 2026, the muonbsm developers" in licence


def test_citation_cites_the_software_and_both_papers():
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert cff["cff-version"] == "1.2.0" and cff["type"] == "software"
    assert cff["version"] == project["version"] and cff["license"] == "BSD-3-Clause"
    refs = {r["identifiers"][0]["value"]: r for r in cff["references"]}
    assert sorted(refs) == ["arXiv:2311.17913", "arXiv:2407.15942"]
    assert [a["family-names"] for a in refs["arXiv:2407.15942"]["authors"]] == [
        "Batell", "Davoudiasl", "Marcarelli", "Neil", "Trojanowski"]
    assert [a["family-names"] for a in refs["arXiv:2311.17913"]["authors"]] == [
        "Knapen", "Langhoff", "Opferkuch", "Redigolo"]
