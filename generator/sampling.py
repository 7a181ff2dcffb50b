r"""Adaptive sampling with vegas: training, integrals with errors, weighted and unweighted events.

A *process* is any object with

* ``dim``: the number of unit-hypercube dimensions of its phase-space map;
* ``evaluate(u) -> (w, kin)``: the integrand per unit hypercube volume (in the unit of the
  sample: branching ratio for decays, pb for cross sections) at points ``u`` (n, dim), and
  the kinematics needed to build events;
* ``to_events(kin, weight, rng) -> awkward.Array``: the event records (:mod:`muonbsm.events`).

A process may be the sum of several phase-space *channels* (``process.channels``, a list of
such objects whose integrals add up to the process's): each gets its own vegas grid,
:func:`train_channels` trains them all and :mod:`muonbsm.generator.generate` shares the events
among them.

vegas (Lepage, J. Comput. Phys. 27 (1978) 192; arXiv:2009.05112) adapts a map
:math:`u = x(y)` with jacobian :math:`J(y)`; a point :math:`y \sim U(0,1)^d` then carries
the weight :math:`f(x(y)) J(y)`, whose mean is the integral.

Seeds: one master seed drives everything through :mod:`muonbsm.seeds`:
``("generation.training", i)`` trains the grid of channel ``i``, ``("generation.probe", i)``
probes its maximum weight and ``("generation.chunk", k)`` generates chunk ``k``, so every
chunk's random numbers are fixed by (seed, k) whatever executes it.

>>> import numpy as np
>>> class Box:
...     dim = 2
...     def evaluate(self, u):
...         return 3 * u[:, 0] ** 2, None
>>> grid = train(Box(), seed=1, nitn=5, neval=2000)
>>> abs(grid.integral - 1) < 5 * grid.error
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import awkward as ak
import numpy as np
import vegas
from numpy.typing import NDArray

from muonbsm import seeds

__all__ = [
    "Process",
    "MultiChannelProcess",
    "AnyProcess",
    "Grid",
    "ChunkResult",
    "seed_sequence",
    "channels_of",
    "train",
    "train_channels",
    "hypercube_weights",
    "max_weight",
    "run_chunk",
]


class Process(Protocol):
    """What :mod:`muonbsm.generator.sampling` needs of a physics process (one phase-space
    channel); a multi-channel process instead lists its channels (:func:`channels_of`)."""

    @property
    def dim(self) -> int: ...

    def evaluate(self, u: NDArray[np.float64]) -> tuple[NDArray[np.float64], Any]: ...

    def to_events(self, kin: Any, weight: NDArray[np.float64], rng: np.random.Generator) -> ak.Array: ...


class MultiChannelProcess(Protocol):
    """A process that is the sum of phase-space channels, each a :class:`Process`."""

    @property
    def channels(self) -> Sequence[Process]: ...


#: What the run engine takes: one channel or a multi-channel process (:func:`channels_of`).
AnyProcess = Process | MultiChannelProcess


def seed_sequence(seed: int, stream: str, index: int = 0) -> np.random.SeedSequence:
    """The seed sequence of the :mod:`muonbsm.seeds` stream ``stream`` (a ``generation.*``
    name) and ``index`` under the master ``seed``."""
    return seeds.seed_sequence(seed, stream, index)


@dataclass
class Grid:
    """A trained vegas map and the integral it measured (in the unit of the process)."""

    vmap: vegas.AdaptiveMap
    integral: float
    error: float
    chi2_dof: float
    neval: int

    def sample(self, n: int, rng: np.random.Generator) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Draw ``n`` points: hypercube coordinates ``u`` (n, dim) and vegas jacobians (n,)."""
        y = rng.random((n, self.vmap.dim))
        u = np.empty_like(y)
        jac = np.empty(n)
        self.vmap.map(y, u, jac)
        return u, jac


def channels_of(process: Any) -> list[Process]:
    """The phase-space channels of ``process`` (itself if it has none)."""
    return list(getattr(process, "channels", [process]))


