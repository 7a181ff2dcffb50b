r"""Displaced-vertex acceptance of the Mu3e prompt three-track vertex selection.

Mu3e selects :math:`\mu^+\to e^+e^+e^-` candidates with a fit of the three tracks to one common
vertex and a cut on its :math:`\chi^2` (Mu3e TDR, Arndt et al., arXiv:2009.11690, Sec. 20).
For :math:`\mu^+\to e^+\nu\bar\nu X,\ X\to e^+e^-` the pair comes from the X decay point,
displaced by :math:`(d_T, d_z)` [mm] (transverse, longitudinal) from the muon decay point of the
Michel positron. With Gaussian track extrapolation errors the vertex :math:`\chi^2` of such an
event follows a non-central :math:`\chi^2_\nu(\lambda)` with

.. math:: \lambda = (d_T/\sigma_T)^2 + (d_z/\sigma_z)^2 ,

so the prompt-vertex quality relative to a prompt event is (form ``"chi2"``, the default)

.. math:: q(d_T, d_z) = P[\chi^2_\nu(\lambda) < c] / P[\chi^2_\nu < c],
          \qquad P[\chi^2_\nu < c] = \epsilon_{\rm vertex},

with the cut c fixed by the flat prompt vertex efficiency :math:`\epsilon_{\rm vertex}`
(``[efficiency] vertex``, 0.90) and :math:`\nu = 3` (three tracks x two coordinates at the
vertex, minus three vertex coordinates). The form ``"gaussian"`` is :math:`q = e^{-\lambda/2}`
and ``"step"`` is :math:`q = [\lambda \le 1]`. :math:`\sigma_{T,z}` absorb the geometry of the
fit (for two tracks displaced from the third by D the fitted vertex leaves residuals
2D/3, D/3, D/3: :math:`\lambda = \tfrac23 (D/\sigma_{\rm track})^2`, i.e.
:math:`\sigma = \sqrt{3/2}\,\sigma_{\rm track}`).

Default scales (an assumption: no public Mu3e number for the displaced acceptance exists).
The vertex resolution is set by multiple scattering in the first pixel layer, extrapolated
back to the target: Highland (PDG, "Passage of particles through matter", Eq. 34.16) for
x/X0 = 0.1% (one HV-MAPS layer, arXiv:2009.11690) at p = 30 MeV gives
:math:`\theta_0 = 13.6/30 \cdot \sqrt{10^{-3}}\,(1 + 0.038 \ln 10^{-3}) = 10.6` mrad; over the
10-20 mm from L1 (r = 23.3 mm) to the target surface this is 0.1-0.2 mm per track, hence
:math:`\sigma_T \approx 0.25` mm and a larger :math:`\sigma_z \approx 0.35` mm (dip angles up
to ~1 rad). Knapen, Langhoff, Opferkuch, Redigolo (arXiv:2311.17913, Sec. IV) likewise treat
decays within the vertex resolution as prompt. Change the numbers in
``detector/data/mu3e_phase1.toml`` ``[displaced_vertex]``.

>>> dv = DisplacedVertex()
>>> float(dv.quality(0.0, 0.0, 0.9)), round(float(dv.quality(1.0, 0.0, 0.9)), 3)
(1.0, 0.038)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from muonbsm.errors import CardError

__all__ = ["FORMS", "DisplacedVertex", "displaced_vertex_from_dict", "displacement"]

#: Allowed shapes of the prompt-vertex quality q(d_T, d_z).
FORMS = ("chi2", "gaussian", "step")


@dataclass(frozen=True)
class DisplacedVertex:
    """Prompt-vertex quality versus the displacement of the e+e- vertex (module docstring).

    ``sigma_transverse_mm``, ``sigma_longitudinal_mm``: scales [mm]; ``form``: one of
    :data:`FORMS`; ``ndf``: degrees of freedom of the ``"chi2"`` form; ``enabled = False``
    gives q = 1 (every decay treated as prompt).
    """

    enabled: bool = True
    form: str = "chi2"
    sigma_transverse_mm: float = 0.25
    sigma_longitudinal_mm: float = 0.35
    ndf: int = 3

    def __post_init__(self) -> None:
        if self.form not in FORMS:
            raise CardError(f"displaced_vertex.form: must be one of {FORMS}, got {self.form!r}")
        for key in ("sigma_transverse_mm", "sigma_longitudinal_mm"):
            v = getattr(self, key)
            if not (math.isfinite(v) and 0.0 < v <= 1e3):
                raise CardError(f"displaced_vertex.{key}: must be in (0, 1000] mm, got {v!r}")
        if not 1 <= self.ndf <= 20:
            raise CardError(f"displaced_vertex.ndf: must be an integer in [1, 20], got {self.ndf!r}")

    def noncentrality(self, d_t: ArrayLike, d_z: ArrayLike) -> NDArray[np.float64]:
        """lambda = (d_T/sigma_T)^2 + (d_z/sigma_z)^2 for displacements [mm]."""
        return (np.asarray(d_t, dtype=np.float64) / self.sigma_transverse_mm) ** 2 + (
            np.asarray(d_z, dtype=np.float64) / self.sigma_longitudinal_mm) ** 2

    def quality(self, d_t: ArrayLike, d_z: ArrayLike, prompt_efficiency: float) -> NDArray[np.float64]:
        """q(d_T, d_z) in [0, 1] (1 at zero displacement), relative to the prompt vertex
        efficiency ``prompt_efficiency`` (which fixes the chi^2 cut of the ``"chi2"`` form)."""
        if not 0.0 < prompt_efficiency <= 1.0:
            raise ValueError(f"prompt_efficiency: must be in (0, 1], got {prompt_efficiency}")
        lam = self.noncentrality(d_t, d_z)
        if not self.enabled:
            return np.ones_like(lam)
        if self.form == "gaussian":
            return np.exp(-0.5 * lam)
        if self.form == "step":
            return (lam <= 1.0).astype(np.float64)
        if prompt_efficiency >= 1.0:
            return np.ones_like(lam)  # no cut: every vertex passes
        cut = stats.chi2.ppf(prompt_efficiency, self.ndf)
        out = np.ones_like(lam)
        pos = lam > 0
        out[pos] = stats.ncx2.cdf(cut, self.ndf, lam[pos]) / prompt_efficiency
        return np.clip(out, 0.0, 1.0)


def displacement(vx: ArrayLike, vy: ArrayLike, vz: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(d_T, |d_z|) [mm] of vertices relative to the muon decay point."""
    return np.hypot(np.asarray(vx, dtype=np.float64), np.asarray(vy, dtype=np.float64)), np.abs(
        np.asarray(vz, dtype=np.float64))


