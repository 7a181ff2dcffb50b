"""Generator-level cuts on charged leptons.

Energies and transverse momenta in GeV; the transverse plane is perpendicular to z (the
solenoid and beam axis).

>>> import numpy as np
>>> cuts = LeptonCuts(min_energy=0.01)
>>> p = np.array([[[0.02, 0, 0, 0.02], [0.005, 0, 0.005, 0]]])
>>> cuts.passes(p, charged=[0, 1]).tolist()
[False]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["LeptonCuts", "MeeWindow"]


@dataclass(frozen=True)
class MeeWindow:
    """An e+e- invariant-mass window [lo, hi] in GeV, passed if *either* pairing is inside."""

    lo: float
    hi: float

    def __post_init__(self) -> None:
        if not (0.0 <= self.lo < self.hi):
            raise ValueError(f"mee window [{self.lo}, {self.hi}] GeV: need 0 <= lo < hi")


@dataclass(frozen=True)
class LeptonCuts:
    """Per-lepton cuts (every charged lepton must pass): ``min_energy`` and ``min_pt`` [GeV]."""

    min_energy: float = 0.0
    min_pt: float = 0.0

    def __post_init__(self) -> None:
        for name in ("min_energy", "min_pt"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0 GeV, got {getattr(self, name)}")

    @property
    def active(self) -> bool:
        """True if any cut is set."""
        return self.min_energy > 0 or self.min_pt > 0

    def passes(self, p: NDArray[np.float64], charged: Sequence[int]) -> NDArray[np.bool_]:
        """Mask (n,) of events whose charged leptons ``p[:, charged]`` (n, k, 4) all pass."""
        sel = p[:, list(charged)]
        ok = sel[..., 0] >= self.min_energy
        if self.min_pt > 0:
            ok &= np.hypot(sel[..., 1], sel[..., 2]) >= self.min_pt
        return np.all(ok, axis=1)
