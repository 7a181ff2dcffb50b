"""Stored pilot results of the fast tau decayer: Q tables, channel fractions and envelopes per mode.

The decayer's fixed-seed pilots (:func:`muonbsm.generator.decays.tau._sampler`,
:func:`~muonbsm.generator.decays.tau._max_weight`) take about a minute for all modes. Their
results are deterministic functions of the decayer's source files, so they are stored in
``data/tau_pilots.npz`` together with the SHA-256 digest (:func:`muonbsm.hashing.digest`) of
those files (:data:`SOURCES`). At run time :func:`load` returns them only if the digest matches
(any edit of a current, the sampler or the table invalidates them, and the decayer then runs
its pilots as before). Rebuild after changing the decayer:

    python -m muonbsm.generator.decays.tau_pilots --write
"""

from __future__ import annotations

import argparse
import os
import sys
from functools import lru_cache
from pathlib import Path

import numpy as np

from muonbsm.hashing import digest, file_digest

__all__ = ["SOURCES", "PILOT_PATH", "source_digest", "load", "write"]

_HERE = Path(__file__).parent
#: Files whose content determines the pilots.
SOURCES = ("tau.py", "tau_br.py", "tau_currents.py", "tau_currents_3pi.py", "tau_currents_kaons.py",
           "tau_currents_multipion.py", "tau_sampling.py", "kinematics.py", "data/tau_branching_fractions.csv")
PILOT_PATH = _HERE / "data" / "tau_pilots.npz"


def source_digest() -> str:
    """Digest of the decayer source files (:data:`SOURCES`)."""
    return digest({name: file_digest(_HERE / name) for name in SOURCES})


@lru_cache(maxsize=1)
def load() -> dict[str, np.ndarray] | None:
    """Stored pilot arrays, or None if absent or built from other sources."""
    try:
        with np.load(PILOT_PATH, allow_pickle=False) as z:
            data = {k: z[k] for k in z.files}
    except (OSError, ValueError):
        return None
    return data if str(data.get("digest", "")) == source_digest() else None


def write(path: Path = PILOT_PATH) -> Path:
    """Run every pilot and store the results (temporary name, fsync, rename)."""
    from muonbsm.generator.decays import tau

    load.cache_clear()
    tau._sampler.cache_clear()
    tau._max_weight.cache_clear()
    out: dict[str, np.ndarray] = {"digest": np.array(source_digest())}
    for code in range(len(tau.MODES)):
        out[f"envelope_{code}"] = np.array(tau._max_weight(code, use_stored=False))
        sampler = tau._sampler(code, use_stored=False)
        if sampler is not None:
            out[f"alphas_{code}"] = sampler.alphas
            out[f"edges_{code}"], out[f"cdf_{code}"], out[f"density_{code}"] = sampler.table.edges, sampler.table.cdf, sampler.table.density
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as fh:
        # allow_pickle given (its default) so that numpy's stubs do not match **out against it
        np.savez(fh, allow_pickle=True, **out)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    load.cache_clear()
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="stored pilots of the fast tau decayer")
    parser.add_argument("--write", action="store_true", help=f"rebuild {PILOT_PATH.name}")
    args = parser.parse_args(argv)
    if args.write:
        print(f"wrote {write()}")
    print("stored pilots " + ("match" if load() is not None else "do not match") + " the decayer sources")
    return 0


if __name__ == "__main__":
    sys.exit(main())
