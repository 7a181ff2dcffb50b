"""Decays of unstable particles into the event record of :mod:`muonbsm.events`.

* :mod:`~muonbsm.generator.decays.kinematics`: boosts, rotations, two- and n-body decays, vertices;
* :mod:`~muonbsm.generator.decays.records`: the :class:`DecayResult` output shared by the decayers;
* :mod:`~muonbsm.generator.decays.tau`: fast vectorised tau decayer (V-A matrix elements, polarisation);
* :mod:`~muonbsm.generator.decays.tau_pythia`: optional Pythia 8 tau backend (``muonbsm[pythia]``);
* :mod:`~muonbsm.generator.decays.alp`: ALP decays a -> mu tau (both charges), a -> chi chibar.

Every decayer takes parent four-momenta ``(n, 4)`` [GeV], a :class:`numpy.random.Generator`,
optional production vertices ``(n, 3)`` [mm], and returns a :class:`DecayResult` (daughters as
one list of particle records per parent, decay vertices, mode codes, charged-prong counts).
"""

from muonbsm.generator.decays.alp import ALP_MODES, decay_alps
from muonbsm.generator.decays.records import DecayResult
from muonbsm.generator.decays.tau import BRANCHING_RATIOS, MODES, N_PRONGS, decay_taus

__all__ = ["ALP_MODES", "BRANCHING_RATIOS", "DecayResult", "MODES", "N_PRONGS", "decay_alps", "decay_taus"]
