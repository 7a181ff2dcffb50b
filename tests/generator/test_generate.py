"""Generation runs: normalisation, one rate per sample, unweighting, datasets and merged files,
reproducibility across executors, verified plans, locks, bad input."""

import json

import awkward as ak
import numpy as np
import pytest

from muonbsm import io
from muonbsm.constants import GAMMA_MU, M_E, M_MU
from muonbsm.errors import InputError, OutputLockedError
from muonbsm.generator.generate import TrainingOptions, generate, plan_trials
from muonbsm.generator.lock import OutputLock
from muonbsm.generator.phase_space import flat_decay
from muonbsm.generator.processes.mu3e.cuts import MeeWindow
from muonbsm.generator.processes.mu3e.process import InternalConversion
from muonbsm.generator.processes.mu3e.process import flat_matrix_element as unit_me2
from muonbsm.generator.sampling import max_weight, train_channels
from muonbsm.hashing import file_digest

FAST = TrainingOptions(nitn=4, neval=5000, n_probe=20_000)
KW = dict(training=FAST, progress=False)


def _phase_space_br(rng, n=400_000):
    _, w = flat_decay(M_MU, [M_E, M_E, M_E, 0, 0], n, rng)
    scale = 1.0 / 2 / (2 * M_MU * GAMMA_MU)
    return w.mean() * scale, w.std() / np.sqrt(n) * scale


def _tree(path):
    """Relative file names and their SHA-256 under ``path``."""
    return {str(p.relative_to(path)): file_digest(p) for p in sorted(path.rglob("*")) if p.is_file()}


def test_training_integral_is_phase_space_volume(phase_space_ic):
    grids = train_channels(phase_space_ic, seed=3, nitn=6, neval=20_000)
    assert [ch.name for ch in phase_space_ic.channels] == ["radiation"]
    total, err = sum(g.integral for g in grids), np.sqrt(sum(g.error**2 for g in grids))
    ref, ref_err = _phase_space_br(np.random.default_rng(1))
    assert abs(total - ref) < 4 * np.hypot(err, ref_err)


def test_window_channels_add_up_to_the_window_phase_space():
    """Both window channels together give the phase space with either pairing in the window."""
    window = MeeWindow(0.0395, 0.0405)
    process = InternalConversion(polarization=(0, 0, 0), mee_window=window, matrix_element=unit_me2)
    grids = train_channels(process, seed=2, nitn=6, neval=20_000)
    total, err = sum(g.integral for g in grids), np.sqrt(sum(g.error**2 for g in grids))
    rng = np.random.default_rng(4)
    p, w = flat_decay(M_MU, [M_E, M_E, M_E, 0, 0], 2_000_000, rng)
    m = [np.sqrt(np.maximum((p[:, i, 0] + p[:, 2, 0]) ** 2 - np.sum((p[:, i, 1:] + p[:, 2, 1:]) ** 2, axis=1), 0)) for i in (0, 1)]
    inside = ((m[0] >= window.lo) & (m[0] <= window.hi)) | ((m[1] >= window.lo) & (m[1] <= window.hi))
    scale = 1.0 / 2 / (2 * M_MU * GAMMA_MU)
    ref, ref_err = (w * inside).mean() * scale, (w * inside).std() / np.sqrt(w.size) * scale
    assert abs(total - ref) < 4 * np.hypot(err, ref_err)


def test_weighted_dataset_sum_of_weights_is_the_rate(tmp_path, phase_space_ic):
    """Weighted: the stored rate is the sum of the weights in the data; one name per quantity in
    the summary, the manifest and every shard-derived read."""
    out = tmp_path / "ps.parquet"
    s = generate(phase_space_ic, out, 20_000, seed=5, chunk_size=7000, **KW)
    assert out.is_dir() and s.layout == "dataset" and s.n_shards == 3
    assert sorted(p.name for p in out.iterdir()) == ["_manifest.json", "part-000000.parquet", "part-000001.parquet",
                                                     "part-000002.parquet"]
    events, meta = io.read(out)
    w = events.weight.to_numpy()
    assert len(events) == s.n_events == 20_000
    assert np.isclose(w.sum(), s.rate, rtol=1e-13, atol=0) and s.rate == s.sum_w
    assert np.isclose(np.square(w).sum(), s.sum_w2, rtol=1e-13)
    assert meta["rate"] == s.rate and meta["rate_error"] == s.rate_error and meta["rate_unit"] == "BR"
    assert meta["seed"] == 5 and meta["n_events"] == 20_000 and meta["n_trials"] == 20_000
    assert "workers" not in json.dumps(meta) and "seconds" not in meta
    # the error is the Monte Carlo error of the mean over all trials (not sqrt(sum w^2))
    assert s.rate_error < np.sqrt(s.sum_w2)
    assert abs(s.rate - s.training_rate) < 4 * np.hypot(s.rate_error, s.training_error)


