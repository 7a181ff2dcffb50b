"""The efficiency table of seed Table 2, per sample, with optional experimental reference numbers.

Rows (keys of :data:`~muonbsm.detector.mu3e.reconstruction.CUTFLOW_STEPS` without
``generated``): geometric acceptance for short and long tracks (fraction of events with all
three tracks accepted), the rescaling factor, track reconstruction for short and long tracks
(relative to the geometric acceptance of the same class), vertex and timing, and the final
efficiency = acceptance(short) x rescaling x reconstruction(short) x vertex x timing.

Reference CSV (``--reference``): ``#`` comments, header ``sample,step,value``, one row per
number, ``step`` a row key (e.g. ``final``) and ``sample`` a sample name (e.g. ``ic``).

>>> rows = [{"sample": "ic", "step": "final", "label": "Final efficiency", "value": 0.2,
...          "error": 0.01, "reference": 0.25, "ratio": 0.8}]
>>> print(format_table(rows))  # doctest: +NORMALIZE_WHITESPACE
step              ic       ic ref   ratio
Final efficiency  0.2000   0.2500   0.800
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping
from pathlib import Path

import awkward as ak
import numpy as np
from numpy.typing import NDArray

from muonbsm.detector.mu3e.calibration import rescaling_factor
from muonbsm.detector.mu3e.config import Mu3eConfig, load_config
from muonbsm.detector.mu3e.maps import load_map
from muonbsm.detector.mu3e.reconstruction import CUTFLOW_STEPS, DetectorResult, simulate
from muonbsm.detector.mu3e.samples import phase_space_mu_eee

__all__ = ["TABLE_STEPS", "load_reference", "efficiency_table", "efficiency_vs_mass", "format_table"]

#: Row keys of the table, in order.
TABLE_STEPS: tuple[str, ...] = tuple(k for k, _ in CUTFLOW_STEPS if k != "generated")


def load_reference(path: str | Path) -> dict[tuple[str, str], float]:
    """Read a reference CSV into ``{(sample, step): value}``; raises ValueError if malformed."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"reference: file {path} does not exist")
    body = [l for l in path.read_text().splitlines() if l.strip() and not l.startswith("#")]
    rows = list(csv.reader(io.StringIO("\n".join(body))))
    if not rows or [h.strip() for h in rows[0]] != ["sample", "step", "value"]:
        raise ValueError(f"reference: {path} needs the header 'sample,step,value'")
    out: dict[tuple[str, str], float] = {}
    for i, row in enumerate(rows[1:], start=2):
        if len(row) != 3:
            raise ValueError(f"reference: {path} row {i} needs 3 columns, got {row}")
        sample, step, value = (x.strip() for x in row)
        if step not in TABLE_STEPS:
            raise ValueError(f"reference: {path} row {i}: step must be one of {list(TABLE_STEPS)}, got {step!r}")
        try:
            val = float(value)
        except ValueError as exc:
            raise ValueError(f"reference: {path} row {i}: value {value!r} is not a number") from exc
        if not math.isfinite(val) or val < 0:
            raise ValueError(f"reference: {path} row {i}: value must be finite and >= 0, got {val}")
        out[(sample, step)] = val
    return out


def _binomial_error(events: ak.Array, result: DetectorResult, key: str) -> float:
    """Weighted binomial error of the efficiency of row ``key`` (0 for pure factors)."""
    w = ak.to_numpy(events.weight).astype(np.float64)
    ev = result.events
    masks = {"geometric_short": ak.to_numpy(ak.all(ev.tracks.accepted_short, axis=1)),
             "geometric_long": ak.to_numpy(ak.all(ev.tracks.accepted_long, axis=1)),
             "final": ak.to_numpy(ev.passed)}
    if key not in masks:
        return 0.0
    eff = float(w[masks[key]].sum() / w.sum())
    n_eff = w.sum() ** 2 / np.square(w).sum()
    scale = result.step(key).efficiency / eff if eff > 0 else 1.0
    return float(scale * math.sqrt(max(eff * (1 - eff), 0.0) / n_eff))


