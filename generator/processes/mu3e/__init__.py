"""The Mu3e channel: polarised mu+ decays at rest with an e+ e- pair.

* :mod:`~.process`: :class:`InternalConversion` and :class:`XEmission` (vegas-sampled processes);
* :mod:`~.kinematics`: five-body and X-emission phase-space maps;
* :mod:`~.photon_channel`: the gamma* -> e+ e- phase-space channel for m_ee windows;
* :mod:`~.matrix_element`: numba helicity amplitudes (use these); :mod:`~.matrix_element_oracle`:
  the explicit 4x4-matrix oracle they are tested against; :mod:`~.weyl`: two-component spinors;
* :mod:`~.cuts`: generator-level lepton cuts and m_ee windows.

Momenta ``(n, 4)`` [GeV], polarisation ``(3,)`` or ``(n, 3)``.
"""

from muonbsm.generator.processes.mu3e.cuts import LeptonCuts, MeeWindow
from muonbsm.generator.processes.mu3e.matrix_element import me2_ic, me2_ic_true_pair, me2_michel, me2_signal
from muonbsm.generator.processes.mu3e.process import InternalConversion, XEmission

__all__ = ["InternalConversion", "XEmission", "LeptonCuts", "MeeWindow",
           "me2_ic", "me2_ic_true_pair", "me2_michel", "me2_signal"]
