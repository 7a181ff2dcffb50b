"""Selections of the fixed-target experiments on toy ALP events in the fixed layout.

The toys serve these tests only (never physics results).

Kinematics are hand-set, not generated: every particle moves along +z; the production tau has
energy ``tau_e`` and decays after ``l_prod`` mm, the ALP's tau (visible) after ``l_alp`` mm.
Tau decays: "mu" (mu nu nu), "e" (e nu nu), "3prong" (pi pi pi nu), "1prong" (pi nu).
"""

from __future__ import annotations

import math

import awkward as ak
import numpy as np
import pytest

from muonbsm.detector.fixed_target import Selection, apply_selection, event_features, load_experiments
from muonbsm.detector.fixed_target.config import get_experiment
from muonbsm.events import PARTICLE_FIELDS, from_jagged

_DECAYS = {"mu": [(13, -1.0), (-14, 0.0), (16, 0.0)], "e": [(11, -1.0), (-12, 0.0), (16, 0.0)],
           "3prong": [(-211, -1.0), (-211, -1.0), (211, 1.0), (16, 0.0)], "1prong": [(-211, -1.0), (16, 0.0)]}


def _p(pdg, charge, status, mother, e, z0=0.0):
    return {"px": 0.0, "py": 0.0, "pz": e, "E": e, "pdg": pdg, "charge": charge, "status": status,
            "mother": mother, "vx": 0.0, "vy": 0.0, "vz": z0}


def _tau_daughters(kind: str, tau_index: int, sign: int, l_mm: float, e: float, extra_mu_e: float | None):
    out = []
    for pdg, q in _DECAYS[kind]:
        energy = extra_mu_e if (abs(pdg) == 13 and extra_mu_e is not None) else e / len(_DECAYS[kind])
        out.append(_p(pdg * sign, q * sign, 1, tau_index, energy, l_mm))
    return out


def toy_event(*, beam_charge=-1, channel="invisible", tau_e=100.0, l_prod=5.0, prod="mu", mu_e=None,
              alp_mode=0, l_alp=5.0, alp_tau="3prong", extra_track=False, weight=1.0):
    """One event as (particle list, scalars); ``alp_mode`` 0: mu+ tau-, 1: mu- tau+ (visible)."""
    s = -beam_charge  # +1 for mu-
    parts = [_p(13 * s, float(beam_charge), 4, -1, 160.0), _p(1000822080, 82.0, 4, -1, 193.7),
             _p(15 * s, float(beam_charge), 2, -1, tau_e), _p(9000005, 0.0, 2, -1, 50.0),
             _p(1000822080, 82.0, 1, -1, 193.7)]
    if channel == "invisible":
        parts += [_p(9000007, 0.0, 1, 3, 25.0), _p(-9000007, 0.0, 1, 3, 25.0)]
        mode = 2
    else:
        mu_pdg, tau_pdg = (-13, 15) if alp_mode == 0 else (13, -15)
        parts += [_p(mu_pdg, -mu_pdg / 13, 1, 3, 25.0), _p(tau_pdg, -tau_pdg / 15, 2, 3, 25.0)]
        mode = alp_mode
    parts += _tau_daughters(prod, 2, s, l_prod, tau_e, mu_e)
    if channel == "visible":
        parts += _tau_daughters(alp_tau, 6, int(np.sign(parts[6]["pdg"])), l_alp, 25.0, None)
    if extra_track:
        parts.append(_p(211, 1.0, 1, -1, 3.0))
    return parts, {"beam_charge": beam_charge, "alp_decay_mode": mode, "weight": weight}


def toy_events(specs: list[dict]) -> ak.Array:
    """Events from a list of :func:`toy_event` keyword dicts."""
    evs = [toy_event(**s) for s in specs]
    fields = {f: ak.Array([[p[f] for p in parts] for parts, _ in evs]) for f in PARTICLE_FIELDS}
    for f, t in (("pdg", np.int32), ("status", np.int8), ("mother", np.int16)):
        fields[f] = ak.values_astype(fields[f], t)
    sc = {k: np.array([sc[k] for _, sc in evs]) for k in ("beam_charge", "alp_decay_mode")}
    return from_jagged(fields, np.array([sc["weight"] for _, sc in evs], dtype=float), **sc)


def _flow(specs, sel, channel="invisible", thickness_mm=20.0, seed=0):
    f = event_features(toy_events(specs), thickness_mm, np.random.default_rng(seed))
    return apply_selection(f, sel, channel, thickness_mm)


