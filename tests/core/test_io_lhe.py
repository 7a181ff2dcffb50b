"""Les Houches Event files: exact round trip, LHEF layout, foreign files, Pythia 8 reads them."""

import gzip

import awkward as ak
import numpy as np
import pytest

from muonbsm import io
from muonbsm.constants import M_MU, M_TAU, PDG_IDS, pdg_mass
from muonbsm.errors import IntegrityError
from muonbsm.events import from_arrays
from muonbsm.generator.phase_space import boost, flat_decay
from muonbsm.io.lhe import LheWriter, read_lhe
from muonbsm.targets import get_target

PB = 1000822080
ALP = PDG_IDS["alp"]
M_PB = pdg_mass(PB)


def record(n=6, seed=0, equal_weights=False):
    """mu- Pb -> tau- Pb a, tau -> nu_tau pi- at a displaced vertex (random kinematics)."""
    rng = np.random.default_rng(seed)
    shape = (n, 7)
    p = {k: rng.normal(size=shape) for k in ("px", "py", "pz")}
    masses = np.array([M_MU, M_PB, M_TAU, M_PB, 0.3, 0.0, 0.13957])
    p["E"] = np.sqrt(p["px"] ** 2 + p["py"] ** 2 + p["pz"] ** 2 + masses**2)
    p["pdg"] = np.broadcast_to([13, PB, 15, PB, ALP, 16, -211], shape)
    p["charge"] = np.broadcast_to(np.array([-1, 82, -1, 82, 0, 0, -1], np.float32), shape)
    p["status"] = np.broadcast_to([4, 4, 2, 1, 1, 1, 1], shape)
    p["mother"] = np.broadcast_to([-1, -1, -1, -1, -1, 2, 2], shape)
    vertex = rng.normal(size=(n, 1, 3)) * np.ones((1, 7, 1))
    vertex[:, 5:] += rng.normal(size=(n, 1, 3))
    p.update(vx=vertex[..., 0], vy=vertex[..., 1], vz=vertex[..., 2])
    weight = np.full(n, 0.125) if equal_weights else rng.random(n)
    return from_arrays(p, weight, polarization_z=rng.uniform(-1, 1, n), t=rng.random(n).astype(np.float32),
                       target=np.arange(n, dtype=np.int32))


def assert_same(back, events):
    assert str(back.type) == str(events.type)
    for name in events.particles.fields:
        assert ak.all(back.particles[name] == events.particles[name]), name
    for name in events.fields:
        if name != "particles":
            assert np.array_equal(back[name].to_numpy(), events[name].to_numpy()), name


META = {"seed": 3, "unit": "pb", "card": 'x = "<a> & ]]>"\ny = 2', "rate": 1.5, "rate_error": 0.25}


@pytest.mark.parametrize("suffix", [".lhe", ".lhe.gz"])
def test_round_trip_is_exact(tmp_path, suffix):
    events = record()
    io.write(events, tmp_path / f"ev{suffix}", META)
    back, meta = io.read(tmp_path / f"ev{suffix}")
    assert meta == META
    assert_same(back, events)


def test_streaming_chunks_equal_one_write(tmp_path):
    events = record(9)
    writer = LheWriter(tmp_path / "a.lhe")
    for chunk in (events[:4], events[4:4], events[4:]):
        writer.write(chunk)
    writer.close(META)
    io.write(events, tmp_path / "b.lhe", META)
    assert (tmp_path / "a.lhe").read_bytes() == (tmp_path / "b.lhe").read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.lhe", "b.lhe"]


def test_gzip_is_reproducible(tmp_path):
    io.write(record(), tmp_path / "a.lhe.gz", META)
    io.write(record(), tmp_path / "b.lhe.gz", META)
    assert (tmp_path / "a.lhe.gz").read_bytes() == (tmp_path / "b.lhe.gz").read_bytes()
    assert gzip.decompress((tmp_path / "a.lhe.gz").read_bytes()).startswith(b'<LesHouchesEvents version="3.0">')


def test_zero_events(tmp_path):
    io.write(record()[:0], tmp_path / "e.lhe", {"seed": 1})
    back, meta = io.read(tmp_path / "e.lhe")
    assert len(back) == 0 and meta == {"seed": 1}
    assert set(back.particles.fields) == set(record().particles.fields)


def _blocks(path):
    text = path.read_text()
    init = text.split("<init>\n")[1].split("</init>")[0].split("\n")
    event = text.split("<event>\n")[1].split("</event>")[0].split("\n")
    return init, event


