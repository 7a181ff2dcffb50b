"""Mu3e parametrised reconstruction: events in, detector-level arrays and a cut-flow out.

The chain (Knapen et al., App. C, with the geometric acceptance from helices instead of map supports):

1. decay point: sampled uniformly on the target surface; each track starts there, shifted by
   its generator vertex (the generator decays the muon at the origin, so a non-zero vertex,
   e.g. of a displaced X decay, is kept relative to the sampled muon decay point);
2. geometric acceptance of each of the three e+/e- (particles 0, 1, 2) from helix
   propagation (:mod:`~muonbsm.detector.mu3e.geometry`) and the p_T cut: short / long;
3. rescaling factor (event weight, from :mod:`~muonbsm.detector.mu3e.calibration`);
4. track reconstruction: a short track is reconstructed with the short map's probability,
   a reconstructed geometrically-long track is upgraded to long with the long map's;
5. vertex quality and timing (event weight): the flat efficiencies times the displaced-vertex
   quality q(d_T, d_z) of the e- vertex relative to the Michel e+ (particle 0), from the
   generator vertices (:mod:`~muonbsm.detector.mu3e.vertex`; q = 1 for prompt events);
6. momenta smeared per class, m_ee of both pairings (e+_0 e-, e+_1 e-) smeared with the RMS
   for the event's number of long tracks.

Random numbers are drawn for every event in a fixed order from the caller's Generator, so
the same seed gives identical arrays. Units: GeV, mm.
"""

from __future__ import annotations

from dataclasses import dataclass

import awkward as ak
import numpy as np
from numpy.typing import NDArray

from muonbsm.constants import M_E
from muonbsm.detector.mu3e.config import Mu3eConfig
from muonbsm.detector.mu3e.geometry import sample_target_vertex, track_acceptance
from muonbsm.detector.mu3e.maps import EfficiencyMap, load_map
from muonbsm.detector.mu3e.smearing import smear_mee, smear_momenta
from muonbsm.detector.mu3e.vertex import displacement

__all__ = ["CutflowStep", "DetectorResult", "CUTFLOW_STEPS", "charged_tracks", "pair_masses", "simulate"]

#: (key, label) of the cut-flow steps, in the order of Knapen et al., Table 2.
CUTFLOW_STEPS: tuple[tuple[str, str], ...] = (
    ("generated", "Generated"),
    ("geometric_short", "Geometric acceptance (short tracks)"),
    ("geometric_long", "Geometric acceptance (long tracks)"),
    ("rescaling", "Rescaling factor"),
    ("reconstruction_short", "Track reconstruction (short tracks)"),
    ("reconstruction_long", "Track reconstruction (long tracks)"),
    ("vertex_timing", "Vertex quality and timing"),
    ("final", "Final efficiency"),
)


@dataclass(frozen=True)
class CutflowStep:
    """One cut-flow step: summed weight after it, efficiency relative to the step it refines
    (``rescaling`` and ``vertex_timing`` are factors) and cumulative efficiency."""

    key: str
    label: str
    weight: float
    efficiency: float
    cumulative: float


@dataclass(frozen=True)
class DetectorResult:
    """Detector-level ``events`` (one record per input event) and the ``cutflow``."""

    events: ak.Array
    cutflow: list[CutflowStep]
    rescale: float

    def step(self, key: str) -> CutflowStep:
        """The cut-flow step called ``key``."""
        for s in self.cutflow:
            if s.key == key:
                return s
        raise ValueError(f"key: must be one of {[s.key for s in self.cutflow]}, got {key!r}")


