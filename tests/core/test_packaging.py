"""Packaging: every module imports in a fresh interpreter, with no global side effects; py.typed ships."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_module_imports():
    res = subprocess.run([sys.executable, str(ROOT / ".ci" / "import_all.py")], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr


def test_import_changes_no_logging_configuration():
    script = ("import logging; before = list(logging.getLogger().handlers)\n"
              "import muonbsm.cli, muonbsm.cards, muonbsm.pipeline, muonbsm.analysis.fixed_target.plots\n"
              "assert logging.getLogger().handlers == before, logging.getLogger().handlers\n")
    subprocess.run([sys.executable, "-c", script], check=True)


def test_py_typed_is_package_data():
    import muonbsm

    assert (Path(muonbsm.__file__).parent / "py.typed").is_file()
    assert '"py.typed"' in (ROOT / "pyproject.toml").read_text()
