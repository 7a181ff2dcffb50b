"""One-call validation report of the Mu3e detector model: table, efficiency vs mass, plots.

``write_report(outdir, seed)`` generates phase-space mu -> eee, IC and prompt dark-photon
samples, prints and writes the efficiency table (``table.txt``, ``table.json``), the final
efficiency versus m_A' (``efficiency_vs_mass.csv``) and the plots (``*.png``).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from muonbsm.detector.mu3e.calibration import rescaling_factor
from muonbsm.detector.mu3e.config import Mu3eConfig, load_config
from muonbsm.detector.mu3e.maps import acceptance_map, load_map
from muonbsm.detector.mu3e.plots import plot_cutflow, plot_efficiency_map, plot_efficiency_vs_mass, plot_mee
from muonbsm.detector.mu3e.reconstruction import simulate
from muonbsm.detector.mu3e.samples import make_sample
from muonbsm.detector.mu3e.table import efficiency_table, efficiency_vs_mass, format_table

__all__ = ["TABLE_MASSES_MEV", "CURVE_MASSES_MEV", "write_report"]

TABLE_MASSES_MEV: tuple[int, ...] = (10, 20, 40, 70)
CURVE_MASSES_MEV: tuple[int, ...] = tuple(range(5, 95, 5))


def write_report(outdir: str | Path, seed: int = 1, config: Mu3eConfig | None = None, n_phase_space: int = 500_000,
                 n_ic: int = 1_000_000, n_signal: int = 100_000, table_masses_mev: Sequence[int] = TABLE_MASSES_MEV,
                 curve_masses_mev: Sequence[int] = CURVE_MASSES_MEV, reference: str | Path | None = None) -> str:
    """Write the report files into ``outdir`` and return the formatted table.

    Samples: ``n_phase_space`` phase-space, ``n_ic`` IC and ``n_signal`` dark-photon points
    per mass, each from a child of ``SeedSequence(seed)``.
    """
    config = config or load_config()
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    masses = sorted(set(table_masses_mev) | set(curve_masses_mev))
    names = ["phase-space", "ic"] + [f"dark-photon:{m}MeV" for m in masses]
    seeds = dict(zip(names + ["table", "curve", "plots"], np.random.SeedSequence(seed).spawn(len(names) + 3)))
    sizes = {"phase-space": n_phase_space, "ic": n_ic}
    samples = {n: make_sample(n, sizes.get(n, n_signal), np.random.default_rng(seeds[n])) for n in names}
    in_table = ["phase-space", "ic"] + [f"dark-photon:{m}MeV" for m in table_masses_mev]
    rows = efficiency_table({n: samples[n] for n in in_table}, config, seed=int(seeds["table"].generate_state(1)[0]),
                            reference=reference)
    text = format_table(rows)
    (out / "table.txt").write_text(text + "\n")
    (out / "table.json").write_text(json.dumps(rows, indent=1))
    curve = efficiency_vs_mass({m * 1e-3: samples[f"dark-photon:{m}MeV"] for m in curve_masses_mev}, config,
                               seed=int(seeds["curve"].generate_state(1)[0]), n_calibration=n_phase_space)
    with open(out / "efficiency_vs_mass.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["mass_GeV", "final_efficiency", "mc_error", "geometric_short"])
        for row in zip(*(curve[k] for k in ("mass", "efficiency", "error", "geometric_short"))):
            writer.writerow([f"{v:.6g}" for v in row])
    ax = plot_efficiency_vs_mass(curve["mass"], curve["efficiency"], curve["error"])
    ax.figure.savefig(out / "efficiency_vs_mass.png")
    rng = np.random.default_rng(seeds["plots"])
    for kind, path in (("short", config.maps.short), ("long", config.maps.long_upgrade)):
        plot_efficiency_map(load_map(path), title=f"{kind} map ({path.name})").figure.savefig(out / f"map_{kind}.png")
        acc = acceptance_map(config, kind, rng, n_per_bin=100)
        plot_efficiency_map(acc, title=f"geometric acceptance, {kind} tracks").figure.savefig(out / f"acceptance_{kind}.png")
    rescale = rescaling_factor(samples["phase-space"], config, rng)
    results = {n: simulate(samples[n], config, rng, rescale) for n in in_table}
    plot_cutflow(results).figure.savefig(out / "cutflow.png")
    for n, m in zip(in_table[2:], table_masses_mev):
        pair = {"IC": results["ic"], n: results[n]}
        plot_mee(pair).figure.savefig(out / f"mee_{m}MeV.png")
        window = np.linspace(m - 5.0, m + 5.0, 82)  # odd bin count: m at a bin centre
        plot_mee(pair, bins=window, log=False).figure.savefig(out / f"mee_{m}MeV_zoom.png")
    return text
