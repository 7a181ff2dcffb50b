"""Expected signal, reach solution, energy loss, spectrum folding and the reach card."""

from __future__ import annotations

import importlib.util
import math
from dataclasses import replace
from pathlib import Path

import awkward as ak
import numpy as np
import pytest

from muonbsm.analysis.fixed_target.reach import (PB_TO_CM2, ReachSettings, _branching, compute_reach, energy_after,
                                    load_reach_card, reach_table, sigma_length, solve_reach)
from muonbsm.detector.fixed_target.config import get_experiment, load_experiments, parse_experiment
from muonbsm.constants import CTAU_TAU_MM, M_TAU
from muonbsm.generator.decays import BRANCHING_RATIOS, N_PRONGS
from muonbsm.targets import get_target

_SPEC = importlib.util.spec_from_file_location(
    "ft_toys", Path(__file__).parents[1] / "detector" / "test_fixed_target_selection.py")
toys = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(toys)


def _toy_events_fn(target, energy, m_a, channel, n, rng, **kw):
    """Toy events (hand-set kinematics, efficiency tests only): all pass the thin-target cuts."""
    spec = {"channel": channel, "prod": "3prong", "alp_tau": "3prong", "l_prod": 50.0, "l_alp": 50.0}
    return toys.toy_events([spec] * 100)   # 100 equal events: none dominates the efficiency


def _const_sigma(target, energy, m_a):
    return 2.0


EXPS = load_experiments()


@pytest.mark.parametrize("channel", ["invisible", "visible"])
def test_solve_reach_gives_n_required(channel):
    s = ReachSettings(g_chi_visible=0.5)
    for m_a in (2.0, 5.0, 10.0):
        k = 40.0
        c = solve_reach(k, m_a, channel, s)
        assert k * c**2 * _branching(m_a, c, channel, s) == pytest.approx(3.0, rel=1e-10)
    assert solve_reach(9.0, 5.0, "visible", ReachSettings()) == pytest.approx(math.sqrt(3 / 9))
    # invisible rate saturates at K Gamma_chi / (2 Gamma_1): too small K -> no reach
    assert solve_reach(1e-8, 5.0, "invisible", s) == math.inf


def test_unknown_channel_is_rejected():
    for bad in ("Visible", "mu tau", ""):
        with pytest.raises(ValueError, match="channel must be one of"):
            solve_reach(10.0, 5.0, bad, ReachSettings())
        with pytest.raises(ValueError, match="channel must be one of"):
            compute_reach(EXPS[0], 5.0, bad, ReachSettings(), sigma_fn=_const_sigma, events_fn=_toy_events_fn)


def test_expected_events_formula_and_scaling():
    s = ReachSettings(n_mc=100)
    exp = get_experiment(EXPS, "ThinPb1.5TeV/ultimate")
    p = compute_reach(exp, 5.0, "visible", s, sigma_fn=_const_sigma, events_fn=_toy_events_fn)
    assert p.efficiency == 1.0 and p.sigma_length_pb_cm == pytest.approx(4.0)
    n_atoms = get_target("Pb").n_atoms_cm3
    assert p.n_at_unit_coupling == pytest.approx(1e16 * n_atoms * 4.0 * PB_TO_CM2)
    assert p.g_mutau == pytest.approx(p.c_over_lambda * 1e-3 * 1.77693, rel=1e-4)
    more = replace(exp, beam=replace(exp.beam, n_muons=1e18))
    for ch in ("visible", "invisible"):
        a = compute_reach(exp, 5.0, ch, s, sigma_fn=_const_sigma, events_fn=_toy_events_fn)
        b = compute_reach(more, 5.0, ch, s, sigma_fn=_const_sigma, events_fn=_toy_events_fn)
        assert b.c_over_lambda / a.c_over_lambda == pytest.approx(0.1, rel=1e-3)   # (muons)^(-1/2)


def test_energy_loss():
    exp = get_experiment(EXPS, "FASERnu2/chain")
    x = np.linspace(0, 640, 5)
    e = energy_after(exp, 1000.0, x)
    rho = get_target("W").density_g_cm3
    h = 1e-3
    deriv = (energy_after(exp, 1000.0, x + h) - energy_after(exp, 1000.0, x - h)) / (2 * h)
    assert deriv == pytest.approx(-rho * (exp.dedx_a + exp.dedx_b * e), rel=1e-5)
    assert energy_after(get_experiment(EXPS, "ThinPb1.5TeV/ultimate"), 1500.0, 2.0) == 1500.0
    # sigma ~ E^2: the log-log interpolation is exact, compare with direct quadrature
    sig = lambda t, en, m: 1e-6 * en**2  # noqa: E731
    total, _, _ = sigma_length(exp, 5.0, sig)
    xs = np.linspace(0, 640, 20001)
    assert total == pytest.approx(np.trapezoid(sig("W", energy_after(exp, 1000.0, xs), 5.0), xs), rel=1e-6)
    assert total < 1.0 * 640


def test_spectrum_folding(tmp_path):
    (tmp_path / "s.csv").write_text("energy_gev,dn_de\n100,1\n200,1\n300,1\n400,1\n")
    exp = parse_experiment({"name": "S", "variant": "v", "target": "Pb", "thickness_cm": 1.0,
                            "beam": {"spectrum_file": "s.csv", "charge": -1, "n_muons": 1.0,
                                     "spectrum_nodes": 3}}, base=tmp_path)
    total, per_node, nodes = sigma_length(exp, 5.0, lambda t, e, m: e)
    _, w, _ = exp.beam.energy_nodes()
    assert total == pytest.approx(np.sum(w * nodes)) and per_node.sum() == pytest.approx(total)


