"""Expected limits from a :class:`~muonbsm.analysis.stats.likelihood.BinnedModel`, and their conversion.

:func:`expected_limit` applies the sparse-bin rule (Knapen et al., App. C.3), solves ``q(mu) = q_target``
(Knapen et al., Eq. (7); 2.71 for the expected one-sided 95% CL, Knapen et al.'s convention; the exact
``Phi^-1(0.95)^2 = 2.7055`` is used for other ``cl``) and turns ``mu`` into a BR limit with the
signal normalisation. :func:`scan_expected_limits` does a whole mass scan in one vectorised solve.

Monte Carlo statistical uncertainty of the templates (``mc_error``):

* ``"linear"``: first-order propagation of the per-bin MC variances ``sum w^2`` through the
  implicit function ``q(mu; s, b) = q_target``:
  ``dmu/db_i = -(dq/db_i)/(dq/dmu)``, ``dmu/ds_i = -(dq/ds_i)/(dq/dmu)``,
  ``sigma_mu^2 = sum_i (dmu/db_i)^2 var(b_i) + (dmu/ds_i)^2 var(s_i)``. Poisson:
  ``dq/db_i = 2[x/(1+x) - ln(1+x)]``, ``dq/ds_i = 2 mu x/(1+x)``, ``x = mu s_i/b_i``.
* ``"toys"``: each bin of ``s`` and ``b`` is replaced by a scaled Poisson draw with the same mean
  and variance (effective count ``n = v^2/var``, scale ``var/v``), the limit re-solved for all
  toys at once; the spread (standard deviation) is reported. Toy bins that fluctuate to zero
  background with the Gaussian statistic are dropped, as the sparse-bin rule would.

Both describe the MC-template uncertainty of the *expected limit*; they are not nuisance
parameters in the likelihood (see :mod:`muonbsm.analysis.stats.pyhf_export` for a profiled staterror).

>>> round(coupling_limit(4e-14, 1e-12, 1e-3), 6)
0.0002
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.stats import norm

from muonbsm.analysis.stats.likelihood import STATISTICS, BinnedModel, drop_sparse_bins, kept_bins, solve_mu

__all__ = [
    "LimitResult",
    "q_threshold",
    "expected_limit",
    "scan_expected_limits",
    "coupling_limit",
    "gain",
    "log_gradient",
    "gain_mc_error",
]

Array = NDArray[np.float64]
MC_ERROR_METHODS = ("none", "linear", "toys")


def q_threshold(cl: float = 0.95) -> float:
    """Crossing of ``q`` for an expected one-sided limit at confidence level ``cl``.

    ``2.71`` at ``cl = 0.95`` (seed convention, ``1.645^2`` rounded), else ``Phi^-1(cl)^2``.
    """
    if not 0.5 < cl < 1:
        raise ValueError(f"cl must be in (0.5, 1), got {cl}")
    return 2.71 if cl == 0.95 else float(norm.ppf(cl) ** 2)


@dataclass(frozen=True)
class LimitResult:
    """An expected upper limit.

    ``mu_limit`` is the limit on the signal strength (the signal at ``mu = 1`` is the input
    template), ``br_limit = mu_limit * signal_br`` the limit on the signal BR; ``mu_mc_error``
    the MC-template uncertainty of ``mu_limit`` (``nan`` if not computed, see module doc).
    """

    mu_limit: float
    br_limit: float
    statistic: str
    cl: float
    q_target: float
    n_bins: int
    n_bins_used: int
    n_dropped: int
    signal_fraction_dropped: float
    min_bkg_events: int
    s_used: float
    b_used: float
    mu_mc_error: float = float("nan")
    mc_error_method: str = "none"

    @property
    def br_mc_error(self) -> float:
        """MC-template uncertainty of ``br_limit``."""
        return self.mu_mc_error * self.br_limit / self.mu_limit if self.mu_limit > 0 else float("nan")


def _derivatives(mu: float, s: Array, b: Array, statistic: str) -> tuple[Array, Array, float]:
    """``dq/ds_i``, ``dq/db_i`` and ``dq/dmu`` at ``mu``."""
    if statistic == "gaussian":
        return 2 * mu**2 * s / b, -((mu * s) ** 2) / b**2, float(2 * mu * np.sum(s**2 / b))
    pos = b > 0
    x = np.where(pos, mu * s / np.where(pos, b, 1.0), 0.0)
    dq_ds = np.where(pos, 2 * mu * x / (1 + x), 2 * mu)
    dq_db = np.where(pos, 2 * (x / (1 + x) - np.log1p(x)), 0.0)
    return dq_ds, dq_db, float(np.sum(np.where(pos, 2 * s * x / (1 + x), 2 * s)))


def _scaled_poisson(v: Array, var: Array, n: int, rng: np.random.Generator) -> Array:
    """``n`` draws per bin with mean ``v`` and variance ``var`` (scaled Poisson)."""
    ok = (v > 0) & (var > 0)
    neff = np.where(ok, v**2 / np.where(ok, var, 1.0), 0.0)
    scale = np.where(ok, var / np.where(v > 0, v, 1.0), 0.0)
    draws = rng.poisson(np.broadcast_to(neff, (n, v.size))) * scale
    return np.where(ok, draws, v)


def _mc_error(model: BinnedModel, mu: float, statistic: str, q_target: float, method: str,
              n_toys: int, rng: np.random.Generator | None) -> float:
    if method == "none" or not np.isfinite(mu) or model.n_bins == 0:
        return float("nan")
    if method == "linear":
        dq_ds, dq_db, dq_dmu = _derivatives(mu, model.s, model.b, statistic)
        var = np.sum((dq_db / dq_dmu) ** 2 * model.b_sumw2) + np.sum((dq_ds / dq_dmu) ** 2 * model.s_sumw2)
        return float(np.sqrt(var))
    if rng is None:
        raise ValueError("rng (numpy.random.Generator) is required for mc_error='toys'")
    s_t = _scaled_poisson(model.s, model.s_sumw2, n_toys, rng)
    b_t = _scaled_poisson(model.b, model.b_sumw2, n_toys, rng)
    if statistic == "gaussian":
        s_t = np.where(b_t > 0, s_t, 0.0)
    mus = solve_mu(s_t, b_t, q_target, statistic)
    return float(np.std(mus[np.isfinite(mus)], ddof=1))


def _result(model: BinnedModel, used: BinnedModel, mu: float, statistic: str, cl: float, q_target: float,
            report_n_dropped: int, frac: float, min_bkg: int, err: float, method: str) -> LimitResult:
    return LimitResult(
        mu_limit=float(mu), br_limit=float(mu * model.signal_br), statistic=statistic, cl=cl,
        q_target=q_target, n_bins=model.n_bins, n_bins_used=used.n_bins, n_dropped=report_n_dropped,
        signal_fraction_dropped=frac, min_bkg_events=min_bkg, s_used=float(np.sum(used.s)),
        b_used=float(np.sum(used.b)), mu_mc_error=err, mc_error_method=method,
    )


def _check(statistic: str, mc_error: str, n_toys: int) -> None:
    if statistic not in STATISTICS:
        raise ValueError(f"statistic must be one of {STATISTICS}, got {statistic!r}")
    if mc_error not in MC_ERROR_METHODS:
        raise ValueError(f"mc_error must be one of {MC_ERROR_METHODS}, got {mc_error!r}")
    if n_toys < 2:
        raise ValueError(f"n_toys must be >= 2, got {n_toys}")


def expected_limit(
    model: BinnedModel,
    statistic: str = "poisson",
    cl: float = 0.95,
    min_bkg_events: int = 10,
    mc_error: str = "linear",
    n_toys: int = 200,
    rng: np.random.Generator | None = None,
) -> LimitResult:
    """Expected upper limit of one binned model (Asimov data = background).

    Applies :func:`~muonbsm.analysis.stats.likelihood.drop_sparse_bins` with ``min_bkg_events``
    (Knapen et al.: 10), solves ``q(mu) = q_threshold(cl)`` with ``statistic`` ("poisson" or
    "gaussian") and estimates the MC-template uncertainty with ``mc_error``
    ("none", "linear", "toys"; the latter uses ``n_toys`` draws from ``rng``).
    """
    _check(statistic, mc_error, n_toys)
    q_target = q_threshold(cl)
    used, report = drop_sparse_bins(model, min_bkg_events)
    mu = float(solve_mu(used.s[None, :], used.b[None, :], q_target, statistic)[0]) if used.n_bins else np.inf
    err = _mc_error(used, mu, statistic, q_target, mc_error, n_toys, rng)
    return _result(model, used, mu, statistic, cl, q_target, report.n_dropped,
                   report.signal_fraction_dropped, min_bkg_events, err, mc_error)


def scan_expected_limits(
    models: Sequence[BinnedModel],
    statistic: str = "poisson",
    cl: float = 0.95,
    min_bkg_events: int = 10,
    mc_error: str = "linear",
    n_toys: int = 200,
    rng: np.random.Generator | None = None,
) -> list[LimitResult]:
    """:func:`expected_limit` for many hypotheses (e.g. a mass scan) with one vectorised solve.

    The kept bins of all models are padded to a common length with ``s = 0, b = 1`` (no
    contribution to ``q``) and solved together as an ``(n_models, n_bins)`` array.
    """
    _check(statistic, mc_error, n_toys)
    q_target = q_threshold(cl)
    reduced = [drop_sparse_bins(m, min_bkg_events) for m in models]
    width = max([1] + [u.n_bins for u, _ in reduced])
    s = np.zeros((len(models), width))
    b = np.ones((len(models), width))
    for k, (u, _) in enumerate(reduced):
        s[k, : u.n_bins] = u.s
        b[k, : u.n_bins] = u.b
    mus = solve_mu(s, b, q_target, statistic) if len(models) else np.zeros(0)
    out = []
    for m, (u, rep), mu in zip(models, reduced, mus):
        err = _mc_error(u, float(mu), statistic, q_target, mc_error, n_toys, rng)
        out.append(_result(m, u, float(mu), statistic, cl, q_target, rep.n_dropped,
                           rep.signal_fraction_dropped, min_bkg_events, err, mc_error))
    return out


def coupling_limit(
    br_limit: NDArray | float,
    br_at_reference_coupling: NDArray | float,
    reference_coupling: NDArray | float,
    power: float = 2.0,
) -> NDArray | float:
    """Coupling limit from a BR limit for a rate ``BR(g) = BR_ref (g / g_ref)^power``.

    ``g_lim = g_ref (br_limit / BR_ref)^(1/power)``; ``power = 2`` for ``eps`` of the dark
    photon and ``g_S, g_P`` of a scalar with ``BR(X -> ee) = 1`` (prompt, narrow X).
    Dimensionless; arrays broadcast.
    """
    if power <= 0:
        raise ValueError(f"power must be > 0, got {power}")
    br_ref = np.asarray(br_at_reference_coupling, dtype=np.float64)
    if np.any(br_ref <= 0):
        raise ValueError("br_at_reference_coupling must be > 0")
    out = np.asarray(reference_coupling, dtype=np.float64) * (np.asarray(br_limit, dtype=np.float64) / br_ref) ** (1.0 / power)
    return float(out) if out.ndim == 0 else out


def gain(bump_hunt: LimitResult | float, angular: LimitResult | float) -> float:
    """Gain in BR reach: bump-hunt limit / angular-analysis limit (Knapen et al., Fig. 5)."""
    num = bump_hunt.br_limit if isinstance(bump_hunt, LimitResult) else float(bump_hunt)
    den = angular.br_limit if isinstance(angular, LimitResult) else float(angular)
    if den <= 0:
        raise ValueError(f"angular limit must be > 0, got {den}")
    return num / den


def log_gradient(model: BinnedModel, mu: float, statistic: str = "poisson") -> tuple[Array, Array]:
    """``d ln mu / d s_i`` and ``d ln mu / d b_i`` of the limit ``mu`` of ``model`` (its bins
    as given, no sparse-bin rule), from the implicit function ``q(mu; s, b) = q_target``."""
    dq_ds, dq_db, dq_dmu = _derivatives(mu, model.s, model.b, statistic)
    return -dq_ds / (dq_dmu * mu), -dq_db / (dq_dmu * mu)


def gain_mc_error(bump_model: BinnedModel, bump: LimitResult, angular_model: BinnedModel, angular: LimitResult,
                  statistic: str = "poisson") -> float:
    r"""MC error of the gain ``G = mu_bump / mu_angular`` with the correlation of both limits.

    Both limits come from the same events: the single bump-hunt bin holds the sum of all bins
    of the angular histogram of the window (``S = sum_i s_i``, ``B = sum_i b_i``). First-order
    propagation of the per-bin MC variances (module doc, "linear"):

    .. math::
        \frac{\sigma_G^2}{G^2} = \sum_i \Big(\frac{\partial \ln\mu_b}{\partial S} -
        \frac{\partial \ln\mu_a}{\partial s_i}\Big)^2 \mathrm{var}(s_i) +
        (s \to b),

    with ``d ln mu_a / d s_i = 0`` in bins the sparse-bin rule dropped. Quadrature of the two
    limits' own errors would ignore the correlation and overstate ``sigma_G``.
    """
    if not (np.isfinite(bump.mu_limit) and np.isfinite(angular.mu_limit)) or angular.mu_limit <= 0:
        return float("nan")
    keep = kept_bins(angular_model, angular.min_bkg_events)
    grad_s, grad_b = np.zeros(angular_model.n_bins), np.zeros(angular_model.n_bins)
    gs, gb = log_gradient(angular_model.subset(keep), angular.mu_limit, statistic)
    grad_s[keep], grad_b[keep] = gs, gb
    big_s, big_b = log_gradient(bump_model, bump.mu_limit, statistic)
    var = np.sum((big_s[0] - grad_s) ** 2 * angular_model.s_sumw2) + np.sum((big_b[0] - grad_b) ** 2 * angular_model.b_sumw2)
    return float(bump.mu_limit / angular.mu_limit * np.sqrt(var))