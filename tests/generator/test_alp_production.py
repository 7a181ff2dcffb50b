"""ALP production events: layout, conservation laws, charge modes, decays, reproducibility."""

import awkward as ak
import numpy as np
import pytest

from muonbsm import io
from muonbsm.generator.generate import TrainingOptions, generate
from muonbsm.generator.processes.alp.production import ALP_PDG, AlpProduction

FAST = TrainingOptions(nitn=4, neval=5000, n_probe=20_000)


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    out = tmp_path_factory.mktemp("alp") / "alp.parquet"
    summary = generate(AlpProduction("Pb", 160.0, 3.0), out, 1500, seed=3, training=FAST, progress=False)
    events, meta = io.read(out)
    return summary, events, meta


def test_layout(sample):
    _, ev, meta = sample
    p = ev.particles
    assert ak.all(p.pdg[:, 0] == 13) and ak.all(p.pdg[:, 1] == 1000822080)
    assert ak.all(p.pdg[:, 2] == 15) and ak.all(p.pdg[:, 3] == ALP_PDG)
    assert ak.all(p.status[:, :2] == 4) and ak.all(p.status[:, 2:4] == 2)
    assert ak.all(p.mother[:, 5:7] == 3)
    assert ak.all(p.charge[:, 1] == 82)
    assert meta["process"]["branching_ratios"]["mu-tau+"] == pytest.approx(0.5)


def test_four_momentum_and_charge_conservation(sample):
    _, ev, _ = sample
    p = ev.particles
    final, initial = p[p.status == 1], p[p.status == 4]
    for f in ("E", "px", "py", "pz"):
        diff = ak.to_numpy(ak.sum(final[f], axis=1) - ak.sum(initial[f], axis=1))
        assert np.max(np.abs(diff)) < 1e-7 * 160
    assert ak.all(ak.sum(final.charge, axis=1) == ak.sum(initial.charge, axis=1))


def test_both_charge_modes_and_tau_decays(sample):
    _, ev, _ = sample
    modes = np.bincount(ev.alp_decay_mode.to_numpy(), minlength=3)
    assert modes[2] == 0 and abs(modes[0] - modes[1]) < 5 * np.sqrt(len(ev))
    three_prong = np.mean(ev.n_prongs_prod.to_numpy() == 3)
    assert 0.10 < three_prong < 0.20
    tau_daughters = ev.particles[ev.particles.mother == 2]
    assert ak.all(ak.num(tau_daughters) >= 2)


def test_weights_are_the_cross_section(sample):
    summary, ev, meta = sample
    assert summary.rate_unit == "pb" and meta["rate_unit"] == "pb"
    assert ev.weight.to_numpy().sum() == pytest.approx(summary.rate, rel=1e-9)
    assert meta["rate"] == summary.rate


def test_invisible_channel():
    process = AlpProduction("W", 1500.0, 3.0, g_chi=1.0, m_chi=1.0)
    assert process.branching["chichi"] > 0.99
    weight, kin = process.evaluate(np.random.default_rng(0).random((400, 4)))
    keep = weight > 0
    ev = process.to_events({k: v[keep] for k, v in kin.items()}, weight[keep], np.random.default_rng(1))
    assert np.all(ev.alp_decay_mode.to_numpy()[ev.alp_decay_mode.to_numpy() >= 0] >= 0)
    chi = ev.particles[abs(ev.particles.pdg) == 52]
    assert ak.mean(ak.num(chi)) > 1.9


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"m_a": -1.0}, "m_a"),
        ({"beam_energy": 3.0}, "energy"),
        ({"target": "Xx"}, "unknown target"),
        ({"c_over_lambda": -1.0}, "c_over_lambda"),
        ({"beam_charge": 2}, "beam_charge"),
    ],
)
def test_bad_input(kwargs, message):
    args = {"target": "Pb", "beam_energy": 160.0, "m_a": 3.0, **kwargs}
    with pytest.raises(ValueError, match=message):
        AlpProduction(**args)


def test_signed_azimuth_of_tau_about_alp_is_symmetric(sample):
    """Signed delta-phi(tau, ALP) > 0 in half of the (unweighted) events, within 3 sigma binomial."""
    _, ev, _ = sample
    p = ev.particles
    dphi = np.angle(np.exp(1j * ak.to_numpy(np.arctan2(p.py[:, 2], p.px[:, 2]) - np.arctan2(p.py[:, 3], p.px[:, 3]))))
    frac = float(np.mean(dphi > 0))
    assert frac == pytest.approx(0.5, abs=3 * 0.5 / np.sqrt(len(dphi)))


def test_polarisations_stored_and_zero_for_a_pure_pseudoscalar(sample):
    _, ev, _ = sample
    assert np.max(np.abs(ev.tau_polarization_prod.to_numpy())) < 1e-12
    assert np.max(np.abs(ev.tau_polarization_alp.to_numpy())) < 1e-12
    mixed = AlpProduction("Pb", 160.0, 3.0, theta=np.pi / 4)
    from muonbsm.generator.generate import sample_events
    ev2, _, _ = sample_events(mixed, 2000, seed=2, training=FAST)
    pol = ev2.tau_polarization_prod.to_numpy()
    assert np.all(np.abs(pol) <= 1) and np.average(pol, weights=ev2.weight.to_numpy()) > 0.1
