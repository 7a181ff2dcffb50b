"""Binned Asimov likelihood of the Mu3e angular analysis (Knapen et al., Sec. II, Eqs. (6)-(7), App. C.3).

Per bin ``i`` the expected signal ``s_i`` and background ``b_i`` (events), the data set to the
background expectation (Asimov). The log-likelihood ratio of Knapen et al., Eq. (7) is

    q(mu) = 2 sum_i [mu s_i - b_i ln(1 + mu s_i / b_i)]        (Poisson)
          ~ sum_i (mu s_i)^2 / b_i                              (Gaussian, large b_i)

and the expected one-sided 95% CL exclusion is the ``mu`` where ``q(mu) = 2.71``
(``Phi^-1(0.95)^2 = 2.706`` rounded as in Knapen et al., arXiv:2311.17913; physics/mu3e.md Sec. 3).
For ``x = mu s / b >= 0``, ``x - ln(1 + x) <= x^2 / 2``, so ``q_Poisson <= q_Gauss`` and the
Poisson limit is never stronger than the Gaussian one. A bin with ``b_i = 0`` contributes
``2 mu s_i`` (the ``b -> 0`` limit) to the Poisson form and is forbidden in the Gaussian form.

:func:`solve_mu` solves ``q(mu) = q_target`` for arrays of hypotheses at once: ``s`` and ``b`` of
shape ``(..., n_bins)`` (zero signal pads unused bins). The Poisson ``q`` is convex and increasing
in ``mu >= 0``; Newton's method started to the left of the root (the larger of the Gaussian
solution and ``q_target / 2 sum s``, both lower bounds since ``q <= mu^2 sum s^2/b`` and
``q <= 2 mu sum s``) lands to the right of it after one step and then converges monotonically.
The iteration is compiled with numba, one row (hypothesis) at a time.

>>> import numpy as np
>>> round(float(solve_mu(np.array([4.0]), np.array([16.0]), 2.71, "gaussian")), 6)
1.646208
>>> round(float(solve_mu(np.array([4.0]), np.array([16.0]), 2.71, "poisson")), 6)
1.879373
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import hist
import numba
import numpy as np
from numpy.typing import NDArray

__all__ = [
    "STATISTICS",
    "BinnedModel",
    "DropReport",
    "fill_2d",
    "histogram_2d",
    "kept_bins",
    "drop_sparse_bins",
    "q_poisson",
    "q_gaussian",
    "solve_mu",
]

Array = NDArray[np.float64]
STATISTICS = ("poisson", "gaussian")


@dataclass(frozen=True)
class BinnedModel:
    """Flattened binned signal and background expectations.

    Attributes
    ----------
    s, b : expected signal (at the reference signal strength ``mu = 1``) and background
        events per bin, shape ``(n_bins,)``
    s_sumw2, b_sumw2 : sum of squared event weights per bin (MC variance), events^2
    s_count, b_count : number of MC events with non-zero weight per bin
    signal_br : branching ratio of the signal at ``mu = 1`` (the normalisation that turns a
        limit on ``mu`` into a BR limit: ``br_limit = mu_limit * signal_br``)
    edges : bin edges per variable (empty for a single-bin model)
    """

    s: Array
    b: Array
    s_sumw2: Array
    b_sumw2: Array
    s_count: NDArray[np.int64]
    b_count: NDArray[np.int64]
    signal_br: float = 1.0
    edges: tuple[Array, ...] = ()

    def __post_init__(self) -> None:
        n = np.shape(self.s)
        for name in ("b", "s_sumw2", "b_sumw2", "s_count", "b_count"):
            if np.shape(getattr(self, name)) != n:
                raise ValueError(f"{name} must have the shape {n} of s")
        if np.any(np.asarray(self.b) < 0) or np.any(np.asarray(self.s) < 0):
            raise ValueError("s and b must be >= 0 in every bin")

    @property
    def n_bins(self) -> int:
        """Number of bins."""
        return int(np.size(self.s))

    def histograms(self) -> tuple[hist.Hist, hist.Hist]:
        """Signal and background as ``hist.Hist`` with weighted storage (values in events,
        variances = sum of w^2), on the model's ``edges``; plot them with mplhep and keep the
        MC variances. Raises ValueError for a model without edges or after :meth:`subset`."""
        if not self.edges or int(np.prod([e.size - 1 for e in self.edges])) != self.n_bins:
            raise ValueError("histograms: the model has no full set of bin edges (single bin or a subset)")
        shape = tuple(e.size - 1 for e in self.edges)
        out = []
        for value, var in ((self.s, self.s_sumw2), (self.b, self.b_sumw2)):
            h = hist.Hist(*[hist.axis.Variable(e, underflow=False, overflow=False) for e in self.edges],
                          storage=hist.storage.Weight())
            h.view()["value"] = np.reshape(value, shape)
            h.view()["variance"] = np.reshape(var, shape)
            out.append(h)
        return out[0], out[1]

    def subset(self, keep: NDArray[np.bool_]) -> BinnedModel:
        """The model restricted to the bins where ``keep`` is True (edges are kept)."""
        return BinnedModel(
            self.s[keep], self.b[keep], self.s_sumw2[keep], self.b_sumw2[keep],
            self.s_count[keep], self.b_count[keep], self.signal_br, self.edges,
        )


@dataclass(frozen=True)
class DropReport:
    """What the sparse-bin rule removed (Knapen et al., App. C.3)."""

    min_bkg_events: int
    n_bins: int
    n_dropped: int
    signal_fraction_dropped: float


def _axes(ranges: tuple[tuple[float, float], tuple[float, float]], bins: tuple[int, int],
          labels: tuple[str, str] = ("", "")) -> list[hist.axis.Regular]:
    if len(bins) != 2 or min(bins) < 1:
        raise ValueError(f"bins must be two positive integers, got {bins}")
    return [hist.axis.Regular(int(n), float(lo), float(hi), underflow=False, overflow=False, label=label)
            for n, (lo, hi), label in zip(bins, ranges, labels)]


def histogram_2d(values: tuple[NDArray, NDArray], weight: NDArray, ranges: tuple[tuple[float, float], tuple[float, float]],
                 bins: tuple[int, int] = (30, 30), labels: tuple[str, str] = ("", "")) -> hist.Hist:
    """Weighted ``hist.Hist`` (sum of w, sum of w^2) of ``(var1, var2)`` binned as :func:`fill_2d`
    bins them: ``ranges``, ``bins`` per variable, values at an upper edge in the last bin; axis
    ``labels`` for plots (:func:`muonbsm.analysis.mu3e.plots.plot_distributions_2d`)."""
    return _weighted(values, np.asarray(weight, dtype=np.float64), _axes(ranges, bins, labels))


def _weighted(values: tuple[NDArray, NDArray], w: Array, axes: Sequence[hist.axis.Regular]) -> hist.Hist:
    h = hist.Hist(*axes, storage=hist.storage.Weight())
    h.fill(*_fold_upper(values, axes), weight=w)
    return h


def _histogram(values: tuple[NDArray, NDArray], w: Array, axes: Sequence[hist.axis.Regular]) -> tuple[Array, Array, NDArray[np.int64]]:
    """Weighted sum, sum of w^2 and count of non-zero-weight entries, each flattened."""
    h = _weighted(values, w, axes)
    x, y = _fold_upper(values, axes)
    c = hist.Hist(*axes, storage=hist.storage.Int64())
    nz = w != 0
    c.fill(x[nz], y[nz])
    var = h.variances()
    assert var is not None  # weighted storage
    return h.values().ravel().copy(), var.ravel().copy(), c.view().ravel().astype(np.int64)


def _fold_upper(values: tuple[NDArray, NDArray], axes: Sequence[hist.axis.Regular]) -> tuple[Array, Array]:
    """Move values equal to an axis' upper edge just inside it (into the last bin)."""
    out = []
    for v, ax in zip(values, axes):
        v = np.asarray(v, dtype=np.float64)
        hi = float(ax.edges[-1])
        out.append(np.where(v == hi, np.nextafter(hi, -np.inf), v))
    return out[0], out[1]


