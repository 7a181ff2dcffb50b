"""A made-up muon spectrum file (E, dN/dE, charge) read end to end by the reach, checked by hand."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import pytest

from muonbsm.analysis.fixed_target.reach import reach_rows
from muonbsm.constants import M_MU, M_TAU
from muonbsm.detector.fixed_target.config import read_spectrum
from muonbsm.targets import get_target

_SPEC = importlib.util.spec_from_file_location(
    "ft_toys", Path(__file__).parents[1] / "detector" / "test_fixed_target_selection.py")
toys = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(toys)

# mu-: dN/dE = (2, 1, 0) x 1e14 per GeV at 100, 200, 400 GeV; mu+: 1, 1 at 100, 400 GeV (piecewise linear)
SCALE = 1e14     # muons per GeV per unit below
SPECTRUM = "energy_gev,dn_de,charge\n100,2e14,-1\n200,1e14,-1\n400,0,-1\n100,1e14,1\n400,1e14,1\n"
K_SIGMA = 1e-3   # sigma(E) = K_SIGMA * E pb at C/Lambda = 1/TeV (made up, linear: the node folding is exact)


def _segments_integral(points: list[tuple[float, float]], power: int) -> float:
    """Exact int E^power dN/dE dE of a piecewise-linear dN/dE (power 0 or 1)."""
    total = 0.0
    for (e0, y0), (e1, y1) in zip(points, points[1:]):
        b = (y1 - y0) / (e1 - e0)
        a = y0 - b * e0
        total += (a * (e1 ** (power + 1) - e0 ** (power + 1)) / (power + 1)
                  + b * (e1 ** (power + 2) - e0 ** (power + 2)) / (power + 2))
    return total


def test_spectrum_file_end_to_end(tmp_path):
    (tmp_path / "flux.csv").write_text(SPECTRUM)
    (tmp_path / "exps.toml").write_text(
        '[[experiment]]\nname = "Toy"\nvariant = "flux"\ntarget = "W"\nthickness_cm = 10.0\n'
        'channels = ["invisible"]\nbeam = { spectrum_file = "flux.csv", charge = 0, spectrum_nodes = 3 }\n')
    card = tmp_path / "card.toml"
    card.write_text('[reach]\nmasses_gev = [5.0]\nexperiments_file = "exps.toml"\nn_mc = 100\n')
    calls = []

    def events_fn(target, energy, m_a, channel, n, rng, **kw):
        calls.append((energy, kw["frac_mu_minus"]))
        return toys.toy_events([{"channel": channel}] * 100)   # each event 1% of the efficiency

    (p,) = reach_rows(card, sigma_fn=lambda t, e, m: K_SIGMA * e, events_fn=events_fn)
    # by hand: muon numbers and mean energy of the two spectra
    minus = [(100.0, 2 * SCALE), (200.0, SCALE), (400.0, 0.0)]
    plus = [(100.0, SCALE), (400.0, SCALE)]
    n_minus, n_plus = _segments_integral(minus, 0), _segments_integral(plus, 0)
    assert (n_minus, n_plus) == pytest.approx((250 * SCALE, 300 * SCALE))
    assert p.n_at_unit_coupling > 0
    mean_e = (_segments_integral(minus, 1) + _segments_integral(plus, 1)) / (n_minus + n_plus)
    sigma_l = K_SIGMA * mean_e * 10.0                                   # pb cm
    assert p.sigma_length_pb_cm == pytest.approx(sigma_l, rel=1e-5)
    assert p.efficiency == 1.0
    # one sample per spectrum node, with that node's mu- fraction
    assert len(calls) == 3 and all(0 <= f < 1 for _, f in calls) and calls[0][1] > calls[-1][1]
    # C/Lambda from the closed form with hand widths (theta = 0: s = 0, p = (m_tau + m_mu)/TeV)
    m_a, m_chi = 5.0, 5.0 / 3.0
    k_events = (n_minus + n_plus) * get_target("W").n_atoms_cm3 * sigma_l * 1e-36
    g_chi_width = m_a * math.sqrt(1 - 4 * m_chi**2 / m_a**2) / (8 * math.pi)
    bp, bm = 1 - (M_TAU + M_MU) ** 2 / m_a**2, 1 - (M_TAU - M_MU) ** 2 / m_a**2
    g1 = m_a / (8 * math.pi) * math.sqrt(bp * bm) * (1e-3 * (M_TAU + M_MU)) ** 2 * bm
    c_hand = math.sqrt(3.0 * g_chi_width / (k_events * g_chi_width - 2 * g1 * 3.0))
    assert p.c_over_lambda == pytest.approx(c_hand, rel=1e-5)


def test_charge_column_and_muon_fractions(tmp_path):
    path = tmp_path / "flux.csv"
    path.write_text(SPECTRUM)
    e, dn, fm = read_spectrum(path)
    assert e.tolist() == [100.0, 200.0, 400.0]
    assert (dn / SCALE).tolist() == pytest.approx([3.0, 2.0, 1.0])
    assert fm.tolist() == pytest.approx([2 / 3, 1 / 2, 0.0])
    for bad, match in (("energy_gev,dn_de,charge\n100,1,0\n200,1,0\n", "charge must be"),
                       ("energy_gev,dn_de,charge,frac_mu_minus\n100,1,1,0.5\n200,1,1,0.5\n", "either")):
        path.write_text(bad)
        with pytest.raises(ValueError, match=match):
            read_spectrum(path)
