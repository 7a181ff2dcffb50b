r"""Expected LFV-ALP signal and the exclusion reach of fixed-target muon experiments.

Expected events (seed 000, Sec. III-IV; thin-target formula with the depth integral):

.. math::
    N(m_a, C/\Lambda) = N_\mu\, n_{\rm atoms}\,\Big[\sum_i w_i \int_0^L \sigma(E_i(x))\,dx\Big]
    (C/\Lambda)^2\,\mathrm{BR}(C/\Lambda)\,\varepsilon

with ``sigma`` [pb -> 1e-36 cm^2] the production cross section at C/Lambda = 1 TeV^-1
(sigma scales as (C/Lambda)^2 at fixed theta), ``w_i`` the muon fractions of the beam
spectrum (:meth:`~muonbsm.detector.fixed_target.config.Beam.energy_nodes`), ``n_atoms``
[cm^-3], L [cm] the target thickness, BR the ALP branching ratio into the channel and
``epsilon`` the selection efficiency (relative to the channel's events, charge-flip included).

Energy loss (per experiment, ``energy_loss``): ``none``: E(x) = E; ``continuous``:
-dE/dx = rho (a + b E), i.e. :math:`E(x) = (E + a/b)e^{-\rho b x} - a/b`; the depth integral
uses 8 Gauss-Legendre nodes with sigma interpolated log-log between E and E(L). The
efficiency is evaluated at the incident energy of each spectrum node (approximation).

Reach: N(C/Lambda) = N_req (default 3 events, zero background). With K = N(C/Lambda = 1)/BR
and the ALP widths at C/Lambda = 1 (``Gamma_1`` per mu-tau charge mode, ``Gamma_chi``):

* invisible: BR = Gamma_chi/(Gamma_chi + 2 Gamma_1 c^2), so
  c^2 = N_req Gamma_chi / (K Gamma_chi - 2 Gamma_1 N_req) (no reach if the denominator <= 0:
  the mu-tau width then dilutes the invisible BR faster than the rate grows);
* visible: BR = 2 Gamma_1 c^2/(2 Gamma_1 c^2 + Gamma_chi), the positive root of
  2 Gamma_1 K y^2 - 2 Gamma_1 N_req y - N_req Gamma_chi = 0, y = c^2 (c^2 = N_req/K if
  Gamma_chi = 0).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import awkward as ak
import numpy as np

from muonbsm.analysis.fixed_target.signal import signal_events
from muonbsm.generator.progress import Progress
from muonbsm.constants import M_MU, M_TAU
from muonbsm.detector.fixed_target.config import Experiment, load_experiments
from muonbsm.detector.fixed_target.features import event_features
from muonbsm.detector.fixed_target.selection import CutFlow, apply_selection
from muonbsm.generator.processes.alp.cross_section import alp_cross_section
from muonbsm.generator.processes.alp.kinematics import threshold_energy
from muonbsm.models.alp import couplings, g_mutau, width_chichi, width_mutau_per_mode
from muonbsm.targets import get_target

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["PB_TO_CM2", "ReachSettings", "ReachPoint", "SigmaCache", "energy_after", "sigma_length",
           "solve_reach", "efficiency", "compute_reach", "load_reach_card", "reach_rows", "reach_table",
           "format_table"]

PB_TO_CM2 = 1e-36
SigmaFn = Callable[[str, float, float], float]
EventsFn = Callable[..., ak.Array]


@dataclass(frozen=True)
class ReachSettings:
    """Model and numerical settings of a reach scan.

    ``n_required``: events at the exclusion (zero background). ``theta`` [rad] (seed Eq. 2).
    Invisible ALP: ``g_chi_invisible`` and ``m_chi_ratio`` (m_chi = ratio x m_a, default 1/3);
    visible ALP: ``g_chi_visible`` (default 0: a -> chi chibar closed). ``n_mc``: MC events per
    efficiency sample; ``rel_precision``: vegas precision of sigma; ``seed``: master seed.
    """

    n_required: float = 3.0
    theta: float = 0.0
    g_chi_invisible: float = 1.0
    m_chi_ratio: float = 1.0 / 3.0
    g_chi_visible: float = 0.0
    n_mc: int = 20000
    rel_precision: float = 0.01
    seed: int = 1


@dataclass
class ReachPoint:
    """Reach of one experiment variant and channel at one ALP mass [GeV].

    ``c_over_lambda`` [TeV^-1] (inf: no reach), ``g_mutau`` = C m_tau/Lambda, ``efficiency`` (nan
    if sigma = 0: no production above threshold and below the t cut-off) +-
    ``efficiency_error``, ``sigma_length_pb_cm`` = sum_i w_i int sigma dx [pb cm] at C/Lambda = 1,
    ``n_at_unit_coupling`` = N(C/Lambda = 1) (BR included), ``cutflow`` (cumulative efficiencies).
    """

    experiment: str
    variant: str
    channel: str
    ma_gev: float
    c_over_lambda: float
    g_mutau: float
    efficiency: float
    efficiency_error: float
    sigma_length_pb_cm: float
    n_at_unit_coupling: float
    stand_in: bool
    cutflow: dict[str, float] = field(default_factory=dict)

    def row(self, details: bool = False) -> dict[str, Any]:
        """JSON row with the keys of ``muonbsm reach --json`` (and the details if asked); no reach -> None."""
        def fin(v: float) -> float | None:
            return v if math.isfinite(v) else None

        out = {"experiment": self.experiment, "variant": self.variant, "channel": self.channel,
               "ma_gev": self.ma_gev, "c_over_lambda_per_tev": fin(self.c_over_lambda),
               "g_mutau": fin(self.g_mutau), "efficiency": fin(self.efficiency)}
        if details:
            out.update(efficiency_error=self.efficiency_error, sigma_length_pb_cm=self.sigma_length_pb_cm,
                       n_at_unit_coupling=self.n_at_unit_coupling, stand_in=self.stand_in,
                       cutflow=self.cutflow)
        return out


class SigmaCache:
    """sigma(target, E, m_a) [pb] at C/Lambda = 1 TeV^-1 from the exact 2->3 integration, cached.

    Below threshold the cross section is 0. ``theta`` [rad], ``rel_precision`` and ``seed`` go to
    :func:`~muonbsm.generator.processes.alp.cross_section.alp_cross_section`.
    """

    def __init__(self, theta: float = 0.0, rel_precision: float = 0.01, seed: int = 0) -> None:
        self.theta, self.rel_precision, self.seed = theta, rel_precision, seed
        self._cache: dict[tuple[str, float, float], float] = {}

    def __call__(self, target: str, energy: float, m_a: float) -> float:
        key = (target, round(float(energy), 6), float(m_a))
        if key not in self._cache:
            tgt = get_target(target)
            if energy <= threshold_energy(M_MU, M_TAU, m_a, tgt.nucleus_mass) * (1 + 1e-9):
                self._cache[key] = 0.0
            else:
                self._cache[key] = alp_cross_section(tgt, energy, m_a, 1.0, self.theta,
                                                     rel_precision=self.rel_precision, seed=self.seed).sigma_pb
        return self._cache[key]


def energy_after(exp: Experiment, energy: float, depth_cm: np.ndarray | float) -> np.ndarray:
    """Muon energy [GeV] after ``depth_cm`` [cm] of the target (``exp.energy_loss``)."""
    depth = np.asarray(depth_cm, dtype=float)
    if exp.energy_loss == "none":
        return np.full_like(depth, float(energy))
    rho = get_target(exp.target).density_g_cm3
    ea = exp.dedx_a / exp.dedx_b
    return (energy + ea) * np.exp(-rho * exp.dedx_b * depth) - ea


def sigma_length(exp: Experiment, m_a: float, sigma_fn: SigmaFn) -> tuple[float, np.ndarray, np.ndarray]:
    """``sum_i w_i int_0^L sigma(E_i(x)) dx`` [pb cm] at C/Lambda = 1, and per node ``(w_i s_i, E_i)``.

    ``s_i = int_0^L sigma(E_i(x)) dx`` [pb cm]; ``sigma_fn(target, E [GeV], m_a [GeV]) -> pb``.
    """
    energies, weights, _ = exp.beam.energy_nodes()
    g, gw = np.polynomial.legendre.leggauss(8)
    x = 0.5 * exp.thickness_cm * (g + 1.0)
    per_node = np.empty(len(energies))
    for i, e0 in enumerate(energies):
        s0 = sigma_fn(exp.target, float(e0), m_a)
        e_end = float(energy_after(exp, e0, exp.thickness_cm))
        if exp.energy_loss == "none" or abs(e_end / e0 - 1.0) < 1e-4 or s0 <= 0:
            per_node[i] = s0 * exp.thickness_cm
            continue
        s1 = sigma_fn(exp.target, e_end, m_a)
        ex = energy_after(exp, e0, x)
        if s1 > 0:
            sig = np.exp(np.interp(np.log(ex), [math.log(e_end), math.log(e0)], [math.log(s1), math.log(s0)]))
        else:
            sig = np.array([sigma_fn(exp.target, float(v), m_a) for v in ex])
        per_node[i] = 0.5 * exp.thickness_cm * float(np.sum(gw * sig))
    return float(np.sum(weights * per_node)), weights * per_node, energies


def solve_reach(k_events: float, m_a: float, channel: str, settings: ReachSettings) -> float:
    """C/Lambda [TeV^-1] at which ``N = n_required``; ``k_events`` = N(C/Lambda = 1) / BR.

    Closed forms of the module docstring; ``inf`` if the channel can never give n_required.
    """
    if k_events <= 0:
        return math.inf
    s, p = couplings(1.0, settings.theta)
    g1 = float(width_mutau_per_mode(m_a, s, p))
    if channel == "invisible":
        gchi = float(width_chichi(m_a, settings.g_chi_invisible, settings.m_chi_ratio * m_a))
        den = k_events * gchi - 2.0 * g1 * settings.n_required
        return math.sqrt(settings.n_required * gchi / den) if gchi > 0 and den > 0 else math.inf
    if g1 <= 0:
        return math.inf
    gchi = 0.0
    if settings.g_chi_visible > 0:
        gchi = float(width_chichi(m_a, settings.g_chi_visible, settings.m_chi_ratio * m_a))
    n = settings.n_required
    if gchi == 0:
        return math.sqrt(n / k_events)
    y = (2 * g1 * n + math.sqrt(4 * g1**2 * n**2 + 8 * g1 * k_events * n * gchi)) / (4 * g1 * k_events)
    return math.sqrt(y)


def efficiency(exp: Experiment, events: ak.Array, channel: str, rng: np.random.Generator) -> CutFlow:
    """Cut-flow of ``exp``'s selection on ``events`` (interaction point sampled along the target)."""
    return apply_selection(event_features(events, exp.thickness_mm, rng), exp.selection, channel, exp.thickness_mm)


