"""The efficiency table of Knapen et al., Table 2, per sample, with optional experimental reference numbers.

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
step              ic              ic ref   ratio
Final efficiency  0.200 ± 0.010   0.2500   0.800
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import awkward as ak
import numpy as np
from numpy.typing import NDArray

from muonbsm.detector.mu3e.calibration import (Rescaling, calibrate, pass_probability, rescaling_factor,
                                              weighted_efficiency)
from muonbsm.detector.mu3e.config import Mu3eConfig, load_config
from muonbsm.detector.mu3e.maps import EfficiencyMap, load_map
from muonbsm.detector.mu3e.reconstruction import CUTFLOW_STEPS, DetectorResult, simulate
from muonbsm.report import format_pm
from muonbsm.seeds import rng as stream_rng

__all__ = ["TABLE_STEPS", "load_reference", "simulate_samples", "step_errors", "efficiency_table", "efficiency_vs_mass",
           "format_table"]

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


def simulate_samples(samples: Mapping[Any, ak.Array], config: Mu3eConfig, seed: int, rescale: float,
                     maps: tuple[EfficiencyMap, EfficiencyMap] | None = None,
                     indices: Mapping[Any, int] | None = None) -> dict[Any, DetectorResult]:
    """The detector on every sample: sample ``k`` on the stream ``("sample", k, "detector")``
    of master ``seed`` (:mod:`muonbsm.seeds`); ``k`` is ``indices[name]`` (default: the
    position in ``samples``), the index the sample was generated with."""
    idx = _indices(samples, indices)
    return {name: simulate(ev, config, stream_rng(seed, "sample", idx[name], "detector"), rescale, maps)
            for name, ev in samples.items()}


def _indices(samples: Mapping[Any, ak.Array], indices: Mapping[Any, int] | None) -> dict[Any, int]:
    idx = {name: k for k, name in enumerate(samples)} if indices is None else {n: int(indices[n]) for n in samples}
    if len(set(idx.values())) != len(idx):
        raise ValueError(f"indices: two samples share a stream index: {idx}")
    return idx


def step_errors(result: DetectorResult, rescaling: Rescaling, flat: float,
                calibration_sample: bool = False) -> dict[str, tuple[float, float]]:
    """``{step: (value, MC error)}`` of one sample's table column.

    Geometric acceptances: weighted binomial errors (:func:`weighted_efficiency`) relative to
    all events; reconstruction: binomial relative to the geometric acceptance of the same
    class; rescaling: the calibration's error; vertex x timing: the flat factor (a stated
    constant) times the mean vertex quality of reconstructed events (binomial-type error);
    final = eps x r x flat (``eps`` includes the vertex quality) with the binomial and
    rescaling errors in quadrature. The calibration sample's own final efficiency equals the
    reference by construction (error 0).
    """
    ev = result.events
    w = ak.to_numpy(ev.generator_weight).astype(np.float64)
    geo_s = ak.to_numpy(ak.all(ev.tracks.accepted_short, axis=1))
    geo_l = ak.to_numpy(ak.all(ev.tracks.accepted_long, axis=1))
    reco = ak.to_numpy(ev.passed)
    reco_l = ak.to_numpy(ak.all(ev.tracks.long, axis=1))
    p = pass_probability(result, flat)
    r = rescaling
    eps, d_eps = weighted_efficiency(w, p)
    final = eps * r.value * flat
    if calibration_sample or eps <= 0:
        d_final = 0.0
    else:
        d_final = final * float(np.hypot(d_eps / eps, r.error / r.value if r.value > 0 else 0.0))
    return {
        "geometric_short": weighted_efficiency(w, geo_s),
        "geometric_long": weighted_efficiency(w, geo_l),
        "rescaling": (r.value, r.error),
        "reconstruction_short": weighted_efficiency(w[geo_s], reco[geo_s]),
        "reconstruction_long": weighted_efficiency(w[geo_l], reco_l[geo_l]),
        "vertex_timing": weighted_efficiency(w[reco], p[reco], flat),
        "final": (final, d_final),
    }


def efficiency_table(samples: dict[str, ak.Array], config: Mu3eConfig | None = None, seed: int = 0,
                     reference: str | Path | None = None, n_calibration: int = 200_000,
                     indices: Mapping[str, int] | None = None) -> list[dict]:
    """Rows ``{sample, step, label, value, error, reference, ratio}`` for every sample and step.

    Randomness (:mod:`muonbsm.seeds`, master ``seed``): sample ``k`` is simulated on
    ``("sample", k, "detector")`` (``k``: ``indices`` or the position, see
    :func:`simulate_samples`). The rescaling factor comes from
    ``samples[config.efficiency.reference_sample]`` if given (its own detector stream, so its
    final row reproduces the reference exactly), else from ``n_calibration`` phase-space
    events (:func:`~muonbsm.detector.mu3e.calibration.calibrate`: streams
    ``("calibration.sample",)``, ``("calibration.detector",)``). ``error`` is the MC error of
    every row (:func:`step_errors`); ``reference`` and ``ratio`` (value / reference) are None
    without a reference number.
    """
    config = config or load_config()
    ref = load_reference(reference) if reference is not None else {}
    maps = (load_map(config.maps.short), load_map(config.maps.long_upgrade))
    cal_name = config.efficiency.reference_sample
    idx = _indices(samples, indices)
    if cal_name in samples:
        rescaling = rescaling_factor(samples[cal_name], config, seed, ("sample", idx[cal_name], "detector"), maps)
    else:
        rescaling = calibrate(config, seed, n_calibration, maps)
    flat = config.efficiency.vertex * config.efficiency.timing
    labels = dict(CUTFLOW_STEPS)
    rows = []
    for name, result in simulate_samples(samples, config, seed, rescaling.value, maps, idx).items():
        errors = step_errors(result, rescaling, flat, calibration_sample=name == cal_name)
        for key in TABLE_STEPS:
            value = result.step(key).efficiency
            r = ref.get((name, key))
            rows.append({"sample": name, "step": key, "label": labels[key], "value": value,
                         "error": errors[key][1], "reference": r, "ratio": value / r if r else None})
    return rows


def efficiency_vs_mass(samples: Mapping[float, ak.Array], config: Mu3eConfig | None = None, seed: int = 0,
                       n_calibration: int = 200_000,
                       indices: Mapping[float, int] | None = None) -> dict[str, NDArray[np.float64]]:
    """Final efficiency (and its MC error) of signal samples keyed by the X mass [GeV].

    The rescaling factor comes from ``n_calibration`` phase-space events
    (:func:`~muonbsm.detector.mu3e.calibration.calibrate`); the sample of the ``k``-th mass
    (sorted, or ``indices[mass]``) is simulated on ``("sample", k, "detector")`` of ``seed``.
    Returns arrays ``mass``
    [GeV], ``efficiency``, ``error`` (binomial and rescaling errors in quadrature),
    ``geometric_short`` and ``geometric_short_error``, sorted by mass.
    """
    config = config or load_config()
    maps = (load_map(config.maps.short), load_map(config.maps.long_upgrade))
    masses = sorted(samples)
    rescaling = calibrate(config, seed, n_calibration, maps)
    flat = config.efficiency.vertex * config.efficiency.timing
    results = simulate_samples({m: samples[m] for m in masses}, config, seed, rescaling.value, maps, indices)
    out: dict[str, list[float]] = {k: [] for k in ("mass", "efficiency", "error", "geometric_short",
                                                   "geometric_short_error")}
    for m, result in results.items():
        errors = step_errors(result, rescaling, flat)
        out["mass"].append(m)
        out["efficiency"].append(result.step("final").efficiency)
        out["error"].append(errors["final"][1])
        out["geometric_short"].append(result.step("geometric_short").efficiency)
        out["geometric_short_error"].append(errors["geometric_short"][1])
    return {k: np.asarray(v) for k, v in out.items()}


def format_table(rows: list[dict]) -> str:
    """Plain-text table: one line per step, a column per sample with ``value ± MC error``
    (plus reference and ratio columns where any reference number is present)."""
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
            line.append("-" if r is None else format_pm(r["value"], r.get("error")))
            if s in with_ref:
                line += ["-", "-"] if r is None or r["reference"] is None else [f"{r['reference']:.4f}", f"{r['ratio']:.3f}"]
        lines.append(line)
    widths = [max(len(l[i]) for l in lines) for i in range(len(header))]
    return "\n".join("   ".join(c.ljust(w) for c, w in zip(l, widths)).rstrip() for l in lines)