def test_lhef_layout(tmp_path):
    events = record(3, equal_weights=True)
    io.write(events, tmp_path / "ev.lhe", META)
    init, event = _blocks(tmp_path / "ev.lhe")
    beams = init[0].split()
    assert beams[:2] == ["13", str(PB)] and float(beams[2]) == events.particles.E[0, 0]
    assert float(beams[3]) == events.particles.E[0, 1] and beams[8:] == ["3", "1"]
    assert [float(x) for x in init[1].split()] == [1.5, 0.25, 0.125, 1.0]
    head = event[0].split()
    assert head[:2] == ["7", "1"] and float(head[2]) == 0.125
    rows = [line.split() for line in event[1:8]]
    assert [r[1] for r in rows] == ["-1", "-1", "2", "1", "1", "1", "1"]
    assert [(r[2], r[3]) for r in rows] == [("0", "0")] * 2 + [("1", "2")] * 3 + [("3", "0")] * 2
    tau = events.particles[0, 2]
    step = [float(events.particles[0, 5][k]) - float(tau[k]) for k in ("vx", "vy", "vz")]
    ctau = M_TAU * np.linalg.norm(step) / tau.p
    assert float(rows[2][11]) == pytest.approx(ctau, rel=1e-9)
    assert float(rows[2][10]) == pytest.approx(M_TAU, rel=1e-12)
    assert event[8].startswith("<muonbsm polarization_z=")


def test_weighted_and_negative_weights_set_idwtup(tmp_path):
    events = record(4)
    io.write(events, tmp_path / "w.lhe", {})
    assert _blocks(tmp_path / "w.lhe")[0][0].split()[8] == "4"
    init1 = _blocks(tmp_path / "w.lhe")[0][1].split()
    assert float(init1[0]) == pytest.approx(float(np.sum(events.weight)), rel=1e-15)
    negative = ak.with_field(events, -events.weight, "weight")
    io.write(negative, tmp_path / "n.lhe", {})
    assert _blocks(tmp_path / "n.lhe")[0][0].split()[8] == "-4"


def test_foreign_lhe_uses_mothup_and_pdg_charge(tmp_path):
    text = """<LesHouchesEvents version="1.0">
<init>
11 -11 5.0 5.0 0 0 0 0 3 1
1.0 0.1 1.0 1
</init>
<event>
4 1 1.0 10.0 0.0078 0.118
11 -1 0 0 0 0 0 0 5.0 5.0 0.0 0 9
-11 -1 0 0 0 0 0 0 -5.0 5.0 0.0 0 9
13 1 1 2 0 0 3.0 0 4.0 5.0 0.0 0 9
-13 1 1 2 0 0 -3.0 0 -4.0 5.0 0.0 0 9
#  a comment line
</event>
</LesHouchesEvents>
"""
    (tmp_path / "f.lhe").write_text(text)
    back, meta = read_lhe(tmp_path / "f.lhe")
    assert meta == {"rate": 1.0, "rate_error": 0.1, "rate_unit": "pb"}  # XSECUP, XERRUP
    assert back.particles.pdg.tolist() == [[11, -11, 13, -13]]
    assert back.particles.status.tolist() == [[4, 4, 1, 1]]
    assert back.particles.mother.tolist() == [[-1, -1, -1, -1]]
    assert back.particles.charge.tolist() == [[-1, 1, -1, 1]]
    assert back.weight.tolist() == [1.0]


def test_bad_status_is_rejected(tmp_path):
    events = record(2)
    parts = events.particles
    bad = ak.with_field(parts, ak.where(parts.status == 2, np.int8(3), parts.status), "status")
    with pytest.raises(ValueError, match="status"):
        LheWriter(tmp_path / "x.lhe").write(ak.with_field(events, bad, "particles"))


def test_pylhe_reads_the_file(tmp_path):
    pylhe = pytest.importorskip("pylhe")
    events = record(3)
    io.write(events, tmp_path / "ev.lhe", META)
    lhe = pylhe.LHEFile.fromfile(str(tmp_path / "ev.lhe"))
    assert lhe.init.initInfo.beamA == 13 and lhe.init.initInfo.beamB == PB
    read = list(lhe.events)
    assert [e.eventinfo.weight for e in read] == events.weight.tolist()
    assert [p.id for p in read[1].particles] == events.particles.pdg[1].tolist()
    assert [p.px for p in read[2].particles] == events.particles.px[2].tolist()


