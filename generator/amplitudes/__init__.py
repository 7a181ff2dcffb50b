"""Matrix elements of muon decays (Mu3e channel).

* :mod:`~muonbsm.generator.amplitudes.muon_decay`: explicit 4x4-matrix oracle (numpy);
* :mod:`~muonbsm.generator.amplitudes.muon_decay_fast`: numba helicity amplitudes (use these);
* :mod:`~muonbsm.generator.amplitudes.weyl`: two-component spinor kernels.

Public functions (momenta ``(n, 4)`` GeV, ``pol`` ``(3,)`` or ``(n, 3)``): ``me2_michel``,
``me2_ic``, ``me2_ic_true_pair``, ``me2_signal`` (same signatures in both modules).
"""

from muonbsm.generator.amplitudes.muon_decay_fast import me2_ic, me2_ic_true_pair, me2_michel, me2_signal

__all__ = ["me2_michel", "me2_ic", "me2_ic_true_pair", "me2_signal"]
