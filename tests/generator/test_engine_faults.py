"""Real faults in subprocesses: SIGKILL at several points, two concurrent runs, flipped bytes and
foreign shards, a code change, a truncated plan, full and read-only disks, SIGTERM and orphans.

Each fault is done to a separate Python process running :func:`muonbsm.generator.generate.generate`
(through a small driver script, which only arranges *where* the process is killed) or the
``muonbsm generate`` command line; the test then inspects the files and reruns.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from muonbsm.generator.shards import verify_shard
from muonbsm.hashing import file_digest

DRIVER = textwrap.dedent('''
    import json, logging, os, signal, sys, time
    import numpy as np
    args = json.loads(sys.argv[1])
    logging.basicConfig(level=logging.INFO, format="muonbsm: %(message)s")
    import muonbsm.generator.generate as gen
    import muonbsm.generator.shards as shards
    import muonbsm.io.parquet as pqio
    from muonbsm.errors import MuonbsmError
    from muonbsm.generator.processes.mu3e.process import InternalConversion

    SCALE = args.get("me_scale", 1.0)

    def me(p1, p2, pm, pnu, pnubar, pol):
        return np.full(len(p1), SCALE)

    def die():
        os.kill(os.getpid(), signal.SIGKILL)

    at, index = args.get("kill", [None, None])
    original_write = shards.write_shard
    def write_shard(ctx, task):
        while args.get("wait_for") and not os.path.exists(args["wait_for"]):  # hold the run open
            time.sleep(0.05)
        out = original_write(ctx, task)
        if at == "after_shard" and task.index == index:
            die()
        return out
    gen.write_shard = write_shard
    if at == "mid_write":  # inside the shard writer: the file is written, not yet renamed
        original_close = pqio.ParquetWriter.close
        def close(self, meta):
            original_close(self, meta)
            if meta.get("shard", {}).get("index") == index:
                die()
        pqio.ParquetWriter.close = close
    if at == "before_publish":
        import muonbsm.generator.publish as publish
        publish.write_manifest = lambda *a, **k: die()
    if at == "mid_merge":
        original_table = pqio.ParquetWriter.write_table
        calls = []
        def write_table(self, table):
            calls.append(1)
            if len(calls) == index:
                die()
            original_table(self, table)
        pqio.ParquetWriter.write_table = write_table
    # other people edit this source tree while the tests run: pin the source hash (a code change
    # is simulated by a different pin); test_generate checks that an edit changes the real one
    import muonbsm.generator.fingerprint as fingerprint
    fingerprint.source_digest = lambda: args.get("source", "pinned")
    process = InternalConversion(polarization=(0.0, 0.0, 0.0), matrix_element=me)
    training = gen.TrainingOptions(nitn=4, neval=4000, n_probe=10_000)
    try:
        s = gen.generate(process, args["out"], args["n"], seed=args.get("seed", 1), chunk_size=args.get("chunk", 1000),
                         training=training, merge=args.get("merge", False), progress=False)
    except MuonbsmError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(exc.exit_code)
    print(json.dumps(s.to_dict()))
''')

N, CHUNK = 4000, 1000


def _driver(tmp: Path) -> Path:
    path = tmp / "driver.py"
    if not path.exists():
        path.write_text(DRIVER)
    return path


def run(tmp: Path, **args) -> subprocess.CompletedProcess:
    args = {"n": N, "chunk": CHUNK, **args}
    return subprocess.run([sys.executable, str(_driver(tmp)), json.dumps(args)], capture_output=True, text=True, timeout=300)


def start(tmp: Path, **args) -> subprocess.Popen:
    args = {"n": N, "chunk": CHUNK, **args}
    return subprocess.Popen([sys.executable, str(_driver(tmp)), json.dumps(args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def tree(path: Path) -> dict[str, str]:
    if path.is_file():
        return {"": file_digest(path)}
    return {str(p.relative_to(path)): file_digest(p) for p in sorted(path.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """Uninterrupted runs: a dataset and a merged file (seed 1)."""
    tmp = tmp_path_factory.mktemp("reference")
    for name, merge in (("ref.parquet", False), ("ref-merged.parquet", True)):
        res = run(tmp, out=str(tmp / name), merge=merge)
        assert res.returncode == 0, res.stderr
    return {"dataset": tree(tmp / "ref.parquet"), "merged": tree(tmp / "ref-merged.parquet"),
            "rate": json.loads(run(tmp, out=str(tmp / "ref.parquet")).stdout)["rate"]}


@pytest.mark.parametrize("at, index, merge", [("after_shard", 1, False), ("mid_write", 2, False),
                                              ("before_publish", None, False), ("mid_merge", 2, True)])
def test_sigkill_then_rerun_gives_identical_bytes(tmp_path, reference, at, index, merge):
    out = tmp_path / "run.parquet"
    killed = run(tmp_path, out=str(out), kill=[at, index], merge=merge)
    assert killed.returncode == -signal.SIGKILL
    assert not out.exists()
    assert (tmp_path / ".run.parquet.lock").exists()  # the dead run's lock file: taken over below
    work = tmp_path / ".run.parquet.work"
    shards = sorted(p.name for p in work.glob("part-*"))
    if at == "mid_write":  # the killed shard exists only under its temporary name
        assert shards == ["part-000000.parquet", "part-000001.parquet"]
        assert [p.name.split(".", 2)[2] for p in work.glob(".partial-*")] == ["part-000002.parquet"]
    for name in shards:
        verify_shard(work / name, json.loads((work / "plan.json").read_text())["fingerprint"], int(name[5:11]))
    again = run(tmp_path, out=str(out), merge=merge)
    assert again.returncode == 0, again.stderr
    if at in ("after_shard", "mid_write"):
        assert "resuming, 2 of 4 shards verified" in again.stderr
    assert tree(out) == reference["merged" if merge else "dataset"]
    assert not work.exists() and not (tmp_path / ".run.parquet.lock").exists()


def test_flipped_bytes_and_foreign_shards_are_rejected_and_recomputed(tmp_path, reference):
    out, other = tmp_path / "run.parquet", tmp_path / "seed7.parquet"
    assert run(tmp_path, out=str(out), kill=["after_shard", 2]).returncode == -signal.SIGKILL
    assert run(tmp_path, out=str(other), seed=7, kill=["after_shard", 2]).returncode == -signal.SIGKILL
    work = tmp_path / ".run.parquet.work"
    shard0 = work / "part-000000.parquet"
    data = bytearray(shard0.read_bytes())
    for k in range(8):  # 8 flipped bytes inside the data pages
        data[len(data) // 3 + 97 * k] ^= 0xFF
    shard0.write_bytes(bytes(data))
    (work / "part-000001.parquet").write_bytes((tmp_path / ".seed7.parquet.work" / "part-000001.parquet").read_bytes())
    res = run(tmp_path, out=str(out))
    assert res.returncode == 0, res.stderr
    rejected = [line for line in res.stderr.splitlines() if "rejected shard" in line]
    assert len(rejected) == 2 and "part-000000.parquet" in rejected[0] and "part-000001.parquet" in rejected[1]
    assert "another run" in rejected[1]
    assert sorted(p.name for p in (tmp_path / ".run.parquet.rejected").iterdir()) == ["part-000000.parquet",
                                                                                     "part-000001.parquet"]
    assert tree(out) == reference["dataset"]


def test_code_change_starts_a_fresh_run(tmp_path):
    """Kill, change the matrix element under a changed source hash, rerun: the result is the
    new code's, byte for byte, not a mixture."""
    out, fresh = tmp_path / "run.parquet", tmp_path / "fresh.parquet"
    assert run(tmp_path, out=str(out), kill=["after_shard", 1]).returncode == -signal.SIGKILL
    new = {"me_scale": 1.25, "source": "edited"}
    res = run(tmp_path, out=str(out), **new)
    assert res.returncode == 0, res.stderr
    assert "another run configuration or code version" in res.stderr
    assert run(tmp_path, out=str(fresh), **new).returncode == 0
    assert tree(out) == tree(fresh)