def _branching(m_a: float, c: float, channel: str, settings: ReachSettings) -> float:
    s, p = couplings(c, settings.theta)
    g1 = 2.0 * float(width_mutau_per_mode(m_a, s, p))
    gchi_coupling = settings.g_chi_invisible if channel == "invisible" else settings.g_chi_visible
    gchi = float(width_chichi(m_a, gchi_coupling, settings.m_chi_ratio * m_a)) if gchi_coupling > 0 else 0.0
    tot = g1 + gchi
    return 0.0 if tot == 0 else (gchi if channel == "invisible" else g1) / tot


def compute_reach(exp: Experiment, m_a: float, channel: str, settings: ReachSettings, *,
                  sigma_fn: SigmaFn | None = None, events_fn: EventsFn = signal_events,
                  events_cache: dict | None = None) -> ReachPoint:
    """Reach of ``exp`` in ``channel`` at ALP mass ``m_a`` [GeV].

    ``events_fn(target, energy, m_a, channel, n, rng, theta=, m_chi=, frac_mu_minus=)`` gives
    weighted events in the fixed layout (default :func:`~muonbsm.analysis.fixed_target.signal.signal_events`);
    ``events_cache`` (dict) shares samples between variants with the same beam and target.
    Efficiencies of a spectrum are sigma-weighted over its nodes.
    """
    if channel not in exp.channels:
        raise ValueError(f"channel {channel!r} not configured for {exp.key}; allowed: {exp.channels}")
    sigma_fn = sigma_fn or SigmaCache(settings.theta, settings.rel_precision, settings.seed)
    cache = {} if events_cache is None else events_cache
    total, node_w, energies = sigma_length(exp, m_a, sigma_fn)
    _, _, fminus = exp.beam.energy_nodes()
    effs, errs, flows = [], [], []
    for i, e0 in enumerate(energies):
        if node_w[i] <= 0:
            effs.append(0.0)
            errs.append(0.0)
            flows.append({})
            continue
        key = (exp.target, float(e0), float(m_a), channel, float(fminus[i]))
        if key not in cache:
            seed = np.random.SeedSequence([settings.seed, int(e0 * 1000), int(m_a * 1000), channel == "visible"])
            cache[key] = events_fn(exp.target, float(e0), m_a, channel, settings.n_mc, np.random.default_rng(seed),
                                   theta=settings.theta, m_chi=settings.m_chi_ratio * m_a,
                                   frac_mu_minus=float(fminus[i]))
        flow = efficiency(exp, cache[key], channel, np.random.default_rng([settings.seed, i]))
        effs.append(flow.total)
        errs.append(float(flow.error[-1]))
        flows.append(flow.as_dict())
    wn = node_w / total if total > 0 else node_w
    eff = float(np.sum(wn * np.array(effs))) if total > 0 else math.nan
    err = float(np.sqrt(np.sum((wn * np.array(errs)) ** 2)))
    cutflow = {k: float(sum(w * f.get(k, 0.0) for w, f in zip(wn, flows))) for k in flows[int(np.argmax(wn))]}
    n_atoms = get_target(exp.target).n_atoms_cm3
    k_events = exp.beam.n_muons * n_atoms * total * PB_TO_CM2 * eff if total > 0 else 0.0
    c = solve_reach(k_events, m_a, channel, settings)
    n_unit = k_events * _branching(m_a, 1.0, channel, settings)
    return ReachPoint(exp.name, exp.variant, channel, float(m_a), c, g_mutau(c) if math.isfinite(c) else math.inf,
                      eff, err, total, n_unit, exp.beam.stand_in, cutflow)


