"""Per-mass samples of the Mu3e reach scan: X signals and windowed IC background, cached on disk.

Knapen, Langhoff, Opferkuch, Redigolo, arXiv:2311.17913, Sec. II and App. C: for each
hypothesis ``m_X`` the signal is generated at a reference coupling and the internal-conversion
(IC) background with a generator-level window on *either* pairing,
``m1 or m2 in [m_X - delta_gen, m_X + delta_gen]``, so the extreme m_ee tail is sampled
directly. Both pass the parametrised Mu3e detector (:mod:`muonbsm.detector.mu3e`) chunk by
chunk in memory; only detector-level columns are kept (:class:`DetectorLevel`).

Lossless reductions, documented in the scan's output:

* a generator-level cut ``p_T > gen_min_pt`` on the three charged leptons. A helix from the
  target (radius <= r_t) reaches the outer pixel layer L4 (radius R_4) only if its diameter
  ``2 p_T / (0.3 B)`` exceeds ``R_4 - r_t``: ``p_T >= 0.3 B (R_4 - r_t) / 2 = 10.1 MeV`` for
  B = 1 T, R_4 = 86.3 mm, r_t = 19 mm. Tracks below the cut are never reconstructed, so the cut
  (default 9.5 MeV) removes only events with zero detector weight.
* ``delta_gen = max_half_width + margin_sigma * max(m_ee RMS)``: the reconstructed window
  ``|m_ee - m_X| < hw <= max_half_width`` is fed by true masses within ``margin_sigma`` RMS.
* background events are kept only if reconstructed (weight > 0) and if the pairing closest
  to ``m_X`` lies within ``max_half_width`` (the analysis never looks outside); signal
  events are kept if reconstructed.

The total signal rate BR(mu -> e nu nu X) x BR(X -> ee) at the reference coupling (no cut)
normalises the limits; it is integrated with vegas once per model and mass and cached.

Random streams (:mod:`muonbsm.seeds`, master ``SampleSettings.seed``), for mass index ``i``
and sample ``j`` (0 = background, ``1 + k`` = model ``k`` of the scan):

============================================================  ==================================
path                                                           used for
============================================================  ==================================
``("mass", i, "sample", j, "generation")``                     integer master seed of the
                                                               generator run (its vegas
                                                               training and chunks)
``("mass", i, "sample", j, "generation.chunk", c, "detector")``  detector of generator chunk c
``("mass", i, "sample", j, "rate")``                           vegas integral of the total rate
``("calibration.sample",)``, ``("calibration.detector",)``     the rescaling factor
============================================================  ==================================

The background top-up continues the chunk numbering of the same run (same vegas grids).

Files in ``cache_dir``: ``<tag>_<digest>.npz`` (detector-level columns, float32 momenta),
``rate_<digest>.json``, ``rescale_<digest>.json``, each written to a temporary name, fsynced
and renamed; the digest (:func:`muonbsm.hashing.digest`) covers everything that determines
the content. Units: GeV.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Callable

import awkward as ak
import numpy as np
from numpy.typing import NDArray

from muonbsm.detector.mu3e import Mu3eConfig, calibrate, load_config, simulate
from muonbsm.detector.mu3e.calibration import Rescaling
from muonbsm.detector.mu3e.maps import load_map
from muonbsm.generator.processes.mu3e.cuts import LeptonCuts, MeeWindow
from muonbsm.generator.processes.mu3e.process import InternalConversion, XEmission
from muonbsm.generator.processes.registry import x_model
from muonbsm.generator.sampling import channels_of, run_chunk, train
from muonbsm.hashing import digest
from muonbsm.models.mu3e import XModel
from muonbsm.seeds import int_seed
from muonbsm.seeds import rng as stream_rng

__all__ = ["ModelSpec", "SampleSettings", "DetectorLevel", "BUILTIN_MODELS", "SampleFactory"]

Array = NDArray[np.float64]
_COUPLING_KEYS = ("epsilon", "g_e", "g_mu", "g_v_e", "g_a_e", "g_v_mu", "g_a_mu")
#: Version of the cache layout: bump when the stored content changes meaning.
CACHE_VERSION = 2


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
    local processes, one mass point per task; ``chunk_size``: points per generator chunk
    (bounds the memory of a task); ``rate_neval``: vegas points for the total signal rate.
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


_VECTORS = ("ep0", "ep1", "em", "polarization")


@dataclass(frozen=True)
class DetectorLevel:
    """Reconstructed events that pass the detector (``weight > 0``).

    ``ep0, ep1, em``: (n, 4) reconstructed four-momenta (E, px, py, pz) [GeV] of the two
    positrons and the electron; ``m1, m2``: smeared masses of the pairings (e+_0 e-), (e+_1 e-);
    ``weight``: BR per event after the detector; ``polarization``: (n, 3); ``rate``: fiducial
    generator rate [BR] of the run; ``n_generated``: generator events that passed the cuts;
    ``n_trials``: generator points evaluated (the weights of a sample sum to its rate estimate
    times the detector efficiency).
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

    def select(self, keep: NDArray[np.bool_]) -> DetectorLevel:
        """The events where ``keep`` is True (run totals unchanged)."""
        return DetectorLevel(self.ep0[keep], self.ep1[keep], self.em[keep], self.m1[keep], self.m2[keep],
                             self.weight[keep], self.polarization[keep], self.rate, self.n_generated, self.n_trials)

    def scaled(self, factor: float) -> DetectorLevel:
        """Weights and rate times ``factor`` (re-normalising a batch to a larger run)."""
        return DetectorLevel(self.ep0, self.ep1, self.em, self.m1, self.m2, factor * self.weight,
                             self.polarization, factor * self.rate, self.n_generated, self.n_trials)

    @staticmethod
    def concatenate(parts: list[DetectorLevel]) -> DetectorLevel:
        """Events of all ``parts`` with their weights as they are; rates, counts summed."""
        cat = {f: np.concatenate([getattr(p, f) for p in parts]) for f in (*_VECTORS, "m1", "m2", "weight")}
        return DetectorLevel(**cat, rate=float(sum(p.rate for p in parts)),
                             n_generated=sum(p.n_generated for p in parts), n_trials=sum(p.n_trials for p in parts))

    def merge(self, other: DetectorLevel) -> DetectorLevel:
        """Combine two independent samples of the same process: each keeps the weight share
        of its points, ``w -> w T_k / (T_1 + T_2)`` (the combined rate is the point-weighted mean)."""
        t1, t2 = self.n_trials, other.n_trials
        return DetectorLevel.concatenate([self.scaled(t1 / (t1 + t2)), other.scaled(t2 / (t1 + t2))])

    def save(self, path: Path) -> int:
        """Write to ``path`` (npz; momenta and polarization as float32) through a temporary
        name, fsynced and renamed; returns the size in bytes."""
        arrays = {f: getattr(self, f).astype(np.float32) for f in _VECTORS}
        arrays.update(m1=self.m1, m2=self.m2, weight=self.weight,
                      totals=np.array([self.rate, self.n_generated, self.n_trials], dtype=np.float64))
        return _atomic(path, lambda fh: np.savez(fh, **arrays))

    @staticmethod
    def load(path: Path) -> DetectorLevel:
        """Read a file written by :meth:`save` (momenta back in float64)."""
        with np.load(path) as z:
            rate, n_gen, n_trials = z["totals"]
            return DetectorLevel(**{f: z[f].astype(np.float64) for f in (*_VECTORS, "m1", "m2", "weight")},
                                 rate=float(rate), n_generated=int(n_gen), n_trials=int(n_trials))


