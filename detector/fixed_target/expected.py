r"""Selections as expected (analytic) per-event probabilities instead of sampled tau decays.

The sampled cut-flow (:mod:`~muonbsm.detector.fixed_target.selection`) counts events whose
randomly decayed taus pass; with ~15% 3-prong taus and flight cuts of 2 cm most events fail
and the efficiency error is large. Here every event carries the probability that its taus
pass, computed from the production kinematics:

* tau decay modes: each required tau contributes :math:`\sum_{m\in A}\mathrm{BR}_m`, the sum of
  the decayer's branching ratios (:data:`muonbsm.generator.decays.BRANCHING_RATIOS`) over the
  allowed set A: all modes (``any``), tau -> mu nu nu (``muonic``) or the decayer's 3-prong
  modes (``N_PRONGS == 3``, the decayer's one definition); ``no_extra_tracks`` keeps only modes
  whose charged daughters are all muons (tau -> mu nu nu).
* kinematic cuts on decay products (``max_muon_energy_gev``): the taus are re-decayed by
  :func:`muonbsm.generator.decays.decay_taus` forced into A (redrawn until the mode is in A,
  with the event's polarisation), and the cut is applied to those products;
* flight (``delta_mm``): :math:`P(L > \delta) = e^{-\delta/\lambda}`, :math:`\lambda = |p|c\tau/m_\tau`;
* containment (``tau_decays_in_target``): the interaction point z is uniform in [0, T]; a tau
  with direction cosine c > 0 must decay between delta and :math:`(T - z)/c`, so
  :math:`f(z) = [e^{-\delta/\lambda} - e^{-(T-z)/(c\lambda)}]_+` and the cut keeps
  :math:`\frac1T\int_0^T \prod_i f_i(z)\,dz`, in closed form for one or two prompt forward
  taus (u = T - z):
  :math:`\int_{u_0}^T [A_1 - e^{-u/\ell_1}][A_2 - e^{-u/\ell_2}]du` with
  :math:`\ell_i = c_i\lambda_i`, :math:`u_0 = \max_i c_i\delta`; otherwise (backward taus,
  displaced ALP vertices) by 400-node Gauss-Legendre quadrature.
* charge flip: the indicator that the ALP's muon has the charge opposite to the beam's, times
  the event's ``alp_mode_weight`` (1/2 for samples generated in the charge-flip mode only).

The efficiency is :math:`\varepsilon = \sum_i w_i f_i / \sum_i w_i` over the channel's events,
with the MC error of a ratio estimator,
:math:`\sigma_\varepsilon = \sqrt{\sum_i w_i^2 (f_i - \varepsilon)^2}/\sum_i w_i`.
"""

from __future__ import annotations

import math

import awkward as ak
import numpy as np
from numpy.typing import NDArray

from muonbsm.constants import CTAU_TAU_MM, M_TAU
from muonbsm.detector.fixed_target.config import CHANNELS, Selection
from muonbsm.detector.fixed_target.features import INDEX_ALP, INDEX_TAU
from muonbsm.detector.fixed_target.selection import CutFlow
from muonbsm.generator.decays import BRANCHING_RATIOS, MODES, N_PRONGS, decay_taus

__all__ = ["allowed_modes", "flight_probability", "containment_probability", "expected_cutflow",
           "MUONIC_MODES"]

#: Decayer modes whose only charged daughter is a muon (tau -> mu nu nu).
MUONIC_MODES: NDArray[np.int64] = np.array([i for i, m in enumerate(MODES)
                                            if 13 in [abs(d) for d in m.daughters] and N_PRONGS[i] == 1])
_GL = np.polynomial.legendre.leggauss(400)


def allowed_modes(selection: Selection, *, tracks: bool = True) -> NDArray[np.int64]:
    """Decayer mode codes a tau may decay into under ``selection`` (``tracks``: apply
    ``no_extra_tracks``)."""
    modes = np.arange(len(MODES))
    if selection.tau_decay == "muonic":
        modes = MUONIC_MODES
    elif selection.tau_decay == "3prong":
        modes = np.flatnonzero(N_PRONGS == 3)
    if tracks and selection.no_extra_tracks:
        modes = np.intersect1d(modes, MUONIC_MODES)
    return modes


