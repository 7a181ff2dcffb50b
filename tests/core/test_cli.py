"""The command line: JSON output, one-line errors naming the flag or key, exit codes, no file left.

The issue-10 rows (strict units, negative values, range/target/threshold/suffix errors, bad
``--output``) run ``muonbsm`` in a subprocess, as a user would.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from muonbsm.cli import main
from muonbsm.generator.processes.registry import FORMATS, X_MODELS

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
SMALL = ["--nitn", "2", "--neval", "2000"]
CLI = [sys.executable, "-m", "muonbsm.cli"]


def run(args, capsys):
    code = main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


def muonbsm(*args, cwd=None):
    """``muonbsm ARGS`` in a fresh interpreter: (exit status, stdout, stderr)."""
    res = subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=300)
    return res.returncode, res.stdout, res.stderr


def test_rate_ic_json(capsys):
    code, out, _ = run(["rate", "ic", "--mee-window", "40MeV", "41 MeV", *SMALL, "--json"], capsys)
    assert code == 0
    result = json.loads(out)
    assert result["branching_ratio"] > 0 and result["error"] > 0
    assert result["process"]["mee_window_gev"] == pytest.approx([0.04, 0.041])


@pytest.mark.parametrize("model", list(X_MODELS))
def test_every_model_name_round_trips(model, capsys):
    coupling = X_MODELS[model].couplings[0].replace("_", "-")
    code, out, err = run(["rate", "signal", "--model", model, "--mass", "20MeV", f"--{coupling}", "1e-4", *SMALL,
                          "--json"], capsys)
    assert code == 0, err
    result = json.loads(out)
    assert result["branching_ratio"] > 0 and result["error"] > 0


# (arguments, exit status, texts the one-line message must contain)
ROWS = [
    (["rate", "signal", "--model", "dark-photon", "--mass", "20meV", "--epsilon", "1e-4"], 2,
     ["--mass: got 2e-11 GeV", "2 m_e < m_X < m_mu - m_e"]),
    (["rate", "signal", "--model", "dark-photon", "--mass", "20Mev", "--epsilon", "1e-4"], 2,
     ["argument --mass", "unknown unit 'Mev'", "accepted spellings: meV, eV, keV, MeV, GeV, TeV"]),
    (["rate", "ic", "--min-energy", "2Mm"], 2, ["argument --min-energy", "unknown unit 'Mm'"]),
    (["rate", "signal", "--model", "dark-photon", "--mass", "-20MeV", "--epsilon", "1e-4"], 2,
     ["argument --mass: got '-20MeV'", "an energy in (0, inf) GeV"]),
    (["rate", "signal", "--model", "dark-photon", "--mass", "120MeV", "--epsilon", "1e-4"], 2,
     ["--mass: got 0.12 GeV"]),
    (["rate", "signal", "--model", "axion", "--mass", "20MeV"], 2, ["argument --model", "invalid choice: 'axion'"]),
    (["rate", "signal", "--model", "scalar", "--mass", "20MeV"], 2, ["--g-e", "needs at least one non-zero coupling"]),
    (["rate", "signal", "--model", "dark-photon", "--mass", "20MeV"], 2, ["--epsilon", "needs epsilon > 0"]),
    (["rate", "ic", "--mee-window", "41MeV", "40MeV"], 2, ["--mee-window: need LO < HI"]),
    (["rate", "ic", "--mee-window", "200MeV", "210MeV"], 2, ["--mee-window: got [0.2, 0.21] GeV"]),
    (["rate", "ic", "--nitn", "true"], 2, ["argument --nitn: got 'true'"]),
    (["xsec", "alp", "--energy", "1500", "--ma", "2", "--target", "Xx"], 2, ["argument --target", "unknown target 'Xx'"]),
    (["xsec", "alp", "--energy", "3GeV", "--ma", "2"], 2, ["--energy: 3 GeV is below the threshold"]),
    (["xsec", "alp", "--energy", "1.5TeV", "--ma", "2", "--t-max", "1e-9"], 2, ["--t-max: 1e-09 GeV^2 leaves no phase space"]),
    (["xsec", "alp", "--energy", "1.5TeV", "--ma", "nan"], 2, ["argument --ma", "cannot read 'nan'"]),
    (["xsec", "alp", "--energy", "1.5TeV", "--ma", "2", "--c-over-lambda", "-1"], 2, ["argument --c-over-lambda: got -1"]),
    (["generate", SAMPLES / "mu3e_ic.toml", "--events", "-5"], 2, ["argument --events: got -5", "an integer in [1,"]),
    (["generate", SAMPLES / "mu3e_ic.toml", "--events", str(2**63)], 2, ["argument --events: got 9223372036854775808"]),
    (["generate", SAMPLES / "mu3e_ic.toml", "--output", "x.txt"], 2, ["argument --output: got 'x.txt'", ".root, .parquet"]),
    (["generate", SAMPLES / "mu3e_ic.toml", "--output", "/nonexistent/dir/x.root"], 2,
     ["--output: directory '/nonexistent/dir'", "does not exist"]),
    (["generate", "missing.toml"], 2, ["run card 'missing.toml' does not exist"]),
]


@pytest.mark.parametrize(("args", "code", "texts"), ROWS, ids=[" ".join(map(str, r[0][:4])) for r in ROWS])
def test_bad_input_gives_one_line_naming_the_flag(args, code, texts, tmp_path):
    status, out, err = muonbsm(*args, *(SMALL if args[0] == "rate" else []), cwd=tmp_path)
    assert status == code
    assert err.count("\n") == 1 and "Traceback" not in err, err
    for text in texts:
        assert text in err, err
    assert list(tmp_path.iterdir()) == []


def test_output_that_is_a_directory(tmp_path):
    (tmp_path / "out.root").mkdir()
    status, _, err = muonbsm("generate", SAMPLES / "mu3e_ic.toml", "--output", tmp_path / "out.root")
    assert status == 2 and "is a directory" in err and err.count("\n") == 1
    assert [p.name for p in tmp_path.iterdir()] == ["out.root"] and not any((tmp_path / "out.root").iterdir())


def test_xsec_table_output_flag_and_old_alias(tmp_path):
    status, _, err = muonbsm("xsec-table", "alp", "--energies", "100", "--masses", "2", "--output", tmp_path)
    assert status == 2 and "--output" in err and "is a directory" in err
    status, _, err = muonbsm("xsec-table", "alp", "--energies", "100", "--masses", "2", "--out", tmp_path / "t.txt")
    assert status == 2 and "allowed: a file name ending in .csv" in err


def _card(tmp_path, body):
    card = tmp_path / "card.toml"
    card.write_text(body.replace("OUT", str(tmp_path / "ev.root")))
    return card


RUN = '[run]\nseed = 1\nevents = 10\noutput = "OUT"\n'


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (RUN + '[process]\nname = "mu3e-signal"\n[model]\nname = "dark-photon"\nmass = "200MeV"\nepsilon = 1e-4\n',
         "card.toml: [model] mass: got 0.2 GeV"),
        (RUN + '[process]\nname = "mu3e-ic"\ncolour = 3\n', "card.toml: [process] unknown key 'colour'"),
        (RUN + '[process\nname = "mu3e-ic"\n', "not valid TOML"),
        (RUN + '[process]\nname = "mu3e-signal"\n[model]\nname = "axion"\nmass = "20MeV"\n', "[model] name: got 'axion'"),
        (RUN + '[process]\nname = "mu3e-ic"\n[training]\noverweight_fraction = 2.0\n', "[training] overweight_fraction: got 2.0"),
        (RUN + '[process]\nname = "mu3e-ic"\n[model]\nname = "dark-photon"\nmass = "20MeV"\nepsilon = 1e-4\n',
         "[model] is not used by process 'mu3e-ic'"),
        (RUN.replace("events = 10", "events = true") + '[process]\nname = "mu3e-ic"\n', "[run] events: got True"),
        (RUN + '[process]\nname = "mu3e-ic"\n[cuts]\nmin_pt = nan\n', "[cuts] min_pt: got nan"),
    ],
)
def test_bad_cards_leave_no_file(tmp_path, body, message):
    status, _, err = muonbsm("generate", _card(tmp_path, body), cwd=tmp_path)
    assert status == 2 and message in err and err.count("\n") == 1, err
    assert [p.name for p in tmp_path.iterdir()] == ["card.toml"]


def test_unexpected_error_is_one_line_and_v_gives_the_traceback(tmp_path):
    card = _card(tmp_path, RUN + '[process]\nname = "mu3e-ic"\n')
    script = ("import sys, muonbsm.cli.generate as g\n"
              "def boom(*a, **k): raise RuntimeError('kaboom')\n"
              "g.run_card = boom\nfrom muonbsm.cli import main\nsys.exit(main(sys.argv[1:]))\n")
    res = subprocess.run([sys.executable, "-c", script, "generate", str(card)], capture_output=True, text=True)
    assert res.returncode == 1 and res.stderr.count("\n") == 1
    assert "internal error: RuntimeError: kaboom (rerun with -v for the traceback)" in res.stderr
    res = subprocess.run([sys.executable, "-c", script, "-v", "generate", str(card)], capture_output=True, text=True)
    assert res.returncode == 1 and "Traceback" in res.stderr


@pytest.mark.parametrize("suffix", list(FORMATS))
def test_every_format_round_trips(suffix, tmp_path, capsys):
    card = tmp_path / "ic.toml"
    body = (SAMPLES / "mu3e_ic.toml").read_text()
    card.write_text(body.replace("neval = 100000", "neval = 2000").replace("n_probe = 500000", "n_probe = 2000")
                    .replace("nitn = 10", "nitn = 2"))
    out_file = tmp_path / f"ic{suffix}"
    code, out, err = run(["generate", str(card), "--events", "50", "--output", str(out_file), "--json"], capsys)
    assert code == 0, err
    summary = json.loads(out)
    script = "import sys; from muonbsm import io; ev, meta = io.read(sys.argv[1]); print(len(ev))"
    res = subprocess.run([sys.executable, "-c", script, str(out_file)], capture_output=True, text=True, check=True)
    assert int(res.stdout) == summary["n_events"] >= 50


def test_version():
    status, out, _ = muonbsm("--version")
    assert status == 0 and out.startswith("muonbsm ")


@pytest.mark.parametrize("args", [["generate", "CARD"], ["generate", str(SAMPLES / "mu3e_ic.toml"), "--events", "-5"],
                                  ["rate", "signal", "--model", "dark-photon", "--mass", "200MeV", "--epsilon", "1"],
                                  ["xsec", "alp", "--energy", "3GeV", "--ma", "2"]])
def test_bad_input_is_reported_before_heavy_imports(args, tmp_path):
    """The message must not wait for numba, awkward or the generator (the 2 s budget of issue 10)."""
    card = _card(tmp_path, RUN + '[process]\nname = "mu3e-ic"\n[training]\noverweight_fraction = 2.0\n')
    script = ("import sys\nfrom muonbsm.cli import main\n"
              "try:\n    code = main(sys.argv[1:])\nexcept SystemExit as exc:\n    code = exc.code\n"
              "heavy = [m for m in ('numba', 'awkward', 'muonbsm.generator.generate', 'muonbsm.io') if m in sys.modules]\n"
              "print(code, heavy)\n")
    res = subprocess.run([sys.executable, "-c", script, *[str(card) if a == "CARD" else a for a in args]],
                         capture_output=True, text=True)
    assert res.stdout.strip() == "2 []", res.stdout + res.stderr


def test_os_error_is_one_line_with_the_path(tmp_path):
    card = _card(tmp_path, RUN + '[process]\nname = "mu3e-ic"\n')
    script = ("import errno, sys, muonbsm.cli.generate as g\n"
              "def denied(*a, **k): raise PermissionError(errno.EACCES, 'Permission denied', '/ro/ev.root')\n"
              "g.run_card = denied\nfrom muonbsm.cli import main\nsys.exit(main(sys.argv[1:]))\n")
    res = subprocess.run([sys.executable, "-c", script, "generate", str(card)], capture_output=True, text=True)
    assert res.returncode == 1 and res.stderr == "muonbsm generate: error: Permission denied: /ro/ev.root\n"
