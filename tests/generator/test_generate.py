"""Generation runs: normalisation, unweighting, reproducibility, atomic files, bad input."""

import numpy as np
import pytest

from muonbsm import io
from muonbsm.constants import GAMMA_MU, M_E, M_MU
from muonbsm.generator.processes.mu3e.cuts import MeeWindow
from muonbsm.generator.generate import TrainingOptions, generate, plan_trials
from muonbsm.generator.phase_space import flat_decay
from muonbsm.generator.processes.mu3e.process import InternalConversion
from muonbsm.generator.sampling import max_weight, train_channels

from muonbsm.generator.processes.mu3e.process import flat_matrix_element as unit_me2

FAST = TrainingOptions(nitn=4, neval=5000, n_probe=20_000)


def _phase_space_br(rng, n=400_000):
    _, w = flat_decay(M_MU, [M_E, M_E, M_E, 0, 0], n, rng)
    scale = 1.0 / 2 / (2 * M_MU * GAMMA_MU)
    return w.mean() * scale, w.std() / np.sqrt(n) * scale


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


def test_weighted_run_sum_of_weights_is_rate(tmp_path, phase_space_ic):
    out = tmp_path / "ps.parquet"
    s = generate(phase_space_ic, out, 20_000, seed=5, chunk_size=7000, training=FAST, progress=False)
    events, meta = io.read(out)
    assert len(events) == s.n_events == 20_000
    assert np.isclose(events.weight.to_numpy().sum(), s.rate, rtol=1e-12)
    assert meta["summary"]["rate"] == s.rate and meta["summary"]["seed"] == 5
    assert abs(s.rate - s.training_rate) < 4 * np.hypot(s.error, s.training_error)


def test_unweighted_run(tmp_path, phase_space_ic):
    s = generate(phase_space_ic, tmp_path / "u.root", 3000, seed=6, unweighted=True, chunk_size=5000, training=FAST, progress=False)
    events, meta = io.read(tmp_path / "u.root")
    assert s.n_events >= 3000 and len(events) == s.n_events
    assert 0 < s.unweighting_efficiency <= 1
    w = events.weight.to_numpy()
    assert np.isclose(np.mean(~np.isclose(w, s.max_weight)), s.overweight_fraction)
    assert np.all(w >= s.max_weight * (1 - 1e-12))
    # hit-or-miss: the sum of weights estimates the rate with a binomial error
    assert abs(w.sum() - s.rate) < 5 * s.max_weight * np.sqrt(s.n_trials) + 5 * s.error
    assert meta["summary"]["unweighted"] is True


def test_same_seed_same_output(tmp_path, phase_space_ic):
    for name in ("a", "b"):
        generate(phase_space_ic, tmp_path / f"{name}.parquet", 4000, seed=9, chunk_size=1500, training=FAST, progress=False)
    assert (tmp_path / "a.parquet").read_bytes() == (tmp_path / "b.parquet").read_bytes()
    generate(phase_space_ic, tmp_path / "c.parquet", 4000, seed=10, chunk_size=1500, training=FAST, progress=False)
    assert (tmp_path / "a.parquet").read_bytes() != (tmp_path / "c.parquet").read_bytes()


def test_window_events_are_inside_window(tmp_path):
    process = InternalConversion(polarization=(0, 0, 0), mee_window=MeeWindow(0.0795, 0.0805), matrix_element=unit_me2)
    generate(process, tmp_path / "w.parquet", 2000, seed=1, chunk_size=2000, training=FAST, progress=False)
    events, _ = io.read(tmp_path / "w.parquet")
    m1 = events.particles[:, 0] + events.particles[:, 2]
    m2 = events.particles[:, 1] + events.particles[:, 2]
    inside = ((m1.mass >= 0.0795 - 1e-9) & (m1.mass <= 0.0805 + 1e-9)) | ((m2.mass >= 0.0795 - 1e-9) & (m2.mass <= 0.0805 + 1e-9))
    assert bool(np.all(inside))


