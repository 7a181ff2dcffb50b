"""Physics to events: processes, phase space, sampling, decays and the run engine.

* :mod:`~muonbsm.generator.processes`: ``mu3e/`` and ``alp/`` channels, and the registry;
* :mod:`~muonbsm.generator.decays`: X, ALP and tau decays;
* :mod:`~muonbsm.generator.phase_space`, :mod:`~muonbsm.generator.sampling`: n-body phase space,
  vegas training, weighted and unweighted chunks;
* the run engine: :mod:`~muonbsm.generator.generate` (runs, rates, datasets or merged files),
  :mod:`~muonbsm.generator.shards` (workers write verified shards), :mod:`~muonbsm.generator.checkpoint`
  (verified plan and resume), :mod:`~muonbsm.generator.publish` (dataset or merged file, disk
  errors), :mod:`~muonbsm.generator.fingerprint`, :mod:`~muonbsm.generator.lock`
  (one writer per output), :mod:`~muonbsm.generator.executors` and :mod:`~muonbsm.generator.worker`
  (serial, local processes, dask);
* :mod:`~muonbsm.generator.dirac`: explicit Dirac algebra (the test oracle).
"""

__all__ = ["decays", "dirac", "processes", "phase_space", "sampling"]