def test_card_validation(tmp_path):
    card = tmp_path / "c.toml"
    card.write_text('[reach]\nmasses_gev = [5.0]\nexperiments = ["NA64mu/projected"]\n')
    meta, settings, exps = load_reach_card(card)
    assert meta["masses_gev"] == [5.0] and settings.n_required == 3.0 and [e.key for e in exps] == ["NA64mu/projected"]
    assert settings.m_chi_ratio == pytest.approx(1 / 3) and settings.g_chi_invisible == 1.0
    for bad, match in (('[reach]\nmasses_gev = []\n', "masses_gev"), ('[reach]\nmasses_gev=[2.0]\nfoo=1\n', "unknown"),
                       ('[reach]\nmasses_gev=[2.0]\nexperiments=["X/y"]\n', r"\[reach\] experiments\[0\]: got 'X/y'"),
                       ('[other]\n', "unknown section 'other'")):
        card.write_text(bad)
        with pytest.raises(ValueError, match=match):
            load_reach_card(card)


def test_default_card_covers_everything():
    meta, _, exps = load_reach_card(Path(__file__).parents[2] / "samples" / "alp_reach.toml")
    assert min(meta["masses_gev"]) == 2.0 and max(meta["masses_gev"]) == 20.0
    assert {2.0, 5.0, 10.0} <= set(meta["masses_gev"]) and len(exps) == 7


@pytest.mark.slow
def test_reach_table_end_to_end(tmp_path):
    card = tmp_path / "c.toml"
    card.write_text('[reach]\nmasses_gev = [5.0]\nn_mc = 3000\nrel_precision = 0.03\n'
                    'experiments = ["ThinPb1.5TeV/ultimate", "ThinPb1.5TeV/delta_2mm"]\n')
    rows = reach_table(card)
    assert [set(r) for r in rows] == [{"experiment", "variant", "channel", "ma_gev", "c_over_lambda_per_tev",
                                       "c_over_lambda_error", "g_mutau", "efficiency", "efficiency_error"}] * 4
    by = {(r["variant"], r["channel"]): r for r in rows}
    assert by[("ultimate", "invisible")]["efficiency"] == 1.0
    assert by[("ultimate", "visible")]["efficiency"] == pytest.approx(0.5, abs=1e-12)     # charge flip
    assert 0.08 < by[("delta_2mm", "invisible")]["efficiency"] < 0.15                      # 3-prong x flight
    assert by[("ultimate", "invisible")]["c_over_lambda_per_tev"] < by[("delta_2mm", "invisible")]["c_over_lambda_per_tev"]


def test_spectrum_beam_and_no_production(tmp_path):
    from muonbsm.analysis.fixed_target.reach import format_table
    (tmp_path / "s.csv").write_text("energy_gev,dn_de\n500,1\n1000,1\n2000,1\n")
    exp = parse_experiment({"name": "S", "variant": "v", "target": "W", "thickness_cm": 10.0, "channels": ["invisible"],
                            "beam": {"spectrum_file": "s.csv", "charge": 0, "n_muons": 1e12, "spectrum_nodes": 3},
                            "selection": {"tau_decay": "3prong", "delta_mm": 2.0}}, base=tmp_path)
    s = ReachSettings(n_mc=100)
    p = compute_reach(exp, 5.0, "invisible", s, sigma_fn=_const_sigma, events_fn=_toy_events_fn)
    # hand calculation: the toy production tau has |p| = 100 GeV; 3-prong BR x P(L > 2 mm)
    br3 = sum(BRANCHING_RATIOS[i] for i in range(len(N_PRONGS)) if N_PRONGS[i] == 3)
    assert p.efficiency == pytest.approx(br3 * math.exp(-2.0 * M_TAU / (100.0 * CTAU_TAU_MM)), rel=1e-12)
    assert p.efficiency_error == pytest.approx(0.0, abs=1e-15) and p.sigma_length_pb_cm == pytest.approx(20.0)
    none = compute_reach(exp, 5.0, "invisible", s, sigma_fn=lambda t, e, m: 0.0, events_fn=_toy_events_fn)
    row = none.row()
    assert row["c_over_lambda_per_tev"] is None and row["efficiency"] is None
    text = format_table([p.row(), row])
    assert "S" in text and text.count("\n") == 3
    with pytest.raises(ValueError, match="channel"):
        compute_reach(exp, 5.0, "visible", s, sigma_fn=_const_sigma, events_fn=_toy_events_fn)


def test_a_sample_dominated_by_one_event_is_extended():
    """One event carrying all the weight makes the ratio-estimator error vanish; the sample must grow."""
    exp = get_experiment(EXPS, "ThinPb1.5TeV/delta_2mm")
    calls = []

    def events_fn(target, energy, m_a, channel, n, rng, **kw):
        calls.append(n)
        specs = [{"channel": channel, "prod": "3prong", "tau_e": float(e)} for e in rng.uniform(20, 200, 200)]
        ev = toys.toy_events(specs)
        w = np.ones(len(ev))
        if len(calls) == 1:
            w[0] = 1e9
        return ak.with_field(ev, w, "weight")

    s = ReachSettings(n_mc=200, max_rel_error=0.05, n_mc_max=2000)
    p = compute_reach(exp, 5.0, "invisible", s, sigma_fn=_const_sigma, events_fn=events_fn)
    assert len(calls) > 1 and p.n_mc > 200
