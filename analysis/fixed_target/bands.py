r"""(g-2)_mu bands, the asymmetric-DM relic line and user bounds in the (m_a, C/Lambda) plane.

* (g-2)_mu (Batell et al. 2024 (arXiv:2407.15942), Eqs. 8-12): the ALP shift scales as (C/Lambda)^2 at fixed theta, so the
  band where :math:`|\Delta a_\mu^{ALP} - \Delta a_\mu| < n\sigma` is
  :math:`c \in [\sqrt{(\Delta a_\mu - n\sigma)/a_1}, \sqrt{(\Delta a_\mu + n\sigma)/a_1}]` with
  ``a_1`` = :func:`muonbsm.models.alp.amu_closed_form` at C/Lambda = 1 TeV^-1 (needs a_1 > 0,
  i.e. cos 2theta < 0 for m_a ~ m_tau). Above the band the ALP shift is too large
  (disfavoured). Default target: Delta a_mu = (249 +- 48) x 1e-11 (Batell et al., Eq. 12, WP2020), 2 sigma;
  configurable (the 2025 White Paper removes the anomaly).
* Relic line (Batell et al., Eq. 13, asymmetric DM, Batell et al., Fig. 6 right): the symmetric component is
  depleted below the observed abundance if <sigma v>(chi chibar -> mu tau) >= 4.4e-26 cm^3/s;
  with g_chi = 1 and m_a = 3 m_chi this is C/Lambda >= sqrt(4.4e-26 / <sigma v>(C/Lambda = 1)).
  Below the line the symmetric DM is overproduced. Defined for m_chi > m_tau/2.
* Indirect-detection/CMB band (Batell et al. 2024, arXiv:2407.15942, Sec. II C and Fig. 6
  right, dark grey): above the relic line the DM is asymmetric, with the symmetric remnant
  :math:`r_\infty = n_{\bar\chi}/n_\chi` fixed by (Graesser, Shoemaker, Vecchi 2011,
  arXiv:1103.2771, s-wave, same freeze-out temperature; derived from
  :math:`dY_-/dx = -\lambda\langle\sigma v\rangle Y_-(Y_- + \eta)/x^2`)

  .. math:: r_\infty = \exp\Big[-2\frac{\langle\sigma v\rangle}{\langle\sigma v\rangle_0}
            \frac{1 - r_\infty}{1 + r_\infty}\Big],\quad
            \langle\sigma v\rangle_0 = 4.4\times10^{-26}\,\mathrm{cm^3/s}.

  The CMB energy injection of a Dirac pair population, :math:`2 m_\chi n_\chi n_{\bar\chi}
  \langle\sigma v\rangle = \rho_\chi^2 p_{\rm eff}`, must satisfy the Planck 2018 bound
  (Aghanim et al., arXiv:1807.06209, Sec. 7.5, TT,TE,EE+lowE+lensing, 95% CL)

  .. math:: p_{\rm eff} = f_{\rm eff}\frac{\langle\sigma v\rangle}{m_\chi}
            \frac{2 r_\infty}{(1 + r_\infty)^2} < p_{\rm ann}^{\max}
            = 3.2\times10^{-28}\ \mathrm{cm^3\,s^{-1}\,GeV^{-1}}

  (the factor is 1/2 for symmetric Dirac DM, r = 1), with ``<sigma v>`` of Batell et al., Eq. 13 and
  ``f_eff = 0.3`` (approx.: f_eff of the mu+ mu- and tau+ tau- channels for GeV DM, Slatyer
  2016, arXiv:1506.03811, Fig. 4; configurable). The band runs from the relic line up to the
  coupling where p_eff falls below the bound; the exponential depletion of the symmetric
  component closes it. Fermi-LAT and AMS-02 bounds of the paper's Fig. 1 are not included.
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
from scipy.optimize import brentq

from muonbsm.constants import M_TAU
from muonbsm.models.alp import amu_closed_form, sigmav_chichi_to_mutau

__all__ = ["DELTA_AMU_WP2020", "SIGMA_AMU_WP2020", "RELIC_SIGMAV_CM3_S", "P_ANN_PLANCK2018", "F_EFF_MUTAU",
           "amu_band", "relic_line", "symmetric_fraction", "id_cmb_band", "UserBound", "load_bound"]

#: Batell et al., Eq. 12: a_mu(exp) - a_mu(SM, WP2020) and its error.
DELTA_AMU_WP2020 = 249e-11
SIGMA_AMU_WP2020 = 48e-11
#: Thermal <sigma v> for Dirac DM [cm^3/s] (Batell et al., Sec. II C).
RELIC_SIGMAV_CM3_S = 4.4e-26
#: Planck 2018 (arXiv:1807.06209, Sec. 7.5) 95% upper limit on p_ann = f_eff <sigma v>/m_chi [cm^3 s^-1 GeV^-1].
P_ANN_PLANCK2018 = 3.2e-28
#: Approximate f_eff of mu/tau final states for GeV DM (Slatyer 2016, arXiv:1506.03811).
F_EFF_MUTAU = 0.3


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


def symmetric_fraction(k: float) -> float:
    """Remnant ratio ``r = n_chibar / n_chi`` for ``k = <sigma v>/<sigma v>_0`` (module formula);
    1 for k <= 1 (no asymmetry needed), ~exp(-2k) for large k."""
    if k <= 1.0:
        return 1.0
    if k > 350.0:
        return 0.0

    def g(r: float) -> float:
        return math.log(r) + 2.0 * k * (1.0 - r) / (1.0 + r)
    return brentq(g, math.exp(-2.0 * k - 5.0), 1.0 - 1e-9 * (k - 1.0) / k, xtol=1e-300, rtol=1e-12)


def id_cmb_band(m_a: ArrayLike, g_chi: float = 1.0, ma_over_mchi: float = 3.0, *,
                p_ann_max: float = P_ANN_PLANCK2018, f_eff: float = F_EFF_MUTAU,
                sigmav_relic: float = RELIC_SIGMAV_CM3_S) -> tuple[NDArray, NDArray]:
    """Lower (the relic line) and upper C/Lambda [TeV^-1] of the CMB-excluded band (module text).

    ``m_a`` [GeV], ``m_chi = m_a / ma_over_mchi``, ``p_ann_max`` [cm^3 s^-1 GeV^-1]. NaN where the
    mu tau channel is closed or the symmetric remnant at the relic line is already allowed.
    """
    if p_ann_max <= 0 or not 0 < f_eff <= 1:
        raise ValueError(f"need p_ann_max > 0 and 0 < f_eff <= 1, got {p_ann_max}, {f_eff}")
    m = np.atleast_1d(np.asarray(m_a, dtype=float))
    lo = relic_line(m, g_chi, ma_over_mchi, sigmav_relic)
    hi = np.full(m.shape, np.nan)
    for i, v in enumerate(m):
        if not np.isfinite(lo[i]):
            continue
        m_chi = v / ma_over_mchi
        sv1 = sigmav_chichi_to_mutau(m_chi, v, 1.0, g_chi)

        def excess(log_c: float) -> float:
            sv = sv1 * math.exp(2 * log_c)
            r = symmetric_fraction(sv / sigmav_relic)
            return math.log(max(f_eff * sv / m_chi * 2 * r / (1 + r) ** 2, 1e-300) / p_ann_max)
        a = math.log(lo[i]) + 1e-9
        if excess(a) <= 0:
            lo[i] = np.nan
            continue
        b = a + 1.0
        while excess(b) > 0:
            b += 1.0
        hi[i] = math.exp(brentq(excess, a, b, xtol=1e-10))
    return np.where(np.isfinite(hi), lo, np.nan), hi


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
