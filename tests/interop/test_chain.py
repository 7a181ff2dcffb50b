"""The real chain: `muonbsm generate` (a subprocess, small cards) -> event file -> the tools each
format exists for (pyhepmc, pylhe, Pythia 8, uproot, awkward), with event counts and one rate.

Each process is generated once by the command line, into the format whose reader broke before
(HepMC3 for the Mu3e signal, LHE for mu Pb -> tau Pb a), and rewritten with `muonbsm.io.write`
into the other formats; every file is then opened by its tool. The IC sample is weighted (the
sum of its weights is its rate), the others unweighted (the rate is the run's estimate, not the
sum of the weights): each file carries the rate +- error the command printed.
"""

import json
import subprocess
import sys
from pathlib import Path

import awkward as ak
import numpy as np
import pytest

from muonbsm import io
from muonbsm.constants import PDG_IDS

pyhepmc = pytest.importorskip("pyhepmc")
pylhe = pytest.importorskip("pylhe")
uproot = pytest.importorskip("uproot")

TRAINING = "[training]\nnitn = 2\nneval = 2000\nn_probe = 5000\n"
CARDS = {
    "ic": ("ic.root", '[process]\nname = "mu3e-ic"\n', False),
    "dark-photon": ("dp.hepmc3", '[process]\nname = "mu3e-signal"\n\n[model]\nname = "dark-photon"\n'
                    'mass = "20MeV"\nepsilon = 1e-4\n', True),
    "scalar": ("scalar.parquet", '[process]\nname = "mu3e-signal"\n\n[model]\nname = "scalar"\nmass = "20MeV"\n'
               "g_e = 1e-5\ng_mu = 1e-4\n", True),
    "alp": ("alp.lhe", '[process]\nname = "alp"\n\n[alp]\ntarget = "Pb"\nbeam_energy = "1.5TeV"\nm_a = "5GeV"\n', True),
}
FORMATS = (".root", ".parquet", ".lhe", ".hepmc3")
X_PDG = {"dark-photon": PDG_IDS["x_spin1"], "scalar": PDG_IDS["x_spin0"]}


def _generate(directory: Path, name: str) -> tuple[Path, dict]:
    output, sections, unweighted = CARDS[name]
    card = directory / f"{name}.toml"
    card.write_text(f"[run]\nseed = 11\nevents = 150\nunweighted = {str(unweighted).lower()}\n"
                    f'output = "{output}"\n\n{sections}\n{TRAINING}')
    done = subprocess.run([sys.executable, "-c", "import sys; from muonbsm.cli import main; sys.exit(main())",
                           "generate", str(card), "--merge", "--json"],
                          cwd=directory, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return directory / output, json.loads(done.stdout)


@pytest.fixture(scope="module")
def samples(tmp_path_factory):
    """name -> (files by suffix, the command's JSON summary)."""
    out = {}
    for name in CARDS:
        directory = tmp_path_factory.mktemp(name)
        path, summary = _generate(directory, name)
        events, meta = io.read(path)
        files = {suffix: directory / f"copy{suffix}" for suffix in FORMATS if not path.name.endswith(suffix)}
        for target in files.values():
            io.write(events, target, meta)
        files[path.suffix] = path
        out[name] = (files, summary)
    return out


def _pyhepmc(path):
    with pyhepmc.open(path) as f:
        events = list(f)
    return len(events), (events[0].cross_section.xsec(), events[0].cross_section.xsec_err())


def _pylhe(path):
    lhe = pylhe.LHEFile.fromfile(str(path))
    n = sum(1 for _ in lhe.events)
    proc = lhe.init.procInfo[0]
    return n, (proc.xSection, proc.error)


def _uproot(path):
    with uproot.open(path) as f:
        n = f["events"].num_entries
        meta = json.loads(str(f["metadata"]))
    return n, (meta["rate"], meta["rate_error"])


def _awkward(path):
    import pyarrow.parquet as pq

    meta = json.loads(pq.read_metadata(path).metadata[b"muonbsm"])
    return len(ak.from_parquet(path)), (meta["rate"], meta["rate_error"])


READERS = {".hepmc3": _pyhepmc, ".lhe": _pylhe, ".root": _uproot, ".parquet": _awkward}


@pytest.mark.parametrize("suffix", FORMATS)
@pytest.mark.parametrize("name", list(CARDS))
def test_each_tool_reads_every_event_and_the_rate(samples, name, suffix):
    files, summary = samples[name]
    n, (rate, error) = READERS[suffix](files[suffix])
    assert n == summary["n_events"] > 100
    assert (rate, error) == (summary["rate"], summary["rate_error"])
    events, meta = io.read(files[suffix])
    assert len(events) == n and (meta["rate"], meta["rate_error"]) == (rate, error)


def test_weighted_sum_is_the_rate_and_unweighted_rate_is_the_estimate(samples):
    ic, dp = samples["ic"][1], samples["dark-photon"][1]
    events, _ = io.read(samples["ic"][0][".hepmc3"])
    assert float(np.sum(events.weight)) == pytest.approx(ic["rate"], rel=1e-12)
    events, _ = io.read(samples["dark-photon"][0][".lhe"])
    weights = events.weight.to_numpy()
    assert np.count_nonzero(weights != np.median(weights)) == dp["n_overweight_events"]  # the rest: equal
    assert dp["rate_error"] > 0
    assert float(weights.sum()) == pytest.approx(dp["sum_w"], rel=1e-12)


@pytest.mark.parametrize("name", ["dark-photon", "scalar"])
def test_x_has_its_pdg_code_and_decays_in_the_graph(samples, name):
    with pyhepmc.open(samples[name][0][".hepmc3"]) as f:
        event = next(iter(f))
    (x,) = [p for p in event.particles if p.pid == X_PDG[name]]
    assert x.status == 2 and sorted(p.pid for p in x.end_vertex.particles_out) == [-11, 11]


def test_pythia_reads_the_alp_lhe(samples):
    """Pythia 8 sets up the mu- 208Pb beams from the file (the EPS09 grid of A = 208) and reads
    every event; 54 (the ALP) and 1000822080 are particles it knows."""
    pythia8 = pytest.importorskip("pythia8mc")
    files, summary = samples["alp"]
    pythia = pythia8.Pythia("", False)
    for line in ("Beams:frameType = 4", f"Beams:LHEF = {files['.lhe']}", "Check:beams = off",
                 "LesHouches:matchInOut = off", "PartonLevel:ISR = off", "PartonLevel:FSR = off",
                 "PartonLevel:MPI = off", "PartonLevel:Remnants = off", "HadronLevel:Hadronize = off",
                 "Next:numberCount = 0", "Print:quiet = on"):
        assert pythia.readString(line), line
    assert pythia.init()
    assert pythia.infoPython().idB() == 1000822080
    n = 0
    while pythia.next():
        n += 1
    assert n == summary["n_events"] and pythia.infoPython().atEndOfFile()
