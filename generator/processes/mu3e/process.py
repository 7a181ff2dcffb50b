r"""The Mu3e processes: internal conversion :math:`\mu^+\to e^+e^+e^-\nu\bar\nu` and the signals
:math:`\mu^+\to e^+\nu\bar\nu X,\ X\to e^+e^-`, as :class:`~muonbsm.generator.sampling.Process` objects.

Rates are branching ratios, :math:`\mathrm{BR} = \Gamma/\Gamma_\mu` with the PDG total width
:math:`\Gamma_\mu = \hbar/\tau_\mu` (so they compare with measured BRs; the tree-level
Michel width is 0.44% larger).

Internal conversion. Phase-space channels c (maps with densities :math:`g_c` per unit
hypercube) and their mirrors :math:`\bar c` (the same map with the identical positrons
exchanged) give the partition of unity :math:`h_c = g_c / \sum_k (g_k + g_{\bar k})`. The
exchange symmetry of :math:`|M|^2` makes each mirror's integral equal its channel's, so

.. math:: \Gamma = \frac{1}{2!}\frac{1}{2m_\mu}\int |M|^2 d\Phi_5
          = \sum_c \frac{1}{2m_\mu}\int_{[0,1]^{11}} \frac{|M|^2 g_c w_c}{\sum_k (g_k + g_{\bar k})}\, du ,

with :math:`w_c = 1/g_c` the map's weight. The channels (:class:`PhotonPairChannel`) sample
the photon pair mass logarithmically and map the collinear pole of photon emission off the
positron line; with an m_ee window W on either pairing, one channel puts the *other* pairing
(the wrong pairing that dominates the IC background at large m_ee) in W and one puts the
photon pair in W. Every density vanishes outside W, so the window is sampled, never reached
by rejection.

Signals, narrow width: :math:`|M|^2 = |N|^2/((q^2-M^2)^2+M^2\Gamma^2)` and
:math:`\int dq^2/(2\pi)\,|\cdot|^2 = 1/(2M\Gamma)`, so

.. math:: \mathrm{BR}(\mu\to e\nu\bar\nu X)\,\mathrm{BR}(X\to ee)
          = \frac{1}{\Gamma_\mu}\frac{1}{2m_\mu}\int d\Phi_4\, d\Phi_2\, \frac{|N|^2}{2M\Gamma_X},

with the X pair mass fixed (10-dimensional map) and the decay's full spin correlation.

Event layout: particles ``[e+, e+, e-, nu_e, nubar_mu]`` (pdg -11, -11, 11, 12, -14); signals
append X (status 2; pdg 54 if spin 0, 55 if spin 1: :func:`muonbsm.constants.x_pdg`) at
index 5, whose daughters are particles 1 (e+) and 2 (e-). The muon
decays at rest at the origin; X decay vertices are displaced by a sampled decay length
unless ``prompt``. Per-event scalars ``polarization_x/y/z`` give the muon polarisation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from collections.abc import Callable
from typing import Any

import awkward as ak
import numpy as np
from numpy.typing import NDArray

from muonbsm.constants import GAMMA_MU, M_E, M_MU, x_pdg
from muonbsm.errors import InputError
from muonbsm.events import STATUS_DECAYED, from_arrays
from muonbsm.generator.processes.mu3e.matrix_element import me2_ic, me2_signal
from muonbsm.generator.processes.mu3e.cuts import LeptonCuts, MeeWindow
from muonbsm.generator.decays.kinematics import decay_vertices, flight_directions
from muonbsm.generator.processes.mu3e.kinematics import MuonDecayChannel
from muonbsm.generator.processes.mu3e.photon_channel import PhotonPairChannel
from muonbsm.models.mu3e import XModel

__all__ = ["InternalConversion", "XEmission", "MU3E_POLARIZATION", "flat_matrix_element"]

#: Mu3e: surface muons polarised at 86% against the beam (+z), mu3e.md Sec. 1.
MU3E_POLARIZATION: tuple[float, float, float] = (0.0, 0.0, -0.86)
_PDG = np.array([-11, -11, 11, 12, -14])
_CHARGED = (0, 1, 2)


def flat_matrix_element(p1: NDArray, p2: NDArray, pm: NDArray, pnu: NDArray, pnubar: NDArray, pol: NDArray) -> NDArray:
    """A constant :math:`|M|^2 = 1` GeV^-4: pure phase space through the IC machinery (tests,
    benchmarks and the phase-space reference of the detector calibration)."""
    return np.ones(len(p1))


def _check_polarization(pol: tuple[float, float, float]) -> NDArray[np.float64]:
    vec = np.asarray(pol, dtype=float)
    if vec.shape != (3,) or not np.all(np.isfinite(vec)) or np.linalg.norm(vec) > 1.0 + 1e-12:
        raise ValueError(f"polarization must be a 3-vector with |P| <= 1, got {pol}")
    return vec


def _scalars(pol: NDArray[np.float64], n: int) -> dict[str, NDArray[np.float64]]:
    return {f"polarization_{c}": np.full(n, pol[i]) for i, c in enumerate("xyz")}


def _momentum_fields(p: NDArray[np.float64]) -> dict[str, NDArray[np.float64]]:
    return {"E": p[..., 0], "px": p[..., 1], "py": p[..., 2], "pz": p[..., 3]}


@dataclass(frozen=True)
class InternalConversion:
    r""":math:`\mu^+ \to e^+ e^+ e^- \nu_e \bar\nu_\mu` at LO (four diagrams, exact m_e).

    Parameters: muon ``polarization`` vector; per-lepton ``cuts``; optional ``mee_window``
    (either pairing inside, GeV); ``matrix_element(p1, p2, pm, pnu, pnubar, pol)`` returning
    the spin-summed :math:`|M|^2` [GeV^-4] (default: the full LO kernel).

    Channels (:class:`PhotonPairChannel`), each with its positron-exchanged mirror in the
    partition of unity: inclusive, ``radiation`` (photon pair log-sampled, the collinear
    e+ -> e+ gamma* pole mapped); with a window, ``photon`` (window pair and a light photon
    pair distinct), ``photon-radiation`` (the same with the radiation pole mapped) and
    ``pair-radiation`` (photon pair in the window, radiation pole mapped). Each maps the
    whole fiducial phase space; together they reach unweighting efficiencies of ~10-25%
    (``benchmarks/mu3e_generation.py``).
    """

    polarization: tuple[float, float, float] = MU3E_POLARIZATION
    cuts: LeptonCuts = field(default_factory=LeptonCuts)
    mee_window: MeeWindow | None = None
    matrix_element: Callable[..., NDArray[np.float64]] = field(default=me2_ic, repr=False)
    unit: str = "BR"

    def __post_init__(self) -> None:
        _check_polarization(self.polarization)

    @cached_property
    def _range(self) -> tuple[float, float]:
        lo, hi = 2.0 * M_E, M_MU - M_E
        if self.mee_window is None:
            return lo, hi
        win = self.mee_window
        if win.lo >= hi or win.hi <= lo:
            raise ValueError(f"mee window [{win.lo}, {win.hi}] GeV lies outside [{lo:.6g}, {hi:.6g}] GeV")
        return max(lo, win.lo), min(hi, win.hi)

    @cached_property
    def channels(self) -> list[_ICChannel]:
        """The phase-space channels whose integrals add up to the fiducial BR."""
        lo, hi = self._range
        if self.mee_window is None:
            return [_ICChannel(self, "radiation", PhotonPairChannel(lo, hi, s3_log=True))]
        full = (2.0 * M_E, M_MU - M_E)
        return [
            _ICChannel(self, "photon", PhotonPairChannel(lo, hi)),
            _ICChannel(self, "photon-radiation", PhotonPairChannel(lo, hi, s3_log=True)),
            _ICChannel(self, "pair-radiation", PhotonPairChannel(*full, s3_log=True, photon_lo=lo, photon_hi=hi)),
        ]

    def denominator(self, p: NDArray[np.float64]) -> NDArray[np.float64]:
        """Sum of the densities of all channels and their positron-exchanged mirrors at ``p``."""
        total = np.zeros(len(p))
        for ch in self.channels:
            total += ch.mapping_density(p, mirrored=False) + ch.mapping_density(p, mirrored=True)
        return total

    def to_events(self, p: NDArray[np.float64], weight: NDArray[np.float64], rng: np.random.Generator) -> ak.Array:
        """Event records; the two positrons are put in random order (they are identical)."""
        swap = rng.random(len(weight)) < 0.5
        p = p.copy()
        p[swap, 0], p[swap, 1] = p[swap, 1], p[swap, 0].copy()
        pdg = np.broadcast_to(_PDG, p.shape[:2])
        pol = _check_polarization(self.polarization)
        return from_arrays({**_momentum_fields(p), "pdg": pdg}, weight, **_scalars(pol, len(weight)))

    def describe(self) -> dict[str, Any]:
        """Process parameters for file metadata."""
        window = None if self.mee_window is None else [self.mee_window.lo, self.mee_window.hi]
        return {"process": "mu+ -> e+ e+ e- nu_e nubar_mu (IC, LO)", "polarization": list(self.polarization),
                "min_energy_gev": self.cuts.min_energy, "min_pt_gev": self.cuts.min_pt, "mee_window_gev": window,
                "matrix_element": f"{self.matrix_element.__module__}.{self.matrix_element.__name__}"}


@dataclass(frozen=True)
class _ICChannel:
    r"""One phase-space channel of :class:`InternalConversion` (a sampling process of its own).

    Integrand per unit hypercube: :math:`|M|^2 w\, g_c / (2 m_\mu \Gamma_\mu \sum_k g_k)` with
    ``w`` the map's weight and the sum over all channels and mirrors (module docstring).
    """

    process: InternalConversion
    name: str
    mapping: MuonDecayChannel | PhotonPairChannel
    unit: str = "BR"

    @property
    def dim(self) -> int:
        """Hypercube dimension (11)."""
        return self.mapping.dim

    def mapping_density(self, p: NDArray[np.float64], mirrored: bool) -> NDArray[np.float64]:
        """Density of this channel's map at ``p`` (with the positrons' roles exchanged if ``mirrored``)."""
        a, b = (1, 0) if mirrored else (0, 1)
        if isinstance(self.mapping, PhotonPairChannel):
            return self.mapping.density(p, a, b)
        return self.mapping.density(p, (a, 2))

    def evaluate(self, u: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """dBR per unit hypercube volume at ``u`` (n, 11), and the momenta (n, 5, 4) [GeV]."""
        proc = self.process
        p, w = self.mapping.momenta(u)
        ok = w > 0
        if proc.cuts.active:
            ok &= proc.cuts.passes(p, _CHARGED)
        weight = np.zeros(len(w))
        if np.any(ok):
            q = p[ok]
            me2 = proc.matrix_element(q[:, 0], q[:, 1], q[:, 2], q[:, 3], q[:, 4], _check_polarization(proc.polarization))
            # points on the edge of a window can lose every density to rounding (D = 0): they
            # have zero measure and get zero weight instead of 0/0
            denominator = proc.denominator(q)
            own = self.mapping_density(q, mirrored=False)
            share = np.divide(w[ok] * own, denominator, out=np.zeros(len(q)), where=denominator > 0)
            weight[ok] = me2 / (2.0 * M_MU * GAMMA_MU) * share
        return weight, p

    def to_events(self, p: NDArray[np.float64], weight: NDArray[np.float64], rng: np.random.Generator) -> ak.Array:
        """Event records (see :meth:`InternalConversion.to_events`)."""
        return self.process.to_events(p, weight, rng)

    def describe(self) -> dict[str, Any]:
        """Process parameters and the channel name."""
        return {**self.process.describe(), "channel": self.name}


@dataclass(frozen=True)
class XEmission:
    """:math:`\\mu^+ \\to e^+ \\nu\\bar\\nu X, X \\to e^+e^-` in the narrow-width limit, full spin
    correlation; rate in units of BR(mu -> e nu nu X) x BR(X -> ee)."""

    model: XModel
    polarization: tuple[float, float, float] = MU3E_POLARIZATION
    cuts: LeptonCuts = field(default_factory=LeptonCuts)
    mee_window: MeeWindow | None = None
    prompt: bool = True
    decay_sampling_mm: tuple[float, ...] = ()
    unit: str = "BR"

    def __post_init__(self) -> None:
        _check_polarization(self.polarization)
        if not (2 * M_E < self.model.mass < M_MU - M_E):
            raise ValueError(f"X mass {self.model.mass} GeV must lie in ({2 * M_E:.6g}, {M_MU - M_E:.6g}) GeV")
        if self.decay_sampling_mm:
            if self.prompt:
                raise InputError("decay_sampling_mm: needs prompt = False")
            if not all(np.isfinite(x) and x > 0 for x in self.decay_sampling_mm):
                raise InputError(f"decay_sampling_mm: lab mean decay lengths must be > 0 mm, got {self.decay_sampling_mm}")
        elif not self.prompt and self.model.ctau_mm is None:
            raise InputError("[model] ctau: a muon-only X (BR(X -> ee) = 1 assumed) needs a stated c tau [mm] "
                             "for displaced decays (prompt = false)")

    def _decay_lengths(self, x: NDArray[np.float64], rng: np.random.Generator) -> tuple[NDArray, NDArray, NDArray]:
        """Decay vertices (n, 3) [mm], lab decay lengths L (n,) [mm] and beta gamma (n,) of X."""
        beta_gamma = np.linalg.norm(x[:, 1:], axis=-1) / self.model.mass
        if not self.decay_sampling_mm:
            if self.model.ctau_mm is None:  # rejected by __post_init__ (frozen); narrows the Optional
                raise InputError("[model] ctau: displaced decays (prompt = false) need a stated c tau [mm]")
            vertex, length = decay_vertices(x, self.model.ctau_mm, rng)
            return vertex, length, beta_gamma
        means = np.asarray(self.decay_sampling_mm, dtype=np.float64)
        length = means[rng.integers(0, means.size, len(x))] * rng.exponential(1.0, len(x))
        return length[:, None] * flight_directions(x), length, beta_gamma

    @cached_property
    def channel(self) -> MuonDecayChannel:
        """The phase-space map with the X pair mass fixed."""
        return MuonDecayChannel(self.model.mass, self.model.mass)

    @property
    def dim(self) -> int:
        """Hypercube dimension (10)."""
        return self.channel.dim

    def evaluate(self, u: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """d[BR x BR(X->ee)] per unit hypercube volume at ``u`` (n, 10), and momenta (n, 5, 4)."""
        p, w = self.channel.momenta(u)
        pol = _check_polarization(self.polarization)
        num = me2_signal(p[:, 1], p[:, 0], p[:, 2], p[:, 3], p[:, 4], pol, self.model)
        weight = num / (2.0 * self.model.mass * self.model.narrow_width_norm) * w / (2.0 * M_MU * GAMMA_MU)
        if self.cuts.active:
            weight = np.where(self.cuts.passes(p, _CHARGED), weight, 0.0)
        if self.mee_window is not None:
            win = self.mee_window
            m2 = np.sqrt(np.maximum((p[:, 1] + p[:, 2])[:, 0] ** 2 - np.sum((p[:, 1] + p[:, 2])[:, 1:] ** 2, axis=1), 0))
            inside = (win.lo <= self.model.mass <= win.hi) | ((m2 >= win.lo) & (m2 <= win.hi))
            weight = np.where(inside, weight, 0.0)
        return weight, p

    def to_events(self, p: NDArray[np.float64], weight: NDArray[np.float64], rng: np.random.Generator) -> ak.Array:
        """Event records: [e+ (Michel), e+ (from X), e-, nu_e, nubar_mu, X]."""
        n = len(weight)
        x = p[:, 0] + p[:, 2]
        mom = np.stack([p[:, 1], p[:, 0], p[:, 2], p[:, 3], p[:, 4], x], axis=1)
        vertex = np.zeros((n, 6, 3))
        extra: dict[str, NDArray[np.float64]] = {}
        if not self.prompt:
            vtx, length, beta_gamma = self._decay_lengths(x, rng)
            vertex[:, 1:3] = vtx[:, None, :]
            extra = {"x_decay_length_mm": length, "x_beta_gamma": beta_gamma}
        fields = {**_momentum_fields(mom), "pdg": np.broadcast_to(np.append(_PDG, x_pdg(self.model.kind)), (n, 6)),
                  "status": np.broadcast_to([1, 1, 1, 1, 1, STATUS_DECAYED], (n, 6)),
                  "mother": np.broadcast_to([-1, 5, 5, -1, -1, -1], (n, 6)),
                  "charge": np.broadcast_to(np.array([1, 1, -1, 0, 0, 0], dtype=np.float32), (n, 6)),
                  "vx": vertex[..., 0], "vy": vertex[..., 1], "vz": vertex[..., 2]}
        pol = _check_polarization(self.polarization)
        return from_arrays(fields, weight, **_scalars(pol, n), **extra)

    def describe(self) -> dict[str, Any]:
        """Process and model parameters for file metadata."""
        m = self.model
        return {"process": "mu+ -> e+ nu_e nubar_mu X, X -> e+ e- (narrow width)", "model": {k: getattr(m, k) for k in m.__dataclass_fields__},
                "br_x_to_ee": m.br_ee_assumed, "ctau_mm": m.ctau_mm, "prompt": self.prompt,
                "decay_sampling_mm": list(self.decay_sampling_mm),
                "polarization": list(self.polarization), "min_energy_gev": self.cuts.min_energy,
                "min_pt_gev": self.cuts.min_pt,
                "mee_window_gev": None if self.mee_window is None else [self.mee_window.lo, self.mee_window.hi]}