def charged_tracks(events: ak.Array) -> dict[str, NDArray[np.float64]]:
    """Regular (n, 3) arrays of particles 0, 1, 2 (e+, e+, e-): px, py, pz, E [GeV], charge,
    pdg, vx, vy, vz [mm]. Raises ValueError if an event has fewer than three particles."""
    parts = events.particles
    if len(events) and ak.min(ak.num(parts, axis=1)) < 3:
        raise ValueError("events: every event needs the e+, e+, e- at particle indices 0, 1, 2")
    first = parts[:, :3]
    out = {f: ak.to_numpy(first[f]).astype(np.float64) for f in ("px", "py", "pz", "E", "charge", "vx", "vy", "vz")}
    out["pdg"] = ak.to_numpy(first["pdg"])
    if len(events) and not np.all(np.abs(out["pdg"]) == 11):
        raise ValueError("events: particles 0, 1, 2 must be e+ e+ e- (|pdg| = 11), see muonbsm.events")
    return out


def pair_masses(e: NDArray, px: NDArray, py: NDArray, pz: NDArray) -> NDArray[np.float64]:
    """Invariant masses [GeV] (n, 2) of the pairings (0, 2) and (1, 2) from (n, 3) components."""
    out = []
    for i in (0, 1):
        s = (e[:, i] + e[:, 2]) ** 2 - (px[:, i] + px[:, 2]) ** 2 - (py[:, i] + py[:, 2]) ** 2 - (pz[:, i] + pz[:, 2]) ** 2
        out.append(np.sqrt(np.maximum(s, 0.0)))
    return np.stack(out, axis=1)


def _cutflow(w: NDArray, flags: dict[str, NDArray], rescale: float, flat: float, quality: NDArray) -> list[CutflowStep]:
    total = float(w.sum())

    def wsum(mask: NDArray) -> float:
        return float(w[mask].sum())

    def ratio(a: float, b: float) -> float:
        return a / b if b > 0 else 0.0

    g_s, g_l = wsum(flags["geo_short"]), wsum(flags["geo_long"])
    r_s, r_l = wsum(flags["reco"]), wsum(flags["reco_long"])
    final = float((w * flags["reco"] * quality).sum()) * rescale * flat
    rows = [
        ("generated", total, 1.0, 1.0),
        ("geometric_short", g_s, ratio(g_s, total), ratio(g_s, total)),
        ("geometric_long", g_l, ratio(g_l, total), ratio(g_l, total)),
        ("rescaling", g_s * rescale, rescale, ratio(g_s * rescale, total)),
        ("reconstruction_short", r_s * rescale, ratio(r_s, g_s), ratio(r_s * rescale, total)),
        ("reconstruction_long", r_l * rescale, ratio(r_l, g_l), ratio(r_l * rescale, total)),
        ("vertex_timing", final, ratio(final, r_s * rescale), ratio(final, total)),
        ("final", final, ratio(final, total), ratio(final, total)),
    ]
    labels = dict(CUTFLOW_STEPS)
    return [CutflowStep(k, labels[k], wt, eff, cum) for k, wt, eff, cum in rows]