def test_truncated_plan_is_recomputed(tmp_path, reference):
    out = tmp_path / "run.parquet"
    assert run(tmp_path, out=str(out), kill=["after_shard", 1]).returncode == -signal.SIGKILL
    plan = tmp_path / ".run.parquet.work" / "plan.json"
    plan.write_bytes(plan.read_bytes()[: plan.stat().st_size // 2])
    res = run(tmp_path, out=str(out))
    assert res.returncode == 0 and "Traceback" not in res.stderr
    assert "corrupt plan" in res.stderr
    assert tree(out) == reference["dataset"]


def test_second_run_on_the_same_output_fails_at_once(tmp_path, reference):
    out = tmp_path / "run.parquet"
    go = tmp_path / "go"
    first = start(tmp_path, out=str(out), wait_for=str(go))
    lock = tmp_path / ".run.parquet.lock"
    deadline = time.monotonic() + 120
    while not (lock.exists() and lock.read_text().strip()) and time.monotonic() < deadline:
        time.sleep(0.05)
    second = run(tmp_path, out=str(out), seed=2)
    assert second.returncode == 1
    lines = second.stderr.strip().splitlines()
    assert len(lines) == 1 and f"PID {first.pid}" in lines[0] and str(out) in lines[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == [".run.parquet.lock", ".run.parquet.work", "driver.py"]
    go.touch()
    assert first.wait(timeout=300) == 0, first.stderr.read()
    assert tree(out) == reference["dataset"]


def _root() -> bool:
    return os.geteuid() == 0


@pytest.fixture
def tmpfs(tmp_path):
    """Mount a tmpfs (as root); yields a function mount(size, ro=False) -> path."""
    if not _root():
        pytest.skip("mounting a small tmpfs needs root")
    mounted = []

    def mount(size: str, ro: bool = False) -> Path:
        where = tmp_path / f"disk{len(mounted)}"
        where.mkdir()
        opts = f"size={size}" + (",ro" if ro else "")
        res = subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(where)], capture_output=True, text=True)
        if res.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {res.stderr.strip()}")
        mounted.append(where)
        return where

    yield mount
    for where in mounted:
        subprocess.run(["umount", "-l", str(where)], check=False)


@pytest.mark.parametrize("size, n, chunk", [("20m", 300_000, 30_000), ("600k", 20_000, 20_000)])
def test_full_disk_gives_one_line_and_leaves_only_verified_shards(tmp_path, tmpfs, size, n, chunk):
    """20 MB: the first shard shows the run cannot fit (early stop); 600 kB: the first shard
    itself hits ENOSPC. Either way one line with the path and the space needed."""
    disk = tmpfs(size)
    out = disk / "big.parquet"
    res = run(tmp_path, out=str(out), n=n, chunk=chunk)
    assert res.returncode == 1 and "Traceback" not in res.stderr
    line = res.stderr.strip().splitlines()[-1]
    assert "no space left on device" in line and "MB" in line and str(disk) in line
    work = disk / ".big.parquet.work"
    assert not out.exists() and not list(work.glob(".partial-*"))
    fp = json.loads((work / "plan.json").read_text())["fingerprint"]
    for shard in work.glob("part-*"):
        verify_shard(shard, fp, int(shard.name[5:11]))


def test_read_only_disk_gives_one_line(tmp_path, tmpfs):
    disk = tmpfs("1m", ro=True)
    res = run(tmp_path, out=str(disk / "x.parquet"))
    assert res.returncode == 1 and "Traceback" not in res.stderr
    assert "read-only file system" in res.stderr and str(disk) in res.stderr


CARD = '''
[run]
seed = 5
events = 3000000
unweighted = false
output = "x.parquet"
chunk_size = 20000
[process]
name = "mu3e-ic"
[training]
nitn = 2
neval = 4000
'''


def _children(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _start_cli_with_workers(tmp_path: Path) -> tuple[subprocess.Popen, list[int]]:
    card = tmp_path / "card.toml"
    card.write_text(CARD)
    proc = subprocess.Popen([sys.executable, "-c", "import sys; from muonbsm.cli import main; sys.exit(main())", "generate", str(card), "--workers", "2",
                             "--output", str(tmp_path / "x.parquet")],
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 180
    work = tmp_path / ".x.parquet.work"
    while time.monotonic() < deadline and not list(work.glob("part-*")):  # workers are running
        time.sleep(0.1)
    workers = _children(proc.pid)
    assert len(workers) == 2, "the run did not start two workers"
    return proc, workers


def test_sigterm_stops_the_workers_and_exits_143(tmp_path):
    proc, workers = _start_cli_with_workers(tmp_path)
    t0 = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    code = proc.wait(timeout=60)
    elapsed = time.monotonic() - t0
    time.sleep(0.5)
    assert code == 128 + signal.SIGTERM, proc.stderr.read()
    assert "terminated by signal 15" in proc.stderr.read()
    assert not any(_alive(w) for w in workers), f"workers alive {elapsed:.1f} s after SIGTERM"
    work = tmp_path / ".x.parquet.work"
    assert not (tmp_path / "x.parquet").exists() and not list(work.glob(".partial-*"))


def test_no_worker_outlives_a_killed_parent(tmp_path):
    proc, workers = _start_cli_with_workers(tmp_path)
    proc.kill()
    proc.wait(timeout=60)
    deadline = time.monotonic() + 5.0
    while time.monotonic() < deadline and any(_alive(w) for w in workers):
        time.sleep(0.1)
    assert not any(_alive(w) for w in workers), "worker processes survived their parent's SIGKILL by 5 s"
