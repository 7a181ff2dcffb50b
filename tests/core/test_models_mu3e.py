"""Light X models of the Mu3e channel (muonbsm.models.mu3e): widths, decay length, g-2."""

from __future__ import annotations

import dataclasses
import math

import pytest
from scipy.integrate import quad

from muonbsm.constants import ALPHA, E_CHARGE, M_E, M_MU
from muonbsm.errors import InputError
from muonbsm.models import mu3e


@pytest.mark.parametrize("mass", [0.002, 0.01, 0.05, 0.1])
def test_dark_photon_width(mass: float) -> None:
    eps = 3e-4
    a = mu3e.dark_photon(mass, eps)
    r = M_E**2 / mass**2
    expected = ALPHA * eps**2 * mass * (1 + 2 * r) * math.sqrt(1 - 4 * r) / 3
    assert a.width_ee == pytest.approx(expected, rel=1e-12)
    assert a.width_total == a.width_ee and a.br_ee == 1.0 and a.width_mumu == 0.0
    assert a.narrow_width_norm == a.width_total and a.electron_coupled


def test_dark_photon_ctau() -> None:
    """c tau = 0.81 mm (1e-4/eps)^2 (10 MeV/m) (mu3e.md Sec. 2) in the m >> m_e limit."""
    for mass, eps in [(0.01, 1e-4), (0.05, 1e-3), (0.09, 3e-5)]:
        approx = 0.81 * (1e-4 / eps) ** 2 * (0.01 / mass)
        assert mu3e.dark_photon(mass, eps).ctau_mm == pytest.approx(approx, rel=0.02)


def test_scalar_widths() -> None:
    m, ge = 0.03, 1e-4
    b = math.sqrt(1 - 4 * M_E**2 / m**2)
    assert mu3e.scalar(m, ge, 0.0).width_ee == pytest.approx(m / (8 * math.pi) * ge**2 * b**3, rel=1e-12)
    assert mu3e.pseudoscalar(m, ge, 0.0).width_ee == pytest.approx(m / (8 * math.pi) * ge**2 * b, rel=1e-12)


def test_diphoton_width_heavy_loop_limit() -> None:
    """Muon loop only, M << 2 m_mu: A_S -> 4/3, A_P -> 2 (Spira)."""
    m, g = 0.005, 1e-3
    s = mu3e.scalar(m, 0.0, g)
    p = mu3e.pseudoscalar(m, 0.0, g)
    pref = ALPHA**2 * m**3 / (256 * math.pi**3) * (g / M_MU) ** 2
    assert s.width_gammagamma == pytest.approx(pref * (4 / 3) ** 2, rel=2e-3)
    assert p.width_gammagamma == pytest.approx(pref * 4.0, rel=2e-3)
    assert mu3e.dark_photon(m, 1e-3).width_gammagamma == 0.0
    # electron loop above threshold (tau > 1) is complex and finite; negligible vs ee
    se = mu3e.scalar(0.05, 1e-4, 0.0)
    assert 0.0 < se.width_gammagamma < 1e-4 * se.width_ee


def test_muon_only_model_assumes_br_ee_one() -> None:
    s = mu3e.scalar(0.02, 0.0, 1e-3)
    assert not s.electron_coupled and s.br_ee_assumed == 1.0
    assert s.decay_couplings == (1.0, 0.0)
    assert s.width_ee == 0.0 and s.br_ee == 0.0  # physical: only gamma gamma
    b = math.sqrt(1 - 4 * M_E**2 / 0.02**2)
    assert s.narrow_width_norm == pytest.approx(0.02 / (8 * math.pi) * b**3, rel=1e-12)
    v = mu3e.vector(0.02, 0.0, 0.0, 3e-4, 4e-4)
    assert v.decay_couplings == pytest.approx((0.6, 0.8))


