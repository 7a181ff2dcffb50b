"""The command line: JSON output, and a clear one-line error for bad input with no file left."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from muonbsm.cli import main

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
SMALL = ["--nitn", "2", "--neval", "2000"]


def run(args, capsys):
    code = main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_rate_ic_json(capsys):
    code, out, _ = run(["rate", "ic", "--mee-window", "40MeV", "41MeV", *SMALL, "--json"], capsys)
    assert code == 0
    result = json.loads(out)
    assert result["branching_ratio"] > 0 and result["error"] > 0
    assert result["process"]["mee_window_gev"] == pytest.approx([0.04, 0.041])


def test_rate_signal_json(capsys):
    code, out, _ = run(["rate", "signal", "--model", "dark-photon", "--mass", "20MeV", "--epsilon", "1e-4", *SMALL, "--json"], capsys)
    assert code == 0
    result = json.loads(out)
    assert set(result) >= {"branching_ratio", "error", "br_x_to_ee"}
    assert result["br_x_to_ee"] == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["rate", "signal", "--model", "dark-photon", "--mass=-5MeV", "--epsilon", "1e-4"], "mass"),
        (["rate", "signal", "--model", "dark-photon", "--mass", "120MeV", "--epsilon", "1e-4"], "mass"),
        (["rate", "signal", "--model", "scalar", "--mass", "20MeV"], "g_e"),
        (["rate", "signal", "--model", "dark-photon", "--mass", "20MeV"], "epsilon"),
        (["rate", "ic", "--mee-window", "200MeV", "210MeV"], "window"),
    ],
)
def test_bad_rate_input(args, message, capsys):
    code, _, err = run(args + SMALL, capsys)
    assert code == 2
    assert message in err and err.count("\n") == 1


def test_unknown_model_is_rejected_by_the_parser(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["rate", "signal", "--model", "axion", "--mass", "20MeV"])
    assert exc.value.code == 2
    assert "invalid choice: 'axion'" in capsys.readouterr().err


def _card(tmp_path, body):
    card = tmp_path / "card.toml"
    card.write_text(body.replace("OUT", str(tmp_path / "ev.root")))
    return card


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('[run]\nseed = 1\nevents = 10\noutput = "OUT"\n[process]\nname = "mu3e-signal"\n[model]\nname = "dark-photon"\nmass = "200MeV"\nepsilon = 1e-4\n', "mass"),
        ('[run]\nseed = 1\nevents = 10\noutput = "OUT"\n[process]\nname = "mu3e-ic"\ncolour = 3\n', "colour"),
        ('[run]\nseed = 1\nevents = 10\noutput = "OUT"\n[process\nname = "mu3e-ic"\n', "TOML"),
        ('[run]\nseed = 1\nevents = 10\noutput = "OUT"\n[process]\nname = "mu3e-signal"\n[model]\nname = "axion"\nmass = "20MeV"\n', "axion"),
    ],
)
def test_bad_cards_leave_no_file(tmp_path, body, message, capsys):
    code, _, err = run(["generate", str(_card(tmp_path, body))], capsys)
    assert code == 2 and message in err
    assert [p.name for p in tmp_path.iterdir()] == ["card.toml"]


def test_generate_small_card_and_read_in_fresh_process(tmp_path, capsys):
    body = (SAMPLES / "mu3e_ic.toml").read_text()
    card = tmp_path / "ic.toml"
    card.write_text(body.replace("neval = 100000", "neval = 5000").replace("n_probe = 500000", "n_probe = 20000"))
    out_file = tmp_path / "ic.root"
    code, out, _ = run(["generate", str(card), "--events", "2000", "--output", str(out_file), "--json"], capsys)
    assert code == 0
    summary = json.loads(out)
    assert summary["n_events"] >= 2000 and summary["unweighted"]
    script = "import json, sys; from muonbsm import io; ev, meta = io.read(sys.argv[1]); print(len(ev), meta['summary']['seed'])"
    res = subprocess.run([sys.executable, "-c", script, str(out_file)], capture_output=True, text=True, check=True)
    assert res.stdout.split() == [str(summary["n_events"]), "20261122"]
