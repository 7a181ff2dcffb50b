"""Parametrised fixed-target muon experiments for the LFV-ALP search (Batell et al. 2024,
arXiv:2407.15942, Sec. III).

* :mod:`~muonbsm.detector.fixed_target.config`: experiment dataclasses (beam, target,
  resolution, selection) and the TOML loader/validator; defaults in
  ``detector/data/fixed_target.toml`` (NA64-mu, FASERnu2, 1.5 TeV thin Pb target).
* :mod:`~muonbsm.detector.fixed_target.features`: per-event detector quantities read from the
  fixed ALP event layout (tau decay lengths, prongs, outgoing muon, track counts) with the
  interaction point sampled along the target.
* :mod:`~muonbsm.detector.fixed_target.selection`: the per-experiment selections as weighted
  cut-flows on sampled tau decays (for generated event files).
* :mod:`~muonbsm.detector.fixed_target.expected`: the same selections as expected per-event
  probabilities (tau-mode BRs, analytic flight and containment, forced decays for cuts on
  decay products): the reach efficiencies.
"""

from muonbsm.detector.fixed_target.config import Beam, Experiment, Selection, load_experiments
from muonbsm.detector.fixed_target.expected import expected_cutflow
from muonbsm.detector.fixed_target.features import EventFeatures, event_features
from muonbsm.detector.fixed_target.selection import CutFlow, apply_selection

__all__ = ["Beam", "Experiment", "Selection", "load_experiments", "EventFeatures", "event_features",
           "CutFlow", "apply_selection", "expected_cutflow"]
