"""The plain resonance search: an m_ee window around m_X and its single-bin limit.

Knapen et al., Sec. II and App. C.3: a symmetric window ``|m_ee - m_X| < delta`` with ``delta`` chosen to
maximise ``S / sqrt(B)`` (Knapen et al.'s optimum value was not recovered), then the expected limit of
the single-bin Asimov Poisson likelihood with the same ``q`` formula as the angular analysis
(Knapen et al., Eq. (7) with one bin). The ratio of this limit to the 2D angular limit is the gain of
Knapen et al., Fig. 5 (:func:`muonbsm.analysis.stats.limits.gain`).

>>> import numpy as np
>>> rng = np.random.default_rng(1)
>>> sig = rng.normal(0.03, 0.0005, 2000); bkg = rng.uniform(0.02, 0.04, 20000)
>>> w = optimal_window(0.03, sig, np.full(2000, 1e-3), bkg, np.full(20000, 1e-2))
>>> 0.0005 < w.half_width < 0.001
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from muonbsm.analysis.stats.likelihood import BinnedModel
from muonbsm.analysis.stats.limits import LimitResult, expected_limit

__all__ = ["WindowResult", "window_sums", "optimal_window", "in_window", "window_model", "bump_hunt_limit"]

Array = NDArray[np.float64]


@dataclass(frozen=True)
class WindowResult:
    """Result of the window optimisation.

    ``half_width`` [GeV] of the best window and its ``s``, ``b`` (weighted sums in the unit of
    the weights times ``n_decays``), ``significance = s / sqrt(b)``; the scanned
    ``half_widths`` and ``significances`` (``nan`` where the window held fewer than
    ``min_bkg_events`` background MC events).
    """

    m_x: float
    half_width: float
    s: float
    b: float
    significance: float
    half_widths: Array
    significances: Array


def window_sums(m_x: float, m_ee: NDArray, weight: NDArray, half_widths: NDArray) -> tuple[Array, Array, NDArray[np.int64]]:
    """Weighted sum, sum of ``w^2`` and MC count in ``|m_ee - m_x| < hw`` for every ``hw`` [GeV].

    Vectorised with one sort: cumulative sums of the weights ordered by ``|m_ee - m_x|``.
    """
    d = np.abs(np.asarray(m_ee, dtype=np.float64) - m_x)
    w = np.asarray(weight, dtype=np.float64)
    order = np.argsort(d)
    d, w = d[order], w[order]
    idx = np.searchsorted(d, np.asarray(half_widths, dtype=np.float64), side="left")
    cw = np.concatenate([[0.0], np.cumsum(w)])
    cw2 = np.concatenate([[0.0], np.cumsum(w**2)])
    cn = np.concatenate([[0], np.cumsum(w != 0)])
    return cw[idx], cw2[idx], cn[idx].astype(np.int64)


def _default_half_widths(m_x: float, m_sig: Array, w_sig: Array, n: int) -> Array:
    """``n`` half-widths at weighted signal quantiles of ``|m_ee - m_x|`` from 5% to 99.9%."""
    d = np.abs(m_sig - m_x)
    order = np.argsort(d)
    cdf = np.cumsum(w_sig[order]) / np.sum(w_sig)
    qs = np.linspace(0.05, 0.999, n)
    hw = d[order][np.minimum(np.searchsorted(cdf, qs), d.size - 1)]
    return np.unique(np.nextafter(hw, np.inf))


def optimal_window(
    m_x: float,
    m_sig: NDArray,
    w_sig: NDArray,
    m_bkg: NDArray,
    w_bkg: NDArray,
    half_widths: NDArray | None = None,
    min_bkg_events: int = 10,
    n_decays: float = 1.0,
    n_scan: int = 200,
) -> WindowResult:
    """Half-width of the symmetric m_ee window around ``m_x`` [GeV] maximising ``S / sqrt(B)``.

    ``m_sig, m_bkg`` [GeV] are the paired masses (``VARIABLES["m_ee"]`` for this ``m_x``) and
    ``w_sig, w_bkg`` the event weights (BR); ``n_decays`` scales weights to events. Windows
    with fewer than ``min_bkg_events`` background MC events are skipped. Default scan:
    ``n_scan`` half-widths at the weighted signal quantiles of ``|m_ee - m_x|`` (5% to 99.9%).
    """
    m_sig = np.asarray(m_sig, dtype=np.float64)
    w_sig = np.asarray(w_sig, dtype=np.float64)
    if m_sig.size == 0 or not np.sum(w_sig) > 0:
        raise ValueError("m_sig/w_sig must contain signal with positive total weight")
    hw = _default_half_widths(m_x, m_sig, w_sig, n_scan) if half_widths is None else np.asarray(half_widths, float)
    if np.any(hw <= 0):
        raise ValueError("half_widths must be > 0 GeV")
    s, _, _ = window_sums(m_x, m_sig, w_sig, hw)
    b, _, nb = window_sums(m_x, m_bkg, w_bkg, hw)
    s, b = n_decays * s, n_decays * b
    ok = (nb >= min_bkg_events) & (b > 0)
    sig = np.full(hw.shape, np.nan)
    sig[ok] = s[ok] / np.sqrt(b[ok])
    if not np.any(ok):
        raise ValueError(f"no window holds >= {min_bkg_events} background MC events; widen half_widths")
    k = int(np.nanargmax(sig))
    return WindowResult(float(m_x), float(hw[k]), float(s[k]), float(b[k]), float(sig[k]), hw, sig)


def in_window(m_ee: NDArray, m_x: float, half_width: float) -> NDArray[np.bool_]:
    """Mask ``|m_ee - m_x| < half_width`` [GeV]."""
    return np.abs(np.asarray(m_ee, dtype=np.float64) - m_x) < half_width


def window_model(
    m_x: float,
    half_width: float,
    m_sig: NDArray,
    w_sig: NDArray,
    m_bkg: NDArray,
    w_bkg: NDArray,
    n_decays: float = 1.0,
    signal_br: float | None = None,
) -> BinnedModel:
    """Single-bin :class:`BinnedModel` of the window (``signal_br`` defaults to ``sum(w_sig)``)."""
    hw = np.array([half_width])
    s, s2, sc = window_sums(m_x, m_sig, w_sig, hw)
    b, b2, bc = window_sums(m_x, m_bkg, w_bkg, hw)
    br = float(np.sum(w_sig)) if signal_br is None else float(signal_br)
    return BinnedModel(n_decays * s, n_decays * b, n_decays**2 * s2, n_decays**2 * b2, sc, bc, br)


def bump_hunt_limit(
    m_x: float,
    m_sig: NDArray,
    w_sig: NDArray,
    m_bkg: NDArray,
    w_bkg: NDArray,
    n_decays: float = 1.0,
    signal_br: float | None = None,
    half_width: float | None = None,
    statistic: str = "poisson",
    cl: float = 0.95,
    min_bkg_events: int = 10,
    mc_error: str = "linear",
) -> tuple[LimitResult, WindowResult | None]:
    """Expected limit of the plain bump hunt (single-bin Asimov likelihood, Knapen et al., Eq. (7)).

    The window is optimised with :func:`optimal_window` unless ``half_width`` [GeV] is given
    (then the returned window result is ``None``). Returns the :class:`LimitResult`
    (``br_limit`` in units of the signal BR) and the window.
    """
    win = None
    if half_width is None:
        win = optimal_window(m_x, m_sig, w_sig, m_bkg, w_bkg, min_bkg_events=min_bkg_events, n_decays=n_decays)
        half_width = win.half_width
    model = window_model(m_x, half_width, m_sig, w_sig, m_bkg, w_bkg, n_decays, signal_br)
    return expected_limit(model, statistic, cl, min_bkg_events, mc_error), win
