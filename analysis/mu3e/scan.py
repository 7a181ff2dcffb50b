"""One point of the Mu3e reach scan: bump hunt, 2D angular limit, gain and coupling limit.

Seed 004, Sec. II-III and App. C.3, on detector-level samples
(:class:`~muonbsm.analysis.mu3e.samples.DetectorLevel`):

1. pairing closest to ``m_X`` with the *smeared* masses, Eq. (2); angles and energies from the
   reconstructed momenta (:data:`~muonbsm.analysis.mu3e.variables.VARIABLES`);
2. symmetric window ``|m_ee - m_X| < hw`` maximising ``S/sqrt(B)``
   (:func:`~muonbsm.analysis.mu3e.bump_hunt.optimal_window`, ``hw <= max_half_width``);
3. bump-hunt limit: the window as one bin; angular limit: the window events in a 2D histogram
   of a variable pair (30 x 30 by default), sparse bins dropped (< 10 background MC events);
   both expected one-sided 95% CL Asimov limits, ``q(mu) = 2.71``, Knapen et al., Eq. (7);
4. gain = bump-hunt limit / angular limit; the coupling limit
   ``c = c_ref (BR_lim / BR_ref)^(1/p)`` (``p = 2`` for a coupling, ``p = 1`` for eps^2).

Expected events are ``n_decays x BR``; the BR limits are on the total
BR(mu -> e nu nu X) x BR(X -> ee) (signal template normalised by the uncut rate).
"""

from __future__ import annotations

from dataclasses import dataclass

import hist
import numpy as np
from numpy.typing import NDArray

from muonbsm.analysis.mu3e.bump_hunt import WindowResult, in_window, optimal_window, window_model
from muonbsm.analysis.stats.likelihood import fill_2d
from muonbsm.analysis.stats.limits import LimitResult, coupling_limit, expected_limit, gain_mc_error
from muonbsm.analysis.mu3e.samples import DetectorLevel, ModelSpec
from muonbsm.analysis.mu3e.variables import VARIABLES, Pairing

__all__ = ["PAIRS", "VARIABLE_RANGES", "AnalysisSettings", "paired_variables", "distributions", "window", "analyze_point"]

Array = NDArray[np.float64]

#: Variable pairs of Knapen et al., arXiv:2311.17913: "a,b" = (cos(e+_s, e-), x_{e+_s}), "a,c" = (cos(e+_s, e-), cos(e+_s, e+_X)).
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


def distributions(m_x: float, sig: DetectorLevel, bkg: DetectorLevel, pair: str, half_width: float,
                  bins: int = 30, n_decays: float = 1.0) -> tuple[hist.Hist, hist.Hist]:
    """Signal and background in the window ``|m_ee - m_x| < half_width`` [GeV] as 2D
    ``hist.Hist`` of the variable ``pair`` (weighted storage: expected events for
    ``n_decays`` muon decays and their MC variances), binned as in the likelihood."""
    a, b = PAIRS[pair]
    vs, vb = paired_variables(sig, m_x, (a, b, "m_ee")), paired_variables(bkg, m_x, (a, b, "m_ee"))
    ins, inb = in_window(vs["m_ee"], m_x, half_width), in_window(vb["m_ee"], m_x, half_width)
    model = fill_2d((vs[a][ins], vs[b][ins]), sig.weight[ins], (vb[a][inb], vb[b][inb]), bkg.weight[inb],
                    (VARIABLE_RANGES[a], VARIABLE_RANGES[b]), (bins, bins), n_decays, signal_br=1.0)
    hs, hb = model.histograms()
    for h in (hs, hb):
        h.axes[0].label, h.axes[1].label = a, b
    return hs, hb


def window(m_x: float, sig: DetectorLevel, bkg: DetectorLevel, settings: AnalysisSettings) -> WindowResult:
    """Optimal symmetric window (:func:`optimal_window`) with half-widths up to ``max_half_width``."""
    ms = paired_variables(sig, m_x, ("m_ee",))["m_ee"]
    mb = paired_variables(bkg, m_x, ("m_ee",))["m_ee"]
    d = np.abs(ms - m_x)
    hi = min(settings.max_half_width, float(np.quantile(d, 0.999)))
    hw = np.linspace(hi / settings.n_window_scan, hi, settings.n_window_scan)
    return optimal_window(m_x, ms, sig.weight, mb, bkg.weight, half_widths=hw, min_bkg_events=settings.min_bkg_events)


def _sum_error(w: Array) -> float:
    """MC error of a sum of event weights, ``sqrt(sum w^2)``."""
    return float(np.sqrt(np.sum(np.square(w))))


