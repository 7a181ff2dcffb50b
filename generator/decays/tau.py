r"""Fast vectorised tau-lepton decayer: V-A matrix elements, hadronic currents, polarisation.

Every mode is generated in the tau rest frame with the spin quantisation axis along the tau
flight direction (helicity frame), by accept-reject of multichannel phase-space candidates
(:mod:`~muonbsm.generator.decays.tau_sampling`) on the spin-dependent squared matrix element,
then rotated and boosted to the frame of the input momenta.

Matrix elements (tau^- -> nu_tau + X^-, :math:`\mathcal M = \frac{G_F}{\sqrt 2}\bar u_\nu\gamma^\mu(1-\gamma_5)u_\tau J_\mu`;
tau spin density :math:`u\bar u = (\slashed p + m)(1 + P\gamma_5\slashed s)/2`):

* hadrons: :math:`|\mathcal M|^2 \propto \mathrm{Tr}[\slashed k\gamma^\mu\slashed P'\gamma^\nu(1-\gamma_5)]J_\mu J^*_\nu`,
  :math:`P' = p - P m s` (:func:`~muonbsm.generator.decays.tau_currents.hadronic_me`; J = f_pi p_pi gives
  the classic ``1 + P cos(theta)`` of tau -> pi nu). The current J of each mode (``model``
  column) is documented in :mod:`~muonbsm.generator.decays.tau_currents` and the modules it
  lists (CLEO three-pion current with sigma, f0, f2; Novosibirsk four-pion current; Kuhn-Was
  five pions; Finkemeier-Mirkes K pi and three-meson kaon currents; KS rho currents for
  pi- pi0 and K- K0); ``phase_space``: the isotropic spectral function
  H^{mu nu} = Q^mu Q^nu - Q^2 g^{mu nu} (hadrons flat in phase space);
* leptons, tau^- -> l^- nubar_l nu_tau: :math:`|\mathcal M|^2 \propto (P'\cdot k_{\bar\nu_l})(p_l\cdot k_{\nu_\tau})`
  (exact lepton mass, Michel rho = 3/4, eta = 0, xi = 1).

Polarisation: ``polarization`` P in [-1, 1] per tau is the longitudinal polarisation, i.e. the
spin projection on the tau flight direction in the frame in which ``p_tau`` is given (its
helicity in that frame), as Pythia 8's ``Particle::pol``. tau^+ decays are the CP image (momenta
reflected in the rest frame, same spin, charges conjugated), so tau^+ -> pi^+ nubar follows
1 - P cos(theta). Neutral kaons listed as K0/Kbar0 are emitted as K_S (310) or K_L (130) with
probability 1/2; K_S, K_L, pi0, gamma are final state (status 1); with ``decay_pi0=True`` each
pi0 gets status 2 and two photons.

Validation (``benchmarks/tau_decay_speed.py``, 5e4 forced Pythia 8.317 decays per mode and
P = 0, +-1, 100 GeV tau^-): chi2/ndf < 2 per mode for the charged-energy fraction, hadronic
and pair masses wherever Pythia implements the same physics. Two kinds of mode differ on
purpose: pi0 pi0 pi-, where Pythia's current is not Bose symmetric in the two pi0
(:mod:`~muonbsm.generator.decays.tau_currents_3pi`), and the ``phase_space`` modes, which
Pythia generates flat in phase space without the V-A lepton tensor (so that, unlike here, their
distributions do not depend on P); with Pythia's choices the sampler reproduces Pythia. The
pilots of the accept-reject envelopes are stored (:mod:`~muonbsm.generator.decays.tau_pilots`).

Branching fractions: PDG 2026 fit values from the ``pdg`` package
(:mod:`~muonbsm.generator.decays.tau_br`, exclusive modes, the remainder on the last mode);
prongs with K_S stable (:func:`~muonbsm.generator.decays.tau_br.n_prongs`): 3-prong 14.563 %
(PDG 14.551 %), 5-prong 0.099 %.

>>> import numpy as np
>>> p = np.array([[np.hypot(M_TAU, 5.0), 0.0, 0.0, 5.0]] * 3)
>>> res = decay_taus(p, np.array([15, -15, 15]), np.random.default_rng(2))
>>> res.mode.shape, res.vertices.shape, res.polarization.tolist()
((3,), (3, 3), [0.0, 0.0, 0.0])
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike, NDArray

from muonbsm.constants import CTAU_TAU_MM, M_TAU, pdg_mass
from muonbsm.generator.decays import kinematics as kin
from muonbsm.generator.decays import tau_currents as cur
from muonbsm.generator.decays.records import DecayResult, make_daughters
from muonbsm.generator.decays.tau_br import BRANCHING_FRACTIONS, MODE_SPECS, PDG_EDITION, n_prongs
from muonbsm.generator.decays.tau_currents_3pi import three_pion_current
from muonbsm.generator.decays.tau_currents_kaons import kaon_current
from muonbsm.generator.decays.tau_currents_multipion import five_pion_current, four_pion_current
from muonbsm.generator.decays import tau_pilots
from muonbsm.generator.decays.tau_sampling import QTable, Sampler, build_sampler, channels
from muonbsm.generator.dirac import minkowski_dot

__all__ = ["TauMode", "MODES", "BRANCHING_RATIOS", "N_PRONGS", "PDG_EDITION", "rest_frame_decays", "decay_taus"]


@dataclass(frozen=True)
class TauMode:
    """A tau^- decay channel: name, branching ratio, daughter PDG ids (tau^-) and model."""

    name: str
    br: float
    daughters: tuple[int, ...]
    model: str


#: The channels, indexed by mode code (table: :data:`muonbsm.generator.decays.tau_br.MODE_SPECS`).
MODES: tuple[TauMode, ...] = tuple(TauMode(s.name, float(b), s.daughters, s.model) for s, b in zip(MODE_SPECS, BRANCHING_FRACTIONS))
#: Branching ratios per mode code (PDG, sum to 1).
BRANCHING_RATIOS: NDArray[np.float64] = BRANCHING_FRACTIONS
#: Charged prongs per mode code (K_S stable: :func:`muonbsm.generator.decays.tau_br.n_prongs`).
N_PRONGS: NDArray[np.int64] = np.array([n_prongs(m.daughters) for m in MODES], dtype=np.int64)
_NEUTRINOS = (12, 14, 16)
_PILOT, _SAFETY = 1_000_000, 1.25
_CURRENTS = {
    "three_pion": three_pion_current,
    "three_meson_kaon": kaon_current,
    "four_pion": four_pion_current,
    "five_pion": five_pion_current,
}


def _mass(pdg: int) -> float:
    return 0.0 if abs(pdg) in _NEUTRINOS or pdg == 22 else pdg_mass(abs(pdg))


def _masses(mode: TauMode) -> NDArray:
    return np.array([_mass(c) for c in mode.daughters])


def _me_weight(mode: TauMode, mom: NDArray, pol: NDArray) -> NDArray:
    """Squared matrix element for rest-frame momenta ``mom`` (n, k, 4) and polarisation ``pol`` (n,)."""
    n = mom.shape[0]
    p_prime = np.zeros((n, 4))
    p_prime[:, 0] = M_TAU
    p_prime[:, 3] = -M_TAU * pol
    if mode.model == "lepton":
        return minkowski_dot(p_prime, mom[:, 1]) * minkowski_dot(mom[:, 0], mom[:, 2])
    nu, hadrons = mom[:, -1], mom[:, :-1]
    if mode.model == "pseudoscalar":
        return cur.hadronic_me(hadrons[:, 0], nu, p_prime)
    if mode.model == "phase_space":
        q = hadrons.sum(axis=1)
        return 2.0 * minkowski_dot(nu, q) * minkowski_dot(p_prime, q) + minkowski_dot(q, q) * minkowski_dot(nu, p_prime)
    if mode.model == "vector_rho":  # J = F v, v real: |F|^2 times the real-current element
        q = hadrons[:, 0] + hadrons[:, 1]
        form = cur.rho_form_factor(cur.dot(q, q))
        return np.abs(form) ** 2 * cur.hadronic_me(cur.perp(hadrons[:, 0] - hadrons[:, 1], q), nu, p_prime)
    if mode.model == "vector_scalar_kpi":
        return cur.hadronic_me(cur.two_meson_current(mode.model, mode.daughters, hadrons), nu, p_prime)
    return cur.hadronic_me(_CURRENTS[mode.model](mode.daughters, hadrons), nu, p_prime)


@lru_cache(maxsize=None)
def _sampler(code: int, use_stored: bool = True) -> Sampler | None:
    """Multichannel sampler of a mode with two or more hadrons (None: flat GENBOD).

    Taken from the stored pilots (:mod:`~muonbsm.generator.decays.tau_pilots`) when they match
    the sources, else built from its fixed-seed pilot.
    """
    mode = MODES[code]
    if mode.model in ("lepton", "pseudoscalar"):
        return None
    ids = mode.daughters[:-1]
    stored = tau_pilots.load() if use_stored else None
    if stored is not None:
        table = QTable(stored[f"edges_{code}"], stored[f"cdf_{code}"], stored[f"density_{code}"])
        return Sampler(channels(ids), stored[f"alphas_{code}"], table, np.array([_mass(c) for c in ids]))
    zero = np.zeros(1)

    def me0(mom: NDArray) -> NDArray:
        return _me_weight(mode, mom, np.broadcast_to(zero, (mom.shape[0],)))

    return build_sampler(ids, tuple(_mass(c) for c in ids), me0, 4242 + code)


def _proposal(mode: TauMode, n: int, rng: np.random.Generator) -> tuple[NDArray, NDArray]:
    """Rest-frame candidates (n, k, 4) [GeV] and weights dPhi/d(proposal) (importance sampling)."""
    sampler = _sampler(MODES.index(mode))
    if sampler is None:
        return kin.nbody_rest(M_TAU, _masses(mode), n, rng)
    return sampler.propose(n, rng)


@lru_cache(maxsize=None)
def _max_weight(code: int, use_stored: bool = True) -> tuple[float, float, float]:
    """Envelope of the phase-space x matrix-element weight: (max at P = 0, max over P = +-1, mean).

    The weight is linear in P, w = w0 + P w1 = (1 - |P|) w0 + |P| (w0 +- w1), so
    ``(1 - |P|) M0 + |P| M1`` bounds it for every |P| <= 1; its mean does not depend on P
    (the P term is odd under the random orientation), and w0 = (w(+1) + w(-1))/2. From a
    fixed-seed pilot run of ``_PILOT`` = 10^6 candidates; the maxima carry a safety factor
    ``_SAFETY`` = 1.25, and a warning is issued if a weight ever exceeds the envelope (the share
    of the rate above it is measured by ``benchmarks/tau_decay_speed.py --envelope``). Stored
    pilots are used when they match the sources (:mod:`~muonbsm.generator.decays.tau_pilots`).
    """
    stored = tau_pilots.load() if use_stored else None
    if stored is not None:
        m0, m1, mean = (float(x) for x in stored[f"envelope_{code}"])
        return m0, m1, mean
    mode = MODES[code]
    rng = np.random.default_rng(20240 + code)
    sampler = _sampler(code, use_stored)
    m0 = m1 = total = 0.0
    chunk = _PILOT // 5
    for _ in range(5):
        mom, w_ps = kin.nbody_rest(M_TAU, _masses(mode), chunk, rng) if sampler is None else sampler.propose(chunk, rng)
        w_minus, w_plus = (w_ps * _me_weight(mode, mom, np.full(chunk, s)) for s in (-1.0, 1.0))
        w0 = 0.5 * (w_minus + w_plus)
        m0, m1, total = max(m0, float(np.max(w0))), max(m1, float(np.max(w_minus)), float(np.max(w_plus))), total + float(np.sum(w0))
    return _SAFETY * m0, _SAFETY * m1, total / (5 * chunk)


def rest_frame_decays(code: int, pol: NDArray[np.float64], rng: np.random.Generator) -> NDArray[np.float64]:
    """Unweighted tau^- decays of channel ``code`` at rest, spin axis +z, polarisation ``pol`` (n,).

    Returns daughter four-momenta ``(n, k, 4)`` [GeV] in the order of ``MODES[code].daughters``.
    Accept-reject under the constant envelope of :func:`_max_weight`, in rounds: each pending
    decay gets ``1/efficiency`` candidates with its own polarisation and keeps the first accepted
    one (about 63 % succeed per round); when all pending polarisations are equal they share one
    pool of candidates, 3 standard deviations more than the expected need, taken in order.
    """
    mode = MODES[code]
    m0, m1, mean = _max_weight(code)
    n = pol.shape[0]
    out = np.empty((n, len(mode.daughters), 4))
    todo = np.arange(n)
    while todo.size:
        shared = np.all(pol[todo] == pol[todo[0]])
        env_max = float(np.max((1.0 - np.abs(pol[todo])) * m0 + np.abs(pol[todo]) * m1))
        per = 1 if shared else int(np.ceil(env_max / mean))
        n_cand = int(np.ceil(todo.size * env_max / mean * (1.0 + 3.0 / np.sqrt(todo.size)))) + 16 if shared else todo.size * per
        owner = np.full(n_cand, todo[0]) if shared else np.repeat(todo, per)
        mom, w_ps = _proposal(mode, n_cand, rng)
        w = w_ps * _me_weight(mode, mom, pol[owner])
        env = (1.0 - np.abs(pol[owner])) * m0 + np.abs(pol[owner]) * m1
        if np.any(w > env):
            warnings.warn(f"tau mode {code}: a weight {np.max(w / env):.3f}x the accept-reject envelope; such decays are "
                          "slightly under-represented (rate share above the envelope: benchmarks/tau_decay_speed.py --envelope)",
                          stacklevel=2)
        ok = rng.random(n_cand) * env < w
        if shared:
            acc = np.flatnonzero(ok)[: todo.size]
            out[todo[: acc.size]] = mom[acc]
            todo = todo[acc.size :]
        else:
            ok = ok.reshape(todo.size, per)
            hit = ok.any(axis=1)
            first = np.argmax(ok, axis=1)
            out[todo[hit]] = mom.reshape(todo.size, per, *mom.shape[1:])[hit, first[hit]]
            todo = todo[~hit]
    return out


def _validate(p_tau: NDArray, pdg: NDArray, pol: NDArray) -> None:
    if p_tau.ndim != 2 or p_tau.shape[1] != 4 or not np.all(np.isfinite(p_tau)):
        raise ValueError("p_tau must be a finite (n, 4) array of (E, px, py, pz) [GeV]")
    m2 = minkowski_dot(p_tau, p_tau)
    if np.any(p_tau[:, 0] <= 0) or np.any(np.abs(np.sqrt(np.clip(m2, 0, None)) - M_TAU) > 1e-4 * M_TAU) or np.any(m2 < 0):
        raise ValueError("p_tau must have E > 0 and invariant mass M_TAU within 1e-4 (E >= M_TAU)")
    if pdg.shape != (p_tau.shape[0],) or not np.all(np.isin(pdg, (15, -15))):
        raise ValueError("pdg must be an (n,) array of 15 (tau-) or -15 (tau+)")
    if pol.shape != pdg.shape or np.any(np.abs(pol) > 1.0) or not np.all(np.isfinite(pol)):
        raise ValueError("polarization must be an (n,) array in [-1, 1]")


def decay_taus(
    p_tau: ArrayLike,
    pdg: ArrayLike,
    rng: np.random.Generator,
    *,
    polarization: ArrayLike | None = None,
    production_vertex: ArrayLike | None = None,
    mother_index: ArrayLike | None = None,
    first_index: ArrayLike | None = None,
    decay_pi0: bool = False,
) -> DecayResult:
    """Decay taus with four-momenta ``p_tau`` ``(n, 4)`` (E, px, py, pz) [GeV] and ids ``pdg`` (+-15).

    ``polarization`` ``(n,)`` (or a scalar) in [-1, 1] is the longitudinal polarisation: the
    spin projection on the tau flight direction in the frame of ``p_tau`` (0: unpolarised,
    default); it is returned in ``DecayResult.polarization``. Decay vertices are ``production_vertex`` ``(n, 3)``
    [mm] (default origin) + beta gamma c tau X along the flight direction, X ~ Exp(1),
    c tau = ``CTAU_TAU_MM``. Daughters get ``mother = mother_index`` (default 0, "the tau");
    photons of pi0 decays (``decay_pi0``) point to the pi0, whose event index is
    ``first_index`` (the index the first daughter will take once appended, default 0) + its
    position in the daughter list. Returns a :class:`DecayResult` (mode codes: module table).
    """
    p_tau = np.asarray(p_tau, dtype=np.float64)
    pdg = np.asarray(pdg)
    n = p_tau.shape[0] if p_tau.ndim == 2 else -1
    pol = np.zeros(max(n, 0)) if polarization is None else np.asarray(polarization, dtype=np.float64)
    if pol.ndim == 0 and n >= 0:
        pol = np.full(n, float(pol))
    _validate(p_tau, pdg, pol)
    mother_index = np.zeros(n, dtype=np.int64) if mother_index is None else np.broadcast_to(np.asarray(mother_index), (n,))
    first = np.zeros(n, dtype=np.int64) if first_index is None else np.broadcast_to(np.asarray(first_index), (n,))
    pabs = np.linalg.norm(p_tau[:, 1:], axis=1)
    parent = np.column_stack([np.sqrt(pabs**2 + M_TAU**2), p_tau[:, 1:]])
    vertices, _ = kin.decay_vertices(parent, CTAU_TAU_MM, rng, None if production_vertex is None else np.asarray(production_vertex))
    mode = rng.choice(len(MODES), size=n, p=BRANCHING_RATIOS)
    sizes = np.array([len(m.daughters) + (2 * m.daughters.count(111) if decay_pi0 else 0) for m in MODES])
    counts = sizes[mode]
    offsets = np.concatenate([[0], np.cumsum(counts)[:-1]])
    n_tot = int(counts.sum())
    flat_p, flat_pdg = np.empty((n_tot, 4)), np.empty(n_tot, dtype=np.int64)
    flat_mother, flat_status = np.repeat(mother_index, counts).astype(np.int64), np.ones(n_tot, dtype=np.int64)
    for code in np.unique(mode):
        idx = np.flatnonzero(mode == code)
        daughters = np.array(MODES[code].daughters)
        rest = rest_frame_decays(int(code), pol[idx], rng)
        anti = pdg[idx] < 0
        rest[anti, :, 1:] *= -1.0  # CP image for tau+
        ids = np.where(anti[:, None], -daughters[None, :], daughters[None, :])
        ids = np.where(np.isin(np.abs(ids), (22, 111, 130, 310)), np.abs(ids), ids)  # self-conjugate
        lab = kin.rest_to_lab(rest, parent[idx])
        k0 = np.abs(ids) == 311
        ids[k0] = np.where(rng.random(int(k0.sum())) < 0.5, 310, 130)
        pos = offsets[idx][:, None] + np.arange(len(daughters))
        flat_p[pos], flat_pdg[pos] = lab, ids
        if decay_pi0 and 111 in MODES[code].daughters:
            slots = np.flatnonzero(daughters == 111)
            for j, s in enumerate(slots):
                g1, g2 = kin.two_body_decay(lab[:, s], 0.0, 0.0, rng)
                gpos = offsets[idx] + len(daughters) + 2 * j
                flat_p[gpos], flat_p[gpos + 1] = g1, g2
                flat_pdg[gpos] = flat_pdg[gpos + 1] = 22
                flat_status[offsets[idx] + s] = 2
                flat_mother[gpos] = flat_mother[gpos + 1] = first[idx] + s
    daughters = make_daughters(counts, flat_p, flat_pdg, vertices, flat_mother, flat_status)
    return DecayResult(daughters, vertices, mode.astype(np.int64), N_PRONGS[mode], pol.copy())
