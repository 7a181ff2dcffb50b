"""The Mu3e reach workers' initializer must leave numba able to compile afterwards.

Regression: it used to set ``NUMBA_NUM_THREADS`` in the environment after numba was imported,
so the next compilation in the worker failed ("Cannot set NUMBA_NUM_THREADS to a different
value once the threads have been launched") and ``muonbsm run samples/quickstart.toml`` died
in its Mu3e reach step.
"""

import subprocess
import sys

SCRIPT = """
import numba, numpy as np
@numba.njit(parallel=True)
def f(x):
    s = 0.0
    for i in numba.prange(x.size):
        s += x[i]
    return s
f(np.ones(10))
from muonbsm.analysis.mu3e.tasks import _init_worker
_init_worker()
@numba.njit
def g(x):
    return x + 1
assert g(1) == 2 and numba.get_num_threads() == 1
print("ok")
"""


def test_worker_initializer_keeps_numba_compiling():
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "ok"