def alp_production(n, rng, e_mu=20.0, m_a=0.5, nucleus="Pb"):
    """mu- N(at rest) -> tau- N a with flat 3-body phase space (momentum conserving) [GeV]; the
    nucleus code and mass of the target table (208Pb, 184W)."""
    tgt = get_target(nucleus)
    beam = np.zeros((n, 4))
    beam[:, 0], beam[:, 3] = e_mu, np.sqrt(e_mu**2 - M_MU**2)
    target = np.zeros((n, 4))
    target[:, 0] = tgt.nucleus_mass
    total = beam + target
    sqrt_s = float(np.sqrt(total[0, 0] ** 2 - total[0, 3] ** 2))
    rest, _ = flat_decay(sqrt_s, [M_TAU, tgt.nucleus_mass, m_a], n, rng)
    lab = boost(rest, total[:, None, :])
    four = np.concatenate([beam[:, None], target[:, None], lab], axis=1)
    p = {"E": four[..., 0], "px": four[..., 1], "py": four[..., 2], "pz": four[..., 3]}
    p["pdg"] = np.broadcast_to([13, tgt.pdg, 15, tgt.pdg, ALP], (n, 5))
    p["charge"] = np.broadcast_to(np.array([-1, tgt.Z, -1, tgt.Z, 0], np.float32), (n, 5))
    p["status"] = np.broadcast_to([4, 4, 1, 1, 1], (n, 5))
    return from_arrays(p, np.full(n, 2.0), polarization_z=rng.uniform(-1, 1, n))


@pytest.mark.slow
@pytest.mark.pythia
def test_pythia_reads_lhe_and_decays_taus(tmp_path):
    pythia8 = pytest.importorskip("pythia8mc")
    n = 50
    events = alp_production(n, np.random.default_rng(5))
    io.write(events, tmp_path / "alp.lhe", {"unit": "pb"})
    pythia = pythia8.Pythia("", False)
    for line in (
        "Beams:frameType = 4", f"Beams:LHEF = {tmp_path / 'alp.lhe'}",
        "Check:beams = off",  # mu + nucleus is no beam pair Pythia generates itself
        "LesHouches:matchInOut = off",  # the target nucleus at rest is no parton
        "PartonLevel:ISR = off", "PartonLevel:FSR = off", "PartonLevel:MPI = off", "PartonLevel:Remnants = off",
        "Check:event = off", "HadronLevel:Hadronize = off", "HadronLevel:Decay = on",
        f"{ALP}:mayDecay = off",  # 54 is Pythia's DMmed(s=0): no id:new needed
        "Next:numberCount = 0", "Next:numberShowLHA = 0", "Next:numberShowInfo = 0",
        "Next:numberShowProcess = 0", "Next:numberShowEvent = 0", "Init:showChangedSettings = off",
        "Init:showChangedParticleData = off", "Random:setSeed = on", "Random:seed = 11",
    ):
        assert pythia.readString(line), line
    assert pythia.init()
    n_decayed = 0
    for i in range(n):
        assert pythia.next()
        record_ = pythia.event
        taus = [j for j in range(record_.size()) if abs(record_[j].id()) == 15]
        assert len(taus) == 1
        tau = record_[taus[0]]
        assert not tau.isFinal() and tau.daughter1() > 0
        daughters = [record_[j] for j in range(tau.daughter1(), tau.daughter2() + 1)]
        assert any(abs(d.id()) == 16 for d in daughters)
        total = np.sum([[d.e(), d.px(), d.py(), d.pz()] for d in daughters], axis=0)
        assert total == pytest.approx([tau.e(), tau.px(), tau.py(), tau.pz()], abs=1e-6)
        assert tau.e() == pytest.approx(float(events.particles.E[i, 2]), rel=1e-9)
        final = np.sum([[p.e(), p.px(), p.py(), p.pz()] for p in (record_[j] for j in range(record_.size()))
                        if p.isFinal()], axis=0)
        beams = events.particles[i, :2]
        expected = [float(ak.sum(beams[c])) for c in ("E", "px", "py", "pz")]
        assert final == pytest.approx(expected, abs=1e-6)  # the whole event conserves four-momentum
        n_decayed += 1
    assert n_decayed == n
    assert not pythia.next()  # end of file: every event in the file was read


