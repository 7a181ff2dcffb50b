"""Identical bytes through the command line: serial, ``--workers 1``, ``--workers 2`` and a
dask.distributed cluster whose scheduler and workers are separate processes.

``.ci/run`` starts one ``dask scheduler`` and two ``dask worker`` processes on 127.0.0.1 and
exports ``MUONBSM_TEST_SCHEDULER=tcp://127.0.0.1:PORT``; without it the cluster test is skipped.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from muonbsm.hashing import file_digest

CARD = '''
[run]
seed = 11
events = 12000
unweighted = false
output = "x.parquet"
chunk_size = 4000
[process]
name = "mu3e-ic"
[training]
nitn = 2
neval = 4000
'''
SCHEDULER = os.environ.get("MUONBSM_TEST_SCHEDULER")


def cli(tmp: Path, *args: str) -> subprocess.CompletedProcess:
    card = tmp / "card.toml"
    card.write_text(CARD)
    cmd = [sys.executable, "-c", "import sys; from muonbsm.cli import main; sys.exit(main())", "generate", str(card), *args]
    res = subprocess.run(cmd, cwd=tmp, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr
    return res


def tree(path: Path) -> dict[str, str]:
    if path.is_file():
        return {"": file_digest(path)}
    return {str(p.relative_to(path)): file_digest(p) for p in sorted(path.rglob("*")) if p.is_file()}


def test_serial_and_local_workers_give_identical_bytes(tmp_path):
    cli(tmp_path, "--output", str(tmp_path / "serial.parquet"))
    for workers in ("1", "2"):
        cli(tmp_path, "--workers", workers, "--output", str(tmp_path / f"w{workers}.parquet"))
        assert tree(tmp_path / f"w{workers}.parquet") == tree(tmp_path / "serial.parquet"), workers


@pytest.mark.skipif(not SCHEDULER, reason="MUONBSM_TEST_SCHEDULER is not set (.ci/run starts a dask scheduler and "
                                          "two workers on 127.0.0.1 and exports it)")
def test_dask_cluster_of_separate_processes_gives_the_serial_bytes(tmp_path):
    from dask.distributed import Client

    with Client(SCHEDULER, timeout=60) as client:
        client.wait_for_workers(2, timeout=120)
    cli(tmp_path, "--output", str(tmp_path / "serial.parquet"))
    cli(tmp_path, "--output", str(tmp_path / "serial-merged.parquet"), "--merge")
    res = cli(tmp_path, "--scheduler", SCHEDULER, "--output", str(tmp_path / "dask.parquet"))
    merged = cli(tmp_path, "--scheduler", SCHEDULER, "--output", str(tmp_path / "dask-merged.parquet"), "--merge")
    assert tree(tmp_path / "dask.parquet") == tree(tmp_path / "serial.parquet")
    assert tree(tmp_path / "dask-merged.parquet") == tree(tmp_path / "serial-merged.parquet")
    for out in (res, merged):  # a clean shutdown and quiet dask logs
        assert "Lost all workers" not in out.stderr and "distributed." not in out.stderr, out.stderr