def analyze_point(
    spec: ModelSpec,
    m_x: float,
    sig: DetectorLevel,
    bkg: DetectorLevel,
    br_ref: float,
    decays: list[float],
    pairs: list[str],
    settings: AnalysisSettings,
    br_ref_error: float = 0.0,
) -> list[dict]:
    """Rows (one per ``decays`` x ``pairs``) for model ``spec`` at ``m_x`` [GeV].

    ``br_ref`` (+- ``br_ref_error``, vegas) is the total signal BR at the reference couplings.
    Each row holds the keys of :func:`muonbsm.analysis.mu3e.reach.analyze_card` and the MC
    error of every number (``<key>_mc_error``): the limits' template errors
    (:func:`~muonbsm.analysis.stats.limits.expected_limit`, linear) with the vegas error of
    ``br_ref`` in quadrature for the BR limits (the coupling limits, ``c_ref mu^(1/p)``, and the
    gain do not depend on ``br_ref``); the gain's error with the correlation of both limits
    (:func:`~muonbsm.analysis.stats.limits.gain_mc_error`); ``sqrt(sum w^2)`` for window sums.
    """
    win = window(m_x, sig, bkg, settings)
    names = tuple(sorted({"m_ee", *[v for p in pairs for v in PAIRS[p]]}))
    vs, vb = paired_variables(sig, m_x, names), paired_variables(bkg, m_x, names)
    ins, inb = in_window(vs["m_ee"], m_x, win.half_width), in_window(vb["m_ee"], m_x, win.half_width)
    power = 1.0 if spec.squared else 2.0
    rel_ref = br_ref_error / br_ref if br_ref > 0 else 0.0
    s_in, s_err = float(np.sum(sig.weight[ins])), _sum_error(sig.weight[ins])
    b_in, b_err = float(np.sum(bkg.weight[inb])), _sum_error(bkg.weight[inb])
    eff = s_in / br_ref

    def br_error(res: LimitResult) -> float:
        return float(res.br_limit * np.hypot(res.mu_mc_error / res.mu_limit, rel_ref)) if res.mu_limit > 0 else float("nan")

    def coupling(res: LimitResult) -> tuple[float, float]:
        c = float(coupling_limit(res.br_limit, br_ref, spec.reference_value, power))
        return c, c * res.mu_mc_error / (power * res.mu_limit) if res.mu_limit > 0 else float("nan")

    rows = []
    for n in decays:
        bump_model = window_model(m_x, win.half_width, vs["m_ee"], sig.weight, vb["m_ee"], bkg.weight, n, br_ref)
        bump = expected_limit(bump_model, settings.statistic, settings.cl, settings.min_bkg_events)
        c_bump, c_bump_err = coupling(bump)
        for pair in pairs:
            a, b = PAIRS[pair]
            model = fill_2d((vs[a][ins], vs[b][ins]), sig.weight[ins], (vb[a][inb], vb[b][inb]), bkg.weight[inb],
                            (VARIABLE_RANGES[a], VARIABLE_RANGES[b]), (settings.bins, settings.bins), n,
                            signal_br=br_ref)
            ang = expected_limit(model, settings.statistic, settings.cl, settings.min_bkg_events)
            c_ang, c_ang_err = coupling(ang)
            rows.append({
                "model": spec.name, "mass_gev": float(m_x), "decays": float(n), "pair": pair,
                "br_limit_bump": bump.br_limit, "br_limit_angular": ang.br_limit,
                "gain": bump.br_limit / ang.br_limit if ang.br_limit > 0 else float("nan"),
                "coupling": spec.coupling_label, "coupling_limit": c_ang, "coupling_limit_bump": c_bump,
                "br_limit_bump_mc_error": br_error(bump), "br_limit_angular_mc_error": br_error(ang),
                "gain_mc_error": gain_mc_error(bump_model, bump, model, ang, settings.statistic),
                "coupling_limit_mc_error": c_ang_err, "coupling_limit_bump_mc_error": c_bump_err,
                "half_width_gev": win.half_width, "signal_fraction_dropped": ang.signal_fraction_dropped,
                "bins_used": ang.n_bins_used, "signal_efficiency": eff,
                "signal_efficiency_mc_error": eff * float(np.hypot(s_err / s_in if s_in > 0 else 0.0, rel_ref)),
                "s_window": n * s_in, "s_window_mc_error": n * s_err, "b_window": n * b_in, "b_window_mc_error": n * b_err,
                "bkg_mc_events_window": int(np.count_nonzero(inb)), "sig_mc_events_window": int(np.count_nonzero(ins)),
                "br_reference": br_ref, "br_reference_error": br_ref_error, "coupling_reference": spec.reference_value,
            })
    return rows