def flight_probability(p_abs: NDArray, delta_mm: float) -> NDArray:
    """``exp(-delta/lambda)``, ``lambda = |p| c tau / m_tau`` [mm]; ``p_abs`` [GeV]."""
    lam = np.asarray(p_abs, dtype=float) * CTAU_TAU_MM / M_TAU
    with np.errstate(divide="ignore"):
        return np.exp(-delta_mm / lam)


def containment_probability(p_abs: NDArray, cos_z: NDArray, z0: NDArray, delta_mm: float,
                            thickness_mm: float) -> NDArray:
    """``1/T int_0^T prod_i f_i(z) dz`` (module docstring) for taus ``i`` along axis 0.

    ``p_abs`` [GeV], ``cos_z`` (direction cosine to the beam), ``z0`` [mm] (production vertex
    relative to the interaction point) have shape (k, n): k taus per event, n events.
    """
    p_abs, cos_z, z0 = (np.atleast_2d(np.asarray(v, dtype=float)) for v in (p_abs, cos_z, z0))
    lam = p_abs * CTAU_TAU_MM / M_TAU
    a = np.exp(-delta_mm / lam)
    t = float(thickness_mm)
    closed = np.all((cos_z > 0) & (z0 == 0), axis=0) & (p_abs.shape[0] <= 2)
    out = np.empty(p_abs.shape[1])
    if np.any(closed):
        ell = cos_z[:, closed] * lam[:, closed]
        u0 = np.max(cos_z[:, closed] * delta_mm, axis=0)
        ok = u0 < t

        def expint(inv_len: NDArray) -> NDArray:
            with np.errstate(over="ignore", invalid="ignore"):
                return np.where(inv_len > 0, (np.exp(-u0 * inv_len) - np.exp(-t * inv_len)) / inv_len, t - u0)
        ac = a[:, closed]
        if p_abs.shape[0] == 1:
            val = ac[0] * (t - u0) - expint(1 / ell[0])
        else:
            val = (ac[0] * ac[1] * (t - u0) - ac[0] * expint(1 / ell[1]) - ac[1] * expint(1 / ell[0])
                   + expint(1 / ell[0] + 1 / ell[1]))
        out[closed] = np.where(ok, np.clip(val / t, 0.0, None), 0.0)
    if np.any(~closed):
        x, w = _GL
        z = 0.5 * t * (x + 1.0)
        cz, zz, aa, ll = cos_z[:, ~closed, None], z0[:, ~closed, None], a[:, ~closed, None], lam[:, ~closed, None]
        start = z[None, None, :] + zz
        with np.errstate(divide="ignore", invalid="ignore"):
            lmax = np.where(cz > 0, (t - start) / cz, np.where(cz < 0, start / -cz, np.inf))
        lmax = np.where((start >= 0) & (start <= t), lmax, -np.inf)
        f = np.clip(aa - np.exp(-np.maximum(lmax, 0) / ll) * (lmax >= 0) - (lmax < 0) * aa, 0.0, None)
        out[~closed] = 0.5 * np.sum(w * np.prod(f, axis=0), axis=-1)
    return out