def test_g_minus_2_limits() -> None:
    g = 1e-3
    light = 1e-4 * M_MU
    assert mu3e.scalar(max(light, 2.1 * M_E), 0.0, g).delta_a_mu == pytest.approx(
        3 * g**2 / (16 * math.pi**2), rel=0.05
    )
    assert mu3e.pseudoscalar(2.1 * M_E, 0.0, g).delta_a_mu == pytest.approx(-(g**2) / (16 * math.pi**2), rel=0.05)
    # dark photon: eps^2 alpha/(2 pi) for m << m_mu
    assert mu3e.dark_photon(2.1 * M_E, 1e-3).delta_a_mu == pytest.approx(1e-6 * ALPHA / (2 * math.pi), rel=0.05)


def test_g_minus_2_against_mu3e_md_integrals() -> None:
    m, g = 0.02, 2e-3
    r2 = m**2 / M_MU**2
    s_int = quad(lambda z: (1 - z) ** 2 * (1 + z) / ((1 - z) ** 2 + z * r2), 0, 1)[0]
    p_int = quad(lambda z: (1 - z) ** 3 / ((1 - z) ** 2 + z * r2), 0, 1)[0]
    assert mu3e.scalar(m, 0, g).delta_a_mu == pytest.approx(g**2 / (8 * math.pi**2) * s_int, rel=1e-8)
    assert mu3e.pseudoscalar(m, 0, g).delta_a_mu == pytest.approx(-(g**2) / (8 * math.pi**2) * p_int, rel=1e-8)


def test_g_minus_2_heavy_vector_axial() -> None:
    """M >> m: Delta a_V = g^2 m^2/(12 pi^2 M^2), Delta a_A = -5 g^2 m^2/(12 pi^2 M^2)."""
    m_l, mass = M_E, 0.1
    v = mu3e.vector(mass, 1e-3, 0.0, 1e-3, 0.0)
    a = mu3e.vector(mass, 0.0, 1e-3, 0.0, 1e-3)
    ref = 1e-6 * m_l**2 / (12 * math.pi**2 * mass**2)
    assert v.delta_a_e == pytest.approx(ref, rel=1e-3)
    assert a.delta_a_e == pytest.approx(-5 * ref, rel=1e-3)


def test_validation() -> None:
    with pytest.raises(ValueError, match="mass"):
        mu3e.dark_photon(0.0005, 1e-4)
    with pytest.raises(ValueError, match="mass"):
        mu3e.scalar(0.106, 1e-4, 0.0)
    with pytest.raises(ValueError, match="g_s_e"):
        mu3e.scalar(0.01, float("nan"), 0.0)
    with pytest.raises(ValueError, match="kind"):
        mu3e.XModel("tensor", 0.01, g_s_e=1.0)
    with pytest.raises(ValueError, match="g_s_e"):
        mu3e.XModel("vector", 0.01, g_s_e=1.0)
    with pytest.raises(ValueError, match="couplings"):
        mu3e.XModel("vector", 0.01)
    a = mu3e.dark_photon(0.01, 1e-4)
    assert a.couplings_mu == (1e-4 * E_CHARGE, 0.0)
    with pytest.raises(ValueError, match="lepton"):
        a.couplings("tau")


def test_lifetime_from_the_width_that_defines_the_decay() -> None:
    """Electron-coupled: c tau = hbar c / Gamma_total, the width normalising the rate;
    muon-only (BR(X -> ee) = 1 assumed): c tau is stated, never the gamma gamma width."""
    from muonbsm.constants import HBARC_GEV_MM

    mixed = mu3e.scalar(0.01, 1e-5, 1e-4)
    assert mixed.ctau_mm == pytest.approx(HBARC_GEV_MM / mixed.narrow_width_norm, rel=1e-12)
    # hand value: Gamma_ee = M g^2 beta^3 / (8 pi) dominates; c tau = 0.197327e-12 GeV mm / Gamma
    b = math.sqrt(1 - 4 * M_E**2 / 0.01**2)
    assert mixed.ctau_mm == pytest.approx(1.973269804e-13 / (0.01 * 1e-10 * b**3 / (8 * math.pi)), rel=1e-3)
    assert mixed.ctau_at_scale(2.0) == pytest.approx(mixed.ctau_mm / 4.0, rel=1e-12)
    muon_only = mu3e.scalar(0.02, 0.0, 1e-4)
    assert muon_only.width_gammagamma > 0 and muon_only.ctau_mm is None  # 2.3 km from gamma gamma: not used
    stated = dataclasses.replace(muon_only, ctau_stated_mm=0.5)
    assert stated.ctau_mm == 0.5 and stated.ctau_at_scale(3.0) == 0.5
    with pytest.raises(InputError, match="ctau"):
        dataclasses.replace(mixed, ctau_stated_mm=1.0)
    with pytest.raises(InputError, match="ctau"):
        dataclasses.replace(muon_only, ctau_stated_mm=-1.0)


