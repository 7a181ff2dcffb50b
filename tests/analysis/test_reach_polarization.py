"""Effect of the tau polarisation on the fixed-target selections (theta = pi/4, where it is largest).

Only cuts on decay products can see the polarisation: mode BRs and flight lengths do not depend
on it. Of the default selections that is the NA64-mu muon-energy cut (E_mu < 80 GeV). The test
checks that cut on polarised toy taus, decayed by the package's forced decays, against the
polarised Michel spectrum of the hand rebuild (tests/analysis/test_reach_rebuild.py).

``python tests/analysis/test_reach_polarization.py`` prints the effect for every selection.
"""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import awkward as ak
import numpy as np
import pytest

from muonbsm.analysis.fixed_target.signal import signal_events
from muonbsm.detector.fixed_target.config import Selection, load_experiments
from muonbsm.detector.fixed_target.expected import expected_cutflow

def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


rebuild = _load("rebuild", Path(__file__).parent / "test_reach_rebuild.py")
toys = _load("ft_toys", Path(__file__).parents[1] / "detector" / "test_fixed_target_selection.py")


def _unpolarised(ev: ak.Array) -> ak.Array:
    for f in ("tau_polarization_prod", "tau_polarization_alp"):
        ev = ak.with_field(ev, np.zeros(len(ev)), f)
    return ev


def polarisation_effect(exp, m_a: float, channel: str, n: int, seed: int = 1) -> tuple[float, float, float]:
    """(efficiency with polarisation, without, MC error of the difference) at theta = pi/4."""
    ev = signal_events(exp.target, exp.beam.energy_gev, m_a, channel, n, np.random.default_rng(seed),
                       theta=math.pi / 4, frac_mu_minus={-1: 1.0, 1: 0.0, 0: 0.5}[exp.beam.charge],
                       charge_flip=channel == "visible" and exp.selection.charge_flip)
    a = expected_cutflow(ev, exp.selection, channel, exp.thickness_mm, np.random.default_rng(seed + 1))
    b = expected_cutflow(_unpolarised(ev), exp.selection, channel, exp.thickness_mm, np.random.default_rng(seed + 1))
    return a.total, b.total, math.hypot(a.error[-1], b.error[-1])


def test_muon_energy_cut_follows_the_polarised_michel_spectrum():
    """Toy tau- of 100 GeV with helicity +1, 0, -1 and E_mu < 50 GeV: the forced, polarised decays
    of the package against the massless Michel CDF at x = 1/2 (+-0.0833 around 0.729)."""
    sel = Selection(tau_decay="muonic", max_muon_energy_gev=50.0)
    base = toys.toy_events([{"channel": "invisible", "prod": "mu", "tau_e": 100.0}] * 4_000)
    effs = {}
    for pol in (1.0, 0.0, -1.0):
        ev = ak.with_field(base, np.full(len(base), pol), "tau_polarization_prod")
        flow = expected_cutflow(ev, sel, "invisible", 10.0, np.random.default_rng(7))
        br = float(flow.efficiency[1])
        effs[pol] = (flow.total / br, float(flow.error[-1]) / br)
        hand = float(rebuild._michel_cdf(np.array(0.5), pol))
        assert effs[pol][0] == pytest.approx(hand, abs=4 * effs[pol][1] + 0.005)
    assert effs[1.0][0] - effs[-1.0][0] == pytest.approx(2 * 0.08333, abs=0.02)   # right-handed tau-: softer mu-


def main(n: int = 20_000) -> None:  # pragma: no cover - printing script
    print(f"{'experiment':26s} {'channel':9s} {'m_a':>5s} {'eff (P)':>10s} {'eff (P=0)':>10s} {'rel. change':>22s}")
    for exp in load_experiments():
        if exp.beam.energy_gev is None:
            continue
        for ch in exp.channels:
            for m_a in (2.0, 10.0):
                a, b, err = polarisation_effect(exp, m_a, ch, n)
                print(f"{exp.key:26s} {ch:9s} {m_a:5.1f} {a:10.4g} {b:10.4g} {(a - b) / b:+10.4%} +- {err / b:.4%}",
                      flush=True)


if __name__ == "__main__":  # pragma: no cover
    main()