def _taus(events: ak.Array) -> dict[str, NDArray]:
    """Production tau and ALP tau: four-momenta (2, n, 4), pdg, presence, vertex z [mm]."""
    p = events.particles
    n = len(events)
    idx = ak.local_index(p.pdg)
    alp_tau = (p.mother == INDEX_ALP) & (abs(p.pdg) == 15)
    has_alp = ak.to_numpy(ak.any(alp_tau, axis=1))
    out = {"p4": np.zeros((2, n, 4)), "pdg": np.full((2, n), 15), "present": np.zeros((2, n), bool),
           "vz": np.zeros((2, n))}
    for k, mask in enumerate((idx == INDEX_TAU, alp_tau)):
        t = p[mask]
        present = ak.to_numpy(ak.num(t) > 0) & (ak.to_numpy(ak.fill_none(ak.firsts(abs(t.pdg)), 0)) == 15)
        for j, c in enumerate(("E", "px", "py", "pz")):
            out["p4"][k, :, j] = ak.to_numpy(ak.fill_none(ak.firsts(t[c]), 0.0))
        out["pdg"][k] = np.where(present, ak.to_numpy(ak.fill_none(ak.firsts(t.pdg), 15)), 15)
        out["vz"][k] = ak.to_numpy(ak.fill_none(ak.firsts(t.vz), 0.0))
        out["present"][k] = present
    out["present"][1] &= has_alp
    fields = ak.fields(events)
    out["pol"] = np.stack([ak.to_numpy(events[f]) if f in fields else np.zeros(n)
                           for f in ("tau_polarization_prod", "tau_polarization_alp")])
    return out


def _forced_muon_energy(p4: NDArray, pdg: NDArray, pol: NDArray, modes: NDArray,
                        rng: np.random.Generator) -> NDArray:
    """Leading muon energy [GeV] (0 if none) of taus decayed by the decayer forced into ``modes``.

    Each pending tau is decayed in ``r ~ 1 / BR(modes)`` independent copies per call and the
    first copy in an allowed mode is kept (the first success of i.i.d. trials follows the
    decayer's distribution conditioned on the mode); taus without one are redrawn.
    """
    out = np.zeros(len(p4))
    p4 = p4.copy()
    p4[:, 0] = np.sqrt(np.sum(p4[:, 1:] ** 2, axis=1) + M_TAU**2)   # on shell (records carry rounding)
    br = float(BRANCHING_RATIOS[modes].sum())
    if br <= 0:
        raise ValueError("no allowed tau decay mode has a non-zero branching ratio")
    reps = int(min(max(math.ceil(1.0 / br), 1), 64))
    todo = np.arange(len(p4))
    while todo.size:
        idx = np.repeat(todo, reps)
        res = decay_taus(p4[idx], pdg[idx], rng, polarization=pol[idx])
        ok = np.isin(res.mode, modes).reshape(-1, reps)
        has = ok.any(axis=1)
        pick = np.flatnonzero(has) * reps + np.argmax(ok, axis=1)[has]
        d = res.daughters[pick]
        out[todo[has]] = ak.to_numpy(ak.fill_none(ak.max(ak.where(abs(d.pdg) == 13, d.E, 0.0), axis=1), 0.0))
        todo = todo[~has]
    return out


