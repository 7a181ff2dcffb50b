r"""Expected LFV-ALP signal and the exclusion reach of fixed-target muon experiments.

Expected events (Batell et al. 2024 (arXiv:2407.15942), Sec. III-IV; thin-target formula with the depth integral):

.. math::
    N(m_a, C/\Lambda) = N_\mu\, n_{\rm atoms}\,\Big[\sum_i w_i \int_0^L \sigma(E_i(x))\,dx\Big]
    (C/\Lambda)^2\,\mathrm{BR}(C/\Lambda)\,\varepsilon

with ``sigma`` [pb -> 1e-36 cm^2] the production cross section at C/Lambda = 1 TeV^-1
(sigma scales as (C/Lambda)^2 at fixed theta), ``w_i`` the muon fractions of the beam
spectrum (:meth:`~muonbsm.detector.fixed_target.config.Beam.energy_nodes`), ``n_atoms``
[cm^-3], L [cm] the target thickness, BR the ALP branching ratio into the channel and
``epsilon`` the selection efficiency (relative to the channel's events, charge-flip included).

Efficiencies are expected values, not counts of sampled decays
(:func:`muonbsm.detector.fixed_target.expected.expected_cutflow`): every generated event carries
the product of the selected tau modes' branching ratios and the flight/containment
probability integrated over the interaction point. The sample grows in batches until each
efficiency is known to ``max_rel_error`` (default 2%) or ``n_mc_max`` events are used. Seeds:
one master seed, streams ``("reach.fixed_target", i_exp, i_channel, "mass", i_mass, ...)`` of
:mod:`muonbsm.seeds` (indices of the experiment in the experiments file, of the channel in
``("invisible", "visible")`` and of the mass in the card); a sample shared by variants with
the same beam and target takes the stream of the first of them.

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
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

import awkward as ak
import numpy as np

from muonbsm.analysis.fixed_target.signal import signal_events
from muonbsm.cards import ALP_REACH, read_toml
from muonbsm.errors import CardError
from muonbsm.schema import validate
from muonbsm.generator.progress import Progress
from muonbsm.constants import M_MU, M_TAU
from muonbsm.detector.fixed_target.config import Experiment, load_experiments
from muonbsm.detector.fixed_target.expected import expected_cutflow
from muonbsm.detector.fixed_target.selection import CutFlow
from muonbsm.generator.processes.alp.cross_section import alp_cross_section
from muonbsm.generator.processes.alp.kinematics import threshold_energy
from muonbsm.models.alp import couplings, g_mutau, width_chichi, width_mutau_per_mode
from muonbsm.seeds import rng as seeded_rng
from muonbsm.targets import get_target


__all__ = ["PB_TO_CM2", "Channel", "CHANNEL_INDEX", "ReachSettings", "ReachPoint", "SigmaCache", "energy_after",
           "sigma_length", "solve_reach", "efficiency", "compute_reach", "load_reach_card", "reach_rows",
           "reach_table", "format_table"]

PB_TO_CM2 = 1e-36
Channel = Literal["invisible", "visible"]
#: Channel -> index in the seed paths.
CHANNEL_INDEX: dict[str, int] = {c: i for i, c in enumerate(get_args(Channel))}
SigmaFn = Callable[[str, float, float], float]
EventsFn = Callable[..., ak.Array]


@dataclass(frozen=True)
class ReachSettings:
    """Model and numerical settings of a reach scan.

    ``n_required``: events at the exclusion (zero background). ``theta`` [rad] (Batell et al., Eq. 2).
    Invisible ALP: ``g_chi_invisible`` and ``m_chi_ratio`` (m_chi = ratio x m_a, default 1/3);
    visible ALP: ``g_chi_visible`` (default 0: a -> chi chibar closed). ``n_mc``: MC events per
    events of the first efficiency batch; ``max_rel_error``: target relative MC error of every
    efficiency (the sample grows until it is reached or ``n_mc_max`` events are used);
    ``rel_precision``: vegas precision of sigma; ``seed``: master seed.
    """

    n_required: float = 3.0
    theta: float = 0.0
    g_chi_invisible: float = 1.0
    m_chi_ratio: float = 1.0 / 3.0
    g_chi_visible: float = 0.0
    n_mc: int = 20000
    rel_precision: float = 0.01
    seed: int = 1
    max_rel_error: float = 0.02
    n_mc_max: int = 640_000


@dataclass
class ReachPoint:
    """Reach of one experiment variant and channel at one ALP mass [GeV].

    ``c_over_lambda`` [TeV^-1] (inf: no reach), ``g_mutau`` = C m_tau/Lambda, ``efficiency`` (nan
    if sigma = 0: no production above threshold and below the t cut-off) +-
    ``efficiency_error``, ``sigma_length_pb_cm`` = sum_i w_i int sigma dx [pb cm] at C/Lambda = 1,
    ``n_at_unit_coupling`` = N(C/Lambda = 1) (BR included), ``cutflow`` (cumulative efficiencies),
    ``n_mc`` (events used), ``c_over_lambda_error`` [TeV^-1] (from the efficiency and sigma MC
    errors, linear propagation through :func:`solve_reach`).
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
    n_mc: int = 0
    c_over_lambda_error: float = math.nan

    def row(self, details: bool = False) -> dict[str, Any]:
        """JSON row with the keys of ``muonbsm reach --json`` (and the details if asked); no reach -> None."""
        def fin(v: float) -> float | None:
            return v if math.isfinite(v) else None

        out = {"experiment": self.experiment, "variant": self.variant, "channel": self.channel,
               "ma_gev": self.ma_gev, "c_over_lambda_per_tev": fin(self.c_over_lambda),
               "c_over_lambda_error": fin(self.c_over_lambda_error),
               "g_mutau": fin(self.g_mutau), "efficiency": fin(self.efficiency),
               "efficiency_error": fin(self.efficiency_error)}
        if details:
            out.update(n_mc=self.n_mc, sigma_length_pb_cm=self.sigma_length_pb_cm,
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
        self._errors: dict[tuple[str, float, float], float] = {}

    def rel_error(self, target: str, energy: float, m_a: float) -> float:
        """Relative MC error of a cached sigma (0 if zero or not computed)."""
        key = (target, round(float(energy), 6), float(m_a))
        return self._errors.get(key, 0.0)

    def __call__(self, target: str, energy: float, m_a: float) -> float:
        key = (target, round(float(energy), 6), float(m_a))
        if key not in self._cache:
            tgt = get_target(target)
            if energy <= threshold_energy(M_MU, M_TAU, m_a, tgt.nucleus_mass) * (1 + 1e-9):
                self._cache[key] = 0.0
            else:
                res = alp_cross_section(tgt, energy, m_a, 1.0, self.theta, rel_precision=self.rel_precision,
                                        seed=self.seed)
                self._cache[key] = res.sigma_pb
                self._errors[key] = res.sigma_err_pb / res.sigma_pb if res.sigma_pb > 0 else 0.0
        return self._cache[key]


def energy_after(exp: Experiment, energy: float, depth_cm: np.ndarray | float) -> np.ndarray:
    """Muon energy [GeV] after ``depth_cm`` [cm] of the target (``exp.energy_loss``)."""
    depth = np.asarray(depth_cm, dtype=float)
    if exp.energy_loss == "none":
        return np.full_like(depth, float(energy))
    rho = get_target(exp.target).density_g_cm3
    if rho is None:
        raise CardError(f"experiment {exp.key}: target {exp.target!r} has no density, which energy_loss = "
                        f"{exp.energy_loss!r} needs")
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


def _check_channel(channel: str) -> None:
    if channel not in CHANNEL_INDEX:
        raise ValueError(f"channel must be one of {list(CHANNEL_INDEX)}, got {channel!r}")


def solve_reach(k_events: float, m_a: float, channel: Channel, settings: ReachSettings) -> float:
    """C/Lambda [TeV^-1] at which ``N = n_required``; ``k_events`` = N(C/Lambda = 1) / BR.

    Closed forms of the module docstring; ``inf`` if the channel can never give n_required.
    ``channel`` must be ``"invisible"`` or ``"visible"`` (ValueError otherwise).
    """
    _check_channel(channel)
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


def efficiency(exp: Experiment, events: ak.Array, channel: Channel, rng: np.random.Generator) -> CutFlow:
    """Expected cut-flow of ``exp``'s selection on ``events`` (analytic tau-mode and flight weights;
    ``rng`` drives forced tau decays where a cut needs decay products)."""
    return expected_cutflow(events, exp.selection, channel, exp.thickness_mm, rng)


def _branching(m_a: float, c: float, channel: str, settings: ReachSettings) -> float:
    s, p = couplings(c, settings.theta)
    g1 = 2.0 * float(width_mutau_per_mode(m_a, s, p))
    gchi_coupling = settings.g_chi_invisible if channel == "invisible" else settings.g_chi_visible
    gchi = float(width_chichi(m_a, gchi_coupling, settings.m_chi_ratio * m_a)) if gchi_coupling > 0 else 0.0
    tot = g1 + gchi
    return 0.0 if tot == 0 else (gchi if channel == "invisible" else g1) / tot


def _adaptive_efficiency(exp: Experiment, channel: Channel, settings: ReachSettings, batches: list[ak.Array],
                         make_batch: Callable[[int, int], ak.Array], rng: np.random.Generator) -> tuple[CutFlow, int]:
    """Cut-flow on the concatenated ``batches``, extended with ``make_batch(b, n)`` until the
    relative error is <= ``max_rel_error`` or ``n_mc_max`` events are used.

    The error of a ratio estimator fails when one event carries most of the weight (it then
    looks exact): the largest single-event share of the efficiency must also be below
    ``max_rel_error`` times the efficiency.
    """
    while True:
        if not batches:
            batches.append(make_batch(0, settings.n_mc))
        events = ak.concatenate(batches) if len(batches) > 1 else batches[0]
        flow = efficiency(exp, events, channel, rng)
        n_now = len(events)
        eff = flow.total
        share = float(np.max(flow.contribution)) if flow.contribution is not None and n_now else 0.0
        err = max(float(flow.error[-1]), share)
        if eff > 0 and err <= settings.max_rel_error * eff or n_now >= settings.n_mc_max:
            return flow, n_now
        need = n_now * (err / (settings.max_rel_error * eff)) ** 2 * 1.2 if eff > 0 else 4 * n_now
        batches.append(make_batch(len(batches), int(min(max(need - n_now, 0.5 * n_now), settings.n_mc_max - n_now))))


def compute_reach(exp: Experiment, m_a: float, channel: Channel, settings: ReachSettings, *,
                  sigma_fn: SigmaFn | None = None, events_fn: EventsFn = signal_events,
                  events_cache: dict | None = None, index: tuple[int, int] = (0, 0)) -> ReachPoint:
    """Reach of ``exp`` in ``channel`` at ALP mass ``m_a`` [GeV].

    ``events_fn(target, energy, m_a, channel, n, rng, theta=, m_chi=, frac_mu_minus=, charge_flip=, tau_decays=)``
    gives weighted events in the fixed layout (default
    :func:`~muonbsm.analysis.fixed_target.signal.signal_events`); ``events_cache`` (dict) shares
    samples between variants with the same beam and target. ``index = (i_exp, i_mass)`` selects
    the seed streams (module docstring). Efficiencies of a spectrum are sigma-weighted over its
    nodes, each node known to ``max_rel_error``.
    """
    _check_channel(channel)
    if channel not in exp.channels:
        raise ValueError(f"channel {channel!r} not configured for {exp.key}; allowed: {exp.channels}")
    sigma_fn = sigma_fn or SigmaCache(settings.theta, settings.rel_precision, settings.seed)
    cache = {} if events_cache is None else events_cache
    i_exp, i_mass = index
    j = CHANNEL_INDEX[channel]
    total, node_w, energies = sigma_length(exp, m_a, sigma_fn)
    _, _, fminus = exp.beam.energy_nodes()
    flip = channel == "visible" and exp.selection.charge_flip
    effs, errs, n_used = [], [], 0
    flows: list[dict[str, float]] = []  # per node: {cut: cumulative efficiency}
    for i, e0 in enumerate(energies):
        if node_w[i] <= 0:
            effs.append(0.0)
            errs.append(0.0)
            flows.append({})
            continue
        key = (exp.target, float(e0), float(m_a), channel, float(fminus[i]), flip)
        owner = cache.setdefault(("owner",) + key, (i_exp, i))

        def make_batch(b: int, n: int, e0: float = float(e0), fm: float = float(fminus[i]),
                       owner: tuple[int, int] = owner) -> ak.Array:
            r = seeded_rng(settings.seed, "reach.fixed_target", owner[0], j, "mass", i_mass, "sample", owner[1],
                           "generation.chunk", b)
            return events_fn(exp.target, e0, m_a, channel, n, r, theta=settings.theta,
                             m_chi=settings.m_chi_ratio * m_a, frac_mu_minus=fm, charge_flip=flip, tau_decays=False)

        decay_rng = seeded_rng(settings.seed, "reach.fixed_target", i_exp, j, "mass", i_mass, "sample", i, "decays")
        flow, n_node = _adaptive_efficiency(exp, channel, settings, cache.setdefault(key, []), make_batch, decay_rng)
        n_used += n_node
        effs.append(flow.total)
        errs.append(float(flow.error[-1]))
        flows.append(flow.as_dict())
    wn = node_w / total if total > 0 else node_w
    eff = float(np.sum(wn * np.array(effs))) if total > 0 else math.nan
    err = float(np.sqrt(np.sum((wn * np.array(errs)) ** 2)))
    cutflow = {k: float(sum(w * f.get(k, 0.0) for w, f in zip(wn, flows))) for k in flows[int(np.argmax(wn))]}
    n_atoms = get_target(exp.target).n_atoms_cm3
    scale = exp.beam.total_muons() * n_atoms * total * PB_TO_CM2
    k_events = scale * eff if total > 0 else 0.0
    c = solve_reach(k_events, m_a, channel, settings)
    c_err = math.nan
    if math.isfinite(c) and eff > 0:
        rel_sigma = getattr(sigma_fn, "rel_error", lambda *a: 0.0)
        rel_s = math.sqrt(sum((w * rel_sigma(exp.target, float(e), m_a)) ** 2 for w, e in zip(wn, energies)))
        rel_k = math.hypot(err / eff, rel_s)
        hi = solve_reach(k_events * (1 - rel_k), m_a, channel, settings) if rel_k < 1 else math.inf
        lo = solve_reach(k_events * (1 + rel_k), m_a, channel, settings)
        c_err = 0.5 * (hi - lo)
    n_unit = k_events * _branching(m_a, 1.0, channel, settings)
    return ReachPoint(exp.name, exp.variant, channel, float(m_a), c, g_mutau(c) if math.isfinite(c) else math.inf,
                      eff, err, total, n_unit, exp.beam.stand_in, cutflow, n_used, c_err)


def load_reach_card(card_path: str | Path) -> tuple[dict[str, Any], ReachSettings, list[Experiment]]:
    """Read and validate a reach card (schema :data:`muonbsm.cards.ALP_REACH`: ``[reach]``,
    ``[invisible]``, ``[visible]``); :class:`~muonbsm.errors.CardError` names the key."""
    path = Path(card_path)
    card = validate(ALP_REACH, read_toml(path, "reach card"), str(path))
    r, inv, vis = card["reach"], card["invisible"], card["visible"]
    settings = ReachSettings(
        n_required=r["n_required"], theta=r["theta"], g_chi_invisible=inv["g_chi"], m_chi_ratio=inv["m_chi_over_m_a"],
        g_chi_visible=vis["g_chi"], n_mc=r["n_mc"], rel_precision=r["rel_precision"], seed=r["seed"],
        max_rel_error=r["max_rel_error"], n_mc_max=r["n_mc_max"])
    efile = r["experiments_file"] or None
    exps = load_experiments(None if efile is None else (path.parent / efile))
    all_exps = list(exps)
    if r["experiments"]:
        known = {e.key: e for e in exps}
        for i, w in enumerate(r["experiments"]):
            if w not in known:
                raise CardError(f"{path}: [reach] experiments[{i}]: got {w!r}; allowed: one of {', '.join(known)}")
        exps = [known[w] for w in r["experiments"]]
    return ({"masses_gev": r["masses"], "channels": tuple(r["channels"]), "path": str(path), "all_experiments": all_exps},
            settings, exps)


def reach_rows(card_path: str | Path, *, sigma_fn: SigmaFn | None = None,
               events_fn: EventsFn = signal_events) -> list[ReachPoint]:
    """Reach points for every experiment, channel and mass of the card (visible needs m_a > m_mu + m_tau)."""
    meta, settings, exps = load_reach_card(card_path)
    sigma_fn = sigma_fn or SigmaCache(settings.theta, settings.rel_precision, settings.seed)
    cache: dict = {}
    out = []
    order = {e.key: i for i, e in enumerate(meta["all_experiments"])}
    points = [(i_m, m_a, exp, ch) for i_m, m_a in enumerate(meta["masses_gev"]) for exp in exps for ch in exp.channels
              if ch in meta["channels"] and not (ch == "visible" and m_a <= M_MU + M_TAU)]
    with Progress(len(points), "fixed-target reach", unit="pt") as bar:
        for k, (i_m, m_a, exp, ch) in enumerate(points):
            out.append(compute_reach(exp, m_a, ch, settings, sigma_fn=sigma_fn, events_fn=events_fn,
                                     events_cache=cache, index=(order[exp.key], i_m)))
            bar.update(1)
            if k + 1 < len(points) and points[k + 1][1] != m_a:
                cache.clear()
    return out


def reach_table(card_path: str | Path, details: bool = False) -> list[dict[str, Any]]:
    """Rows for ``muonbsm reach CARD [--json]``: ``experiment, variant, channel, ma_gev,
    c_over_lambda_per_tev, g_mutau, efficiency`` (plus the details if ``details``)."""
    return [p.row(details) for p in reach_rows(card_path)]


def format_table(rows: list[dict[str, Any]]) -> str:
    """Plain-text table of :func:`reach_table` rows with MC errors (``-`` where there is no reach)."""
    def val(v: float | None, err: float | None, fmt: str) -> str:
        if v is None:
            return "-"
        return format(v, fmt) + ("" if err is None else " +- " + format(err, ".2g"))

    head = (f"{'experiment':14s} {'variant':10s} {'channel':9s} {'m_a[GeV]':>8s} {'C/L[1/TeV]':>20s} "
            f"{'g_mutau':>10s} {'eff':>20s}")
    lines = [head, "-" * len(head)]
    for r in rows:
        g = r["g_mutau"]
        lines.append(f"{r['experiment']:14s} {r['variant']:10s} {r['channel']:9s} {r['ma_gev']:8.3g} "
                     f"{val(r['c_over_lambda_per_tev'], r.get('c_over_lambda_error'), '.4g'):>20s} "
                     f"{'-' if g is None else format(g, '10.3g'):>10s} "
                     f"{val(r['efficiency'], r.get('efficiency_error'), '.4g'):>20s}")
    return "\n".join(lines)