def displaced_vertex_from_dict(sec: Mapping[str, Any] | None) -> DisplacedVertex:
    """The ``[displaced_vertex]`` table of a detector TOML; a missing table gives
    ``enabled = False`` (prompt-vertex assumption, q = 1). Unknown keys and bad values raise
    :class:`~muonbsm.errors.CardError` naming the key."""
    if sec is None:
        return DisplacedVertex(enabled=False)
    if not isinstance(sec, Mapping):
        raise CardError("[displaced_vertex]: must be a table")
    allowed = {"enabled", "form", "sigma_transverse_mm", "sigma_longitudinal_mm", "ndf"}
    unknown = set(sec) - allowed
    if unknown:
        raise CardError(f"[displaced_vertex]: unknown keys {sorted(unknown)}; allowed {sorted(allowed)}")
    enabled = sec.get("enabled", True)
    if not isinstance(enabled, bool):
        raise CardError(f"displaced_vertex.enabled: must be true or false, got {enabled!r}")
    for key in ("sigma_transverse_mm", "sigma_longitudinal_mm"):
        v = sec.get(key, 1.0)
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise CardError(f"displaced_vertex.{key}: must be a number in (0, 1000] mm, got {v!r}")
    ndf = sec.get("ndf", 3)
    if isinstance(ndf, bool) or not isinstance(ndf, int):
        raise CardError(f"displaced_vertex.ndf: must be an integer in [1, 20], got {ndf!r}")
    default = DisplacedVertex()
    return DisplacedVertex(enabled, str(sec.get("form", default.form)),
                           float(sec.get("sigma_transverse_mm", default.sigma_transverse_mm)),
                           float(sec.get("sigma_longitudinal_mm", default.sigma_longitudinal_mm)), ndf)
