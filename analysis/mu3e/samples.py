"""Per-mass samples of the Mu3e reach scan: X signals and windowed IC background, cached on disk.

Seed 004, Sec. II and App. C: for each hypothesis ``m_X`` the signal is generated at a reference
coupling and the internal-conversion (IC) background with a generator-level window on *either*
pairing, ``m1 or m2 in [m_X - delta_gen, m_X + delta_gen]``, so the extreme m_ee tail is
sampled directly. Both pass the parametrised Mu3e detector (:mod:`muonbsm.detector.mu3e`).

Two lossless speed-ups, both documented in the report of the scan:

* a generator-level cut ``p_T > gen_min_pt`` on the three charged leptons. A helix from the
  target (radius <= r_t) reaches the outer pixel layer L4 (radius R_4) only if its diameter
  ``2 p_T / (0.3 B)`` exceeds ``R_4 - r_t``: ``p_T >= 0.3 B (R_4 - r_t) / 2 = 10.1 MeV`` for
  B = 1 T, R_4 = 86.3 mm, r_t = 19 mm. Tracks below the cut are never reconstructed, so the cut
  (default 9.5 MeV) removes only events with zero detector weight.
* ``delta_gen = max_half_width + margin_sigma * max(m_ee RMS)``: the reconstructed window
  ``|m_ee - m_X| < hw <= max_half_width`` is fed by true masses within ``margin_sigma`` RMS.

The total signal rate BR(mu -> e nu nu X) x BR(X -> ee) at the reference coupling (no cut)
normalises the limits; it is integrated with vegas once per model and mass and cached.

Files: ``<cache_dir>/<tag>_<hash>.parquet`` (events) and ``signal_rates.json``; a rerun with the
same settings reads them. Units: GeV.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import awkward as ak
import numpy as np
from numpy.typing import NDArray

from muonbsm import io
from muonbsm.detector.mu3e import Mu3eConfig, calibrate, load_config, simulate
from muonbsm.generator.processes.mu3e.cuts import LeptonCuts, MeeWindow
from muonbsm.generator.executors import make_executor
from muonbsm.generator.generate import TrainingOptions, generate
from muonbsm.generator.processes.mu3e.process import InternalConversion, XEmission
from muonbsm.generator.processes.registry import x_model
from muonbsm.generator.sampling import train
from muonbsm.models.mu3e import XModel

__all__ = ["ModelSpec", "SampleSettings", "DetectorLevel", "BUILTIN_MODELS", "SampleFactory"]

Array = NDArray[np.float64]
_LOG = logging.getLogger(__name__)
_COUPLING_KEYS = ("epsilon", "g_e", "g_mu", "g_v_e", "g_a_e", "g_v_mu", "g_a_mu")


@dataclass(frozen=True)
class ModelSpec:
    """An X model at a reference coupling point.

    ``process`` is a :func:`~muonbsm.generator.processes.registry.x_model` name, ``couplings``
    its keyword couplings at the reference point (all scaled together by the limit: the rate
    is proportional to the square of the common scale at fixed ratios, BR(X -> ee) fixed),
    ``coupling`` the key that is reported and ``squared`` whether its square is (eps^2).
    """

    name: str
    process: str
    couplings: dict[str, float]
    coupling: str
    squared: bool = False
    label: str = ""

    def __post_init__(self) -> None:
        for key in self.couplings:
            if key not in _COUPLING_KEYS:
                raise ValueError(f"models.{self.name}.{key}: unknown coupling; allowed {_COUPLING_KEYS}")
        if not self.couplings.get(self.coupling, 0.0) > 0:
            raise ValueError(f"models.{self.name}.coupling: {self.coupling!r} must be a coupling > 0 of the model")

    def model(self, mass: float) -> XModel:
        """The :class:`XModel` at the reference couplings, ``mass`` [GeV]."""
        return x_model(self.process, mass, **self.couplings)

    @property
    def reference_value(self) -> float:
        """Reported coupling at the reference point (squared if ``squared``)."""
        g = self.couplings[self.coupling]
        return g * g if self.squared else g

    @property
    def coupling_label(self) -> str:
        """Name of the reported coupling, e.g. ``eps^2`` or ``g_mu``."""
        name = "eps" if self.coupling == "epsilon" else self.coupling
        return f"{name}^2" if self.squared else name


def _builtin(mixed_ratio: float = 0.1) -> dict[str, ModelSpec]:
    g = 1e-4
    return {
        "dark-photon": ModelSpec("dark-photon", "dark-photon", {"epsilon": 1e-3}, "epsilon", True, "dark photon"),
        "scalar-mu": ModelSpec("scalar-mu", "scalar", {"g_mu": g}, "g_mu", False, r"scalar, $g_\mu$"),
        "pseudoscalar-mu": ModelSpec("pseudoscalar-mu", "pseudoscalar", {"g_mu": g}, "g_mu", False, r"pseudoscalar, $g_\mu$"),
        "scalar-e": ModelSpec("scalar-e", "scalar", {"g_e": g}, "g_e", False, r"scalar, $g_e$"),
        "pseudoscalar-e": ModelSpec("pseudoscalar-e", "pseudoscalar", {"g_e": g}, "g_e", False, r"pseudoscalar, $g_e$"),
        "scalar-mixed": ModelSpec("scalar-mixed", "scalar", {"g_mu": g, "g_e": mixed_ratio * g}, "g_mu", False,
                                  rf"scalar, $g_e = {mixed_ratio:g}\,g_\mu$"),
        "pseudoscalar-mixed": ModelSpec("pseudoscalar-mixed", "pseudoscalar", {"g_mu": g, "g_e": mixed_ratio * g}, "g_mu",
                                        False, rf"pseudoscalar, $g_e = {mixed_ratio:g}\,g_\mu$"),
    }


#: Built-in models (reference couplings: eps = 1e-3, g = 1e-4; mixed: g_e = 0.1 g_mu).
BUILTIN_MODELS: dict[str, ModelSpec] = _builtin()


@dataclass(frozen=True)
class SampleSettings:
    """Statistics and generation settings of the samples (units: GeV, numbers of points).

    ``background_points`` / ``signal_points``: weighted points generated per mass (points that
    fail the cuts are not stored); ``min_window_events``: target number of reconstructed
    background MC events within ``max_half_width`` of m_X (topped up to at most
    ``max_background_points``, 0 = off); ``nitn``/``neval``: vegas training; ``gen_min_pt`` [GeV]; the
    generator window half-width is ``max_half_width + margin_sigma * max RMS``; ``workers``:
    local processes for generation; ``rate_neval``: vegas points for the total signal rate.
    """

    background_points: int = 300_000
    min_window_events: int = 0
    max_background_points: int = 10_000_000
    signal_points: int = 60_000
    nitn: int = 6
    neval: int = 40_000
    gen_min_pt: float = 0.0095
    max_half_width: float = 0.002
    margin_sigma: float = 3.0
    workers: int = 1
    chunk_size: int = 100_000
    rate_neval: int = 20_000
    calibration_events: int = 200_000
    polarization: tuple[float, float, float] = (0.0, 0.0, -0.86)
    seed: int = 1
    detector_config: str = ""


@dataclass(frozen=True)
class DetectorLevel:
    """Reconstructed events that pass the detector (``weight > 0``).

    ``ep0, ep1, em``: (n, 4) reconstructed four-momenta (E, px, py, pz) [GeV] of the two
    positrons and the electron; ``m1, m2``: smeared masses of the pairings (e+_0 e-), (e+_1 e-);
    ``weight``: BR per event after the detector; ``polarization``: (n, 3); ``rate``: fiducial
    generator rate [BR] of the file; ``n_generated``: stored generator events; ``n_trials``:
    generator points evaluated (the weights of a sample sum to its rate estimate).
    """

    ep0: Array
    ep1: Array
    em: Array
    m1: Array
    m2: Array
    weight: Array
    polarization: Array
    rate: float
    n_generated: int
    n_trials: int

    def merge(self, other: DetectorLevel) -> DetectorLevel:
        """Combine two independent samples of the same process: each keeps the weight share
        of its points, ``w -> w T_k / (T_1 + T_2)`` (the combined rate is the point-weighted mean)."""
        t1, t2 = self.n_trials, other.n_trials
        f1, f2 = t1 / (t1 + t2), t2 / (t1 + t2)

        def cat(a: Array, b: Array) -> Array:
            return np.concatenate([a, b])

        return DetectorLevel(cat(self.ep0, other.ep0), cat(self.ep1, other.ep1), cat(self.em, other.em),
                             cat(self.m1, other.m1), cat(self.m2, other.m2), cat(f1 * self.weight, f2 * other.weight),
                             cat(self.polarization, other.polarization), f1 * self.rate + f2 * other.rate,
                             self.n_generated + other.n_generated, t1 + t2)


def _digest(obj: Any) -> str:
    return hashlib.sha1(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:12]


class SampleFactory:
    """Generates, caches and reconstructs the samples of a scan (one detector configuration)."""

    def __init__(self, settings: SampleSettings, cache_dir: str | Path, progress: bool = False) -> None:
        self.settings = settings
        self.cache_dir = Path(cache_dir)
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        self.progress = progress
        self.config: Mu3eConfig = load_config(settings.detector_config or None)
        self._rescale: float | None = None

    @property
    def rms_max(self) -> float:
        """Largest m_ee RMS [GeV] of the detector configuration (at m_ee = 80 MeV with the slope)."""
        res = self.config.resolution
        return float(max(res.mee_rms_gev) + res.mee_rms_slope * 0.08)

    @property
    def delta_gen(self) -> float:
        """Generator-level window half-width [GeV]."""
        return self.settings.max_half_width + self.settings.margin_sigma * self.rms_max

    def rescale(self) -> float:
        """Detector rescaling factor (:func:`~muonbsm.detector.mu3e.calibrate`), cached on disk."""
        if self._rescale is None:
            key = {"cfg": str(self.config), "n": self.settings.calibration_events, "seed": self.settings.seed}
            path = self.cache_dir / f"rescale_{_digest(key)}.json"
            if path.exists():
                self._rescale = float(json.loads(path.read_text())["rescale"])
            else:
                self._rescale = calibrate(self.config, seed=self.settings.seed, n=self.settings.calibration_events)
                path.write_text(json.dumps({"rescale": self._rescale, **key}))
        return self._rescale

    def _generate(self, process: Any, tag: str, n_points: int, seed: int) -> Path:
        s = self.settings
        key = {"process": process.describe(), "n": n_points, "seed": seed, "nitn": s.nitn, "neval": s.neval}
        path = self.cache_dir / f"{tag}_{_digest(key)}.parquet"
        if not path.exists():
            generate(process, path, n_points, seed=seed, unweighted=False, chunk_size=s.chunk_size,
                     training=TrainingOptions(nitn=s.nitn, neval=s.neval, n_probe=1000),
                     executor=make_executor(s.workers), progress=self.progress)
        return path

    def _seed(self, *parts: Any) -> int:
        return int(_digest([self.settings.seed, *parts]), 16) % (2**31)

    def _reconstruct(self, path: Path, seed: int) -> DetectorLevel:
        events, meta = io.read(path)
        det = simulate(events, self.config, np.random.default_rng(seed), rescale=self.rescale()).events
        w = ak.to_numpy(det.weight).astype(np.float64)
        keep = w > 0
        tr = det.tracks[keep]
        p = np.stack([ak.to_numpy(tr[c]).astype(np.float64) for c in ("E", "px", "py", "pz")], axis=-1)
        ev = events[keep]
        pol = np.stack([ak.to_numpy(ev[f"polarization_{c}"]) for c in "xyz"], axis=-1).astype(np.float64)
        return DetectorLevel(p[:, 0], p[:, 1], p[:, 2], ak.to_numpy(det.m_ee_1[keep]).astype(np.float64),
                             ak.to_numpy(det.m_ee_2[keep]).astype(np.float64), w[keep], pol,
                             float(meta["summary"]["rate"]), len(events), int(meta["summary"]["n_trials"]))

    def background(self, mass: float) -> DetectorLevel:
        """Detector-level IC background for the hypothesis ``mass`` [GeV] (window on either pairing).

        If fewer than ``min_window_events`` reconstructed events have the pairing closest to
        ``mass`` within ``max_half_width``, one more independent sample is generated with the
        points scaled to reach the target (at most ``max_background_points`` in total) and merged.
        """
        s = self.settings
        lo, hi = max(mass - self.delta_gen, 0.0), mass + self.delta_gen
        proc = InternalConversion(polarization=s.polarization, cuts=LeptonCuts(0.0, s.gen_min_pt),
                                  mee_window=MeeWindow(lo, hi))
        tag = f"ic_{mass * 1e3:.2f}MeV"
        seed = self._seed("ic", round(mass * 1e7))
        det = self._reconstruct(self._generate(proc, tag, s.background_points, seed), seed + 1)
        first = np.abs(det.m1 - mass) <= np.abs(det.m2 - mass)
        n_in = int(np.count_nonzero(np.abs(np.where(first, det.m1, det.m2) - mass) < s.max_half_width))
        if n_in >= s.min_window_events:
            return det
        want = s.background_points * (s.min_window_events / max(n_in, 1) - 1.0) * 1.1
        extra = int(min(want, s.max_background_points - s.background_points))
        if extra < 1000:
            return det
        seed2 = self._seed("ic-extra", round(mass * 1e7))
        return det.merge(self._reconstruct(self._generate(proc, tag + "_extra", extra, seed2), seed2 + 1))

    def signal(self, spec: ModelSpec, mass: float) -> DetectorLevel:
        """Detector-level signal of ``spec`` at ``mass`` [GeV] and its reference couplings."""
        s = self.settings
        proc = XEmission(spec.model(mass), polarization=s.polarization, cuts=LeptonCuts(0.0, s.gen_min_pt))
        seed = self._seed("signal", spec.name, round(mass * 1e7))
        path = self._generate(proc, f"{spec.name}_{mass * 1e3:.2f}MeV", s.signal_points, seed)
        return self._reconstruct(path, seed + 1)

    def total_rate(self, spec: ModelSpec, mass: float) -> tuple[float, float]:
        """Total BR(mu -> e nu nu X) x BR(X -> ee) at the reference couplings (no cuts) and its
        vegas error, cached in ``signal_rates.json``."""
        s = self.settings
        proc = XEmission(spec.model(mass), polarization=s.polarization)
        key = _digest({"p": proc.describe(), "neval": s.rate_neval, "seed": s.seed})
        path = self.cache_dir / "signal_rates.json"
        table = json.loads(path.read_text()) if path.exists() else {}
        if key not in table:
            grid = train(proc, self._seed("rate", key), nitn=s.nitn, neval=s.rate_neval)
            table[key] = [grid.integral, grid.error]
            path.write_text(json.dumps(table, indent=1, sort_keys=True))
        return float(table[key][0]), float(table[key][1])

    def describe(self) -> dict[str, Any]:
        """Settings for the output metadata."""
        return {**asdict(self.settings), "delta_gen_gev": self.delta_gen, "rescale": self.rescale()}
