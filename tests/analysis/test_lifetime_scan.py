"""End to end on small samples: a displaced signal through the detector, reweighted in c tau,
agrees with the prompt sample at short lifetimes and loses efficiency at long ones; the
lifetime-scan outputs (tables, figures with the published limits)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from muonbsm.analysis.mu3e.lifetime import LIFETIME_KEYS, add_lifetime_limits, displaced_signal, lifetime_reach
from muonbsm.analysis.mu3e.lifetime_scan import write_outputs
from muonbsm.analysis.mu3e.samples import BUILTIN_MODELS, SampleFactory, SampleSettings
from muonbsm.analysis.mu3e.scan import AnalysisSettings, analyze_point


def test_small_run(tmp_path: Path) -> None:
    settings = SampleSettings(background_points=20_000, signal_points=4_000, nitn=3, neval=4_000, rate_neval=4_000,
                              calibration_events=5_000, chunk_size=20_000)
    factory = SampleFactory(settings, tmp_path / "cache")
    spec, m = BUILTIN_MODELS["scalar-mixed"], 0.04
    sig, bkg = factory.signal(spec, m, 0, 0), factory.background(m, 0)
    br_ref, _ = factory.total_rate(spec, m, 0, 0)
    disp = displaced_signal(factory, spec, m, 0, 0, n_points=12_000)
    prompt_eff = sig.weight.sum() / br_ref
    prompt_err = np.sqrt(np.sum(sig.weight**2)) / br_ref
    eff, err = disp.efficiency(1e-3, br_ref)
    assert eff == pytest.approx(prompt_eff, abs=4 * np.hypot(err, prompt_err))
    # decays at the mm scale fail the prompt vertex: q(1 mm) = 0.04
    assert disp.efficiency(3.0, br_ref)[0] < 0.5 * eff
    an = AnalysisSettings(bins=10, min_bkg_events=2)
    row = analyze_point(spec, m, sig, bkg, br_ref, [5.5e16], ["a,b"], an)[0]
    life = lifetime_reach(factory, spec, m, 0, 0, bkg, br_ref, 5.5e16, "a,b", an, row["br_limit_angular"],
                          row["br_limit_angular_mc_error"], n_points=12_000)
    assert life["coupling_limit_prompt"] == pytest.approx(row["coupling_limit"], rel=1e-9)
    assert life["ctau_at_limit_mm"] == pytest.approx(life["ctau_reference_mm"] * (1e-4 / life["coupling_limit_displaced"]) ** 2)
    assert life["coupling_limit_displaced_mc_error"] > 0
    # the same numbers from the cache (no regeneration)
    again = displaced_signal(factory, spec, m, 0, 0, n_points=12_000)
    assert np.array_equal(again.lab_length_mm, disp.lab_length_mm) and np.array_equal(again.level.weight, disp.level.weight)
    # the muonbsm analyze hook: columns on every row, NaN for a muon-only X without a stated c tau
    rows = [dict(row), dict(row, model="scalar-mu")]
    add_lifetime_limits(rows, factory, [spec, BUILTIN_MODELS["scalar-mu"]], [m], "a,b", an)
    default = lifetime_reach(factory, spec, m, 0, 0, bkg, br_ref, 5.5e16, "a,b", an, row["br_limit_angular"],
                             row["br_limit_angular_mc_error"])  # signal_points displaced points, as the hook
    assert rows[0]["coupling_limit_displaced"] == pytest.approx(default["coupling_limit_displaced"], rel=1e-12)
    assert all(k in rows[1] for k in LIFETIME_KEYS) and np.isnan(rows[1]["coupling_limit_displaced"])
    paths = write_outputs([row], [life], [spec], [m], tmp_path / "out", 0.95)
    names = {p.name for p in paths}
    assert {"lifetime_reach.csv", "lifetime_reach.json", "reach_lifetime_scalar-mixed.png"} <= names
    assert "coupling_limit_displaced_mc_error" in (tmp_path / "out" / "lifetime_reach.csv").read_text().splitlines()[0]