def train(process: Process, seed: int, nitn: int = 10, neval: int = 100_000, warmup: int | None = None, index: int = 0) -> Grid:
    """Adapt a vegas grid to ``process`` (channel ``index`` of a run) and measure its integral.

    ``warmup`` iterations (default ``nitn // 2``) adapt the map and are discarded; the
    following ``nitn`` iterations are averaged (vegas' weighted average, with its chi^2/dof).
    """
    warmup = nitn // 2 if warmup is None else warmup
    rng = seeds.rng(seed, "generation.training", index)
    integ = vegas.Integrator([[0.0, 1.0]] * process.dim, ran_array_generator=rng.random)

    @vegas.lbatchintegrand
    def integrand(u: NDArray[np.float64]) -> NDArray[np.float64]:
        return process.evaluate(np.asarray(u))[0]

    if warmup:
        integ(integrand, nitn=warmup, neval=neval)
    result = integ(integrand, nitn=nitn, neval=neval)
    chi2_dof = float(result.chi2 / result.dof) if result.dof > 0 else 0.0
    return Grid(integ.map, float(result.mean), float(result.sdev), chi2_dof, neval)


def train_channels(process: AnyProcess, seed: int, nitn: int = 10, neval: int = 100_000) -> list[Grid]:
    """One trained grid per channel of ``process``; the process integral is the sum of theirs."""
    return [train(ch, seed, nitn=nitn, neval=neval, index=i) for i, ch in enumerate(channels_of(process))]


def hypercube_weights(process: Process, grid: Grid, n: int, rng: np.random.Generator) -> tuple[NDArray[np.float64], Any]:
    """Weights ``f(x(y)) J(y)`` (mean = integral) of ``n`` points and their kinematics."""
    u, jac = grid.sample(n, rng)
    w, kin = process.evaluate(u)
    return w * jac, kin


def max_weight(weights: NDArray[np.float64], overweight_fraction: float = 1e-3) -> float:
    """The unweighting threshold: the smallest ``w_max`` for which the weights above it carry
    at most ``overweight_fraction`` of the integral, :math:`\\sum_i \\max(w_i - w_{max}, 0) \\le
    \\epsilon \\sum_i w_i`. With ``overweight_fraction = 0`` it is the largest weight.

    Events above ``w_max`` are kept with weight ``w / w_max`` (in units of the unweighted
    event weight), so the sample stays unbiased; the threshold only trades efficiency for
    a few events of larger weight.
    """
    w = np.sort(np.asarray(weights)[weights > 0])[::-1]
    if w.size == 0:
        raise ValueError("all probe weights are zero: the fiducial region is empty or was never sampled")
    if overweight_fraction <= 0:
        return float(w[0])
    # excess(k) = sum_{i<k} (w_i - w_k) for the threshold at the k-th largest weight
    csum = np.cumsum(w)
    k = np.arange(w.size)
    excess = (csum - w) - k * w
    ok = excess <= overweight_fraction * csum[-1]
    return float(w[np.nonzero(ok)[0][-1]])


@dataclass
class ChunkResult:
    """One chunk of events and the sums needed for the integral and its error."""

    events: ak.Array
    n_trials: int
    sum_w: float  # sum of f*J over trials
    sum_w2: float
    n_overweight: int
    excess: float = 0.0  # sum of max(f*J - w_max, 0): the part of the integral above the threshold


def run_chunk(
    process: Process,
    grid: Grid,
    index: int,
    seed: int,
    n_trials: int,
    n_trials_total: int,
    w_max: float | None = None,
) -> ChunkResult:
    """Generate chunk ``index``: ``n_trials`` points, weighted (``w_max`` None) or hit-or-miss
    unweighted against ``w_max``.

    Event weights are normalised to the whole run of ``n_trials_total`` points, so the sum over
    all chunks estimates the fiducial rate: ``w_i = f_i J_i / N`` for weighted events and
    ``max(f_i J_i, w_max) / N`` for accepted unweighted ones. Zero-weight points (outside cuts)
    are not stored.
    """
    rng = seeds.rng(seed, "generation.chunk", index)
    w, kin = hypercube_weights(process, grid, n_trials, rng)
    excess = 0.0
    if w_max is None:
        keep = w > 0
        stored = w / n_trials_total
        n_over = 0
    else:
        keep = rng.random(n_trials) * w_max < w
        stored = np.maximum(w, w_max) / n_trials_total
        n_over = int(np.count_nonzero(keep & (w > w_max)))
        excess = float(np.maximum(w - w_max, 0.0).sum())
    idx = np.nonzero(keep)[0]
    events = process.to_events(_take(kin, idx), stored[idx], rng)
    return ChunkResult(events, n_trials, float(w.sum()), float(np.square(w).sum()), n_over, excess)


def _take(kin: Any, idx: NDArray[np.intp]) -> Any:
    """Select rows ``idx`` of the kinematics (an array or a dict of arrays)."""
    if isinstance(kin, dict):
        return {k: v[idx] for k, v in kin.items()}
    return kin[idx]