_CARD_KEYS = {"masses_gev", "n_required", "theta", "experiments_file", "experiments", "seed", "n_mc",
              "rel_precision", "channels"}


def load_reach_card(card_path: str | Path) -> tuple[dict[str, Any], ReachSettings, list[Experiment]]:
    """Read and validate a reach card (``[reach]``, ``[invisible]``, ``[visible]`` tables)."""
    path = Path(card_path)
    data = tomllib.loads(path.read_text())
    bad = set(data) - {"reach", "invisible", "visible"}
    if bad:
        raise ValueError(f"{path}: unknown table(s) {sorted(bad)}; allowed: reach, invisible, visible")
    r = data.get("reach", {})
    if set(r) - _CARD_KEYS:
        raise ValueError(f"{path}: [reach] unknown key(s) {sorted(set(r) - _CARD_KEYS)}; allowed {sorted(_CARD_KEYS)}")
    masses = [float(m) for m in r.get("masses_gev", [])]
    if not masses or any(m <= 0 for m in masses):
        raise ValueError(f"{path}: [reach] masses_gev must be a non-empty list of masses > 0 GeV")
    inv, vis = data.get("invisible", {}), data.get("visible", {})
    for name, tab, keys in (("invisible", inv, {"g_chi", "m_chi_over_m_a"}), ("visible", vis, {"g_chi"})):
        if set(tab) - keys:
            raise ValueError(f"{path}: [{name}] unknown key(s) {sorted(set(tab) - keys)}; allowed {sorted(keys)}")
    settings = ReachSettings(
        n_required=float(r.get("n_required", 3.0)), theta=float(r.get("theta", 0.0)),
        g_chi_invisible=float(inv.get("g_chi", 1.0)), m_chi_ratio=float(inv.get("m_chi_over_m_a", 1.0 / 3.0)),
        g_chi_visible=float(vis.get("g_chi", 0.0)), n_mc=int(r.get("n_mc", 20000)),
        rel_precision=float(r.get("rel_precision", 0.01)), seed=int(r.get("seed", 1)))
    if settings.n_required <= 0 or settings.n_mc < 100 or not 0 < settings.m_chi_ratio < 0.5:
        raise ValueError(f"{path}: need n_required > 0, n_mc >= 100 and 0 < m_chi_over_m_a < 0.5")
    efile = r.get("experiments_file") or None
    exps = load_experiments(None if efile is None else (path.parent / efile))
    wanted = r.get("experiments")
    if wanted:
        known = {e.key: e for e in exps}
        missing = [w for w in wanted if w not in known]
        if missing:
            raise ValueError(f"{path}: [reach] unknown experiments {missing}; known: {list(known)}")
        exps = [known[w] for w in wanted]
    channels = tuple(r.get("channels", ["invisible", "visible"]))
    if any(c not in ("invisible", "visible") for c in channels):
        raise ValueError(f"{path}: [reach] channels must be a subset of ['invisible', 'visible']")
    return {"masses_gev": masses, "channels": channels, "path": str(path)}, settings, exps


