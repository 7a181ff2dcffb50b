"""Displaced-vertex acceptance of the Mu3e model (muonbsm.detector.mu3e.vertex) and its use
in the reconstruction: prompt events keep q = 1, displaced X decays lose the vertex quality."""

import dataclasses

import awkward as ak
import numpy as np
import pytest

from muonbsm.detector.mu3e.config import config_from_dict, load_config
from muonbsm.detector.mu3e.reconstruction import simulate
from muonbsm.detector.mu3e.vertex import DisplacedVertex, displaced_vertex_from_dict, displacement
from muonbsm.errors import CardError
from muonbsm.generator.processes.mu3e.process import XEmission
from muonbsm.models.mu3e import scalar

CFG = load_config()


def test_chi2_form_against_toy_vertex_fits() -> None:
    """q(lambda) = P[chi2_3(lambda) < c] / 0.9 checked by sampling three shifted unit normals."""
    dv = DisplacedVertex()
    rng = np.random.default_rng(3)
    z = rng.standard_normal((200_000, 3))
    cut = np.quantile(np.sum(z**2, axis=1), 0.9)
    for d_t in (0.1, 0.25, 0.5):
        lam = (d_t / dv.sigma_transverse_mm) ** 2
        shifted = z + np.array([np.sqrt(lam), 0.0, 0.0])
        toy = np.mean(np.sum(shifted**2, axis=1) < cut) / 0.9
        assert float(dv.quality(d_t, 0.0, 0.9)) == pytest.approx(toy, abs=0.006)
    q = dv.quality(np.linspace(0, 2, 50), 0.0, 0.9)
    assert q[0] == 1.0 and np.all(np.diff(q) < 0) and q[-1] < 1e-6
    # longitudinal scale: the same lambda gives the same q
    assert float(dv.quality(0.0, 0.35, 0.9)) == pytest.approx(float(dv.quality(0.25, 0.0, 0.9)), rel=1e-12)
    g = dataclasses.replace(dv, form="gaussian")
    assert float(g.quality(0.25, 0.0, 0.9)) == pytest.approx(np.exp(-0.5), rel=1e-12)
    assert np.all(dataclasses.replace(dv, enabled=False).quality([0.0, 5.0], [1.0, 2.0], 0.9) == 1.0)


def test_configuration_section() -> None:
    assert CFG.displaced_vertex == DisplacedVertex()  # the packaged file states the defaults
    assert displaced_vertex_from_dict(None).enabled is False
    with pytest.raises(CardError, match="displaced_vertex.*unknown"):
        displaced_vertex_from_dict({"sigma": 1.0})
    with pytest.raises(CardError, match="sigma_transverse_mm"):
        displaced_vertex_from_dict({"sigma_transverse_mm": -1.0})
    with pytest.raises(CardError, match="form"):
        displaced_vertex_from_dict({"form": "box"})


def _events(decay_sampling: tuple[float, ...], n: int = 4000):
    proc = XEmission(scalar(0.02, 1e-5, 1e-4), prompt=not decay_sampling, decay_sampling_mm=decay_sampling)
    rng = np.random.default_rng(7)
    w, p = proc.evaluate(rng.random((n, proc.dim)))
    return proc.to_events(p, w, rng)


def test_displaced_decays_lose_vertex_quality() -> None:
    prompt = simulate(_events(()), CFG, np.random.default_rng(1))
    displaced_events = _events((1.0,))
    displaced = simulate(displaced_events, CFG, np.random.default_rng(1))
    assert np.all(ak.to_numpy(prompt.events.vertex_quality) == 1.0)
    flat = CFG.efficiency.vertex * CFG.efficiency.timing
    assert prompt.step("vertex_timing").efficiency == pytest.approx(flat, rel=1e-12)
    # q from the generator vertex of the e- relative to the Michel e+, event by event
    part = displaced_events.particles
    d_t, d_z = displacement(*(ak.to_numpy(part[c][:, 2]) for c in ("vx", "vy", "vz")))
    q = ak.to_numpy(displaced.events.vertex_quality)
    assert np.allclose(q, CFG.displaced_vertex.quality(d_t, d_z, CFG.efficiency.vertex), rtol=0, atol=1e-12)
    assert 0.05 < displaced.step("vertex_timing").efficiency / flat < 0.6
    w = ak.to_numpy(displaced.events.weight)
    passed = ak.to_numpy(displaced.events.passed)
    assert np.allclose(w, ak.to_numpy(displaced_events.weight) * passed * flat * q)
    off = dataclasses.replace(CFG, displaced_vertex=DisplacedVertex(enabled=False))
    assert simulate(displaced_events, off, np.random.default_rng(1)).step("vertex_timing").efficiency == pytest.approx(flat)


def test_config_without_section_is_prompt() -> None:
    import tomllib

    data = tomllib.loads(CFG.source.read_text())
    del data["displaced_vertex"]
    assert config_from_dict(data, CFG.source.parent).displaced_vertex.enabled is False
