"""HepMC3 files: exact round trip, vertex graph, run info, foreign files."""

import awkward as ak
import numpy as np
import pytest

from muonbsm import io
from muonbsm.constants import M_MU, M_TAU, PDG_IDS
from muonbsm.errors import IntegrityError
from muonbsm.events import from_arrays

pyhepmc = pytest.importorskip("pyhepmc")

from muonbsm.io.hepmc import HepMCWriter, read_hepmc  # noqa: E402

PB = 1000822080
META = {"seed": 7, "unit": "pb", "card": 'a = "x\\y"\nb = <c> & d', "rate": 2.5}


def record(n=6, seed=0):
    """mu- Pb -> tau- Pb a, tau -> nu_tau pi- at a displaced vertex (random kinematics)."""
    rng = np.random.default_rng(seed)
    shape = (n, 7)
    p = {k: rng.normal(size=shape) for k in ("px", "py", "pz")}
    masses = np.array([M_MU, 193.7, M_TAU, 193.7, 0.3, 0.0, 0.13957])
    p["E"] = np.sqrt(p["px"] ** 2 + p["py"] ** 2 + p["pz"] ** 2 + masses**2)
    p["pdg"] = np.broadcast_to([13, PB, 15, PB, PDG_IDS["alp"], 16, -211], shape)
    p["charge"] = np.broadcast_to(np.array([-1, 82, -1, 82, 0, 0, -1], np.float32), shape)
    p["status"] = np.broadcast_to([4, 4, 2, 1, 1, 1, 1], shape)
    p["mother"] = np.broadcast_to([-1, -1, -1, -1, -1, 2, 2], shape)
    vertex = rng.normal(size=(n, 1, 3)) * np.ones((1, 7, 1))
    vertex[:, 5:] += rng.normal(size=(n, 1, 3))
    p.update(vx=vertex[..., 0], vy=vertex[..., 1], vz=vertex[..., 2])
    return from_arrays(p, rng.random(n), polarization_z=rng.uniform(-1, 1, n), t=rng.random(n).astype(np.float32),
                       target=np.arange(n, dtype=np.int32))


def assert_same(back, events):
    assert str(back.type) == str(events.type)
    for name in events.particles.fields:
        assert ak.all(back.particles[name] == events.particles[name]), name
    for name in events.fields:
        if name != "particles":
            assert np.array_equal(back[name].to_numpy(), events[name].to_numpy()), name


@pytest.mark.parametrize("suffix", [".hepmc", ".hepmc3"])
def test_round_trip_is_exact(tmp_path, suffix):
    events = record()
    io.write(events, tmp_path / f"ev{suffix}", META)
    back, meta = io.read(tmp_path / f"ev{suffix}")
    assert meta == META
    assert_same(back, events)


def test_streaming_chunks_equal_one_write(tmp_path):
    events = record(9)
    writer = HepMCWriter(tmp_path / "a.hepmc")
    for chunk in (events[:4], events[4:4], events[4:]):
        writer.write(chunk)
    writer.close(META)
    io.write(events, tmp_path / "b.hepmc", META)
    assert (tmp_path / "a.hepmc").read_bytes() == (tmp_path / "b.hepmc").read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.hepmc", "b.hepmc"]
    assert (tmp_path / "a.hepmc").read_text().count("HepMC::Asciiv3-END_EVENT_LISTING") == 1


def test_zero_events(tmp_path):
    io.write(record()[:0], tmp_path / "e.hepmc", {"seed": 1})
    back, meta = io.read(tmp_path / "e.hepmc")
    assert len(back) == 0 and meta == {"seed": 1}


