"""Per-event detector quantities of ALP events in the fixed layout of the ALP generator.

Layout (``muonbsm.events`` schema): particles 0 = incoming muon, 1 = target nucleus,
2 = production tau, 3 = ALP, 4 = recoil nucleus, then the ALP daughters (``mother = 3``: mu and
tau, or chi chibar), then the tau decay products (``mother`` = index of their tau; production
vertices ``vx, vy, vz`` [mm] at the tau decay point). The production vertex is the origin.

The detector samples the interaction point ``z_int`` uniformly along the target thickness
(beam along +z; the muon flux is not attenuated over the target, energy loss is handled in the
rate, :mod:`muonbsm.analysis.fixed_target.reach`) and translates all vertices by it.

Tau properties are read from the particle records (charged daughters = prongs, K_S and pi0
counted neutral; "muonic" = a muon among the daughters), so the features do not depend on the
decayer's mode codes.
"""

from __future__ import annotations

from dataclasses import dataclass

import awkward as ak
import numpy as np
from numpy.typing import NDArray

__all__ = ["EventFeatures", "event_features", "INDEX_TAU", "INDEX_ALP", "NUCLEUS_PDG_MIN"]

INDEX_TAU = 2
INDEX_ALP = 3
#: PDG ids of nuclei are 10LZZZAAAI >= 1e9.
NUCLEUS_PDG_MIN = 1_000_000_000


@dataclass(frozen=True)
class EventFeatures:
    """Per-event arrays (length n). Lengths in mm, energies in GeV, weights in the sample unit.

    ``tau_*[0]`` refers to the production tau, ``tau_*[1]`` to the tau from the ALP decay
    (absent: length ``nan``, prongs -1, muonic False). ``alp_muon_charge`` is 0 without an ALP
    muon. ``decay_z`` are absolute z of the tau decay vertices (interaction point included).
    """

    weight: NDArray
    beam_charge: NDArray
    alp_decay_mode: NDArray
    z_int: NDArray
    tau_energy: NDArray
    tau_length: NDArray
    tau_decay_z: NDArray
    tau_prongs: NDArray
    tau_muonic: NDArray
    has_alp_tau: NDArray
    alp_muon_charge: NDArray
    leading_muon_energy: NDArray
    n_charged_final: NDArray
    n_muons_final: NDArray

    @property
    def n(self) -> int:
        """Number of events."""
        return len(self.weight)


def _np(a: ak.Array, fill: float) -> NDArray:
    return ak.to_numpy(ak.fill_none(a, fill)).astype(np.float64)


def _tau_block(p: ak.Array, tau_index: ak.Array, valid: NDArray, z_int: NDArray) -> tuple[NDArray, ...]:
    """Energy, decay length, absolute decay z, prongs and muonic flag of the tau at ``tau_index``."""
    safe = ak.where(valid, tau_index, 0)
    tau = p[ak.local_index(p.pdg) == safe]
    dmask = (p.mother == safe) & ak.Array(valid)
    n_prongs = ak.to_numpy(ak.sum(dmask & (p.charge != 0), axis=1))
    muonic = ak.to_numpy(ak.any(dmask & (abs(p.pdg) == 13), axis=1))
    first = {c: _np(ak.firsts(p[c][dmask]), np.nan) for c in ("vx", "vy", "vz")}
    origin = {c: _np(ak.firsts(tau[c]), np.nan) for c in ("vx", "vy", "vz")}
    decayed = np.isfinite(first["vz"]) & valid
    length = np.sqrt(sum((first[c] - origin[c]) ** 2 for c in ("vx", "vy", "vz")))
    length = np.where(decayed, length, np.where(valid, np.inf, np.nan))
    energy = np.where(valid, _np(ak.firsts(tau.E), np.nan), np.nan)
    return (energy, length, np.where(decayed, z_int + first["vz"], np.nan),
            np.where(valid, n_prongs, -1), muonic & valid)


def event_features(events: ak.Array, thickness_mm: float, rng: np.random.Generator) -> EventFeatures:
    """Detector quantities of ``events`` for a target of ``thickness_mm`` [mm] (> 0).

    The interaction point ``z_int`` ~ U(0, thickness_mm) is drawn with ``rng``.
    """
    if not thickness_mm > 0:
        raise ValueError(f"thickness_mm must be > 0, got {thickness_mm}")
    p = events.particles
    n = len(events)
    z_int = rng.uniform(0.0, thickness_mm, n)
    idx = ak.local_index(p.pdg)
    prod_valid = ak.to_numpy(ak.num(p.pdg) > INDEX_TAU) & ak.to_numpy(
        ak.fill_none(ak.firsts(abs(p.pdg[idx == INDEX_TAU])), 0) == 15)
    b0 = _tau_block(p, ak.Array(np.full(n, INDEX_TAU)), prod_valid, z_int)
    alp_tau_mask = (p.mother == INDEX_ALP) & (abs(p.pdg) == 15)
    alp_tau_idx = ak.fill_none(ak.firsts(idx[alp_tau_mask]), -1)
    alp_valid = ak.to_numpy(alp_tau_idx) >= 0
    b1 = _tau_block(p, alp_tau_idx, alp_valid, z_int)
    final = p.status == 1
    mu_final = final & (abs(p.pdg) == 13)
    charged = final & (p.charge != 0) & (abs(p.pdg) < NUCLEUS_PDG_MIN)
    alp_mu = (p.mother == INDEX_ALP) & (abs(p.pdg) == 13)
    fields = ak.fields(events)
    beam_charge = (ak.to_numpy(events.beam_charge) if "beam_charge" in fields
                   else -np.sign(ak.to_numpy(p.pdg[:, 0])))
    mode = ak.to_numpy(events.alp_decay_mode) if "alp_decay_mode" in fields else np.full(n, -1)
    return EventFeatures(
        weight=ak.to_numpy(events.weight).astype(np.float64),
        beam_charge=np.asarray(beam_charge, dtype=np.int64),
        alp_decay_mode=np.asarray(mode, dtype=np.int64),
        z_int=z_int,
        tau_energy=np.stack([b0[0], b1[0]]),
        tau_length=np.stack([b0[1], b1[1]]),
        tau_decay_z=np.stack([b0[2], b1[2]]),
        tau_prongs=np.stack([b0[3], b1[3]]).astype(np.int64),
        tau_muonic=np.stack([b0[4], b1[4]]),
        has_alp_tau=alp_valid,
        alp_muon_charge=_np(ak.firsts(p.charge[alp_mu]), 0.0),
        leading_muon_energy=_np(ak.max(p.E[mu_final], axis=1), 0.0),
        n_charged_final=ak.to_numpy(ak.sum(charged, axis=1)).astype(np.int64),
        n_muons_final=ak.to_numpy(ak.sum(mu_final, axis=1)).astype(np.int64),
    )
