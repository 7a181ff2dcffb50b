"""The (g-2)_mu band as a configurable target, and the coupling bands it implies.

Targets ``Delta a_mu = a_mu^exp - a_mu^SM``:

* ``"WP2020"`` (default): ``(249 +- 48) x 1e-11`` (Theory Initiative White Paper 2020,
  Aoyama et al., Phys. Rept. 887 (2020) 1, with the FNAL+BNL average of arXiv:2308.06230).
* ``"WP2025"``: no anomaly. ``a_mu^SM = 116592033(62) x 1e-11`` (White Paper 2025,
  arXiv:2505.21476) and ``a_mu^exp = 116592071.5(14.5) x 1e-11`` (final FNAL, arXiv:2506.03069):
  ``Delta a_mu = (38.5 +- 63.7) x 1e-11`` (errors in quadrature).

A model's one-loop contribution is ``Delta a_mu(g) = g^p * A(m)`` (``p = 2``; ``A < 0`` for a
pseudoscalar, Leveille's integrals in ``physics/mu3e.md`` Sec. 2). The ``n``-sigma band is the
set of couplings with ``|Delta a_mu(g) - Delta a_mu^target| <= n sigma``:
:func:`band_from_unit` solves it in closed form for that scaling; :func:`coupling_band` handles
any vectorised function ``Delta a_mu(g)`` on a logarithmic grid with root refinement.
A lower edge 0 means the band reaches zero coupling (the target is compatible with zero at
that ``n``); ``nan`` edges mean no coupling fits.

>>> lo, hi = band_from_unit(249e-11, "WP2020", n_sigma=1)
>>> round(float(lo), 4), round(float(hi), 4)
(0.8985, 1.0921)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import brentq

__all__ = ["GMinus2Target", "from_measurement", "TARGETS", "get_target", "band_from_unit", "coupling_band"]

Array = NDArray[np.float64]


@dataclass(frozen=True)
class GMinus2Target:
    """A target ``Delta a_mu = delta_a +- sigma`` (dimensionless)."""

    delta_a: float
    sigma: float
    label: str

    def window(self, n_sigma: float) -> tuple[float, float]:
        """``(delta_a - n sigma, delta_a + n sigma)``."""
        if n_sigma <= 0:
            raise ValueError(f"n_sigma must be > 0, got {n_sigma}")
        return self.delta_a - n_sigma * self.sigma, self.delta_a + n_sigma * self.sigma


def from_measurement(
    a_exp: float, sigma_exp: float, a_sm: float, sigma_sm: float, label: str, unit: float = 1.0
) -> GMinus2Target:
    """Target from experiment and SM prediction (all in units of ``unit``), errors in quadrature.

    Pass the values in units of 1e-11 with ``unit=1e-11`` to keep the difference exact.
    """
    if sigma_exp < 0 or sigma_sm < 0:
        raise ValueError("sigma_exp and sigma_sm must be >= 0")
    return GMinus2Target((a_exp - a_sm) * unit, float(np.hypot(sigma_exp, sigma_sm)) * unit, label)


#: Named targets; "WP2020" is the default.
TARGETS: dict[str, GMinus2Target] = {
    "WP2020": GMinus2Target(249e-11, 48e-11, "WP2020"),
    "WP2025": from_measurement(116592071.5, 14.5, 116592033.0, 62.0, "WP2025", unit=1e-11),
}


def get_target(target: str | GMinus2Target = "WP2020") -> GMinus2Target:
    """A :class:`GMinus2Target` from its name in :data:`TARGETS` or itself."""
    if isinstance(target, GMinus2Target):
        return target
    if target not in TARGETS:
        raise ValueError(f"target must be one of {sorted(TARGETS)} or a GMinus2Target, got {target!r}")
    return TARGETS[target]


def band_from_unit(
    delta_a_unit: NDArray | float,
    target: str | GMinus2Target = "WP2020",
    n_sigma: float = 1.0,
    power: float = 2.0,
) -> tuple[Array, Array]:
    """Coupling band for ``Delta a_mu = g^power * delta_a_unit`` (``delta_a_unit`` per mass).

    Returns ``(g_lo, g_hi)`` arrays of the shape of ``delta_a_unit``; ``g_lo = 0`` if the band
    reaches zero coupling, both ``nan`` where no coupling fits (e.g. a negative pseudoscalar
    contribution against a positive target).
    """
    if power <= 0:
        raise ValueError(f"power must be > 0, got {power}")
    unit = np.asarray(delta_a_unit, dtype=np.float64)
    if np.any(unit == 0):
        raise ValueError("delta_a_unit must be non-zero")
    a_lo, a_hi = get_target(target).window(n_sigma)
    lo = np.where(unit > 0, a_lo / unit, a_hi / unit)
    hi = np.where(unit > 0, a_hi / unit, a_lo / unit)
    empty = hi < 0
    g_lo = np.where(empty, np.nan, np.clip(lo, 0.0, None) ** (1.0 / power))
    g_hi = np.where(empty, np.nan, np.clip(hi, 0.0, None) ** (1.0 / power))
    return g_lo, g_hi


def coupling_band(
    delta_a: Callable[[Array], Array],
    target: str | GMinus2Target = "WP2020",
    n_sigma: float = 1.0,
    g_min: float = 1e-8,
    g_max: float = 1.0,
    n_grid: int = 400,
) -> tuple[float, float]:
    """Band ``|delta_a(g) - Delta a_target| <= n_sigma sigma`` for any vectorised ``delta_a(g)``.

    Scans ``n_grid`` log-spaced couplings in ``[g_min, g_max]`` and refines the outermost edges
    with Brent's method. Returns ``(g_lo, g_hi)``: the smallest and largest allowed coupling
    (``g_lo = g_min`` if allowed at ``g_min``); ``(nan, nan)`` if none is allowed. For a
    non-monotonic ``delta_a`` the allowed set may have gaps; the envelope is returned.
    """
    if not 0 < g_min < g_max:
        raise ValueError(f"need 0 < g_min < g_max, got {g_min}, {g_max}")
    if n_grid < 2:
        raise ValueError(f"n_grid must be >= 2, got {n_grid}")
    t = get_target(target)
    a_lo, a_hi = t.window(n_sigma)
    g = np.geomspace(g_min, g_max, n_grid)
    val = np.asarray(delta_a(g), dtype=np.float64)
    ok = (val >= a_lo) & (val <= a_hi)
    if not np.any(ok):
        return float("nan"), float("nan")
    i, j = int(np.argmax(ok)), int(n_grid - 1 - np.argmax(ok[::-1]))

    def edge(k_out: int, k_in: int) -> float:
        v_out = float(val[k_out])
        level = a_lo if v_out < a_lo else a_hi
        f = lambda x: float(np.asarray(delta_a(np.array([x])))[0]) - level  # noqa: E731
        return float(brentq(f, g[min(k_out, k_in)], g[max(k_out, k_in)], rtol=1e-12))

    g_lo = float(g[0]) if i == 0 else edge(i - 1, i)
    g_hi = float(g[-1]) if j == n_grid - 1 else edge(j + 1, j)
    return g_lo, g_hi