def fill_2d(
    signal: tuple[NDArray, NDArray],
    signal_weight: NDArray,
    background: tuple[NDArray, NDArray],
    background_weight: NDArray,
    ranges: tuple[tuple[float, float], tuple[float, float]],
    bins: tuple[int, int] = (30, 30),
    n_decays: float = 1.0,
    *,
    signal_br: float,
) -> BinnedModel:
    """Bin two variables of signal and background into a :class:`BinnedModel`.

    Parameters
    ----------
    signal, background
        ``(var1, var2)`` arrays of shape ``(n,)`` for the events in the m_ee window.
    signal_weight, background_weight
        Per-event branching ratios (``muonbsm.events`` weights); the signal at the reference
        coupling (``mu = 1``).
    ranges
        ``((lo1, hi1), (lo2, hi2))`` of the two axes; entries outside are not counted.
    bins
        Bins per variable (seed: 30 x 30).
    n_decays
        Number of muon decays: expected events = ``n_decays * sum(weights)``.
    signal_br
        Total signal BR at ``mu = 1`` (before the window and any cut) that normalises the
        limits: ``br_limit = mu_limit * signal_br``. Required, because ``signal_weight`` usually
        holds only the events in the window.

    Values equal to an upper axis edge are counted in the last bin (cosines reach exactly 1);
    other values outside the ranges are not counted.
    """
    if n_decays <= 0:
        raise ValueError(f"n_decays must be > 0, got {n_decays}")
    axes = _axes(ranges, bins)
    sw = np.asarray(signal_weight, dtype=np.float64)
    bw = np.asarray(background_weight, dtype=np.float64)
    if not signal_br > 0:
        raise ValueError(f"signal_br must be > 0, got {signal_br}")
    s, s2, sc = _histogram(signal, sw, axes)
    b, b2, bc = _histogram(background, bw, axes)
    br = float(signal_br)
    edges = tuple(np.asarray(a.edges) for a in axes)
    return BinnedModel(n_decays * s, n_decays * b, n_decays**2 * s2, n_decays**2 * b2, sc, bc, br, edges)