def test_vertex_graph_and_run_info(tmp_path):
    events = record(3)
    io.write(events, tmp_path / "ev.hepmc", META)
    with pyhepmc.open(tmp_path / "ev.hepmc") as f:
        read = list(f)
    assert len(read) == 3
    event, parts = read[1], events.particles[1]
    assert event.momentum_unit == pyhepmc.Units.GEV and event.length_unit == pyhepmc.Units.MM
    assert list(event.weights) == [events.weight[1]]
    assert event.run_info.weight_names == ["weight"]
    particles = event.particles
    assert [p.pid for p in particles] == parts.pdg.tolist()
    assert [p.status for p in particles] == parts.status.tolist()
    assert [[q.id for q in p.parents] for p in particles] == [[], [], [1, 2], [1, 2], [1, 2], [3], [3]]
    primary, decay = particles[2].production_vertex, particles[5].production_vertex
    assert [primary.position.x, primary.position.z] == [float(parts.vx[2]), float(parts.vz[2])]
    assert [decay.position.x, decay.position.y] == [float(parts.vx[5]), float(parts.vy[5])]
    assert particles[2].end_vertex.id == decay.id
    assert particles[3].momentum.px == parts.px[3]


def test_foreign_hepmc_uses_the_graph(tmp_path):
    event = pyhepmc.GenEvent(pyhepmc.Units.MEV, pyhepmc.Units.MM)
    beam = pyhepmc.GenParticle(pyhepmc.FourVector(0, 0, 0, 1776.93), 15, 4)
    decay = pyhepmc.GenVertex(pyhepmc.FourVector(1.5, 0, 0, 0))
    decay.add_particle_in(beam)
    for px, pid in ((500.0, 16), (-500.0, -211)):
        decay.add_particle_out(pyhepmc.GenParticle(pyhepmc.FourVector(px, 0, 0, 800.0), pid, 1))
    event.add_vertex(decay)
    with pyhepmc.open(tmp_path / "f.hepmc", "w") as f:
        f.write(event)
    back, meta = read_hepmc(tmp_path / "f.hepmc")
    assert meta == {}  # no GenCrossSection
    xsec = pyhepmc.GenCrossSection()
    xsec.set_cross_section(2.5, 0.5, 1, 1)
    event.cross_section = xsec
    with pyhepmc.open(tmp_path / "g.hepmc", "w") as f:
        f.write(event)
    assert read_hepmc(tmp_path / "g.hepmc")[1] == {"rate": 2.5, "rate_error": 0.5, "rate_unit": "pb"}
    assert back.particles.pdg.tolist() == [[15, 16, -211]]
    assert back.particles.mother.tolist() == [[-1, 0, 0]]
    assert back.particles.vx.tolist() == [[0.0, 1.5, 1.5]]
    assert back.particles.charge.tolist() == [[-1.0, 0.0, -1.0]]
    assert back.particles.px.tolist() == [[0.0, 0.5, -0.5]]
    assert back.weight.tolist() == [1.0]


def test_changing_scalars_between_chunks_is_rejected(tmp_path):
    events = record(4)
    writer = HepMCWriter(tmp_path / "x.hepmc")
    writer.write(events[:2])
    with pytest.raises(ValueError, match="scalars"):
        writer.write(ak.without_field(events[2:], "t"))


@pytest.mark.parametrize("incoming", [True, False])
def test_decay_records_round_trip(tmp_path, incoming):
    rng = np.random.default_rng(1)
    n, k = 5, 4 if incoming else 3
    p = {c: rng.normal(size=(n, k)) * 0.01 for c in ("px", "py", "pz")}
    p["E"] = np.sqrt(p["px"] ** 2 + p["py"] ** 2 + p["pz"] ** 2 + 0.000511**2)
    p["pdg"] = np.broadcast_to([-13, -11, -11, 11][4 - k:], (n, k))
    p["status"] = np.broadcast_to([4, 1, 1, 1][4 - k:], (n, k))
    p["mother"] = np.broadcast_to([-1, 0, 0, -1] if incoming else [-1, -1, -1], (n, k))
    p["vz"] = np.broadcast_to(rng.normal(size=(n, 1)), (n, k))
    events = from_arrays(p, np.full(n, 1e-12))
    io.write(events, tmp_path / "d.hepmc", {"unit": "BR"})
    back, _ = io.read(tmp_path / "d.hepmc")
    assert_same(back, events)


