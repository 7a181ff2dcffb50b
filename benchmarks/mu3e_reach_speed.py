"""Speed and cache size of ``muonbsm analyze`` from an empty cache (issue 12 target: the full
``samples/mu3e_reach.toml`` in <= 3 min on 2 cores with a cache <= 200 MB).

    python benchmarks/mu3e_reach_speed.py [CARD] [--masses 20,60]

Runs the card (optionally on a subset of masses) into a temporary results and cache folder and
prints the wall time, the CPU time of this process and its workers, the load average before and
after (the machine may be shared), the per-stage task seconds and the cache size. No assertion:
the numbers are for the reader.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import tempfile
import time
from pathlib import Path

from muonbsm.analysis.mu3e.reach import analyze, load_card
from muonbsm.analysis.mu3e.tasks import cache_size, format_bytes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("card", nargs="?", default=str(Path(__file__).resolve().parents[1] / "samples" / "mu3e_reach.toml"))
    parser.add_argument("--masses", help="comma-separated subset of the card's masses [MeV]")
    args = parser.parse_args()
    card = load_card(args.card)
    if args.masses:
        keep = [float(m) * 1e-3 for m in args.masses.split(",")]
        card.masses = [m for m in card.masses if any(abs(m - k) < 1e-9 for k in keep)]
    with tempfile.TemporaryDirectory() as tmp:
        card.results_dir, card.cache_dir = Path(tmp) / "results", Path(tmp) / "cache"
        load0 = os.getloadavg()
        start = time.monotonic()
        rows = analyze(card, progress=True)
        wall = time.monotonic() - start
        load1 = os.getloadavg()
        cpu = sum(getattr(resource.getrusage(who), f) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
                  for f in ("ru_utime", "ru_stime"))
        stages = json.loads((card.results_dir / "mu3e_reach.json").read_text())["settings"].get("task_wall_seconds_by_stage", {})
        print(f"masses: {len(card.masses)}, rows: {len(rows)}, workers: {card.samples.workers}")
        print(f"wall {wall:.0f} s, CPU {cpu:.0f} s (ratio CPU / wall {cpu / wall:.2f}); load average "
              f"{load0[0]:.1f} -> {load1[0]:.1f} on {os.cpu_count()} cores")
        print("task seconds by stage: " + ", ".join(f"{k} {v:.0f}" for k, v in stages.items()))
        print(f"cache: {format_bytes(cache_size(card.cache_dir))}")


if __name__ == "__main__":
    main()