def simulate(events: ak.Array, config: Mu3eConfig, rng: np.random.Generator, rescale: float = 1.0,
             maps: tuple[EfficiencyMap, EfficiencyMap] | None = None) -> DetectorResult:
    """Apply the parametrised Mu3e detector to ``events`` (schema of :mod:`muonbsm.events`).

    Parameters
    ----------
    events
        Mu3e events: particles 0, 1, 2 are e+, e+, e-; ``weight`` per event (BR).
    config
        Detector configuration (:func:`~muonbsm.detector.mu3e.config.load_config`).
    rng
        Source of all randomness (vertex, reconstruction draws, smearing).
    rescale
        Acceptance rescaling factor (:func:`~muonbsm.detector.mu3e.calibration.rescaling_factor`).
    maps
        (short, long-upgrade) efficiency maps; default: the files named in ``config``.

    Returns
    -------
    DetectorResult
        ``events`` fields: ``tracks`` (n, 3) Momentum4D records with reconstructed px, py, pz,
        E [GeV] and pdg, charge, p_true, lambda_true, layers_hit, accepted_short,
        accepted_long, reconstructed, long; per event ``vertex_x/y/z`` [mm], ``m_ee_1``,
        ``m_ee_2`` (smeared, pairings (0,2) and (1,2)), ``m_ee_1_true``, ``m_ee_2_true``,
        ``n_long``, ``passed`` (all three tracks reconstructed), ``generator_weight``,
        ``vertex_quality`` (displaced-vertex q) and ``weight`` = generator weight x passed x
        rescale x vertex x timing efficiencies x q.
    """
    if not np.isfinite(rescale) or rescale < 0:
        raise ValueError(f"rescale: must be a finite number >= 0, got {rescale}")
    short_map, long_map = maps if maps is not None else (load_map(config.maps.short), load_map(config.maps.long_upgrade))
    t = charged_tracks(events)
    w = ak.to_numpy(events.weight).astype(np.float64)
    n = len(w)
    if config.selection.sample_vertex:
        vx, vy, vz = sample_target_vertex(n, config.geometry, rng)
    else:
        vx = vy = vz = np.zeros(n)
    x0, y0, z0 = vx[:, None] + t["vx"], vy[:, None] + t["vy"], vz[:, None] + t["vz"]
    acc = track_acceptance(t["px"], t["py"], t["pz"], t["charge"], x0, y0, z0, config.geometry,
                           config.selection.inner_recurl_short)
    pt = np.hypot(t["px"], t["py"])
    p = np.sqrt(pt**2 + t["pz"] ** 2)
    lam = np.arctan2(t["pz"], pt)
    pt_ok = pt >= config.selection.pt_min_gev
    geo_short = acc.short & pt_ok
    geo_long = acc.long & pt_ok
    u = rng.random((2, n, 3))
    reco = geo_short & (u[0] < short_map(p, lam))
    long = reco & geo_long & (u[1] < long_map(p, lam))
    n_long = long.sum(axis=1)
    p3 = smear_momenta(np.stack([t["px"], t["py"], t["pz"]], axis=-1), long, config.resolution, rng)
    e_reco = np.sqrt(np.sum(p3**2, axis=-1) + M_E**2)
    m_true = pair_masses(t["E"], t["px"], t["py"], t["pz"])
    m_smeared = smear_mee(m_true, n_long, config.resolution, rng)
    passed = reco.all(axis=1)
    flat = config.efficiency.vertex * config.efficiency.timing
    d_t, d_z = displacement(t["vx"][:, 2] - t["vx"][:, 0], t["vy"][:, 2] - t["vy"][:, 0], t["vz"][:, 2] - t["vz"][:, 0])
    quality = config.displaced_vertex.quality(d_t, d_z, config.efficiency.vertex)
    flags = {"geo_short": geo_short.all(axis=1), "geo_long": geo_long.all(axis=1), "reco": passed,
             "reco_long": long.all(axis=1)}
    tracks = ak.zip({"px": p3[..., 0], "py": p3[..., 1], "pz": p3[..., 2], "E": e_reco,
                     "pdg": t["pdg"], "charge": t["charge"], "p_true": p, "lambda_true": lam,
                     "layers_hit": acc.layers_hit, "accepted_short": geo_short, "accepted_long": geo_long,
                     "reconstructed": reco, "long": long}, with_name="Momentum4D")
    out = ak.zip({"tracks": tracks, "vertex_x": vx, "vertex_y": vy, "vertex_z": vz,
                  "m_ee_1": m_smeared[:, 0], "m_ee_2": m_smeared[:, 1],
                  "m_ee_1_true": m_true[:, 0], "m_ee_2_true": m_true[:, 1],
                  "n_long": n_long.astype(np.int8), "passed": passed, "generator_weight": w,
                  "vertex_quality": quality, "weight": w * passed * rescale * flat * quality}, depth_limit=1)
    return DetectorResult(out, _cutflow(w, flags, rescale, flat, quality), float(rescale))