def _atomic(path: Path, write: Callable[[Any], None]) -> int:
    """Write ``path`` via a hidden temporary name in the same folder, fsync, rename."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path.stat().st_size


def _write_json(path: Path, obj: Any) -> None:
    _atomic(path, lambda fh: fh.write(json.dumps(obj, indent=1, sort_keys=True).encode()))


def _closest_within(det: DetectorLevel, mass: float, half_width: float) -> NDArray[np.bool_]:
    """Events whose pairing closest to ``mass`` lies within ``half_width`` [GeV]."""
    return np.minimum(np.abs(det.m1 - mass), np.abs(det.m2 - mass)) < half_width


class SampleFactory:
    """Generates, reconstructs and caches the samples of a scan (one detector configuration).

    Every method is deterministic in (settings, mass index, sample index): workers may build
    the samples of different masses in parallel and share the cache folder.
    """

    def __init__(self, settings: SampleSettings, cache_dir: str | Path, rescaling: Rescaling | None = None) -> None:
        self.settings = settings
        self.cache_dir = Path(cache_dir)
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        self.config: Mu3eConfig = load_config(settings.detector_config or None)
        self._rescaling = rescaling
        self._maps = (load_map(self.config.maps.short), load_map(self.config.maps.long_upgrade))

    @property
    def rms_max(self) -> float:
        """Largest m_ee RMS [GeV] of the detector configuration (at m_ee = 80 MeV with the slope)."""
        res = self.config.resolution
        return float(max(res.mee_rms_gev) + res.mee_rms_slope * 0.08)

    @property
    def delta_gen(self) -> float:
        """Generator-level window half-width [GeV]."""
        return self.settings.max_half_width + self.settings.margin_sigma * self.rms_max

    def rescaling(self) -> Rescaling:
        """Detector rescaling factor with its MC error (:func:`~muonbsm.detector.mu3e.calibrate`,
        streams ``("calibration.*",)``), cached on disk."""
        if self._rescaling is None:
            s = self.settings
            key = {"v": CACHE_VERSION, "cfg": str(self.config), "n": s.calibration_events, "seed": s.seed}
            path = self.cache_dir / f"rescale_{digest(key)[:16]}.json"
            if path.exists():
                self._rescaling = Rescaling(**json.loads(path.read_text())["rescaling"])
            else:
                self._rescaling = calibrate(self.config, s.seed, s.calibration_events, self._maps)
                _write_json(path, {"rescaling": asdict(self._rescaling), **key})
        return self._rescaling

    def _run(self, process: Any, n_points: int, path: tuple[str | int, ...],
             reduce: Callable[[DetectorLevel], DetectorLevel], top_up: Callable[[DetectorLevel], int] | None = None
             ) -> DetectorLevel:
        """Generate ``n_points`` weighted points of ``process`` chunk by chunk, simulate the
        detector on each chunk and keep ``reduce``'s events; ``top_up(first)`` returns the
        points of one more batch of the same run (same grids, next chunk numbers)."""
        s = self.settings
        gen_seed = int_seed(s.seed, *path, "generation")
        chans = channels_of(process)
        grids = [train(ch, gen_seed, nitn=s.nitn, neval=s.neval, index=i) for i, ch in enumerate(chans)]
        shares = np.array([g.integral for g in grids], dtype=np.float64)
        if not np.any(shares > 0):
            raise ValueError("the fiducial rate is zero in every channel: the cuts leave no phase space")
        rescale = self.rescaling().value
        next_chunk = 0

        def batch(n: int) -> list[tuple[int, int, DetectorLevel]]:
            """(channel, channel trials of the batch, reduced chunk) for a batch of ``n`` points;
            weights and rates are normalised to the batch's trials of the channel."""
            nonlocal next_chunk
            trials = np.floor(n * shares / shares.sum()).astype(int)
            trials[np.argmax(shares)] += n - int(trials.sum())
            out = []
            for c, n_c in enumerate(int(t) for t in trials):
                for start in range(0, n_c, s.chunk_size):
                    size = min(s.chunk_size, n_c - start)
                    res = run_chunk(chans[c], grids[c], next_chunk, gen_seed, size, n_c)
                    det = self._detector(res.events, (*path, "generation.chunk", next_chunk, "detector"), rescale)
                    out.append((c, n_c, replace(reduce(det), rate=res.sum_w / n_c, n_trials=size)))
                    next_chunk += 1
            return out

        parts = batch(n_points)
        if top_up is not None:
            extra = top_up(DetectorLevel.concatenate([p for _, _, p in parts]))
            if extra > 0:
                parts += batch(extra)
        # each channel's estimate is the point-weighted mean over its batches
        totals: dict[int, int] = {}
        for c, _, p in parts:
            totals[c] = totals.get(c, 0) + p.n_trials
        return DetectorLevel.concatenate([p.scaled(n_c / totals[c]) for c, n_c, p in parts])

    def _detector(self, events: ak.Array, path: tuple[str | int, ...], rescale: float) -> DetectorLevel:
        det = simulate(events, self.config, stream_rng(self.settings.seed, *path), rescale=rescale, maps=self._maps).events
        w = ak.to_numpy(det.weight).astype(np.float64)
        keep = w > 0
        tr = det.tracks[keep]
        p = np.stack([ak.to_numpy(tr[c]).astype(np.float64) for c in ("E", "px", "py", "pz")], axis=-1)
        ev = events[keep]
        pol = np.stack([ak.to_numpy(ev[f"polarization_{c}"]) for c in "xyz"], axis=-1).astype(np.float64)
        return DetectorLevel(p[:, 0], p[:, 1], p[:, 2], ak.to_numpy(det.m_ee_1[keep]).astype(np.float64),
                             ak.to_numpy(det.m_ee_2[keep]).astype(np.float64), w[keep], pol, 0.0, len(events), 0)

    def _cached(self, tag: str, key: dict[str, Any], build: Callable[[], DetectorLevel]) -> DetectorLevel:
        path = self.cache_dir / f"{tag}_{digest(key)[:16]}.npz"
        if path.exists():
            return DetectorLevel.load(path)
        det = build()
        det.save(path)
        return det

    def _key(self, process: Any, path: tuple[str | int, ...], **extra: Any) -> dict[str, Any]:
        s = self.settings
        return {"v": CACHE_VERSION, "process": process.describe(), "path": list(path), "seed": s.seed,
                "nitn": s.nitn, "neval": s.neval, "chunk_size": s.chunk_size, "detector": str(self.config),
                "rescale": self.rescaling().value, **extra}

    def background(self, mass: float, index: int) -> DetectorLevel:
        """Detector-level IC background for the hypothesis ``mass`` [GeV] at scan index ``index``
        (generator window on either pairing; events within ``max_half_width`` kept).

        If fewer than ``min_window_events`` reconstructed events have the pairing closest to
        ``mass`` within ``max_half_width``, the run is continued with the points scaled to
        reach the target (at most ``max_background_points`` in total).
        """
        s = self.settings
        lo, hi = max(mass - self.delta_gen, 0.0), mass + self.delta_gen
        proc = InternalConversion(polarization=s.polarization, cuts=LeptonCuts(0.0, s.gen_min_pt),
                                  mee_window=MeeWindow(lo, hi))
        path = ("mass", index, "sample", 0)

        def reduce(det: DetectorLevel) -> DetectorLevel:
            return det.select(_closest_within(det, mass, s.max_half_width))

        def top_up(first: DetectorLevel) -> int:
            n_in = first.weight.size
            if n_in >= s.min_window_events:
                return 0
            want = s.background_points * (s.min_window_events / max(n_in, 1) - 1.0) * 1.1
            extra = int(min(want, s.max_background_points - s.background_points))
            return extra if extra >= 1000 else 0

        key = self._key(proc, path, n=s.background_points, min_window=s.min_window_events,
                        max_n=s.max_background_points, half_width=s.max_half_width, mass=mass)
        return self._cached(f"ic_{mass * 1e3:.2f}MeV", key, lambda: self._run(proc, s.background_points, path, reduce, top_up))

    def signal(self, spec: ModelSpec, mass: float, index: int, model_index: int) -> DetectorLevel:
        """Detector-level signal of ``spec`` (model ``model_index`` of the scan) at ``mass``
        [GeV] (scan index ``index``) and its reference couplings."""
        s = self.settings
        proc = XEmission(spec.model(mass), polarization=s.polarization, cuts=LeptonCuts(0.0, s.gen_min_pt))
        path = ("mass", index, "sample", 1 + model_index)
        key = self._key(proc, path, n=s.signal_points)
        return self._cached(f"{spec.name}_{mass * 1e3:.2f}MeV", key,
                            lambda: self._run(proc, s.signal_points, path, lambda d: d))

    def total_rate(self, spec: ModelSpec, mass: float, index: int, model_index: int) -> tuple[float, float]:
        """Total BR(mu -> e nu nu X) x BR(X -> ee) at the reference couplings (no cuts) and its
        vegas error, cached in ``rate_<digest>.json``."""
        s = self.settings
        proc = XEmission(spec.model(mass), polarization=s.polarization)
        path = ("mass", index, "sample", 1 + model_index, "rate")
        key = {"v": CACHE_VERSION, "p": proc.describe(), "path": list(path), "neval": s.rate_neval, "nitn": s.nitn,
               "seed": s.seed}
        file = self.cache_dir / f"rate_{digest(key)[:16]}.json"
        if file.exists():
            value, error = json.loads(file.read_text())["rate"]
            return float(value), float(error)
        grid = train(proc, int_seed(s.seed, *path), nitn=s.nitn, neval=s.rate_neval)
        _write_json(file, {"rate": [grid.integral, grid.error], **key})
        return float(grid.integral), float(grid.error)

    def describe(self) -> dict[str, Any]:
        """Settings for the output metadata (with the rescaling factor and its MC error)."""
        r = self.rescaling()
        return {**asdict(self.settings), "delta_gen_gev": self.delta_gen, "rescale": r.value, "rescale_error": r.error}