def test_dataset_reads_with_awkward_pyarrow_and_dask(tmp_path, phase_space_ic):
    out = tmp_path / "ps.parquet"
    generate(phase_space_ic, out, 5000, seed=5, chunk_size=2000, **KW)
    events, _ = io.read(out)
    arrays = ak.from_parquet(out)
    assert len(arrays) == 5000 and ak.all(arrays.weight == events.weight)
    import pyarrow.dataset as pds

    assert pds.dataset(out, format="parquet").count_rows() == 5000
    dak = pytest.importorskip("dask_awkward", reason="dask-awkward is not installed")
    lazy = dak.from_parquet(str(out))
    assert lazy.npartitions == 3 and len(lazy.compute()) == 5000


def test_root_dataset_reads_with_uproot_concatenate(tmp_path, phase_space_ic):
    import uproot

    out = tmp_path / "ps.root"
    s = generate(phase_space_ic, out, 3000, seed=5, chunk_size=1000, **KW)
    assert sorted(p.name for p in out.glob("part-*.root")) == [f"part-00000{i}.root" for i in range(3)]
    arrays = uproot.concatenate(f"{out}/part-*.root:events", library="ak")
    assert len(arrays) == 3000 and np.isclose(ak.sum(arrays.weight), s.rate, rtol=1e-13)
    events, meta = io.read(out)
    assert len(events) == 3000 and meta["rate"] == s.rate


def test_unweighted_merged_file(tmp_path, phase_space_ic):
    """Unweighted: the stored rate is the estimate from all trials; the sum of the weights is the
    hit-or-miss estimate and agrees within its binomial error; the overweight fraction is the
    share of the integral above the threshold."""
    out = tmp_path / "u.root"
    s = generate(phase_space_ic, out, 3000, seed=6, unweighted=True, chunk_size=5000, merge=True, **KW)
    assert out.is_file() and s.layout == "file"
    events, meta = io.read(out)
    w = events.weight.to_numpy()
    assert s.n_events >= 3000 and len(events) == s.n_events
    assert 0 < s.unweighting_efficiency <= 1
    assert np.all(w >= s.max_weight * (1 - 1e-12))
    assert np.count_nonzero(w > s.max_weight * (1 + 1e-12)) == s.n_overweight_events == meta["n_overweight_events"]
    assert 0 <= s.overweight_fraction < 0.05
    assert np.isclose(w.sum(), s.sum_w, rtol=1e-12)
    assert abs(s.sum_w - s.rate) < 5 * s.max_weight * np.sqrt(s.n_events) + 5 * s.rate_error
    assert meta["rate"] == s.rate and meta["unweighted"] is True


def test_same_seed_same_bytes_dataset_and_merged(tmp_path, phase_space_ic):
    for name in ("a", "b"):
        generate(phase_space_ic, tmp_path / f"{name}.parquet", 4000, seed=9, chunk_size=1500, **KW)
        generate(phase_space_ic, tmp_path / f"{name}-m.parquet", 4000, seed=9, chunk_size=1500, merge=True, **KW)
    assert _tree(tmp_path / "a.parquet") == _tree(tmp_path / "b.parquet")
    assert file_digest(tmp_path / "a-m.parquet") == file_digest(tmp_path / "b-m.parquet")
    generate(phase_space_ic, tmp_path / "c.parquet", 4000, seed=10, chunk_size=1500, **KW)
    assert _tree(tmp_path / "a.parquet") != _tree(tmp_path / "c.parquet")
    merged, _ = io.read(tmp_path / "a-m.parquet")
    data, _ = io.read(tmp_path / "a.parquet")
    assert ak.array_equal(merged, data)


def test_window_events_are_inside_window(tmp_path):
    process = InternalConversion(polarization=(0, 0, 0), mee_window=MeeWindow(0.0795, 0.0805), matrix_element=unit_me2)
    generate(process, tmp_path / "w.parquet", 2000, seed=1, chunk_size=2000, **KW)
    events, _ = io.read(tmp_path / "w.parquet")
    m1 = events.particles[:, 0] + events.particles[:, 2]
    m2 = events.particles[:, 1] + events.particles[:, 2]
    inside = ((m1.mass >= 0.0795 - 1e-9) & (m1.mass <= 0.0805 + 1e-9)) | ((m2.mass >= 0.0795 - 1e-9) & (m2.mass <= 0.0805 + 1e-9))
    assert bool(np.all(inside))