def signal_record(n=4, seed=2):
    """Mu3e-signal layout: [e+, e+ (from X), e- (from X), nu_e, nubar_mu, X]: the X comes after
    its daughters, as muonbsm writes it; the HepMC3 reader needs it before them."""
    rng = np.random.default_rng(seed)
    p = {k: rng.normal(size=(n, 6)) * 0.01 for k in ("px", "py", "pz")}
    p["E"] = np.sqrt(p["px"] ** 2 + p["py"] ** 2 + p["pz"] ** 2 + 0.02**2)
    p["pdg"] = np.broadcast_to([-11, -11, 11, 12, -14, PDG_IDS["x_spin1"]], (n, 6))
    p["status"] = np.broadcast_to([1, 1, 1, 1, 1, 2], (n, 6))
    p["mother"] = np.broadcast_to([-1, 5, 5, -1, -1, -1], (n, 6))
    vertex = np.zeros((n, 6, 3))
    vertex[:, 1:3] = rng.normal(size=(n, 1, 3))
    p.update(vx=vertex[..., 0], vy=vertex[..., 1], vz=vertex[..., 2])
    return from_arrays(p, rng.random(n) * 1e-12, polarization_z=np.full(n, -0.86))


def test_daughters_follow_their_parent_in_the_file(tmp_path):
    events = signal_record()
    meta = {"rate": 3.0e-12, "rate_error": 1.0e-13, "n_trials": 40}
    io.write(events, tmp_path / "s.hepmc3", meta)
    with pyhepmc.open(tmp_path / "s.hepmc3") as f:
        read = list(f)
    assert len(read) == len(events)  # before the fix: 0 ("too few vertices were parsed")
    for event, parts in zip(read, events.particles):
        x = next(q for q in event.particles if q.pid == PDG_IDS["x_spin1"])
        assert sorted(q.pid for q in x.end_vertex.particles_out) == [-11, 11]
        assert [x.end_vertex.position.x, x.end_vertex.position.z] == [float(parts.vx[1]), float(parts.vz[1])]
        assert all(q.id > x.id for q in x.end_vertex.particles_out)
        xsec = event.cross_section
        assert (xsec.xsec(), xsec.xsec_err()) == (3.0e-12, 1.0e-13)  # all 17 digits, not HepMC's 9
        assert (xsec.accepted_events, xsec.attempted_events) == (len(events), 40)
    back, _ = io.read(tmp_path / "s.hepmc3")
    assert_same(back, events)  # the muonbsm order is restored


def test_cross_section_defaults_to_the_weights(tmp_path):
    events = signal_record()
    io.write(events, tmp_path / "s.hepmc", {})
    with pyhepmc.open(tmp_path / "s.hepmc") as f:
        xsec = next(iter(f)).cross_section
    w = events.weight.to_numpy()
    assert xsec.xsec() == pytest.approx(w.sum(), rel=1e-15)
    assert xsec.xsec_err() == pytest.approx(np.sqrt(np.sum(w**2)), rel=1e-15)


def test_mother_cycles_are_rejected(tmp_path):
    events = signal_record(2)
    bad = ak.zip({**{k: events.particles[k] for k in events.particles.fields},
                  "mother": ak.Array([[-1, 5, 5, -1, -1, 1]] * 2)}, with_name="Momentum4D")
    with pytest.raises(ValueError, match="cycle"):
        io.write(ak.with_field(events, bad, "particles"), tmp_path / "c.hepmc", {})
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("fraction", [0.999, 0.5, 0.02])
def test_truncated_file_raises(tmp_path, fraction):
    """A file cut short on disk (a copy interrupted, a full disk) is an error, not fewer events."""
    io.write(signal_record(20), tmp_path / "s.hepmc3", {})
    data = (tmp_path / "s.hepmc3").read_bytes()
    (tmp_path / "s.hepmc3").write_bytes(data[: int(len(data) * fraction)])
    with pytest.raises(IntegrityError, match="truncated"):
        io.read(tmp_path / "s.hepmc3")


def test_fewer_events_than_declared_raise(tmp_path):
    io.write(signal_record(5), tmp_path / "s.hepmc3", {})
    text = (tmp_path / "s.hepmc3").read_text()
    cut = text.index("\nE 3 ")
    (tmp_path / "s.hepmc3").write_text(text[:cut + 1] + "HepMC::Asciiv3-END_EVENT_LISTING\n")
    with pytest.raises(IntegrityError, match="3 of the 5 events"):
        io.read(tmp_path / "s.hepmc3")
