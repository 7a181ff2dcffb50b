"""One point of the Mu3e reach scan: bump hunt, 2D angular limit, gain and coupling limit.

Seed 004, Sec. II-III and App. C.3, on detector-level samples
(:class:`~muonbsm.analysis.mu3e.samples.DetectorLevel`):

1. pairing closest to ``m_X`` with the *smeared* masses, Eq. (2); angles and energies from the
   reconstructed momenta (:data:`~muonbsm.analysis.mu3e.variables.VARIABLES`);
2. symmetric window ``|m_ee - m_X| < hw`` maximising ``S/sqrt(B)``
   (:func:`~muonbsm.analysis.mu3e.bump_hunt.optimal_window`, ``hw <= max_half_width``);
3. bump-hunt limit: the window as one bin; angular limit: the window events in a 2D histogram
   of a variable pair (30 x 30 by default), sparse bins dropped (< 10 background MC events);
   both expected one-sided 95% CL Asimov limits, ``q(mu) = 2.71``, seed Eq. (7);
4. gain = bump-hunt limit / angular limit; the coupling limit
   ``c = c_ref (BR_lim / BR_ref)^(1/p)`` (``p = 2`` for a coupling, ``p = 1`` for eps^2).

Expected events are ``n_decays x BR``; the BR limits are on the total
BR(mu -> e nu nu X) x BR(X -> ee) (signal template normalised by the uncut rate).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from muonbsm.analysis.mu3e.bump_hunt import WindowResult, bump_hunt_limit, in_window, optimal_window
from muonbsm.analysis.stats.likelihood import fill_2d
from muonbsm.analysis.stats.limits import LimitResult, coupling_limit, expected_limit
from muonbsm.analysis.mu3e.samples import DetectorLevel, ModelSpec
from muonbsm.analysis.mu3e.variables import VARIABLES, Pairing

__all__ = ["PAIRS", "VARIABLE_RANGES", "AnalysisSettings", "paired_variables", "window", "analyze_point"]

Array = NDArray[np.float64]

#: Variable pairs of the seed: "a,b" = (cos(e+_s, e-), x_{e+_s}), "a,c" = (cos(e+_s, e-), cos(e+_s, e+_X)).
PAIRS: dict[str, tuple[str, str]] = {"a,b": ("cos_es_em", "x_es"), "a,c": ("cos_es_em", "cos_es_ex")}
#: Histogram ranges of the variables.
VARIABLE_RANGES: dict[str, tuple[float, float]] = {
    "cos_es_em": (-1.0, 1.0), "cos_es_ex": (-1.0, 1.0), "cos_ex_em": (-1.0, 1.0), "x_es": (0.0, 1.0),
    "x_ex": (0.0, 1.0), "x_em": (0.0, 1.0), "cos_x_pol": (-1.0, 1.0), "cos_es_pol": (-1.0, 1.0),
}


@dataclass(frozen=True)
class AnalysisSettings:
    """``bins`` per variable, sparse-bin rule ``min_bkg_events``, ``statistic`` ("poisson" or
    "gaussian"), ``cl``, ``max_half_width`` [GeV] of the window scan, ``n_window_scan`` half-widths."""

    bins: int = 30
    min_bkg_events: int = 10
    statistic: str = "poisson"
    cl: float = 0.95
    max_half_width: float = 0.002
    n_window_scan: int = 200


def paired_variables(sample: DetectorLevel, m_x: float, names: tuple[str, ...]) -> dict[str, Array]:
    """Variables ``names`` for hypothesis ``m_x`` [GeV]; the pairing uses the smeared masses."""
    first = np.abs(sample.m1 - m_x) <= np.abs(sample.m2 - m_x)
    sel = first[:, None]
    p = Pairing(float(m_x), sample.m1, sample.m2, first, np.where(sel, sample.ep0, sample.ep1),
                np.where(sel, sample.ep1, sample.ep0), sample.em, sample.polarization)
    return {n: np.asarray(VARIABLES[n](p), dtype=np.float64) for n in names}


def window(m_x: float, sig: DetectorLevel, bkg: DetectorLevel, settings: AnalysisSettings) -> WindowResult:
    """Optimal symmetric window (:func:`optimal_window`) with half-widths up to ``max_half_width``."""
    ms = paired_variables(sig, m_x, ("m_ee",))["m_ee"]
    mb = paired_variables(bkg, m_x, ("m_ee",))["m_ee"]
    d = np.abs(ms - m_x)
    hi = min(settings.max_half_width, float(np.quantile(d, 0.999)))
    hw = np.linspace(hi / settings.n_window_scan, hi, settings.n_window_scan)
    return optimal_window(m_x, ms, sig.weight, mb, bkg.weight, half_widths=hw, min_bkg_events=settings.min_bkg_events)


def analyze_point(
    spec: ModelSpec,
    m_x: float,
    sig: DetectorLevel,
    bkg: DetectorLevel,
    br_ref: float,
    decays: list[float],
    pairs: list[str],
    settings: AnalysisSettings,
) -> list[dict]:
    """Rows (one per ``decays`` x ``pairs``) for model ``spec`` at ``m_x`` [GeV].

    ``br_ref`` is the total signal BR at the reference couplings. Each row holds the keys of
    :func:`muonbsm.analysis.mu3e.reach.analyze_card`.
    """
    win = window(m_x, sig, bkg, settings)
    names = tuple(sorted({"m_ee", *[v for p in pairs for v in PAIRS[p]]}))
    vs, vb = paired_variables(sig, m_x, names), paired_variables(bkg, m_x, names)
    ins, inb = in_window(vs["m_ee"], m_x, win.half_width), in_window(vb["m_ee"], m_x, win.half_width)
    power = 1.0 if spec.squared else 2.0
    rows = []
    for n in decays:
        bump: LimitResult = bump_hunt_limit(m_x, vs["m_ee"], sig.weight, vb["m_ee"], bkg.weight, n_decays=n,
                                            signal_br=br_ref, half_width=win.half_width, statistic=settings.statistic,
                                            cl=settings.cl, min_bkg_events=settings.min_bkg_events)[0]
        for pair in pairs:
            a, b = PAIRS[pair]
            model = fill_2d((vs[a][ins], vs[b][ins]), sig.weight[ins], (vb[a][inb], vb[b][inb]), bkg.weight[inb],
                            (VARIABLE_RANGES[a], VARIABLE_RANGES[b]), (settings.bins, settings.bins), n,
                            signal_br=br_ref)
            ang = expected_limit(model, settings.statistic, settings.cl, settings.min_bkg_events)
            rows.append({
                "model": spec.name, "mass_gev": float(m_x), "decays": float(n), "pair": pair,
                "br_limit_bump": bump.br_limit, "br_limit_angular": ang.br_limit,
                "gain": bump.br_limit / ang.br_limit if ang.br_limit > 0 else float("nan"),
                "coupling": spec.coupling_label,
                "coupling_limit": float(coupling_limit(ang.br_limit, br_ref, spec.reference_value, power)),
                "coupling_limit_bump": float(coupling_limit(bump.br_limit, br_ref, spec.reference_value, power)),
                "br_limit_bump_mc_error": bump.br_mc_error, "br_limit_angular_mc_error": ang.br_mc_error,
                "half_width_gev": win.half_width, "signal_fraction_dropped": ang.signal_fraction_dropped,
                "bins_used": ang.n_bins_used, "signal_efficiency": float(np.sum(sig.weight[ins]) / br_ref),
                "s_window": n * float(np.sum(sig.weight[ins])), "b_window": n * float(np.sum(bkg.weight[inb])),
                "bkg_mc_events_window": int(np.count_nonzero(inb)), "sig_mc_events_window": int(np.count_nonzero(ins)), "br_reference": br_ref,
                "coupling_reference": spec.reference_value,
            })
    return rows
