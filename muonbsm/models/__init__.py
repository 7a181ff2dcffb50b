"""Lagrangian-level models: couplings, widths, branching ratios and (g-2) contributions.

* :mod:`~muonbsm.models.mu3e`: the X bosons of mu+ -> e+ nu nubar X (dark photon, scalar,
  pseudoscalar, general vector);
* :mod:`~muonbsm.models.alp`: the lepton-flavour-violating ALP coupled to mu and tau.
"""

__all__ = ["alp", "mu3e"]