def drop_sparse_bins(model: BinnedModel, min_bkg_events: int = 10) -> tuple[BinnedModel, DropReport]:
    """Apply the sparse-bin rule of Knapen et al., App. C.3 and drop empty bins.

    A bin is dropped if it holds fewer than ``min_bkg_events`` background MC events with
    non-zero weight and at least one signal event (seed: 10, variant 5). Bins without signal
    carry no information (``s_i = 0`` adds nothing to ``q``) and are removed too, without
    counting them as dropped. Returns the reduced model and a :class:`DropReport` with the
    number of dropped bins and the fraction of signal (in ``s``) they held.
    """
    if min_bkg_events < 0:
        raise ValueError(f"min_bkg_events must be >= 0, got {min_bkg_events}")
    keep = kept_bins(model, min_bkg_events)
    has_signal = model.s_count > 0
    sparse = has_signal & (model.b_count < min_bkg_events)
    total = float(np.sum(model.s))
    dropped = float(np.sum(model.s[sparse]))
    report = DropReport(
        min_bkg_events=int(min_bkg_events),
        n_bins=model.n_bins,
        n_dropped=int(np.count_nonzero(sparse)),
        signal_fraction_dropped=dropped / total if total > 0 else 0.0,
    )
    return model.subset(keep), report


def kept_bins(model: BinnedModel, min_bkg_events: int = 10) -> NDArray[np.bool_]:
    """Mask of the bins :func:`drop_sparse_bins` keeps: signal present and at least
    ``min_bkg_events`` background MC events."""
    has_signal = model.s_count > 0
    return has_signal & ~(has_signal & (model.b_count < min_bkg_events)) & (model.s > 0)


def _xm_log1p(x: Array) -> Array:
    """``x - ln(1 + x)`` for ``x >= 0`` without cancellation at small ``x``."""
    small = x < 1e-3
    xs = np.where(small, x, 0.0)
    series = xs**2 * (0.5 - xs * (1 / 3 - xs * (0.25 - xs / 5)))
    return np.where(small, series, x - np.log1p(np.where(small, 0.0, x)))


