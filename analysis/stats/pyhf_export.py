"""Export a :class:`~muonbsm.analysis.stats.likelihood.BinnedModel` as a pyhf workspace and cross-check.

The workspace (pyhf JSON schema) has one channel with the (kept) bins, a ``signal`` sample with
a free ``normfactor`` ``mu`` and a ``background`` sample with an optional ``staterror``
(absolute uncertainties ``sqrt(sum w^2)`` of the background MC). The observations are the
background expectation (Asimov), as in Knapen et al., Eq. (6).

Cross-checks of the expected limit of :func:`muonbsm.analysis.stats.limits.expected_limit`:

* ``method="logpdf"``: ``q(mu) = -2 [ln L(mu) - ln L(0)]`` from ``model.logpdf`` with the
  nuisance parameters (if any) fixed at nominal; the ``q = q_target`` crossing equals our
  Poisson limit (pyhf uses the continuous Poisson ``b ln(lambda) - lambda - lnGamma(b+1)``).
* ``method="qmu_tilde"``: pyhf's profile-likelihood statistic
  :func:`pyhf.infer.test_statistics.qmu_tilde` on the Asimov data (profiling the staterror
  gammas if present); its ``q_target`` crossing is our limit without staterror and a weaker,
  MC-stat-aware limit with it.
* ``method="cls"``: pyhf's CLs upper limit (asymptotics, Asimov data = background, so observed
  = expected). This is *not* the ``q = 2.71`` Wilks crossing: for a Gaussian-like problem the
  CLs limit is about ``1.96/1.645 = 1.19`` times weaker. Returned for reference only.

pyhf is an optional dependency (``pip install muonbsm[stats]``) and imported lazily.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.optimize import brentq

from muonbsm.analysis.stats.likelihood import BinnedModel

__all__ = ["to_workspace", "pyhf_expected_limit"]

METHODS = ("logpdf", "qmu_tilde", "cls")


def _pyhf() -> Any:
    from muonbsm import extras

    return extras.pyhf()


def to_workspace(model: BinnedModel, staterror: bool = False, mu_max: float | None = None) -> dict:
    """pyhf workspace specification (a JSON-serialisable dict) of ``model``.

    ``staterror`` adds a ``staterror`` modifier with ``sqrt(b_sumw2)`` to the background;
    ``mu_max`` is the upper bound of ``mu`` (default: 100 times the Gaussian limit scale).
    Every bin needs ``b > 0``; apply the sparse-bin rule first.
    """
    if model.n_bins == 0:
        raise ValueError("model has no bins")
    if np.any(model.b <= 0):
        raise ValueError("every bin of the model must have b > 0 (apply drop_sparse_bins first)")
    if mu_max is None:
        g = float(np.sum(model.s**2 / model.b))
        mu_max = 100.0 * np.sqrt(2.71 / g) if g > 0 else 10.0
    bkg_mods: list[dict] = []
    if staterror:
        bkg_mods.append({"name": "mcstat", "type": "staterror", "data": np.sqrt(model.b_sumw2).tolist()})
    return {
        "channels": [{
            "name": "mu3e",
            "samples": [
                {"name": "signal", "data": model.s.tolist(),
                 "modifiers": [{"name": "mu", "type": "normfactor", "data": None}]},
                {"name": "background", "data": model.b.tolist(), "modifiers": bkg_mods},
            ],
        }],
        "observations": [{"name": "mu3e", "data": model.b.tolist()}],
        "measurements": [{"name": "asimov", "config": {
            "poi": "mu", "parameters": [{"name": "mu", "bounds": [[0.0, float(mu_max)]], "inits": [0.0]}]}}],
        "version": "1.0.0",
    }


def pyhf_expected_limit(
    model: BinnedModel,
    method: str = "logpdf",
    staterror: bool = False,
    q_target: float = 2.71,
) -> float:
    """Expected upper limit on ``mu`` computed with pyhf (see the module doc for ``method``).

    ``model`` must already be reduced by the sparse-bin rule. Returns ``mu_limit``.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    pyhf = _pyhf()
    pyhf.set_backend("numpy")
    ws = pyhf.Workspace(to_workspace(model, staterror))
    pdf = ws.model()
    init = pdf.config.suggested_init()
    poi = pdf.config.poi_index
    nominal = list(init)
    nominal[poi] = 0.0
    data = np.asarray(pdf.expected_data(nominal))
    bounds = pdf.config.suggested_bounds()
    if method == "cls":
        return float(pyhf.infer.intervals.upper_limits.upper_limit(data, pdf, scan=None, level=0.05)[0])

    def q_of(mu: float) -> float:
        if method == "logpdf":
            pars = list(nominal)
            pars[poi] = mu
            return float(-2.0 * (pdf.logpdf(pars, data)[0] - pdf.logpdf(nominal, data)[0]))
        return float(pyhf.infer.test_statistics.qmu_tilde(mu, data, pdf, init, bounds, pdf.config.suggested_fixed()))

    g = float(np.sum(model.s**2 / model.b))
    lo = 0.5 * np.sqrt(q_target / g)
    hi = 2.0 * lo
    while q_of(hi) < q_target:
        lo, hi = hi, 2.0 * hi
        if hi > bounds[poi][1]:
            raise ValueError("the q crossing lies above the mu bound of the workspace")
    tol = 1e-10 if method == "logpdf" else 1e-7
    return float(brentq(lambda m: q_of(m) - q_target, lo, hi, xtol=tol * hi, rtol=tol))
