"""Variables of the Mu3e analysis on hand-made events with known angles and pairings."""

from __future__ import annotations

import numpy as np
import pytest

from muonbsm.analysis.mu3e import variables as V
from muonbsm.constants import M_E, M_MU
from muonbsm.events import from_arrays


def lepton(e: float, theta: float, phi: float = 0.0, m: float = M_E) -> np.ndarray:
    """(E, px, py, pz) [GeV] of a lepton of energy e along polar angle theta, azimuth phi."""
    p = np.sqrt(e**2 - m**2)
    return np.array([e, p * np.sin(theta) * np.cos(phi), p * np.sin(theta) * np.sin(phi), p * np.cos(theta)])


def mass(a: np.ndarray, b: np.ndarray) -> float:
    p = a + b
    return float(np.sqrt(p[0] ** 2 - p[1:] @ p[1:]))


# e+_0 along +x, e+_1 at 60 deg from z in the xz plane, e- along +z
EP0 = lepton(0.030, np.pi / 2)
EP1 = lepton(0.025, np.pi / 3)
EM = lepton(0.020, 0.0)
M1, M2 = mass(EP0, EM), mass(EP1, EM)
POL = np.array([[0.0, 0.0, -1.0]])


def one(p: np.ndarray) -> np.ndarray:
    return p[None, :]


def test_pairing_masses() -> None:
    out = V.evaluate(["m1", "m2"], one(EP0), one(EP1), one(EM), m_x=0.03)
    assert out["m1"][0] == pytest.approx(M1, rel=1e-12)
    assert out["m2"][0] == pytest.approx(M2, rel=1e-12)
    # massless limit: m^2 = 2 E1 E2 (1 - cos)
    assert M1 == pytest.approx(np.sqrt(2 * 0.03 * 0.02), rel=1e-3)
    assert M2 == pytest.approx(np.sqrt(2 * 0.025 * 0.02 * 0.5), rel=1e-3)


@pytest.mark.parametrize(
    "m_x, first, cos_es_em, x_es",
    [(0.033, True, 0.5, 2 * 0.025 / M_MU), (0.020, False, 0.0, 2 * 0.030 / M_MU)],
)
def test_pairing_choice_and_angles(m_x: float, first: bool, cos_es_em: float, x_es: float) -> None:
    p = V.pair(one(EP0), one(EP1), one(EM), m_x, POL)
    assert bool(p.first[0]) is first
    assert p.m_ee[0] == pytest.approx(M1 if first else M2)
    out = V.evaluate(["cos_es_em", "cos_es_ex", "x_es", "x_ex", "x_em"], one(EP0), one(EP1), one(EM), m_x)
    assert out["cos_es_em"][0] == pytest.approx(cos_es_em, abs=1e-12)
    assert out["cos_es_ex"][0] == pytest.approx(np.sin(np.pi / 3), abs=1e-12)
    assert out["x_es"][0] == pytest.approx(x_es)
    assert out["x_em"][0] == pytest.approx(2 * 0.020 / M_MU)


def test_polarisation_angles() -> None:
    out = V.evaluate(["cos_es_pol", "cos_x_pol"], one(EP0), one(EP1), one(EM), 0.033, POL)
    # e+_s = e+_1 at 60 deg to +z, polarisation along -z
    assert out["cos_es_pol"][0] == pytest.approx(-0.5, abs=1e-12)
    px = EP0[1:] + EM[1:]
    assert out["cos_x_pol"][0] == pytest.approx(-px[2] / np.linalg.norm(px), abs=1e-12)
    with pytest.raises(ValueError, match="polarization"):
        V.evaluate(["cos_x_pol"], one(EP0), one(EP1), one(EM), 0.033)


def test_vectorised_many_events_and_tie() -> None:
    rng = np.random.default_rng(3)
    n = 1000
    th = rng.uniform(0, np.pi, (3, n))
    ph = rng.uniform(0, 2 * np.pi, (3, n))
    e = rng.uniform(0.005, 0.05, (3, n))
    ps = [np.stack([lepton(e[k, i], th[k, i], ph[k, i]) for i in range(n)]) for k in range(3)]
    p = V.pair(*ps, m_x=0.02)
    best = np.where(np.abs(p.m1 - 0.02) <= np.abs(p.m2 - 0.02), p.m1, p.m2)
    np.testing.assert_allclose(p.m_ee, best)
    assert np.all(np.abs(p.m_ee - 0.02) <= np.minimum(np.abs(p.m1 - 0.02), np.abs(p.m2 - 0.02)) + 1e-15)
    # the two positrons are swapped, never duplicated
    np.testing.assert_allclose(p.p_ex + p.p_es, ps[0] + ps[1])
    # identical positrons: a tie picks pairing 1
    tie = V.pair(one(EP0), one(EP0), one(EM), 0.02)
    assert tie.first[0]


def test_registry_user_variable() -> None:
    V.register_variable("e_sum_test", lambda p: p.p_ex[:, 0] + p.p_es[:, 0] + p.p_em[:, 0], overwrite=True)
    out = V.evaluate(["e_sum_test"], one(EP0), one(EP1), one(EM), 0.03)
    assert out["e_sum_test"][0] == pytest.approx(0.075)
    with pytest.raises(ValueError, match="already registered"):
        V.register_variable("m_ee", lambda p: p.m1)
    with pytest.raises(ValueError, match="unknown variable"):
        V.evaluate(["nope"], one(EP0), one(EP1), one(EM), 0.03)


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="p_ep0"):
        V.pair(np.zeros((2, 3)), one(EP1), one(EM), 0.03)
    with pytest.raises(ValueError, match="m_x"):
        V.pair(one(EP0), one(EP1), one(EM), -1.0)
    with pytest.raises(ValueError, match="same number"):
        V.pair(np.vstack([EP0, EP0]), one(EP1), one(EM), 0.03)


def test_adapter_from_events() -> None:
    parts = np.stack([EP0, EP1, EM, lepton(0.01, 1.0, m=0.0), lepton(0.01, 2.0, m=0.0)])[None]
    ev = from_arrays(
        {"E": parts[..., 0], "px": parts[..., 1], "py": parts[..., 2], "pz": parts[..., 3],
         "pdg": np.array([[-11, -11, 11, 12, -14]])},
        weight=np.array([1e-5]),
        polarization_x=np.array([0.0]), polarization_y=np.array([0.0]), polarization_z=np.array([-1.0]),
    )
    ep0, ep1, em, pol = V.leptons_from_events(ev)
    np.testing.assert_allclose(ep0[0], EP0)
    np.testing.assert_allclose(em[0], EM)
    np.testing.assert_allclose(pol, POL)
    bad = from_arrays({"E": parts[..., 0], "px": parts[..., 1], "py": parts[..., 2], "pz": parts[..., 3],
                       "pdg": np.array([[11, -11, 11, 12, -14]])}, weight=np.array([1.0]))
    with pytest.raises(ValueError, match="e\\+"):
        V.leptons_from_events(bad)
