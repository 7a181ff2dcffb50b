"""Parametrised detectors: events in, detector-level arrays out.

* :mod:`~muonbsm.detector.mu3e`: Mu3e phase I (helix acceptance, efficiency maps, short and long
  tracks, m_ee smearing, efficiency tables);
* :mod:`~muonbsm.detector.fixed_target`: NA64-mu, FASERnu2 and a 1.5 TeV thin target (tau decay
  length, 3-prong, charge flip);
* ``data/``: configurations and maps, each with its provenance.
"""

__all__ = ["fixed_target", "mu3e"]
