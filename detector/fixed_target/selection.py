"""Per-experiment selections of the LFV-ALP search as weighted cut-flows (Batell et al. 2024 (arXiv:2407.15942), Sec. III C).

The rules are fixed by an experiment's :class:`~muonbsm.detector.fixed_target.config.Selection`
and applied in this order to the events of one ALP decay channel:

1. ``channel``: invisible (``alp_decay_mode == 2``, a -> chi chibar) or visible (0 or 1,
   a -> mu tau). The efficiency is relative to the channel's events, so that the branching
   ratio of the channel multiplies it (:mod:`muonbsm.analysis.fixed_target.reach`).
2. ``charge flip`` (visible, ``charge_flip``): the ALP's muon has the charge opposite to the
   beam muon's (about half of the mu tau decays).
3. ``tau -> mu nu nu`` or ``tau 3-prong`` (``tau_decay``): every tau of the event.
4. ``no extra tracks`` (``no_extra_tracks``): all charged final-state particles (nuclei
   excluded) are muons.
5. ``E_mu < X GeV`` (``max_muon_energy_gev``): the leading final-state muon.
6. ``tau flight > delta`` (``delta_mm``): every tau (or only the one named by ``flight_taus``)
   decays more than delta from its production point (the kink is resolved).
7. ``tau decays in target`` (``tau_decays_in_target``): the same taus decay inside the target,
   interaction point sampled along it.

NA64-mu: 1 (inv.), 3 muonic, 4, 5 (80 GeV). FASERnu2 chain: 1, 3 muonic, 4, 6 (2 mm), 7.
Thin target: 1, 2 (visible), 3 3-prong, 6 (2 cm or 2 mm). "Ultimate" variants: 1 (and 2).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from muonbsm.detector.fixed_target.config import CHANNELS, Selection
from muonbsm.detector.fixed_target.features import EventFeatures

__all__ = ["CutFlow", "apply_selection"]


@dataclass(frozen=True)
class CutFlow:
    """Weighted cut-flow. ``names[i]`` is cut i (``names[0] = "channel"``), ``weights[i]`` the
    weight passing cuts 0..i, ``efficiency[i] = weights[i] / weights[0]`` with its MC error
    ``error[i]``; ``mask`` selects the events passing every cut; ``contribution`` (expected
    cut-flows only) is each event's share ``w_i f_i / sum_channel w`` of the final efficiency."""

    names: tuple[str, ...]
    weights: NDArray
    efficiency: NDArray
    error: NDArray
    mask: NDArray
    contribution: NDArray | None = None

    @property
    def total(self) -> float:
        """Efficiency of the full selection relative to the channel's events."""
        return float(self.efficiency[-1])

    def as_dict(self) -> dict[str, float]:
        """``{cut name: cumulative efficiency}``."""
        return {k: float(v) for k, v in zip(self.names, self.efficiency)}


def _every_tau(f: EventFeatures, per_tau: NDArray, which: str = "all") -> NDArray:
    """True if the condition holds for the production tau and, if present, the ALP's tau
    (``which``: ``all``; ``production`` or ``alp`` for one of them only)."""
    prod, alp = per_tau[0], per_tau[1] | ~f.has_alp_tau
    return {"all": prod & alp, "production": prod, "alp": alp}[which]


def apply_selection(f: EventFeatures, selection: Selection, channel: str, thickness_mm: float) -> CutFlow:
    """Cut-flow of ``selection`` on the ``channel`` (invisible/visible) events of ``f``.

    ``thickness_mm`` [mm] is the target thickness (containment cut). Raises ValueError for an
    unknown channel, for a visible charge-flip selection with unknown beam charge (0) and when
    no event of the channel has positive weight.
    """
    if channel not in CHANNELS:
        raise ValueError(f"channel must be one of {CHANNELS}, got {channel!r}")
    mode = f.alp_decay_mode
    cuts: list[tuple[str, NDArray]] = [("channel", mode == 2 if channel == "invisible" else np.isin(mode, (0, 1)))]
    if channel == "visible" and selection.charge_flip:
        if np.any(f.beam_charge[cuts[0][1]] == 0):
            raise ValueError("charge_flip needs the beam charge of every event (beam_charge = +-1)")
        cuts.append(("charge flip", f.alp_muon_charge == -f.beam_charge))
    if selection.tau_decay == "muonic":
        cuts.append(("tau -> mu nu nu", _every_tau(f, f.tau_muonic)))
    elif selection.tau_decay == "3prong":
        cuts.append(("tau 3-prong", _every_tau(f, f.tau_prongs == 3)))
    if selection.no_extra_tracks:
        cuts.append(("no extra tracks", f.n_charged_final == f.n_muons_final))
    if selection.max_muon_energy_gev is not None:
        cuts.append((f"E_mu < {selection.max_muon_energy_gev:g} GeV",
                     (f.n_muons_final > 0) & (f.leading_muon_energy < selection.max_muon_energy_gev)))
    if selection.delta_mm > 0:
        with np.errstate(invalid="ignore"):
            flown = _every_tau(f, f.tau_length > selection.delta_mm, selection.flight_taus)
        cuts.append((f"tau flight > {selection.delta_mm:g} mm", flown))
    if selection.tau_decays_in_target:
        with np.errstate(invalid="ignore"):
            inside = (f.tau_decay_z >= 0) & (f.tau_decay_z <= thickness_mm)
        cuts.append(("tau decays in target", _every_tau(f, inside, selection.flight_taus)))
    w = f.weight
    mask = np.ones(f.n, dtype=bool)
    passed, errors = [], []
    for _, m in cuts:
        mask = mask & m
        passed.append(float(w[mask].sum()))
    base = passed[0]
    if not base > 0:
        raise ValueError(f"no {channel} events with positive weight in the sample")
    eff = np.array(passed) / base
    chan = cuts[0][1]
    mask = np.ones(f.n, dtype=bool)
    for (_, m), e in zip(cuts, eff):
        mask = mask & m
        fail = chan & ~mask
        errors.append(np.sqrt(np.sum((w[mask] * (1 - e)) ** 2) + np.sum((w[fail] * e) ** 2)) / base)
    return CutFlow(tuple(n for n, _ in cuts), np.array(passed), eff, np.array(errors), mask)