def q_poisson(mu: NDArray | float, s: NDArray, b: NDArray) -> Array:
    """Asimov Poisson ``q(mu) = 2 sum_i [mu s_i - b_i ln(1 + mu s_i/b_i)]`` (Knapen et al., Eq. (7)).

    ``s, b`` have shape ``(..., n_bins)``; ``mu`` broadcasts against ``s[..., 0]``.
    Bins with ``b_i = 0`` contribute ``2 mu s_i``.
    """
    s = np.asarray(s, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    ms = np.asarray(mu, dtype=np.float64)[..., None] * s
    pos = b > 0
    x = np.where(pos, ms / np.where(pos, b, 1.0), 0.0)
    return 2.0 * np.sum(np.where(pos, b * _xm_log1p(x), ms), axis=-1)


def q_gaussian(mu: NDArray | float, s: NDArray, b: NDArray) -> Array:
    """Gaussian approximation ``q(mu) = sum_i (mu s_i)^2 / b_i`` (Knapen et al., Eq. (7), second form)."""
    s = np.asarray(s, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    return np.asarray(mu, dtype=np.float64) ** 2 * _gauss_sum(s, b)


def _gauss_sum(s: Array, b: Array) -> Array:
    if np.any((b <= 0) & (s > 0)):
        raise ValueError("the Gaussian statistic needs b > 0 in every bin with signal")
    return np.sum(np.where(s > 0, s**2 / np.where(b > 0, b, 1.0), 0.0), axis=-1)


def solve_mu(
    s: NDArray,
    b: NDArray,
    q_target: float = 2.71,
    statistic: str = "poisson",
    rtol: float = 1e-12,
    max_iter: int = 100,
) -> Array:
    """Signal strength ``mu`` with ``q(mu) = q_target``, vectorised over hypotheses.

    Parameters
    ----------
    s, b
        Expected signal at ``mu = 1`` and background events, shape ``(..., n_bins)``.
    q_target
        The crossing (2.71 for the expected one-sided 95% CL of Knapen et al., arXiv:2311.17913).
    statistic
        ``"poisson"`` (Newton iteration) or ``"gaussian"`` (closed form
        ``mu = sqrt(q_target / sum s^2/b)``).

    Returns ``mu`` of shape ``s.shape[:-1]``; ``inf`` where a hypothesis has no signal.
    """
    if statistic not in STATISTICS:
        raise ValueError(f"statistic must be one of {STATISTICS}, got {statistic!r}")
    if not q_target > 0:
        raise ValueError(f"q_target must be > 0, got {q_target}")
    s = np.asarray(s, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if s.shape != b.shape or s.ndim < 1:
        raise ValueError(f"s and b must have the same shape (..., n_bins), got {s.shape} and {b.shape}")
    if np.any(s < 0) or np.any(b < 0):
        raise ValueError("s and b must be >= 0")
    if statistic == "gaussian":
        with np.errstate(divide="ignore"):
            return np.sqrt(q_target / _gauss_sum(s, b))
    flat_s = np.ascontiguousarray(s.reshape(-1, s.shape[-1]))
    flat_b = np.ascontiguousarray(b.reshape(-1, b.shape[-1]))
    return _newton_rows(flat_s, flat_b, float(q_target), float(rtol), int(max_iter)).reshape(s.shape[:-1])


@numba.njit(cache=True)
def _newton_rows(s: Array, b: Array, q_target: float, rtol: float, max_iter: int) -> Array:  # pragma: no cover
    """Row-wise Newton solve of the Poisson ``q(mu) = q_target`` (compiled; see solve_mu)."""
    n_rows, n_bins = s.shape
    out = np.empty(n_rows)
    for k in range(n_rows):
        g = 0.0
        stot = 0.0
        for i in range(n_bins):
            stot += s[k, i]
            if b[k, i] > 0:
                g += s[k, i] ** 2 / b[k, i]
        if stot <= 0:
            out[k] = np.inf
            continue
        # start left of the root: q <= mu^2 sum s^2/b and q <= 2 mu sum s
        mu = q_target / (2.0 * stot)
        if g > 0:
            mu = max(mu, np.sqrt(q_target / g))
        for _ in range(max_iter):
            q = 0.0
            dq = 0.0
            for i in range(n_bins):
                si = s[k, i]
                if si == 0:
                    continue
                bi = b[k, i]
                if bi > 0:
                    x = mu * si / bi
                    if x < 1e-3:
                        q += bi * x * x * (0.5 - x * (1.0 / 3.0 - x * (0.25 - x / 5.0)))
                    else:
                        q += bi * (x - np.log1p(x))
                    dq += si * x / (1.0 + x)
                else:
                    q += mu * si
                    dq += si
            step = (q - 0.5 * q_target) / dq
            mu -= step
            if abs(step) <= rtol * abs(mu):
                break
        out[k] = mu
    return out
