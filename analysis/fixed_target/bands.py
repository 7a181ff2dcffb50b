r"""(g-2)_mu bands, the asymmetric-DM relic line and user bounds in the (m_a, C/Lambda) plane.

* (g-2)_mu (seed 000, Eqs. 8-12): the ALP shift scales as (C/Lambda)^2 at fixed theta, so the
  band where :math:`|\Delta a_\mu^{ALP} - \Delta a_\mu| < n\sigma` is
  :math:`c \in [\sqrt{(\Delta a_\mu - n\sigma)/a_1}, \sqrt{(\Delta a_\mu + n\sigma)/a_1}]` with
  ``a_1`` = :func:`muonbsm.models.alp.amu_closed_form` at C/Lambda = 1 TeV^-1 (needs a_1 > 0,
  i.e. cos 2theta < 0 for m_a ~ m_tau). Above the band the ALP shift is too large
  (disfavoured). Default target: Delta a_mu = (249 +- 48) x 1e-11 (seed Eq. 12, WP2020), 2 sigma;
  configurable (the 2025 White Paper removes the anomaly).
* Relic line (seed Eq. 13, asymmetric DM, seed Fig. 6 right): the symmetric component is
  depleted below the observed abundance if <sigma v>(chi chibar -> mu tau) >= 4.4e-26 cm^3/s;
  with g_chi = 1 and m_a = 3 m_chi this is C/Lambda >= sqrt(4.4e-26 / <sigma v>(C/Lambda = 1)).
  Below the line the symmetric DM is overproduced. Defined for m_chi > m_tau/2.
* User bounds: CSV files ``ma_gev, c_over_lambda_per_tev`` (optional ``# label: text`` line).

>>> lo, hi = amu_band([1.777], math.pi / 2)
>>> 1.0 < float(lo[0]) < float(hi[0]) < 3.0
True
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike, NDArray

from muonbsm.constants import M_TAU
from muonbsm.models.alp import amu_closed_form, sigmav_chichi_to_mutau

__all__ = ["DELTA_AMU_WP2020", "SIGMA_AMU_WP2020", "RELIC_SIGMAV_CM3_S", "amu_band", "relic_line",
           "UserBound", "load_bound"]

#: Seed Eq. 12: a_mu(exp) - a_mu(SM, WP2020) and its error.
DELTA_AMU_WP2020 = 249e-11
SIGMA_AMU_WP2020 = 48e-11
#: Thermal <sigma v> for Dirac DM [cm^3/s] (seed Sec. II C).
RELIC_SIGMAV_CM3_S = 4.4e-26


def amu_band(m_a: ArrayLike, theta: float, delta_amu: float = DELTA_AMU_WP2020,
             sigma_amu: float = SIGMA_AMU_WP2020, n_sigma: float = 2.0) -> tuple[NDArray, NDArray]:
    """Lower and upper C/Lambda [TeV^-1] of the (g-2)_mu band at masses ``m_a`` [GeV], angle ``theta``.

    NaN where the ALP shift is not positive; the lower edge is 0 if delta_amu - n sigma <= 0.
    """
    if sigma_amu <= 0 or n_sigma <= 0:
        raise ValueError(f"sigma_amu and n_sigma must be > 0, got {sigma_amu}, {n_sigma}")
    m = np.atleast_1d(np.asarray(m_a, dtype=float))
    a1 = np.array([amu_closed_form(float(v), 1.0, theta) for v in m])
    pos = a1 > 0
    safe = np.where(pos, a1, 1.0)
    lo = np.sqrt(max(delta_amu - n_sigma * sigma_amu, 0.0) / safe)
    hi = np.sqrt(max(delta_amu + n_sigma * sigma_amu, 0.0) / safe)
    return np.where(pos, lo, np.nan), np.where(pos, hi, np.nan)


def relic_line(m_a: ArrayLike, g_chi: float = 1.0, ma_over_mchi: float = 3.0,
               sigmav_target: float = RELIC_SIGMAV_CM3_S) -> NDArray:
    """C/Lambda [TeV^-1] at which <sigma v>(chi chibar -> mu tau) = ``sigmav_target`` [cm^3/s].

    ``m_chi = m_a / ma_over_mchi``; NaN where m_chi <= m_tau/2 (channel closed).
    """
    if g_chi <= 0 or ma_over_mchi <= 0 or sigmav_target <= 0:
        raise ValueError("g_chi, ma_over_mchi and sigmav_target must be > 0")
    m = np.atleast_1d(np.asarray(m_a, dtype=float))
    out = np.full(m.shape, np.nan)
    for i, v in enumerate(m):
        m_chi = v / ma_over_mchi
        if 2 * m_chi > M_TAU:
            out[i] = math.sqrt(sigmav_target / sigmav_chichi_to_mutau(m_chi, v, 1.0, g_chi))
    return out


class UserBound:
    """A bound read from a CSV file: ``label``, ``ma_gev`` and ``c_over_lambda_per_tev`` arrays."""

    def __init__(self, label: str, ma_gev: NDArray, c_over_lambda: NDArray) -> None:
        self.label, self.ma_gev, self.c_over_lambda = label, ma_gev, c_over_lambda


def load_bound(path: str | Path) -> UserBound:
    """Read ``path`` (CSV with header ``ma_gev,c_over_lambda_per_tev``; ``# label: text`` optional)."""
    label = Path(path).stem
    rows = []
    with open(path, newline="") as fh:
        for line in fh:
            if line.startswith("#"):
                if line[1:].strip().lower().startswith("label:"):
                    label = line.split(":", 1)[1].strip()
                continue
            if line.strip():
                rows.append(line)
    reader = list(csv.reader(rows))
    if len(reader) < 3 or [h.strip() for h in reader[0][:2]] != ["ma_gev", "c_over_lambda_per_tev"]:
        raise ValueError(f"bound file {path}: need a header 'ma_gev,c_over_lambda_per_tev' and >= 2 rows")
    data = np.array([[float(v) for v in r[:2]] for r in reader[1:]])
    if np.any(data <= 0):
        raise ValueError(f"bound file {path}: masses and couplings must be > 0")
    return UserBound(label, data[:, 0], data[:, 1])