def reach_rows(card_path: str | Path, *, sigma_fn: SigmaFn | None = None,
               events_fn: EventsFn = signal_events) -> list[ReachPoint]:
    """Reach points for every experiment, channel and mass of the card (visible needs m_a > m_mu + m_tau)."""
    meta, settings, exps = load_reach_card(card_path)
    sigma_fn = sigma_fn or SigmaCache(settings.theta, settings.rel_precision, settings.seed)
    cache: dict = {}
    out = []
    points = [(m_a, exp, ch) for m_a in meta["masses_gev"] for exp in exps for ch in exp.channels
              if ch in meta["channels"] and not (ch == "visible" and m_a <= M_MU + M_TAU)]
    with Progress(len(points), "fixed-target reach", unit="pt") as bar:
        for k, (m_a, exp, ch) in enumerate(points):
            out.append(compute_reach(exp, m_a, ch, settings, sigma_fn=sigma_fn, events_fn=events_fn, events_cache=cache))
            bar.update(1)
            if k + 1 < len(points) and points[k + 1][0] != m_a:
                cache.clear()
    return out


def reach_table(card_path: str | Path, details: bool = False) -> list[dict[str, Any]]:
    """Rows for ``muonbsm reach CARD [--json]``: ``experiment, variant, channel, ma_gev,
    c_over_lambda_per_tev, g_mutau, efficiency`` (plus the details if ``details``)."""
    return [p.row(details) for p in reach_rows(card_path)]


def format_table(rows: list[dict[str, Any]]) -> str:
    """Plain-text table of :func:`reach_table` rows (``-`` where there is no reach)."""
    head = (f"{'experiment':14s} {'variant':10s} {'channel':9s} {'m_a[GeV]':>8s} {'C/L[1/TeV]':>11s} "
            f"{'g_mutau':>10s} {'eff':>8s}")
    lines = [head, "-" * len(head)]
    for r in rows:
        c, g, e = r["c_over_lambda_per_tev"], r["g_mutau"], r["efficiency"]
        lines.append(f"{r['experiment']:14s} {r['variant']:10s} {r['channel']:9s} {r['ma_gev']:8.3g} "
                     f"{'-' if c is None else format(c, '11.4g'):>11s} {'-' if g is None else format(g, '10.3g'):>10s} "
                     f"{'-' if e is None else format(e, '8.4f'):>8s}")
    return "\n".join(lines)
