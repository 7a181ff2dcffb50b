"""ROOT and Parquet files: round trip, branch layout, metadata, atomic writes."""

import subprocess
import sys

import awkward as ak
import numpy as np
import pytest
import uproot

from muonbsm import io
from muonbsm.events import PARTICLE_FIELDS, from_arrays


@pytest.fixture
def events():
    rng = np.random.default_rng(0)
    shape = (50, 3)
    p = {k: rng.normal(size=shape) for k in ("px", "py", "pz")}
    p["E"] = np.sqrt(p["px"] ** 2 + p["py"] ** 2 + p["pz"] ** 2 + 0.1)
    p["pdg"] = np.broadcast_to([-11, -11, 11], shape)
    return from_arrays(p, rng.random(50), polarization_z=np.full(50, -0.86))


@pytest.mark.parametrize("suffix", [".root", ".parquet"])
def test_round_trip(tmp_path, events, suffix):
    path = tmp_path / f"ev{suffix}"
    io.write(events, path, {"seed": 3, "card": "x = 1"})
    back, meta = io.read(path)
    assert meta == {"seed": 3, "card": "x = 1"}
    assert ak.all(back.particles.px == events.particles.px)
    assert ak.all(back.particles.charge == events.particles.charge)
    assert np.array_equal(back.weight.to_numpy(), events.weight.to_numpy())
    assert np.allclose(ak.flatten(back.particles.mass), ak.flatten(events.particles.mass))


def test_root_branch_layout(tmp_path, events):
    io.write(events, tmp_path / "ev.root", {})
    with uproot.open(tmp_path / "ev.root") as f:
        keys = set(f["events"].keys())
    assert keys == {"nparticles", "weight", "polarization_z"} | {f"particles_{k}" for k in PARTICLE_FIELDS}


def test_root_file_opens_in_fresh_process(tmp_path, events):
    io.write(events, tmp_path / "ev.root", {"seed": 1})
    code = (
        "import uproot, json, sys; f = uproot.open(sys.argv[1]); "
        "print(f['events'].num_entries, json.loads(str(f['metadata']))['seed'])"
    )
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "ev.root")], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["50", "1"]


def test_unknown_suffix_writes_nothing(tmp_path, events):
    with pytest.raises(ValueError, match="allowed suffixes"):
        io.write(events, tmp_path / "ev.csv", {})
    assert list(tmp_path.iterdir()) == []


def test_atomic_path_removes_partial_file(tmp_path):
    with pytest.raises(RuntimeError):
        with io.atomic_path(tmp_path / "x.root") as tmp:
            tmp.write_text("half")
            raise RuntimeError("interrupted")
    assert list(tmp_path.iterdir()) == []


def test_stale_partial_of_a_killed_writer_is_removed(tmp_path, events):
    stale = tmp_path / ".partial-999999999.ev.root"
    stale.write_text("left by a killed process")
    io.write(events, tmp_path / "ev.root", {})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ev.root"]


@pytest.mark.parametrize(("suffix", "fraction"), [(".root", 0.3), (".root", 0.5), (".parquet", 0.5),
                                                (".parquet", 0.95)])
def test_truncated_root_and_parquet_raise_integrity_error(tmp_path, events, suffix, fraction):
    """A file cut short on disk (an interrupted copy, a full disk) is one IntegrityError naming it.
    (A ROOT file cut only in its trailing records, streamer info and key list, still reads all
    its events exactly with uproot: no error is due there.)"""
    from muonbsm.errors import IntegrityError

    io.write(events, tmp_path / f"a{suffix}", {"seed": 1})
    data = (tmp_path / f"a{suffix}").read_bytes()
    (tmp_path / f"a{suffix}").write_bytes(data[: int(len(data) * fraction)])
    with pytest.raises(IntegrityError, match=f"a{suffix}: not a readable"):
        io.read(tmp_path / f"a{suffix}")
    with pytest.raises(FileNotFoundError):
        io.read(tmp_path / f"missing{suffix}")
