"""From detector-level samples to statements: limits, reach, bands and figures.

* :mod:`~muonbsm.analysis.stats`: binned likelihoods, limits with MC errors, pyhf export,
  (g-2) bands (shared by both channels);
* :mod:`~muonbsm.analysis.mu3e`: Mu3e variables, bump hunt, angular analysis, reach scan, plots;
* :mod:`~muonbsm.analysis.fixed_target`: LFV-ALP reach of fixed-target experiments, bands, plots.
"""

__all__ = ["fixed_target", "mu3e", "stats"]