def test_failed_run_leaves_no_output(tmp_path):
    class Broken:
        dim = 2
        unit = "BR"

        def evaluate(self, u):
            return np.ones(len(u)), u

        def to_events(self, kin, weight, rng):
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        generate(Broken(), tmp_path / "x.root", 10, seed=1, **KW)
    assert [p.name for p in tmp_path.iterdir()] == [".x.root.work"]  # resume state only, no lock left
    assert [p.name for p in (tmp_path / ".x.root.work").iterdir()] == ["plan.json"]


def test_corrupt_plan_is_recomputed_not_trusted(tmp_path, phase_space_ic, caplog):
    """A plan that fails its digest is discarded with a log line; the result does not change."""
    import muonbsm.generator.generate as gen

    ref = generate(phase_space_ic, tmp_path / "ref.parquet", 3000, seed=4, chunk_size=1000, **KW)
    work = tmp_path / ".run.parquet.work"
    work.mkdir()
    plan = gen._plan(phase_space_ic, 3000, 4, False, 1000, FAST, None)
    plan["w_max"] = [123.0]  # tampered
    fp = ref.fingerprint
    (work / "plan.json").write_text(json.dumps({"fingerprint": fp, "plan": plan, "digest": "0" * 64}))
    s = generate(phase_space_ic, tmp_path / "run.parquet", 3000, seed=4, chunk_size=1000, **KW)
    assert "plan failed verification" in caplog.text
    assert s.rate == ref.rate and _tree(tmp_path / "run.parquet") == _tree(tmp_path / "ref.parquet")


def test_second_writer_fails_at_once_naming_the_pid(tmp_path, phase_space_ic):
    import os

    out = tmp_path / "x.parquet"
    with OutputLock(out):
        with pytest.raises(OutputLockedError, match=f"PID {os.getpid()}"):
            generate(phase_space_ic, out, 100, seed=1, **KW)
    assert not out.exists()


def test_bad_arguments(tmp_path, phase_space_ic):
    with pytest.raises(InputError, match="n_events"):
        generate(phase_space_ic, tmp_path / "x.root", 0, seed=1, progress=False)
    with pytest.raises(ValueError, match="unknown format"):
        generate(phase_space_ic, tmp_path / "x.csv", 10, seed=1, **KW)
    assert list(tmp_path.iterdir()) == []


def test_max_weight_and_plan():
    w = np.array([1.0, 1.0, 1.0, 10.0])
    assert max_weight(w, 0.0) == 10.0
    assert max_weight(w, 0.7) == 1.0
    assert plan_trials(10_000, 0.5) > 20_000


def test_local_workers_and_dask_give_the_same_bytes(tmp_path, phase_space_ic):
    """Serial, 1 and 2 local worker processes and a dask LocalCluster: identical shards."""
    from muonbsm.generator.executors import DaskExecutor, ProcessExecutor

    kwargs = dict(seed=12, chunk_size=1500, **KW)
    generate(phase_space_ic, tmp_path / "serial.parquet", 6000, **kwargs)
    for name, make in (("one", lambda: ProcessExecutor(1)), ("two", lambda: ProcessExecutor(2))):
        with make() as ex:
            generate(phase_space_ic, tmp_path / f"{name}.parquet", 6000, executor=ex, **kwargs)
        assert _tree(tmp_path / f"{name}.parquet") == _tree(tmp_path / "serial.parquet"), name
    pytest.importorskip("dask.distributed")
    with DaskExecutor(None, workers=2) as ex:
        generate(phase_space_ic, tmp_path / "dask.parquet", 6000, executor=ex, **kwargs)
    assert _tree(tmp_path / "dask.parquet") == _tree(tmp_path / "serial.parquet")


def test_source_digest_follows_the_code(tmp_path, monkeypatch):
    """An edit of any module of the package changes the source hash (so a run restarts)."""
    import muonbsm
    import muonbsm.generator
    from muonbsm.generator import fingerprint

    (tmp_path / "core").mkdir()
    (tmp_path / "gen").mkdir()
    (tmp_path / "core" / "a.py").write_text("x = 1\n")
    (tmp_path / "gen" / "me.py").write_text("def me2(p):\n    return 1.0\n")
    monkeypatch.setattr(muonbsm, "__path__", [str(tmp_path / "core")])
    monkeypatch.setattr(muonbsm.generator, "__path__", [str(tmp_path / "gen")])
    fingerprint.source_digest.cache_clear()
    try:
        before = fingerprint.source_digest()
        (tmp_path / "gen" / "me.py").write_text("def me2(p):\n    return 1.1\n")
        fingerprint.source_digest.cache_clear()
        assert fingerprint.source_digest() != before
    finally:
        fingerprint.source_digest.cache_clear()