def efficiency_table(samples: dict[str, ak.Array], config: Mu3eConfig | None = None, seed: int = 0,
                     reference: str | Path | None = None, n_calibration: int = 200_000) -> list[dict]:
    """Rows ``{sample, step, label, value, error, reference, ratio}`` for every sample and step.

    The rescaling factor is computed from ``samples[config.efficiency.reference_sample]`` if
    given, else from ``n_calibration`` generated phase-space events; every sample is then
    simulated with its own child of ``SeedSequence(seed)``. ``error`` is the weighted binomial
    Monte Carlo error (geometric and final rows). ``reference`` and ``ratio`` (value /
    reference) are None without a reference number.
    """
    config = config or load_config()
    ref = load_reference(reference) if reference is not None else {}
    maps = (load_map(config.maps.short), load_map(config.maps.long_upgrade))
    seeds = dict(zip(list(samples) + ["calibration sample", "calibration"],
                     np.random.SeedSequence(seed).spawn(len(samples) + 2)))
    cal_name = config.efficiency.reference_sample
    if cal_name in samples:  # same stream as its own row, so that row reproduces the reference exactly
        rescale = rescaling_factor(samples[cal_name], config, np.random.default_rng(seeds[cal_name]), maps)
    else:
        cal_sample = phase_space_mu_eee(n_calibration, np.random.default_rng(seeds["calibration sample"]))
        rescale = rescaling_factor(cal_sample, config, np.random.default_rng(seeds["calibration"]), maps)
    labels = dict(CUTFLOW_STEPS)
    rows = []
    for name, events in samples.items():
        result = simulate(events, config, np.random.default_rng(seeds[name]), rescale, maps)
        for key in TABLE_STEPS:
            value = result.step(key).efficiency
            r = ref.get((name, key))
            rows.append({"sample": name, "step": key, "label": labels[key], "value": value,
                         "error": _binomial_error(events, result, key), "reference": r,
                         "ratio": value / r if r else None})
    return rows


def efficiency_vs_mass(samples: Mapping[float, ak.Array], config: Mu3eConfig | None = None, seed: int = 0,
                       n_calibration: int = 200_000) -> dict[str, NDArray[np.float64]]:
    """Final efficiency (and its MC error) of signal samples keyed by the X mass [GeV].

    The rescaling factor comes from ``n_calibration`` phase-space events (as in
    :func:`efficiency_table`). Returns arrays ``mass`` [GeV], ``efficiency``, ``error``,
    ``geometric_short`` sorted by mass.
    """
    config = config or load_config()
    maps = (load_map(config.maps.short), load_map(config.maps.long_upgrade))
    masses = sorted(samples)
    seeds = np.random.SeedSequence(seed).spawn(len(masses) + 2)
    cal = phase_space_mu_eee(n_calibration, np.random.default_rng(seeds[-1]))
    rescale = rescaling_factor(cal, config, np.random.default_rng(seeds[-2]), maps)
    out: dict[str, list[float]] = {"mass": [], "efficiency": [], "error": [], "geometric_short": []}
    for m, ss in zip(masses, seeds):
        result = simulate(samples[m], config, np.random.default_rng(ss), rescale, maps)
        out["mass"].append(m)
        out["efficiency"].append(result.step("final").efficiency)
        out["error"].append(_binomial_error(samples[m], result, "final"))
        out["geometric_short"].append(result.step("geometric_short").efficiency)
    return {k: np.asarray(v) for k, v in out.items()}


def format_table(rows: list[dict]) -> str:
    """Plain-text table: one line per step, a column per sample (plus reference and ratio
    columns where any reference number is present)."""
    samples = list(dict.fromkeys(r["sample"] for r in rows))
    steps = list(dict.fromkeys(r["step"] for r in rows))
    cell = {(r["sample"], r["step"]): r for r in rows}
    with_ref = {s for s in samples if any(cell.get((s, k), {}).get("reference") is not None for k in steps)}
    labels = {r["step"]: r["label"] for r in rows}
    header = ["step"]
    for s in samples:
        header += [s] + ([f"{s} ref", "ratio"] if s in with_ref else [])
    lines = [header]
    for k in steps:
        line = [labels[k]]
        for s in samples:
            r = cell.get((s, k))
            line.append("-" if r is None else f"{r['value']:.4f}")
            if s in with_ref:
                line += ["-", "-"] if r is None or r["reference"] is None else [f"{r['reference']:.4f}", f"{r['ratio']:.3f}"]
        lines.append(line)
    widths = [max(len(l[i]) for l in lines) for i in range(len(header))]
    return "\n".join("   ".join(c.ljust(w) for c, w in zip(l, widths)).rstrip() for l in lines)
