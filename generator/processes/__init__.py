"""Physical processes, one subpackage per channel, and the table that builds them from cards.

* :mod:`~muonbsm.generator.processes.mu3e`: mu+ -> e+ e+ e- nu nubar (internal conversion) and
  mu+ -> e+ nu nubar X(-> e+ e-) signals: kinematics, phase-space channels, matrix elements;
* :mod:`~muonbsm.generator.processes.alp`: mu N -> tau N a with an LFV ALP: kinematics, matrix
  element, form factors, exact 2->3 cross section, cross-section tables, events;
* :mod:`~muonbsm.generator.processes.registry`: process and X-model construction from cards.
"""

from muonbsm.generator.processes.registry import build_process, x_model

__all__ = ["build_process", "x_model"]