def expected_cutflow(events: ak.Array, selection: Selection, channel: str, thickness_mm: float,
                     rng: np.random.Generator) -> CutFlow:
    """Cut-flow of ``selection`` on the ``channel`` events with per-event pass probabilities.

    Same cut names and order as :func:`~muonbsm.detector.fixed_target.selection.apply_selection`;
    ``mask`` marks the events with a non-zero final probability. ``rng`` drives the forced tau
    decays (only for a muon-energy cut). ``thickness_mm`` [mm] > 0.
    """
    if channel not in CHANNELS:
        raise ValueError(f"channel must be one of {CHANNELS}, got {channel!r}")
    if not thickness_mm > 0:
        raise ValueError(f"thickness_mm must be > 0, got {thickness_mm}")
    n = len(events)
    fields = ak.fields(events)
    mode = ak.to_numpy(events.alp_decay_mode) if "alp_decay_mode" in fields else np.full(n, -1)
    beam_q = ak.to_numpy(events.beam_charge) if "beam_charge" in fields else -np.sign(ak.to_numpy(events.particles.pdg[:, 0]))
    taus = _taus(events)
    present = taus["present"]
    present[1] &= channel == "visible"
    p_abs = np.linalg.norm(taus["p4"][..., 1:], axis=-1)
    which = {"all": [0, 1], "production": [0], "alp": [1]}[selection.flight_taus]
    factors: list[tuple[str, NDArray]] = [("channel", (mode == 2) if channel == "invisible" else np.isin(mode, (0, 1)))]
    if channel == "visible" and selection.charge_flip:
        if np.any(beam_q[factors[0][1]] == 0):
            raise ValueError("charge_flip needs the beam charge of every event (beam_charge = +-1)")
        p = events.particles
        mu_q = ak.to_numpy(ak.fill_none(ak.firsts(p.charge[(p.mother == INDEX_ALP) & (abs(p.pdg) == 13)]), 0.0))
        mw = ak.to_numpy(events.alp_mode_weight) if "alp_mode_weight" in fields else np.ones(n)
        factors.append(("charge flip", (mu_q == -beam_q) * mw))

    def per_tau_product(vals: NDArray, taus_used: list[int]) -> NDArray:
        return np.prod([np.where(present[k], vals[k], 1.0) for k in taus_used], axis=0)

    br_decay = float(BRANCHING_RATIOS[allowed_modes(selection, tracks=False)].sum())
    if selection.tau_decay != "any":
        name = "tau -> mu nu nu" if selection.tau_decay == "muonic" else "tau 3-prong"
        factors.append((name, per_tau_product(np.full((2, n), br_decay), [0, 1])))
    modes = allowed_modes(selection)
    if selection.no_extra_tracks:
        ratio = float(BRANCHING_RATIOS[modes].sum()) / br_decay
        factors.append(("no extra tracks", per_tau_product(np.full((2, n), ratio), [0, 1])))
    if selection.max_muon_energy_gev is not None:
        p = events.particles
        lead = ak.to_numpy(ak.fill_none(ak.max(p.E[(p.mother == INDEX_ALP) & (abs(p.pdg) == 13)], axis=1), 0.0))
        for k in (0, 1):
            if np.any(present[k]):
                sel = np.flatnonzero(present[k])
                emu = _forced_muon_energy(taus["p4"][k, sel], taus["pdg"][k, sel], taus["pol"][k, sel], modes, rng)
                lead[sel] = np.maximum(lead[sel], emu)
        factors.append((f"E_mu < {selection.max_muon_energy_gev:g} GeV",
                        ((lead > 0) & (lead < selection.max_muon_energy_gev)).astype(float)))
    if selection.delta_mm > 0:
        factors.append((f"tau flight > {selection.delta_mm:g} mm",
                        per_tau_product(flight_probability(p_abs, selection.delta_mm), which)))
    if selection.tau_decays_in_target:
        cos_z = np.divide(taus["p4"][..., 3], p_abs, out=np.ones_like(p_abs), where=p_abs > 0)
        pres = present[which]
        cnt = pres.sum(axis=0)
        joint = np.ones(n)
        for c in (1, 2):
            use = cnt == c
            if c > len(which) or not np.any(use):
                continue
            cols = np.flatnonzero(use)
            rows = (np.array(which)[:, None] if c == len(which)
                    else np.where(pres[0, use], which[0], which[-1])[None, :])
            joint[use] = containment_probability(p_abs[rows, cols], cos_z[rows, cols], taus["vz"][rows, cols],
                                                 selection.delta_mm, thickness_mm)
        prev = factors[-1][1] if selection.delta_mm > 0 else np.ones(n)
        with np.errstate(invalid="ignore", divide="ignore"):
            factors.append(("tau decays in target", np.where(prev > 0, joint / prev, 0.0)))
    w = ak.to_numpy(events.weight).astype(np.float64)
    cum = np.ones(n)
    passed, errors = [], []
    chan = factors[0][1].astype(bool)
    base = float(w[chan].sum())
    if not base > 0:
        raise ValueError(f"no {channel} events with positive weight in the sample")
    for _, f in factors:
        cum = cum * f
        eff = float(np.sum(w * cum)) / base
        passed.append(eff * base)
        errors.append(float(np.sqrt(np.sum((w[chan] * (cum[chan] - eff)) ** 2))) / base)
    passed_a = np.array(passed)
    return CutFlow(tuple(k for k, _ in factors), passed_a, passed_a / base, np.array(errors), cum > 0,
                   np.where(chan, w * cum, 0.0) / base)
