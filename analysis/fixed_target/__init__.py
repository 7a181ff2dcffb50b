"""The LFV-ALP reach of fixed-target muon experiments (NA64-mu, FASERnu2, a 1.5 TeV thin target).

* :mod:`~.signal`: signal efficiencies from generated ALP events through the detector selections;
* :mod:`~.reach`: reach cards and the C/Lambda reach at a given number of signal events;
* :mod:`~.bands`: (g-2) and dark-matter bands in the (m_a, C/Lambda) plane;
* :mod:`~.plots`: the reach and band figures.
"""

__all__ = ["bands", "plots", "reach", "signal"]