@pytest.mark.pythia
def test_pythia_reads_a_tungsten_target_with_isospin_pdfs(tmp_path):
    """184W (1000741840) is no Pythia 8.317 particle and has no EPS09 grid in its pdfdata (only
    A = 208 ships): declared with its mass and read with isospin-only nuclear PDFs."""
    pythia8 = pytest.importorskip("pythia8mc")
    n, w = 20, get_target("W")
    io.write(alp_production(n, np.random.default_rng(2), nucleus="W"), tmp_path / "w.lhe", {"unit": "pb"})
    pythia = pythia8.Pythia("", False)
    for line in ("Beams:frameType = 4", f"Beams:LHEF = {tmp_path / 'w.lhe'}", "Check:beams = off",
                 "LesHouches:matchInOut = off", "PartonLevel:ISR = off", "PartonLevel:FSR = off",
                 "PartonLevel:MPI = off", "PartonLevel:Remnants = off", "HadronLevel:all = off", "Print:quiet = on",
                 "PDF:nPDFSetB = 0", f"{w.pdg}:new = 184W 184Wbar 1 {3 * w.Z} 0 {w.nucleus_mass!r}",
                 f"{ALP}:mayDecay = off"):
        assert pythia.readString(line), line
    assert pythia.init()
    count = 0
    while pythia.next():
        count += 1
    assert count == n and pythia.infoPython().idB() == 1000741840


def decay_record(n, incoming):
    """mu+ -> e+ e+ e- (+ the muon at rest as status 4 when ``incoming``), Mu3e-like."""
    rng = np.random.default_rng(1)
    k = 4 if incoming else 3
    p = {c: rng.normal(size=(n, k)) * 0.01 for c in ("px", "py", "pz")}
    p["E"] = np.sqrt(p["px"] ** 2 + p["py"] ** 2 + p["pz"] ** 2 + 0.000511**2)
    p["pdg"] = np.broadcast_to([-11, -11, 11], (n, 3))
    p["vz"] = np.broadcast_to(rng.normal(size=(n, 1)), (n, 3))
    if incoming:
        p = {c: np.concatenate([np.zeros((n, 1)), v[:, -3:]], axis=1) for c, v in p.items()}
        p["E"][:, 0], p["pdg"][:, 0] = M_MU, -13
        p["status"] = np.broadcast_to([4, 1, 1, 1], (n, 4))
        p["mother"] = np.broadcast_to([-1, 0, 0, -1], (n, 4))
    return from_arrays(p, np.full(n, 1e-12), polarization_z=np.full(n, -0.86))


@pytest.mark.parametrize("incoming", [True, False])
def test_decay_records_round_trip(tmp_path, incoming):
    events = decay_record(5, incoming)
    io.write(events, tmp_path / "d.lhe", {"unit": "BR"})
    back, _ = io.read(tmp_path / "d.lhe")
    assert_same(back, events)
    init, event = _blocks(tmp_path / "d.lhe")
    beams = init[0].split()
    expected = ["-13", "0", M_MU, 0.0] if incoming else ["0", "0", 0.0, 0.0]
    assert beams[:2] + [float(beams[2]), float(beams[3])] == expected
    mothers = [tuple(line.split()[2:4]) for line in event[1: len(events.particles[0]) + 1]]
    assert mothers == ([("0", "0"), ("1", "0"), ("1", "0"), ("1", "0")] if incoming else [("0", "0")] * 3)


@pytest.mark.parametrize("suffix", [".lhe", ".lhe.gz"])
@pytest.mark.parametrize("fraction", [0.999, 0.5])
def test_truncated_file_raises(tmp_path, suffix, fraction):
    """A file cut short on disk (an interrupted copy, a full disk) is an error, not fewer events."""
    io.write(record(20), tmp_path / f"a{suffix}", META)
    data = (tmp_path / f"a{suffix}").read_bytes()
    (tmp_path / f"a{suffix}").write_bytes(data[: int(len(data) * fraction)])
    with pytest.raises(IntegrityError, match="truncated|not a readable"):
        io.read(tmp_path / f"a{suffix}")


def test_fewer_events_than_declared_raise(tmp_path):
    io.write(record(5), tmp_path / "a.lhe", META)
    text = (tmp_path / "a.lhe").read_text()
    assert "<muonbsm_n_events>5</muonbsm_n_events>" in text
    first = text.index("<event>")
    (tmp_path / "a.lhe").write_text(text[:first] + text[text.index("</event>", first) + len("</event>\n"):])
    with pytest.raises(IntegrityError, match="4 of the 5 events"):
        io.read(tmp_path / "a.lhe")


@pytest.mark.parametrize("suffix", [".parquet", ".root", ".hepmc3"])
def test_events_read_from_lhe_convert_to_every_format(tmp_path, suffix):
    events = record(4)
    io.write(events, tmp_path / "a.lhe", META)
    back, meta = io.read(tmp_path / "a.lhe")
    io.write(back, tmp_path / f"b{suffix}", meta)
    again, _ = io.read(tmp_path / f"b{suffix}")
    assert_same(again, events)
