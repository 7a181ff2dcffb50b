"""Tests of the end-to-end Mu3e reach scan (tiny statistics, well under a minute)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from muonbsm.analysis.mu3e.reach import REQUIRED_KEYS, analyze_card, format_rows, load_card
from muonbsm.analysis.mu3e.samples import BUILTIN_MODELS, DetectorLevel
from muonbsm.analysis.mu3e.scan import paired_variables

CARD = """
[scan]
models = ["dark-photon", "tiny-scalar"]
masses_mev = [50]
decays = [1e15, 4e15]
pairs = ["a,b", "a,c"]
results_dir = "{d}/res"
cache_dir = "{d}/cache"
[analysis]
bins = 4
min_bkg_events = 5
[statistics]
background_points = 20000
min_window_events = 1000000
max_background_points = 30000
signal_points = 4000
nitn = 2
neval = 4000
rate_neval = 2000
calibration_events = 4000
workers = 1
[plots]
enabled = false
[models.tiny-scalar]
process = "scalar"
g_mu = 2e-4
g_e = 2e-5
coupling = "g_mu"
"""


@pytest.fixture(scope="module")
def scan(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict]]:
    d = tmp_path_factory.mktemp("mu3e_reach")
    card = d / "card.toml"
    card.write_text(CARD.format(d=d))
    return card, analyze_card(card, progress=False)


def test_rows_keys_and_count(scan: tuple[Path, list[dict]]) -> None:
    _, rows = scan
    assert len(rows) == 2 * 1 * 2 * 2
    for r in rows:
        assert set(REQUIRED_KEYS) <= set(r)
        assert r["br_limit_bump"] > 0 and r["br_limit_angular"] > 0
        assert math.isclose(r["gain"], r["br_limit_bump"] / r["br_limit_angular"], rel_tol=1e-12)
        assert 0 < r["half_width_gev"] <= 0.002
    assert {r["coupling"] for r in rows} == {"eps^2", "g_mu"}


def test_coupling_translation(scan: tuple[Path, list[dict]]) -> None:
    _, rows = scan
    for r in rows:
        ratio = r["br_limit_angular"] / r["br_reference"]
        expect = r["coupling_reference"] * (ratio if r["coupling"] == "eps^2" else math.sqrt(ratio))
        assert math.isclose(r["coupling_limit"], expect, rel_tol=1e-9)
    dp = next(r for r in rows if r["model"] == "dark-photon")
    assert dp["coupling_reference"] == pytest.approx(1e-6)  # eps_ref^2


def test_limits_scale_with_decays(scan: tuple[Path, list[dict]]) -> None:
    _, rows = scan
    one = next(r for r in rows if r["model"] == "dark-photon" and r["decays"] == 1e15 and r["pair"] == "a,b")
    four = next(r for r in rows if r["model"] == "dark-photon" and r["decays"] == 4e15 and r["pair"] == "a,b")
    # large background: the Asimov limit on BR falls as 1/sqrt(N)
    assert one["br_limit_bump"] / four["br_limit_bump"] == pytest.approx(2.0, rel=0.02)


def test_outputs_and_cache(scan: tuple[Path, list[dict]]) -> None:
    card, rows = scan
    res = card.parent / "res"
    data = json.loads((res / "mu3e_reach.json").read_text())
    assert len(data["rows"]) == len(rows)
    assert (res / "mu3e_reach.csv").read_text().startswith("model,mass_gev,decays,pair")
    text = format_rows(rows)
    assert "dark-photon" in text and "eps^2 <" in text
    # rerun on the cached samples with plots: identical numbers, figures written
    small = card.parent / "small.toml"
    small.write_text(card.read_text().replace('models = ["dark-photon", "tiny-scalar"]', 'models = ["dark-photon"]')
                     .replace("decays = [1e15, 4e15]", "decays = [1e15]").replace('pairs = ["a,b", "a,c"]', 'pairs = ["a,b"]')
                     .replace("enabled = false", "distribution_masses_mev = [50]").replace("/res", "/res_small"))
    again = analyze_card(small, progress=False)
    first = next(r for r in rows if r["model"] == "dark-photon" and r["decays"] == 1e15 and r["pair"] == "a,b")
    assert len(again) == 1 and again[0]["br_limit_angular"] == first["br_limit_angular"]
    for name in ("gain_1e+15.png", "reach_dark-photon.png", "dist_dark-photon_50MeV_ab.png"):
        assert (card.parent / "res_small" / name).stat().st_size > 0


def test_pairing_uses_smeared_masses() -> None:
    p = np.array([[0.02, 0.0, 0.0, 0.02], [0.03, 0.03, 0.0, 0.0]])
    sample = DetectorLevel(p[:, [0, 1, 2, 3]], p[::-1].copy(), p.copy(), np.array([0.040, 0.031]),
                           np.array([0.030, 0.0395]), np.ones(2), np.zeros((2, 3)), 1.0, 2, 2)
    out = paired_variables(sample, 0.04, ("m_ee",))
    np.testing.assert_allclose(out["m_ee"], [0.040, 0.0395])


def test_rows_carry_mc_errors(scan: tuple[Path, list[dict]]) -> None:
    _, rows = scan
    for r in rows:
        for key in ("br_limit_bump", "br_limit_angular", "gain", "coupling_limit", "coupling_limit_bump",
                    "signal_efficiency", "s_window", "b_window"):
            err = r[f"{key}_mc_error"]
            assert 0 < err < r[key], key
        # coupling ~ mu^(1/p): its relative error is 1/p of the limit's template error
        p = 1.0 if r["coupling"] == "eps^2" else 2.0
        rel_br = r["br_limit_angular_mc_error"] / r["br_limit_angular"]
        assert r["coupling_limit_mc_error"] / r["coupling_limit"] <= rel_br / p * 1.0000001
    assert "±" in format_rows(rows)


def test_merge_keeps_point_shares() -> None:
    def sample(w: float, n: int, trials: int) -> DetectorLevel:
        z = np.zeros((n, 4))
        return DetectorLevel(z, z, z, np.zeros(n), np.zeros(n), np.full(n, w), np.zeros((n, 3)), w * n, n, trials)

    a, b = sample(1.0, 3, 100), sample(2.0, 2, 300)  # rate estimates 3 and 4
    m = a.merge(b)
    assert m.n_trials == 400 and m.weight.size == 5
    assert m.weight.sum() == pytest.approx(0.25 * 3 + 0.75 * 4) == pytest.approx(m.rate)


def test_background_topped_up_and_cache_is_detector_level(scan: tuple[Path, list[dict]]) -> None:
    card, _ = scan
    files = list((card.parent / "cache").glob("ic_*.npz"))
    assert len(files) == 1
    bkg = DetectorLevel.load(files[0])
    assert bkg.n_trials == 30000  # topped up from 20000 to max_background_points
    # only reconstructed events with the pairing closest to m_X within max_half_width are kept
    assert np.all(bkg.weight > 0)
    assert np.all(np.minimum(abs(bkg.m1 - 0.05), abs(bkg.m2 - 0.05)) < 0.002)
    assert not list((card.parent / "cache").glob("*.parquet"))


@pytest.mark.parametrize(("patch", "key"), [
    ({"scan": {"masses_mev": [50]}}, "[scan] models is required"),
    ({"scan": {"models": ["nope"], "masses_mev": [50]}}, "[scan] models[0]: got 'nope'"),
    ({"scan": {"models": ["dark-photon"], "masses_mev": [200]}}, "[scan] masses_mev[0]: got 200"),
    ({"scan": {"models": ["dark-photon"], "masses_mev": [50], "pairs": ["a,d"]}}, "[scan] pairs[0]: got 'a,d'"),
    ({"scan": {"models": ["dark-photon"], "masses_mev": [50], "decays": [-1.0]}}, "[scan] decays[0]: got -1.0"),
    ({"scan": {"models": ["dark-photon"], "masses_mev": [50], "typo": 1}}, "[scan] unknown key 'typo'"),
    ({"scan": {"models": ["dark-photon"], "masses_mev": [50]}, "analysis": {"bins": 0}}, "[analysis] bins: got 0"),
    ({"scan": {"models": ["dark-photon"], "masses_mev": [50]}, "analysis": {"statistic": "chi2"}}, "[analysis] statistic: got 'chi2'"),
    ({"scan": {"models": ["dark-photon"], "masses_mev": [50]}, "bands": {"target": "X"}}, "[bands] target: got 'X'"),
    ({"scan": {"models": ["m"], "masses_mev": [50]}, "models": {"m": {"process": "scalar", "coupling": "g_e", "g_mu": 1e-4}}},
     "models.m.coupling"),
    ({"scan": {"models": ["dark-photon"], "masses_mev": [50]}, "extra": {}}, "unknown section 'extra'"),
])
def test_card_validation(tmp_path: Path, patch: dict, key: str) -> None:
    lines = []
    for sec, table in patch.items():
        if sec == "models":
            for name, t in table.items():
                lines.append(f"[models.{name}]")
                lines += [f"{k} = {json.dumps(v)}" for k, v in t.items()]
            continue
        lines.append(f"[{sec}]")
        lines += [f"{k} = {json.dumps(v)}" for k, v in table.items()]
    card = tmp_path / "c.toml"
    card.write_text("\n".join(lines) + "\n")
    with pytest.raises(ValueError) as exc:
        load_card(card)
    assert key in str(exc.value)


def test_builtin_models() -> None:
    dp = BUILTIN_MODELS["dark-photon"]
    assert dp.coupling_label == "eps^2" and dp.reference_value == pytest.approx(1e-6)
    assert BUILTIN_MODELS["pseudoscalar-mu"].model(0.02).couplings_mu == (0.0, 1e-4)
    assert BUILTIN_MODELS["scalar-e"].model(0.02).electron_coupled


WORKERS_CARD = """
[scan]
models = ["dark-photon"]
masses_mev = [30, 60]
decays = [1e15]
pairs = ["a,b"]
results_dir = "{d}/res_w{w}"
cache_dir = "{d}/cache_w{w}"
[analysis]
bins = 4
min_bkg_events = 5
[statistics]
background_points = 6000
signal_points = 2000
nitn = 2
neval = 2000
rate_neval = 2000
calibration_events = 2000
chunk_size = 2500
workers = {w}
[plots]
enabled = false
"""


def test_rows_do_not_depend_on_workers(tmp_path: Path) -> None:
    """Mass points draw from their own streams (("mass", i, ...)): one process or two give the
    same rows, bit for bit, whatever order the tasks finish in."""
    rows = []
    for w in (1, 2):
        card = tmp_path / f"w{w}.toml"
        card.write_text(WORKERS_CARD.format(d=tmp_path, w=w))
        rows.append(analyze_card(card, progress=False))
    assert rows[0] == rows[1] and len(rows[0]) == 2