def test_features_read_the_layout():
    ev = toy_events([{"channel": "visible", "l_prod": 3.0, "l_alp": 7.0, "prod": "3prong", "alp_mode": 0}])
    f = event_features(ev, 10.0, np.random.default_rng(1))
    assert f.tau_length[:, 0] == pytest.approx([3.0, 7.0])
    assert f.tau_prongs[:, 0].tolist() == [3, 3]
    assert f.has_alp_tau[0] and f.alp_muon_charge[0] == 1.0 and f.beam_charge[0] == -1
    assert 0 <= f.z_int[0] <= 10.0 and f.tau_decay_z[0, 0] == pytest.approx(f.z_int[0] + 3.0)
    assert f.n_charged_final[0] == 7 and f.n_muons_final[0] == 1


def test_na64_selection():
    sel = get_experiment(load_experiments(), "NA64mu/projected").selection
    specs = [{"prod": "mu", "mu_e": 30.0}, {"prod": "mu", "mu_e": 90.0}, {"prod": "3prong"},
             {"prod": "mu", "mu_e": 30.0, "extra_track": True}, {"prod": "e"}]
    flow = _flow(specs, sel, thickness_mm=224.0)
    assert flow.names == ("channel", "tau -> mu nu nu", "no extra tracks", "E_mu < 80 GeV")
    assert flow.efficiency.tolist() == pytest.approx([1.0, 0.6, 0.4, 0.2])
    assert flow.mask.tolist() == [True, False, False, False, False]


def test_faser_chain_needs_flight_and_containment():
    sel = get_experiment(load_experiments(), "FASERnu2/chain").selection
    specs = [{"l_prod": 5.0}, {"l_prod": 1.0}, {"l_prod": 1e5}]
    flow = _flow(specs, sel, thickness_mm=6400.0)
    assert flow.as_dict()["tau flight > 2 mm"] == pytest.approx(2 / 3)
    assert flow.mask.tolist() == [True, False, False]
    ultimate = _flow(specs, get_experiment(load_experiments(), "FASERnu2/ultimate").selection)
    assert ultimate.total == 1.0 and ultimate.names == ("channel",)


def test_thin_target_visible_charge_flip_and_both_taus():
    exps = load_experiments()
    sel2mm = get_experiment(exps, "ThinPb1.5TeV/delta_2mm").selection
    sel2cm = get_experiment(exps, "ThinPb1.5TeV/delta_2cm").selection
    base = {"channel": "visible", "prod": "3prong", "alp_tau": "3prong", "l_prod": 30.0, "l_alp": 30.0}
    specs = [dict(base), dict(base, alp_mode=1), dict(base, alp_tau="1prong"), dict(base, l_alp=5.0),
             dict(base, l_prod=1.0), {"channel": "invisible"}]
    f2mm = _flow(specs, sel2mm, "visible")
    assert f2mm.names == ("channel", "charge flip", "tau 3-prong", "tau flight > 2 mm")
    assert f2mm.weights.tolist() == [5.0, 4.0, 3.0, 2.0]
    f2cm = _flow(specs, sel2cm, "visible")
    assert f2cm.mask.tolist() == [True, False, False, False, False, False]
    plus = [dict(base, beam_charge=1, alp_mode=1)]
    assert _flow(plus, sel2mm, "visible").total == 1.0


def test_weighted_efficiency_and_error():
    specs = [{"prod": "mu", "weight": 3.0}, {"prod": "3prong", "weight": 1.0}]
    flow = _flow(specs, Selection(tau_decay="muonic"))
    assert flow.total == pytest.approx(0.75)
    assert flow.error[-1] == pytest.approx(math.sqrt((3 * 0.25) ** 2 + 0.75**2) / 4)


def test_bad_inputs():
    with pytest.raises(ValueError, match="channel"):
        _flow([{}], Selection(), "dark")
    with pytest.raises(ValueError, match="beam charge"):
        _flow([{"channel": "visible", "beam_charge": 0}], Selection(), "visible")
    with pytest.raises(ValueError, match="no visible events"):
        _flow([{}], Selection(), "visible")
    with pytest.raises(ValueError, match="thickness_mm"):
        event_features(toy_events([{}]), 0.0, np.random.default_rng(0))


def test_flight_cut_on_one_tau_only():
    base = {"channel": "visible", "prod": "3prong", "alp_tau": "3prong", "l_prod": 1.0, "l_alp": 30.0}
    specs = [base, dict(base, l_prod=30.0, l_alp=1.0)]
    for which, expect in (("all", [False, False]), ("alp", [True, False]), ("production", [False, True])):
        flow = _flow(specs, Selection(delta_mm=2.0, flight_taus=which), "visible")
        assert flow.mask.tolist() == expect