def test_failed_run_leaves_no_file(tmp_path):
    class Broken:
        dim = 2
        unit = "BR"

        def evaluate(self, u):
            return np.ones(len(u)), u

        def to_events(self, kin, weight, rng):
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        generate(Broken(), tmp_path / "x.root", 10, seed=1, training=FAST, progress=False)
    assert [p.name for p in tmp_path.iterdir()] == [".x.root.chunks"]  # resume state only
    assert not any(p.suffix == ".root" for p in (tmp_path / ".x.root.chunks").iterdir())


class Interrupted(Exception):
    pass


def test_interrupted_run_resumes_to_identical_file(tmp_path, phase_space_ic, monkeypatch):
    """Kill a run after two chunks; the rerun skips them and writes the same file."""
    import muonbsm.generator.generate as gen

    kwargs = dict(seed=4, chunk_size=1000, training=FAST, progress=False)
    generate(phase_space_ic, tmp_path / "ref.parquet", 5000, **kwargs)
    calls = []
    original = gen.run_chunk

    def dying(*args):
        calls.append(args[2])
        if len(calls) == 3:
            raise Interrupted
        return original(*args)

    monkeypatch.setattr(gen, "run_chunk", dying)
    with pytest.raises(Interrupted):
        generate(phase_space_ic, tmp_path / "run.parquet", 5000, **kwargs)
    assert not (tmp_path / "run.parquet").exists()
    calls.clear()
    monkeypatch.setattr(gen, "run_chunk", lambda *a: (calls.append(a[2]), original(*a))[1])
    summary = generate(phase_space_ic, tmp_path / "run.parquet", 5000, **kwargs)
    n_chunks = sum(-(-n // 1000) for n in summary.extra["channel_trials"])
    assert calls == list(range(2, n_chunks))
    assert (tmp_path / "run.parquet").read_bytes() == (tmp_path / "ref.parquet").read_bytes()
    assert not (tmp_path / ".run.parquet.chunks").exists()


def test_bad_arguments(tmp_path, phase_space_ic):
    with pytest.raises(ValueError, match="n_events"):
        generate(phase_space_ic, tmp_path / "x.root", 0, seed=1, progress=False)
    with pytest.raises(ValueError, match="unknown format"):
        generate(phase_space_ic, tmp_path / "x.csv", 10, seed=1, training=FAST, progress=False)
    assert list(tmp_path.iterdir()) == []


def test_max_weight_and_plan():
    w = np.array([1.0, 1.0, 1.0, 10.0])
    assert max_weight(w, 0.0) == 10.0
    assert max_weight(w, 0.7) == 1.0
    assert plan_trials(10_000, 0.5) > 20_000


def test_two_local_workers_give_the_same_file(tmp_path, phase_space_ic):
    from muonbsm.generator.executors import ProcessExecutor

    kwargs = dict(seed=12, chunk_size=1500, training=FAST, progress=False)
    generate(phase_space_ic, tmp_path / "one.parquet", 6000, **kwargs)
    generate(phase_space_ic, tmp_path / "two.parquet", 6000, executor=ProcessExecutor(2), **kwargs)
    assert (tmp_path / "one.parquet").read_bytes() == (tmp_path / "two.parquet").read_bytes()


def test_dask_local_cluster_gives_the_same_file(tmp_path, phase_space_ic):
    """The dask executor (LocalCluster, 2 single-threaded workers) writes the same bytes."""
    pytest.importorskip("dask.distributed")
    from muonbsm.generator.executors import DaskExecutor

    kwargs = dict(seed=12, chunk_size=1500, training=FAST, progress=False)
    generate(phase_space_ic, tmp_path / "serial.parquet", 6000, **kwargs)
    executor = DaskExecutor(None, workers=2)
    try:
        generate(phase_space_ic, tmp_path / "dask.parquet", 6000, executor=executor, **kwargs)
    finally:
        executor.close()
    assert (tmp_path / "serial.parquet").read_bytes() == (tmp_path / "dask.parquet").read_bytes()
