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
from typing import cast

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from muonbsm.detector.mu3e.calibration import rescaling_factor
from muonbsm.detector.mu3e.config import Mu3eConfig, load_config
from muonbsm.detector.mu3e.maps import acceptance_map, load_map
from muonbsm.detector.mu3e.plots import plot_cutflow, plot_efficiency_map, plot_efficiency_vs_mass, plot_mee
from muonbsm.detector.mu3e.samples import make_sample
from muonbsm.detector.mu3e.table import efficiency_table, efficiency_vs_mass, format_table, simulate_samples
from muonbsm.seeds import rng as stream_rng

__all__ = ["TABLE_MASSES_MEV", "CURVE_MASSES_MEV", "write_report"]

TABLE_MASSES_MEV: tuple[int, ...] = (10, 20, 40, 70)
CURVE_MASSES_MEV: tuple[int, ...] = tuple(range(5, 95, 5))


def _save(ax: Axes, path: Path) -> None:
    """Save the figure ``ax`` is drawn in to ``path``."""
    # an Axes always belongs to a figure, whose root is a Figure (matplotlib types it Optional)
    cast(Figure, ax.get_figure(root=True)).savefig(path)


def write_report(outdir: str | Path, seed: int = 1, config: Mu3eConfig | None = None, n_phase_space: int = 500_000,
                 n_ic: int = 1_000_000, n_signal: int = 100_000, table_masses_mev: Sequence[int] = TABLE_MASSES_MEV,
                 curve_masses_mev: Sequence[int] = CURVE_MASSES_MEV, reference: str | Path | None = None) -> str:
    """Write the report files into ``outdir`` and return the formatted table.

    Samples: ``n_phase_space`` phase-space, ``n_ic`` IC and ``n_signal`` dark-photon points
    per mass. Streams (:mod:`muonbsm.seeds`, master ``seed``): sample ``k`` of the list
    phase-space, IC, table masses, other curve masses is generated on
    ``("sample", k, "generation")`` and simulated on ``("sample", k, "detector")`` (the table,
    the curve and the cut-flow plots show the same simulated events); the curve's rescaling
    factor comes from ``("calibration.*",)``, the acceptance maps from ``("plots",)``.
    """
    config = config or load_config()
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    masses = list(dict.fromkeys([*table_masses_mev, *sorted(curve_masses_mev)]))
    names = ["phase-space", "ic"] + [f"dark-photon:{m}MeV" for m in masses]
    index = {n: k for k, n in enumerate(names)}
    sizes = {"phase-space": n_phase_space, "ic": n_ic}
    samples = {n: make_sample(n, sizes.get(n, n_signal), seed, ("sample", index[n], "generation")) for n in names}
    in_table = ["phase-space", "ic"] + [f"dark-photon:{m}MeV" for m in table_masses_mev]
    rows = efficiency_table({n: samples[n] for n in in_table}, config, seed=seed, reference=reference, indices=index)
    text = format_table(rows)
    (out / "table.txt").write_text(text + "\n")
    (out / "table.json").write_text(json.dumps(rows, indent=1))
    curve_names = {m * 1e-3: f"dark-photon:{m}MeV" for m in curve_masses_mev}
    curve = efficiency_vs_mass({m: samples[n] for m, n in curve_names.items()}, config, seed=seed,
                               n_calibration=n_phase_space, indices={m: index[n] for m, n in curve_names.items()})
    with open(out / "efficiency_vs_mass.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["mass_GeV", "final_efficiency", "mc_error", "geometric_short", "geometric_short_mc_error"])
        for row in zip(*(curve[k] for k in ("mass", "efficiency", "error", "geometric_short", "geometric_short_error"))):
            writer.writerow([f"{v:.6g}" for v in row])
    ax = plot_efficiency_vs_mass(curve["mass"], curve["efficiency"], curve["error"])
    _save(ax, out / "efficiency_vs_mass.png")
    rng = stream_rng(seed, "plots")
    for kind, path in (("short", config.maps.short), ("long", config.maps.long_upgrade)):
        _save(plot_efficiency_map(load_map(path), title=f"{kind} map ({path.name})"), out / f"map_{kind}.png")
        acc = acceptance_map(config, kind, rng, n_per_bin=100)
        _save(plot_efficiency_map(acc, title=f"geometric acceptance, {kind} tracks"), out / f"acceptance_{kind}.png")
    rescale = rescaling_factor(samples["phase-space"], config, seed, ("sample", index["phase-space"], "detector"))
    results = simulate_samples({n: samples[n] for n in in_table}, config, seed, rescale.value, indices=index)
    _save(plot_cutflow(results), out / "cutflow.png")
    for n, m in zip(in_table[2:], table_masses_mev):
        pair = {"IC": results["ic"], n: results[n]}
        _save(plot_mee(pair), out / f"mee_{m}MeV.png")
        window = np.linspace(m - 5.0, m + 5.0, 82)  # odd bin count: m at a bin centre
        _save(plot_mee(pair, bins=window, log=False), out / f"mee_{m}MeV_zoom.png")
    return text