def test_displaced_muon_only_x_needs_a_stated_lifetime() -> None:
    from muonbsm.generator.processes.mu3e.process import XEmission

    with pytest.raises(InputError, match=r"\[model\] ctau"):
        XEmission(mu3e.scalar(0.02, 0.0, 1e-4), prompt=False)
    XEmission(dataclasses.replace(mu3e.scalar(0.02, 0.0, 1e-4), ctau_stated_mm=0.3), prompt=False)


def test_signed_couplings_in_cards_and_registry() -> None:
    from muonbsm.cards import parse_card
    from muonbsm.generator.processes.registry import build_process

    card = parse_card({"run": {"seed": 1, "events": 10, "output": "x.parquet"},
                       "process": {"name": "mu3e-signal"},
                       "model": {"name": "scalar", "mass": "15MeV", "g_mu": 1e-4, "g_e": -2e-5}})
    assert build_process(card).model.g_s_e == -2e-5


def _production_br(model: mu3e.XModel, u) -> float:
    """BR(mu -> e nu nu X) by plain MC on the fixed points ``u`` (shared across models)."""
    from muonbsm.generator.processes.mu3e.process import XEmission

    w, _ = XEmission(model).evaluate(u)
    return float(w.mean()) / model.br_ee_assumed


@pytest.mark.parametrize("make, expected", [(mu3e.scalar, -0.027), (mu3e.pseudoscalar, -0.044)])
def test_relative_sign_of_couplings_interferes(make, expected) -> None:
    """At 15 MeV, R(g_e = +0.2 g_mu) / R(g_e = -0.2 g_mu) - 1 = -2.7% (S), -4.4% (P) (issue 12),
    and the rate is quadratic in g_e: R(+) + R(-) = 2 R(g_e = 0) + 2 R(electron only)."""
    import numpy as np

    u = np.random.default_rng(5).random((100_000, 10))
    m, g = 0.015, 1e-4
    plus, minus = _production_br(make(m, 0.2 * g, g), u), _production_br(make(m, -0.2 * g, g), u)
    zero, e_only = _production_br(make(m, 0.0, g), u), _production_br(make(m, 0.2 * g, 0.0), u)
    assert plus / minus - 1.0 == pytest.approx(expected, abs=0.003)
    assert plus + minus == pytest.approx(2 * zero + 2 * e_only, rel=1e-6)


def test_cli_takes_signed_couplings() -> None:
    """The command line accepts a negative coupling (written --g-e=-2e-5) and reports c tau
    from the ee width; a muon-only X says its c tau is not determined."""
    import json
    import subprocess
    import sys

    base = [sys.executable, "-m", "muonbsm.cli", "rate", "signal", "--model", "scalar", "--mass", "15MeV",
            "--neval", "2000", "--nitn", "2", "--json"]
    out = subprocess.run(base + ["--g-e=-2e-5", "--g-mu", "1e-4"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["branching_ratio"] > 0 and data["ctau_mm"] == pytest.approx(mu3e.scalar(0.015, -2e-5, 1e-4).ctau_mm)
    muon_only = subprocess.run(base + ["--g-mu", "1e-4"], capture_output=True, text=True, timeout=120)
    assert muon_only.returncode == 0 and json.loads(muon_only.stdout)["ctau_mm"] is None
