r"""Long-lived X in the Mu3e reach: one displaced sample reweighted in c tau, and the coupling
solved with the lifetime-dependent efficiency.

Sample. :class:`~muonbsm.generator.processes.mu3e.process.XEmission` with ``prompt = False``
draws the lab decay length of every event from the fixed mixture
:math:`g(L) = \frac1K\sum_k e^{-L/L_k}/L_k` (:data:`SAMPLING_MM`, lab means from 2 um to
1 mm: the range where the prompt-vertex quality falls, :mod:`muonbsm.detector.mu3e.vertex`);
the detector propagates the tracks from the displaced X vertex and applies the vertex quality
:math:`q(d_T, d_z)` as an event weight. An event of lab length :math:`L` and boost
:math:`\beta\gamma = |\vec p_X|/m_X` stands for proper decay length :math:`c\tau` with

.. math:: w_i(c\tau) = w_i\, \frac{f(L_i; \beta\gamma_i c\tau)}{g(L_i)}, \qquad
          f(L; \lambda) = e^{-L/\lambda}/\lambda ,

an unbiased importance-sampling estimate of the sample at that lifetime (the weights are
bounded: :math:`q` vanishes for L >> 1 mm, where :math:`g` is smallest).

Coupling. At fixed coupling ratios every coupling is :math:`s\,c_{\rm ref}`: the rate is
:math:`s^2\,\mathcal B_{\rm ref}` and :math:`c\tau(s) = c\tau_{\rm ref}/s^2`
(:meth:`~muonbsm.models.mu3e.XModel.ctau_at_scale`; the lifetime comes from the width that
normalises the rate). The expected BR limit :math:`\mathcal B_{\rm lim}(c\tau)` of the
reweighted template is computed on a log grid of c tau and interpolated log-log; the limit on
s solves

.. math:: s^2\,\mathcal B_{\rm ref} = \mathcal B_{\rm lim}(c\tau_{\rm ref}/s^2),

whose left side rises and right side falls with s (longer lifetimes lose efficiency), so the
root is unique (:func:`solve_scale`). Below :func:`prompt_ctau` (mean lab lengths of ~0.07 sigma,
where the exponential average of q is 1 to 1e-3) the X is prompt and the limit of the prompt sample is used: the two
reaches coincide there by construction, and the reweighting (whose weights grow as the
lifetime shrinks below the mixture's shortest component) is not needed.

Streams (:mod:`muonbsm.seeds`): model ``k`` at mass index ``i`` generates on
``("mass", i, "lifetime", k, "generation")`` and simulates chunk ``c`` on
``("mass", i, "lifetime", k, "generation.chunk", c, "detector")``. Units: GeV, mm.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import awkward as ak
import numpy as np
from numpy.typing import NDArray
from scipy.optimize import brentq

from muonbsm.analysis.mu3e.samples import DetectorLevel, ModelSpec, SampleFactory
from muonbsm.analysis.mu3e.scan import AnalysisSettings, analyze_point
from muonbsm.detector.mu3e.maps import load_map
from muonbsm.detector.mu3e.reconstruction import simulate
from muonbsm.detector.mu3e.vertex import DisplacedVertex
from muonbsm.generator.processes.mu3e.cuts import LeptonCuts
from muonbsm.generator.processes.mu3e.process import XEmission
from muonbsm.generator.sampling import run_chunk, train
from muonbsm.hashing import digest
from muonbsm.io.atomic import atomic_path
from muonbsm.seeds import int_seed
from muonbsm.seeds import rng as stream_rng

__all__ = ["SAMPLING_MM", "SAMPLING_IN_SIGMA", "CTAU_GRID_MM", "LIFETIME_KEYS", "sampling_means", "prompt_ctau",
           "DisplacedSignal", "displaced_signal", "limit_vs_ctau", "solve_scale", "lifetime_reach",
           "add_lifetime_limits"]

Array = NDArray[np.float64]
#: Lab mean decay lengths [mm] of the sampling mixture g(L) for the default vertex scales.
SAMPLING_MM: tuple[float, ...] = (0.0028, 0.014, 0.07, 0.35, 1.4)
#: Lab means of the mixture in units of the larger vertex scale max(sigma_T, sigma_z).
SAMPLING_IN_SIGMA: tuple[float, ...] = (0.008, 0.04, 0.2, 1.0, 4.0)


def sampling_means(vertex: DisplacedVertex) -> tuple[float, ...]:
    """Lab means [mm] of g(L) for the vertex quality ``vertex``: from sigma/125 to 4 sigma
    (sigma = max(sigma_T, sigma_z)), so that g covers the lengths where q(L) is not negligible:
    q(4 sigma) = 0.04 and q(10 sigma) < 1e-14, while the widest component still puts 8% of its
    events beyond 10 sigma."""
    sigma = max(vertex.sigma_transverse_mm, vertex.sigma_longitudinal_mm)
    return tuple(round(sigma * k, 12) for k in SAMPLING_IN_SIGMA)
#: Proper decay lengths [mm] at which the BR limit is evaluated.
CTAU_GRID_MM: Array = np.logspace(-3, 3, 25)


@dataclass(frozen=True)
class DisplacedSignal:
    """A detector-level signal with displaced X decays: ``level`` (weights include the vertex
    quality), lab decay length ``lab_length_mm`` [mm] and ``beta_gamma`` of each kept event,
    and the lab means ``sampling_mm`` [mm] of the mixture they were drawn from.

    The reweighted sums are unbiased where the detector weight vanishes beyond the mixture's
    reach (L >> max ``sampling_mm``): true for the vertex quality with
    :func:`sampling_means` (an X decaying centimetres away is never a prompt vertex)."""

    level: DetectorLevel
    lab_length_mm: Array
    beta_gamma: Array
    sampling_mm: tuple[float, ...] = SAMPLING_MM

    def reweight(self, ctau_mm: float) -> Array:
        """Per-event factor f(L; beta gamma c tau) / g(L) for proper decay length ``ctau_mm`` > 0."""
        if not (math.isfinite(ctau_mm) and ctau_mm > 0):
            raise ValueError(f"ctau_mm: must be a finite length > 0 mm, got {ctau_mm}")
        L = self.lab_length_mm
        means = np.asarray(self.sampling_mm)[:, None]
        g = np.mean(np.exp(-L / means) / means, axis=0)
        lam = self.beta_gamma * ctau_mm
        return np.exp(-L / lam) / lam / g

    def at(self, ctau_mm: float) -> DetectorLevel:
        """The sample at proper decay length ``ctau_mm`` [mm] (weights reweighted)."""
        return replace(self.level, weight=self.level.weight * self.reweight(ctau_mm))

    def efficiency(self, ctau_mm: float, rate: float) -> tuple[float, float]:
        """Detector efficiency at ``ctau_mm`` relative to the total rate ``rate`` [BR] and its MC error."""
        w = self.level.weight * self.reweight(ctau_mm)
        return float(w.sum() / rate), float(np.sqrt(np.sum(w**2)) / rate)


def _tracked(events: ak.Array, keep: NDArray[np.bool_]) -> tuple[Array, Array]:
    ev = events[keep]
    return (ak.to_numpy(ev.x_decay_length_mm).astype(np.float64), ak.to_numpy(ev.x_beta_gamma).astype(np.float64))


def displaced_signal(factory: SampleFactory, spec: ModelSpec, mass: float, index: int, model_index: int,
                     n_points: int | None = None) -> DisplacedSignal:
    """Generate (or read from ``factory.cache_dir``) the displaced signal of ``spec`` at ``mass``
    [GeV], scan index ``index``, model index ``model_index``; ``n_points`` weighted points
    (default ``factory.settings.signal_points``), chunk by chunk through the detector."""
    s = factory.settings
    n = int(n_points or s.signal_points)
    means = sampling_means(factory.config.displaced_vertex)
    proc = XEmission(spec.model(mass), polarization=s.polarization, cuts=LeptonCuts(0.0, s.gen_min_pt), prompt=False,
                     decay_sampling_mm=means)
    rescale = factory.rescaling().value
    path = ("mass", index, "lifetime", model_index)
    key = {"v": 1, "process": proc.describe(), "path": list(path), "seed": s.seed, "n": n, "nitn": s.nitn,
           "neval": s.neval, "chunk_size": s.chunk_size, "detector": str(factory.config), "rescale": rescale}
    stem = f"lifetime_{spec.name}_{mass * 1e3:.2f}MeV_{digest(key)[:16]}"
    level_file, column_file = factory.cache_dir / f"{stem}.npz", factory.cache_dir / f"{stem}_decay.npz"
    if level_file.exists() and column_file.exists():
        with np.load(column_file) as z:
            return DisplacedSignal(DetectorLevel.load(level_file), z["lab_length_mm"], z["beta_gamma"], means)
    gen_seed = int_seed(s.seed, *path, "generation")
    grid = train(proc, gen_seed, nitn=s.nitn, neval=s.neval, index=0)
    maps = (load_map(factory.config.maps.short), load_map(factory.config.maps.long_upgrade))
    parts, lengths, boosts = [], [], []
    sum_w = 0.0
    for c, start in enumerate(range(0, n, s.chunk_size)):
        size = min(s.chunk_size, n - start)
        res = run_chunk(proc, grid, c, gen_seed, size, n)
        sum_w += res.sum_w
        det = simulate(res.events, factory.config, stream_rng(s.seed, *path, "generation.chunk", c, "detector"),
                       rescale=rescale, maps=maps).events
        w = ak.to_numpy(det.weight).astype(np.float64)
        keep = w > 0
        tr = det.tracks[keep]
        p = np.stack([ak.to_numpy(tr[f]).astype(np.float64) for f in ("E", "px", "py", "pz")], axis=-1)
        pol = np.stack([ak.to_numpy(res.events[keep][f"polarization_{x}"]) for x in "xyz"], axis=-1).astype(np.float64)
        parts.append(DetectorLevel(p[:, 0], p[:, 1], p[:, 2], ak.to_numpy(det.m_ee_1[keep]).astype(np.float64),
                                   ak.to_numpy(det.m_ee_2[keep]).astype(np.float64), w[keep], pol, 0.0,
                                   len(res.events), size))
        length, boost = _tracked(res.events, keep)
        lengths.append(length)
        boosts.append(boost)
    level = replace(DetectorLevel.concatenate(parts), rate=sum_w / n)
    out = DisplacedSignal(level, np.concatenate(lengths), np.concatenate(boosts), means)
    level.save(level_file)
    with atomic_path(column_file) as tmp, open(tmp, "wb") as fh:
        np.savez(fh, lab_length_mm=out.lab_length_mm, beta_gamma=out.beta_gamma)
    return out


def limit_vs_ctau(spec: ModelSpec, mass: float, sample: DisplacedSignal, bkg: DetectorLevel, br_ref: float,
                  decays: float, pair: str, settings: AnalysisSettings, ctau_grid: Array = CTAU_GRID_MM) -> dict[str, Array]:
    """Expected BR limits (angular ``pair`` and bump hunt) of the template reweighted to each
    proper decay length of ``ctau_grid`` [mm], with their MC errors, for ``decays`` muon decays."""
    out: dict[str, list[float]] = {k: [] for k in ("angular", "angular_err", "bump", "bump_err", "efficiency",
                                                   "efficiency_err")}
    for ctau in ctau_grid:
        row = analyze_point(spec, mass, sample.at(float(ctau)), bkg, br_ref, [decays], [pair], settings)[0]
        out["angular"].append(row["br_limit_angular"])
        out["angular_err"].append(row.get("br_limit_angular_mc_error", 0.0))
        out["bump"].append(row["br_limit_bump"])
        out["bump_err"].append(row.get("br_limit_bump_mc_error", 0.0))
        eff, err = sample.efficiency(float(ctau), br_ref)
        out["efficiency"].append(eff)
        out["efficiency_err"].append(err)
    return {"ctau_mm": np.asarray(ctau_grid, dtype=np.float64), **{k: np.asarray(v) for k, v in out.items()}}


def prompt_ctau(vertex: DisplacedVertex, beta_gamma: Array, prompt_efficiency: float, loss: float = 1e-3) -> float:
    """Proper decay length [mm] below which the X is prompt: the exponential average of
    1 - q(L) along the better-resolved axis, for the mean lab length beta gamma c tau (99.9%
    quantile of beta gamma), stays below ``loss`` (trapezoid on a log grid in L, bisection)."""
    sigma = min(vertex.sigma_transverse_mm, vertex.sigma_longitudinal_mm)
    L = np.r_[0.0, np.logspace(-6, 2, 4000)] * sigma
    along_t = vertex.sigma_transverse_mm <= vertex.sigma_longitudinal_mm
    miss = 1.0 - (vertex.quality(L, 0.0, prompt_efficiency) if along_t else vertex.quality(0.0, L, prompt_efficiency))

    def mean_loss(lam: float) -> float:
        return float(np.trapezoid(np.exp(-L / lam) / lam * miss, L))

    lo, hi = 1e-6 * sigma, 10.0 * sigma
    if mean_loss(hi) <= loss:
        return float(hi / np.quantile(beta_gamma, 0.999))
    for _ in range(60):
        mid = math.sqrt(lo * hi)
        lo, hi = (mid, hi) if mean_loss(mid) <= loss else (lo, mid)
    return float(lo / np.quantile(beta_gamma, 0.999))


def solve_scale(br_ref: float, ctau_ref_mm: float, ctau_grid: Array, br_limit: Array) -> float:
    """Coupling scale s with s^2 br_ref = B_lim(ctau_ref / s^2) (module docstring).

    ``br_limit`` [BR] is given on ``ctau_grid`` [mm] and interpolated in log-log; below the
    grid its first value, above it the power-law continuation of the last two points."""
    lc, lb = np.log(np.asarray(ctau_grid)), np.log(np.asarray(br_limit))
    if not np.all(np.isfinite(lb)):
        raise ValueError("br_limit: every limit on the grid must be finite and > 0")

    def log_blim(log_ctau: float) -> float:
        if log_ctau <= lc[0]:
            return float(lb[0])
        if log_ctau >= lc[-1]:
            slope = (lb[-1] - lb[-2]) / (lc[-1] - lc[-2])
            return float(lb[-1] + slope * (log_ctau - lc[-1]))
        return float(np.interp(log_ctau, lc, lb))

    def f(log_s: float) -> float:
        return 2 * log_s + math.log(br_ref) - log_blim(math.log(ctau_ref_mm) - 2 * log_s)

    lo, hi = -30.0, 30.0
    return float(math.exp(brentq(f, lo, hi, xtol=1e-10)))


def lifetime_reach(factory: SampleFactory, spec: ModelSpec, mass: float, index: int, model_index: int,
                   bkg: DetectorLevel, br_ref: float, decays: float, pair: str, settings: AnalysisSettings,
                   prompt_br_limit: float, prompt_br_error: float = 0.0, n_points: int | None = None) -> dict[str, Any]:
    """Prompt versus displaced-aware coupling limit of ``spec`` at ``mass`` [GeV] (one row).

    ``prompt_br_limit`` is the BR limit of the prompt template (same analysis, same background);
    the displaced-aware limit uses :func:`limit_vs_ctau` on the displaced sample and
    :func:`solve_scale`. Errors: the BR-limit MC errors propagated with
    d ln c / d ln B_lim = 1/2 (prompt) and the local slope of the solve (displaced).
    ``n_points``: generator points of the displaced sample (default ``signal_points``).
    """
    model = spec.model(mass)
    ctau_ref = model.ctau_mm
    if ctau_ref is None:
        raise ValueError(f"models.{spec.name}: a muon-only X needs a stated c tau for the displaced-aware reach")
    sample = displaced_signal(factory, spec, mass, index, model_index, n_points)
    ctau_p = prompt_ctau(factory.config.displaced_vertex, sample.beta_gamma, factory.config.efficiency.vertex)
    grid = np.r_[ctau_p, CTAU_GRID_MM[CTAU_GRID_MM > 1.5 * ctau_p]]
    curve = limit_vs_ctau(spec, mass, sample, bkg, br_ref, decays, pair, settings, grid)
    curve["angular"][0], curve["angular_err"][0] = prompt_br_limit, prompt_br_error  # prompt below ctau_p
    power = 1.0 if spec.squared else 2.0
    ref = spec.reference_value
    s_prompt = math.sqrt(prompt_br_limit / br_ref)
    s_disp = solve_scale(br_ref, ctau_ref, curve["ctau_mm"], curve["angular"])
    # error: shift B_lim by its relative MC error at the solution and solve again
    ctau_at = ctau_ref / s_disp**2
    rel = float(np.interp(np.log(ctau_at), np.log(curve["ctau_mm"]), curve["angular_err"] / curve["angular"]))
    s_up = solve_scale(br_ref, ctau_ref, curve["ctau_mm"], curve["angular"] * (1 + rel))
    eff, eff_err = sample.efficiency(max(ctau_at, float(curve["ctau_mm"][0])), br_ref)  # clamped like the solve
    p_eff = float(curve["efficiency"][0])

    def coupling(scale: float) -> float:
        return ref * scale**2 if power == 1.0 else ref * scale

    c_prompt, c_disp = coupling(s_prompt), coupling(s_disp)
    return {
        "model": spec.name, "mass_gev": float(mass), "decays": float(decays), "pair": pair, "coupling": spec.coupling_label,
        "coupling_limit_prompt": c_prompt,
        "coupling_limit_prompt_mc_error": c_prompt / power * prompt_br_error / prompt_br_limit,
        "coupling_limit_displaced": c_disp,
        "coupling_limit_displaced_mc_error": abs(coupling(s_up) - c_disp),
        "ctau_at_limit_mm": ctau_at, "ctau_reference_mm": ctau_ref,
        "efficiency_at_limit": eff, "efficiency_at_limit_mc_error": eff_err, "efficiency_short_ctau": p_eff,
        "ctau_grid_mm": curve["ctau_mm"].tolist(), "br_limit_angular_vs_ctau": curve["angular"].tolist(),
        "br_limit_angular_vs_ctau_mc_error": curve["angular_err"].tolist(),
        "efficiency_vs_ctau": curve["efficiency"].tolist(), "efficiency_vs_ctau_mc_error": curve["efficiency_err"].tolist(),
        "displaced_mc_events": int(sample.level.weight.size),
    }



#: Columns :func:`add_lifetime_limits` adds to every reach row (NaN where not computed).
LIFETIME_KEYS: tuple[str, ...] = ("coupling_limit_displaced", "coupling_limit_displaced_mc_error", "ctau_at_limit_mm",
                                  "efficiency_at_limit", "efficiency_at_limit_mc_error")


def add_lifetime_limits(rows: list[dict[str, Any]], factory: SampleFactory, models: list[ModelSpec],
                        masses: list[float], pair: str, settings: AnalysisSettings) -> None:
    """Add :data:`LIFETIME_KEYS` to the reach ``rows`` of ``muonbsm analyze`` (in place): the
    displaced-aware limit (:func:`lifetime_reach`) for the rows of ``pair`` whose model has a
    lifetime (muon-only X without a stated c tau: NaN). ``models`` and ``masses`` [GeV] in
    scan order (their indices address the cached samples and the seed streams)."""
    for r in rows:
        r.update({k: float("nan") for k in LIFETIME_KEYS})
    for i, m in enumerate(masses):
        bkg = None
        for k, spec in enumerate(models):
            if spec.model(m).ctau_mm is None:
                continue
            sel = [r for r in rows if r["model"] == spec.name and r["mass_gev"] == m and r["pair"] == pair]
            if not sel:
                continue
            bkg = factory.background(m, i) if bkg is None else bkg
            br_ref, _ = factory.total_rate(spec, m, i, k)
            for r in sel:
                life = lifetime_reach(factory, spec, m, i, k, bkg, br_ref, r["decays"], pair, settings,
                                      r["br_limit_angular"], r.get("br_limit_angular_mc_error", 0.0))
                r.update({key: life[key] for key in LIFETIME_KEYS})
