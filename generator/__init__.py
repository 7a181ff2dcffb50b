"""Physics to events: processes, phase space, sampling, decays and the run engine.

* :mod:`~muonbsm.generator.processes`: ``mu3e/`` and ``alp/`` channels, and the registry;
* :mod:`~muonbsm.generator.decays`: X, ALP and tau decays;
* :mod:`~muonbsm.generator.phase_space`, :mod:`~muonbsm.generator.sampling`: n-body phase space,
  vegas training, weighted and unweighted chunks;
* :mod:`~muonbsm.generator.generate`, :mod:`~muonbsm.generator.checkpoint`,
  :mod:`~muonbsm.generator.executors`: runs that stream chunks to disk, resume, and scale out;
* :mod:`~muonbsm.generator.dirac`: explicit Dirac algebra (the test oracle).
"""

__all__ = ["decays", "dirac", "processes", "phase_space", "sampling"]
