"""Weighted ALP signal samples for the fixed-target efficiencies, from the event generator.

:func:`signal_events` is the ``events_fn`` of :mod:`muonbsm.analysis.fixed_target.reach`: it generates
:class:`~muonbsm.generator.processes.alp.production.AlpProduction` events (exact 2->3
production, ALP decay forced into the requested channel, both taus decayed) in memory, with
weights in pb at C/Lambda = 1 TeV^-1 (the production cross section; the branching ratio is
applied by the reach). A beam of unknown charge mixes mu- and mu+ samples. With
``charge_flip`` the ALP decays only into the mu tau mode whose muon has the charge opposite to
the beam's (events carry ``alp_mode_weight`` = 1/2, the mode's share of the visible channel).
``tau_decays=False`` skips the tau decays (the reach weights them analytically).
"""

from __future__ import annotations

import awkward as ak
import numpy as np

from muonbsm.generator.generate import TrainingOptions, sample_events
from muonbsm.generator.processes.alp.production import AlpProduction
from muonbsm.targets import Target

__all__ = ["signal_events"]

_TRAINING = TrainingOptions(nitn=6, neval=10_000)


def signal_events(target: str | Target, energy: float, m_a: float, channel: str, n: int,
                  rng: np.random.Generator, *, theta: float = 0.0, m_chi: float | None = None,
                  frac_mu_minus: float = 1.0, charge_flip: bool = False, tau_decays: bool = True) -> ak.Array:
    """About ``n`` weighted events [pb] of ``mu N -> tau N a`` at beam ``energy`` [GeV], ALP mass
    ``m_a`` [GeV], C/Lambda = 1 TeV^-1 and ``theta`` [rad], with the ALP decayed in ``channel``
    (``"visible"``: a -> mu tau, 1/2 per charge mode; ``"invisible"``: a -> chi chibar with
    ``m_chi`` [GeV], default m_a / 3). ``frac_mu_minus`` is the mu- fraction of the beam.
    """
    if channel not in ("visible", "invisible"):
        raise ValueError(f"channel must be 'visible' or 'invisible', got {channel!r}")
    if not 0.0 <= frac_mu_minus <= 1.0:
        raise ValueError(f"frac_mu_minus must be in [0, 1], got {frac_mu_minus}")
    m_chi = m_a / 3.0 if m_chi is None else float(m_chi)
    parts = []
    for charge, fraction in ((-1, frac_mu_minus), (1, 1.0 - frac_mu_minus)):
        n_part = int(round(n * fraction))
        if n_part == 0:
            continue
        decay = "charge_flip" if charge_flip and channel == "visible" else channel
        process = AlpProduction(target, energy, m_a, 1.0, theta, beam_charge=charge, m_chi=m_chi, decay=decay,
                                tau_decays=tau_decays)
        events, _, _ = sample_events(process, n_part, seed=int(rng.integers(2**62)), training=_TRAINING)
        parts.append(ak.with_field(events, events.weight * fraction, "weight"))
    return ak.concatenate(parts) if len(parts) > 1 else parts[0]
