"""Statistics shared by every channel.

* :mod:`~.likelihood`: binned Poisson/Gaussian likelihoods and the profile test statistic;
* :mod:`~.limits`: expected limits with their Monte Carlo errors;
* :mod:`~.pyhf_export`: the same models as pyhf workspaces (cross-check);
* :mod:`~.bands`: the (g-2)_mu target and the coupling bands it implies.
"""

__all__ = ["bands", "likelihood", "limits", "pyhf_export"]
