r"""Events of :math:`\mu N \to \tau N a` with ALP and tau decays, in the lab frame.

The production point comes from the exact 2->3 cross section of
:mod:`muonbsm.generator.processes.alp.cross_section` (variables ``ln(1-x)``,
``ln theta_a``, ``ln t``, ``phi_q`` on the unit hypercube; weight in pb), rotated by a uniform
azimuth about the beam axis (z), which that integrand integrates out; the azimuth ``phi_q``
of the tau about the ALP covers [0, 2 pi), so the signed azimuth difference of tau and ALP is
symmetric. The ALP decays to :math:`\mu^\mp\tau^\pm` (both charge modes, labelled) or
:math:`\chi\bar\chi` with the branching ratios of :func:`muonbsm.models.alp.branching_ratios`,
promptly or after a sampled decay length; both taus decay with
:func:`muonbsm.generator.decays.decay_taus` at vertices sampled from :math:`\beta\gamma c\tau`,
with their longitudinal (lab helicity) polarisations from the spin-projected matrix elements
(:mod:`muonbsm.generator.processes.alp.polarization`).

Event layout (``particles``):

=====  =====================================================================
index  particle
=====  =====================================================================
0      incoming muon (status 4; pdg 13 for mu-, -13 for mu+)
1      target nucleus at rest (status 4; pdg 100ZZZAAA0 of the target's isotope, ``Target.pdg``)
2      tau from production (same charge as the beam; status 2, decayed)
3      ALP (pdg 54, ``PDG_IDS["alp"]`` of :mod:`muonbsm.constants`; status 2)
4      recoil nucleus (status 1)
5, 6   ALP daughters (mother 3): (mu, tau) with the tau at 6 (status 2), or (chi, chibar)
7...   decay products of tau 2, then of tau 6 (mother = index of their tau)
=====  =====================================================================

Per-event scalars: ``beam_energy`` [GeV], ``beam_charge``, ``t`` [GeV^2], ``x_alp`` (E_a/E),
``alp_decay_mode`` (0: mu- tau+, 1: mu+ tau-, 2: chi chibar), ``tau_decay_mode_prod``,
``tau_decay_mode_alp`` (tau decayer codes, -1 if none), ``n_prongs_prod``, ``n_prongs_alp``,
``tau_polarization_prod``, ``tau_polarization_alp`` (lab helicity polarisations, 0 if there is
no ALP tau) and ``alp_mode_weight`` (the physical fraction of the event's ALP decay mode within
its channel over its generated fraction: 1, or 1/2 for ``decay="charge_flip"``).
Weights are in pb: the sum over a sample is the fiducial cross section per nucleus.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import awkward as ak
import numpy as np
from numpy.typing import NDArray

from muonbsm.constants import M_MU, M_TAU, PDG_IDS
from muonbsm.events import STATUS_DECAYED, STATUS_INCOMING, append_particles, from_arrays
from muonbsm.generator.decays import decay_alps, decay_taus
from muonbsm.generator.processes.alp.cross_section import AlpSetup, integrand, make_setup
from muonbsm.generator.processes.alp.kinematics import Kinematics
from muonbsm.generator.processes.alp.polarization import (alp_rest_frame_polarization, lab_helicity,
                                                          production_polarization)
from muonbsm.models.alp import branching_ratios
from muonbsm.targets import Target, get_target

__all__ = ["AlpProduction", "ALP_PDG", "DECAYS"]

#: ALP decay options of :class:`AlpProduction`.
DECAYS = ("model", "visible", "charge_flip", "invisible")

#: PDG code of the ALP (the spin-0 dark-matter mediator, see :data:`muonbsm.constants.PDG_IDS`).
ALP_PDG = PDG_IDS["alp"]
_KEYS = ("p", "k", "pprime", "P_f")


@dataclass(frozen=True)
class AlpProduction:
    """:math:`\\mu N \\to \\tau N a` events (weights in pb).

    Parameters: ``target`` (name or :class:`~muonbsm.targets.Target`), ``beam_energy`` [GeV],
    ``m_a`` [GeV], ``c_over_lambda`` [TeV^-1], ``theta`` [rad] (Batell et al., Eq. 2), ``beam_charge``
    (-1 for mu-, +1 for mu+), ``t_max`` [GeV^2] form-factor cut-off, ``g_chi`` and ``m_chi``
    [GeV] for the invisible channel, ``prompt`` (False: sample the ALP decay length), ``decay``:
    ``"model"`` (branching ratios of the model, the default), ``"visible"`` (forced
    a -> mu tau, 1/2 per charge mode), ``"charge_flip"`` (forced into the mu tau mode whose muon
    has the charge opposite to the beam's; ``alp_mode_weight`` = 1/2) or ``"invisible"``
    (forced a -> chi chibar); the weights are the production cross section in every case
    (multiply by the BR of a forced channel). ``tau_decays=False`` leaves both taus undecayed
    (status 2 kept, no daughters, decay modes and prongs -1): for analyses that weight the tau
    decays analytically (:mod:`muonbsm.detector.fixed_target.expected`).
    """

    target: str | Target
    beam_energy: float
    m_a: float
    c_over_lambda: float = 1.0
    theta: float = 0.0
    beam_charge: int = -1
    t_max: float = 1.0
    g_chi: float = 0.0
    m_chi: float = 0.0
    prompt: bool = True
    decay: str = "model"
    tau_decays: bool = True
    unit: str = "pb"
    dim: int = 4

    def __post_init__(self) -> None:
        if self.beam_charge not in (-1, 1):
            raise ValueError(f"beam_charge must be -1 (mu-) or +1 (mu+), got {self.beam_charge}")
        if self.g_chi < 0 or self.m_chi < 0:
            raise ValueError(f"g_chi and m_chi must be >= 0, got {self.g_chi}, {self.m_chi}")
        if self.decay not in DECAYS:
            raise ValueError(f"decay must be one of {DECAYS}, got {self.decay!r}")
        if self.decay in ("visible", "charge_flip") and self.m_a <= M_MU + M_TAU:
            raise ValueError(f"decay 'visible' needs m_a > m_mu + m_tau = {M_MU + M_TAU:.5f} GeV, got m_a = {self.m_a}")
        if self.decay == "invisible" and not 2 * self.m_chi < self.m_a:
            raise ValueError(f"decay 'invisible' needs 0 <= m_chi < m_a / 2, got m_chi = {self.m_chi} GeV")
        self.setup  # validates target, energy, mass and couplings
        self.branching

    @cached_property
    def setup(self) -> AlpSetup:
        """The validated integration setup."""
        return make_setup(self.target, self.beam_energy, self.m_a, self.c_over_lambda, self.theta, t_max=self.t_max)

    @cached_property
    def branching(self) -> dict[str, float]:
        """ALP branching ratios used for the decays (forced or the model's) and the model's
        total width [GeV] (for the decay length; 0 if the model has no open channel)."""
        flip = {"mu-tau+": 0.0, "mu+tau-": 1.0} if self.beam_charge < 0 else {"mu-tau+": 1.0, "mu+tau-": 0.0}
        forced = {"visible": {"mu-tau+": 0.5, "mu+tau-": 0.5, "chichi": 0.0},
                  "charge_flip": {**flip, "chichi": 0.0},
                  "invisible": {"mu-tau+": 0.0, "mu+tau-": 0.0, "chichi": 1.0}}
        if self.decay == "model":
            return branching_ratios(self.m_a, self.c_over_lambda, self.theta, self.g_chi, self.m_chi)
        try:
            width = branching_ratios(self.m_a, self.c_over_lambda, self.theta, self.g_chi, self.m_chi)["width"]
        except ValueError:
            width = 0.0
        return {**forced[self.decay], "width": width}

    def evaluate(self, u: NDArray[np.float64]) -> tuple[NDArray[np.float64], dict[str, NDArray[np.float64]]]:
        """dsigma [pb] per unit hypercube volume at ``u`` (n, 4), and the lab four-momenta."""
        weight, (x, _, t, kin, ok) = integrand(self.setup, u, with_kinematics=True)
        n = len(weight)
        out: dict[str, NDArray[np.float64]] = {key: np.zeros((n, 4)) for key in _KEYS + ("q",)}
        out["d1"], out["d2"] = np.ones(n), np.ones(n)
        if kin is not None:
            for key in _KEYS + ("q", "d1", "d2"):
                out[key][ok] = getattr(kin, key)
        out["t"], out["x"] = t, x
        return weight, out

    def to_events(self, kin: dict[str, NDArray[np.float64]], weight: NDArray[np.float64], rng: np.random.Generator) -> ak.Array:
        """Event records in the layout of the module docstring, with ALP and tau decays."""
        n = len(weight)
        phi = 2.0 * math.pi * rng.random(n)
        mom = {key: _rotate_z(kin[key], phi) for key in _KEYS}
        tgt = get_target(self.target)
        target_p = np.zeros((n, 4))
        target_p[:, 0] = self.setup.M
        br = self.branching
        alp = decay_alps(mom["k"], rng, br_mu_minus_tau_plus=br["mu-tau+"], br_mu_plus_tau_minus=br["mu+tau-"],
                         br_chi_chibar=br["chichi"], m_chi=self.m_chi or None,
                         total_width_gev=None if self.prompt or not br["width"] else br["width"], mother_index=3)
        dau = alp.daughters
        d_mom = [np.stack([ak.to_numpy(dau[f][:, i]) for f in ("E", "px", "py", "pz")], axis=-1) for i in (0, 1)]
        tau_pdg = 15 * -self.beam_charge
        lepton = -13 * self.beam_charge
        p_all = np.stack([mom["p"], target_p, mom["pprime"], mom["k"], mom["P_f"], d_mom[0], d_mom[1]], axis=1)
        has_tau = alp.mode != 2
        status = np.broadcast_to([STATUS_INCOMING, STATUS_INCOMING, STATUS_DECAYED, STATUS_DECAYED, 1, 1, 1], (n, 7)).copy()
        status[has_tau, 6] = STATUS_DECAYED
        pdg = np.column_stack([np.full(n, lepton), np.full(n, tgt.pdg), np.full(n, tau_pdg),
                               np.full(n, ALP_PDG), np.full(n, tgt.pdg),
                               ak.to_numpy(dau.pdg[:, 0]), ak.to_numpy(dau.pdg[:, 1])])
        vertex = np.zeros((n, 7, 3))
        vertex[:, 5:7] = alp.vertices[:, None, :]
        fields = {"E": p_all[..., 0], "px": p_all[..., 1], "py": p_all[..., 2], "pz": p_all[..., 3], "pdg": pdg,
                  "status": status, "mother": np.broadcast_to([-1, -1, -1, -1, -1, 3, 3], (n, 7)),
                  "vx": vertex[..., 0], "vy": vertex[..., 1], "vz": vertex[..., 2]}
        pol_prod = self._production_polarization(kin)
        pol_alp = np.zeros(n)
        if np.any(has_tau):
            tau_q = -np.sign(ak.to_numpy(dau.pdg[:, 1])[has_tau]).astype(int)
            rest = np.where(tau_q < 0, 1.0, -1.0) * alp_rest_frame_polarization(self.m_a, self.setup.s, self.setup.p, -1)
            pol_alp[has_tau] = lab_helicity(d_mom[1][has_tau], mom["k"][has_tau], rest)
        scalars = dict(beam_energy=np.full(n, self.beam_energy), beam_charge=np.full(n, self.beam_charge), t=kin["t"],
                       x_alp=kin["x"], alp_decay_mode=alp.mode)
        pols = dict(tau_polarization_prod=pol_prod, tau_polarization_alp=pol_alp,
                    alp_mode_weight=np.full(n, 0.5 if self.decay == "charge_flip" else 1.0))
        if not self.tau_decays:
            none = np.full(n, -1)
            return from_arrays(fields, weight, **scalars, tau_decay_mode_prod=none, n_prongs_prod=none, **pols,
                               tau_decay_mode_alp=none, n_prongs_alp=none)
        tau1 = decay_taus(mom["pprime"], np.full(n, tau_pdg), rng, polarization=pol_prod, mother_index=2, first_index=7)
        tau2_mode = np.full(n, -1)
        tau2_prongs = np.full(n, -1)
        events = from_arrays(fields, weight, **scalars, tau_decay_mode_prod=tau1.mode, n_prongs_prod=tau1.n_charged,
                             **pols)
        events = append_particles(events, tau1.daughters)
        counts = np.zeros(n, dtype=np.int64)
        second = ak.Array([[]] * n) if not np.any(has_tau) else None
        if np.any(has_tau):
            first = 7 + ak.to_numpy(ak.num(tau1.daughters))[has_tau]
            tau2 = decay_taus(d_mom[1][has_tau], ak.to_numpy(dau.pdg[:, 1])[has_tau], rng,
                              polarization=pol_alp[has_tau], production_vertex=alp.vertices[has_tau], mother_index=6, first_index=first)
            tau2_mode[has_tau], tau2_prongs[has_tau] = tau2.mode, tau2.n_charged
            counts[has_tau] = ak.to_numpy(ak.num(tau2.daughters))
            second = ak.unflatten(ak.flatten(tau2.daughters), counts)
        events = append_particles(events, second) if ak.sum(counts) else events
        events = ak.with_field(events, tau2_mode, "tau_decay_mode_alp")
        return ak.with_field(events, tau2_prongs, "n_prongs_alp")

    def _production_polarization(self, kin: dict[str, NDArray[np.float64]]) -> NDArray[np.float64]:
        """Lab helicity polarisation of the production tau at the (unrotated) stored kinematics."""
        n = len(kin["t"])
        ok = (kin["pprime"][:, 0] > 0) & (kin["d1"] != 0) & (kin["d2"] != 0)
        pol = np.zeros(n)
        if np.any(ok):
            p_i = np.zeros((int(ok.sum()), 4))
            p_i[:, 0] = self.setup.M
            sub = Kinematics(kin["p"][ok], kin["k"][ok], kin["pprime"][ok], p_i, kin["P_f"][ok], kin["q"][ok],
                             kin["d1"][ok], kin["d2"][ok], np.zeros(len(p_i)), 0.0, np.zeros(len(p_i)))
            pol[ok] = production_polarization(sub, self.setup.s, self.setup.p, self.beam_charge)
        return np.clip(pol, -1.0, 1.0)

    def describe(self) -> dict[str, Any]:
        """Process and model parameters for file metadata."""
        tgt = get_target(self.target)
        return {"process": "mu N -> tau N a (exact 2->3), a -> mu tau | chi chibar, tau decays",
                "target": {"name": tgt.name, "Z": tgt.Z, "A": tgt.A, "M_gev": self.setup.M},
                "beam_energy_gev": self.beam_energy, "beam_charge": self.beam_charge, "m_a_gev": self.m_a,
                "c_over_lambda_per_tev": self.c_over_lambda, "theta": self.theta, "t_max_gev2": self.t_max,
                "g_chi": self.g_chi, "m_chi_gev": self.m_chi, "prompt": self.prompt, "decay": self.decay,
                "branching_ratios": {k: v for k, v in self.branching.items() if k != "width"},
                "alp_width_gev": self.branching["width"], "muon_mass_gev": M_MU}


def _rotate_z(p: NDArray[np.float64], phi: NDArray[np.float64]) -> NDArray[np.float64]:
    """Rotate four-vectors (n, 4) by angles ``phi`` (n,) about the z axis."""
    c, s = np.cos(phi), np.sin(phi)
    out = p.copy()
    out[:, 1] = c * p[:, 1] - s * p[:, 2]
    out[:, 2] = s * p[:, 1] + c * p[:, 2]
    return out
