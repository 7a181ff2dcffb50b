"""The README's Python example runs as printed (in a scratch directory) and makes its figure."""

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_readme_python_example_runs(tmp_path):
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Python"):]
    code = re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)
    assert len(code.strip().splitlines()) <= 12
    (tmp_path / "samples").symlink_to(ROOT / "samples")
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "MPLBACKEND": "Agg"})
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "mee.png").stat().st_size > 10_000
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")) == [
        "ic.parquet", "mee.png", "samples"]
