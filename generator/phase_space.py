r"""Phase space from the unit hypercube by sequential two-body factorisation.

Convention (PDG, "Kinematics" review, Eq. 49.12 ff.): the n-body element

.. math::
    d\Phi_n(P; p_1..p_n) = (2\pi)^4 \delta^4(P - \textstyle\sum p_i) \prod_i \frac{d^3p_i}{(2\pi)^3 2E_i},

so that a decay width is :math:`\Gamma = \frac{1}{2M}\int |M|^2 d\Phi_n`. It factorises as

.. math::
    d\Phi_n(P; p_1..p_n) = d\Phi_{j}(q; p_1..p_j)\, d\Phi_{n-j+1}(P; q, p_{j+1}..p_n)\, \frac{dq^2}{2\pi},
    \qquad d\Phi_2(P; p_1, p_2) = \frac{|p^*|}{16\pi^2 \sqrt{s}}\, d\Omega^*.

Each two-body decay uses two hypercube coordinates, ``cos = 2u - 1`` and ``phi = 2 pi u'``,
so its weight per unit hypercube volume is :math:`|p^*| / (4\pi\sqrt{s})`.

>>> import numpy as np
>>> rng = np.random.default_rng(1)
>>> p, w = flat_decay(1.0, [0.0, 0.0], 4, rng)
>>> bool(np.allclose(w, 1 / (8 * np.pi)))
True
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import overload

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "kallen",
    "two_body_momentum",
    "two_body_weight",
    "boost",
    "two_body_decay",
    "invariant_mass_squared",
    "flat_decay",
    "massless_volume",
]

FloatArray = NDArray[np.float64]
# A mass [GeV] or an array of them; float and array arguments broadcast together.
Real = float | FloatArray


def kallen(a: FloatArray, b: FloatArray, c: FloatArray) -> FloatArray:
    """Kallen function :math:`\\lambda(a,b,c) = a^2+b^2+c^2-2ab-2ac-2bc` (arguments in GeV^2)."""
    return a * a + b * b + c * c - 2.0 * (a * b + a * c + b * c)


# Overloads: floats give a float (a numpy scalar), any array an array. mypy's overlap check flags
# the first (a value typed Real that holds floats would be typed as an array): accepted.
@overload
def two_body_momentum(m: float, m1: float, m2: float) -> float: ...  # type: ignore[overload-overlap]
@overload
def two_body_momentum(m: Real, m1: Real, m2: Real) -> FloatArray: ...
def two_body_momentum(m: Real, m1: Real, m2: Real) -> Real:
    """Daughter momentum |p*| [GeV] in the rest frame of mass ``m`` decaying to ``m1 + m2`` (GeV).

    Returns 0 below threshold instead of NaN.
    """
    lam = kallen(np.square(m), np.square(m1), np.square(m2))
    return np.sqrt(np.maximum(lam, 0.0)) / (2.0 * m)


@overload
def two_body_weight(m: float, m1: float, m2: float) -> float: ...  # type: ignore[overload-overlap]  # as above
@overload
def two_body_weight(m: Real, m1: Real, m2: Real) -> FloatArray: ...
def two_body_weight(m: Real, m1: Real, m2: Real) -> Real:
    """Two-body phase-space weight per unit (cos, phi) hypercube square, :math:`|p^*|/(4\\pi m)`."""
    return two_body_momentum(m, m1, m2) / (4.0 * np.pi * m)


def invariant_mass_squared(p: FloatArray) -> FloatArray:
    """Invariant mass squared [GeV^2] of four-vectors ``[..., 4]`` = (E, px, py, pz)."""
    return p[..., 0] ** 2 - p[..., 1] ** 2 - p[..., 2] ** 2 - p[..., 3] ** 2


def boost(p: FloatArray, parent: FloatArray) -> FloatArray:
    """Boost four-vectors ``p`` from the rest frame of ``parent`` to the frame in which
    ``parent`` has the given four-momentum (a pure boost along its velocity).

    ``parent`` is ``(..., 4)``; ``p`` has the same leading shape, optionally with extra axes
    before the last (e.g. ``(n, k, 4)`` daughters of ``(n, 4)`` parents). GeV.
    """
    parent = np.asarray(parent, dtype=np.float64)
    p = np.asarray(p, dtype=np.float64)
    extra = p.ndim - parent.ndim
    sl = (Ellipsis,) + (None,) * extra
    m = np.sqrt(np.maximum(invariant_mass_squared(parent), 0.0))[sl]
    e_par = parent[..., 0][sl]
    bvec = parent[..., 1:][(Ellipsis,) + (None,) * extra + (slice(None),)]
    pb = np.sum(p[..., 1:] * bvec, axis=-1)
    energy = (e_par * p[..., 0] + pb) / m
    factor = (p[..., 0] + energy) / (e_par + m)
    out = np.empty(np.broadcast_shapes(p.shape, bvec.shape[:-1] + (4,)))
    out[..., 0] = energy
    out[..., 1:] = p[..., 1:] + factor[..., None] * bvec
    return out


def two_body_decay(
    parent: FloatArray, m1: FloatArray, m2: FloatArray, cos_theta: FloatArray, phi: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Decay ``parent`` [n, 4] into masses ``m1, m2`` [GeV] with the direction of daughter 1
    given by (``cos_theta``, ``phi``) in the parent rest frame, axes parallel to the lab axes.

    Returns the two daughter four-momenta [n, 4] in the frame of ``parent``.
    """
    m = np.sqrt(np.maximum(invariant_mass_squared(parent), 0.0))
    q = two_body_momentum(m, m1, m2)
    sin_theta = np.sqrt(np.maximum(1.0 - cos_theta**2, 0.0))
    direction = np.stack([sin_theta * np.cos(phi), sin_theta * np.sin(phi), cos_theta], axis=-1)
    p1 = np.empty(parent.shape)
    p1[..., 0] = np.sqrt(q**2 + np.square(m1))
    p1[..., 1:] = q[..., None] * direction
    p2 = np.empty(parent.shape)
    p2[..., 0] = np.sqrt(q**2 + np.square(m2))
    p2[..., 1:] = -p1[..., 1:]
    return boost(p1, parent), boost(p2, parent)


def flat_decay(
    mass: float, daughter_masses: Sequence[float], n: int, rng: np.random.Generator
) -> tuple[FloatArray, FloatArray]:
    """Uniform n-body decay of a particle of ``mass`` [GeV] at rest, by sequential two-body decays.

    The intermediate invariant masses are sampled uniformly between their kinematic limits,
    so the returned weights vary; ``mean(weights)`` estimates the phase-space volume
    :math:`\\Phi_n` and ``weights`` make any sample a phase-space-distributed one.

    Returns
    -------
    momenta
        ``(n, k, 4)`` four-momenta (E, px, py, pz) [GeV], in the order of ``daughter_masses``.
    weights
        ``(n,)`` phase-space weights [GeV^(2k-4)].
    """
    masses = np.asarray(daughter_masses, dtype=float)
    k = masses.size
    if k < 2:
        raise ValueError(f"daughter_masses needs at least 2 entries, got {k}")
    if mass <= masses.sum():
        raise ValueError(f"mass={mass} GeV is below the threshold sum(daughter_masses)={masses.sum()} GeV")
    parent = np.zeros((n, 4))
    parent[:, 0] = mass
    weight = np.ones(n)
    out = np.empty((n, k, 4))
    current_mass = np.full(n, float(mass))
    for i in range(k - 1):
        rest = masses[i + 1 :]
        if rest.size == 1:
            m_rest = np.full(n, rest[0])
        else:
            lo, hi = rest.sum(), current_mass - masses[i]
            s_lo, s_hi = lo**2, hi**2
            s = s_lo + (s_hi - s_lo) * rng.random(n)
            m_rest = np.sqrt(s)
            weight *= (s_hi - s_lo) / (2.0 * np.pi)
        cos_theta = 2.0 * rng.random(n) - 1.0
        phi = 2.0 * np.pi * rng.random(n)
        weight *= two_body_weight(current_mass, masses[i], m_rest)
        out[:, i], parent = two_body_decay(parent, np.full(n, masses[i]), m_rest, cos_theta, phi)
        current_mass = m_rest
    out[:, k - 1] = parent
    return out, weight


def massless_volume(n: int, s: float) -> float:
    """Analytic volume of massless n-body phase space [GeV^(2n-4)] at c.m. energy squared ``s``:

    .. math:: \\Phi_n = (2\\pi)^{4-3n} (\\pi/2)^{n-1} s^{n-2} / (\\Gamma(n)\\Gamma(n-1)).
    """
    return (2 * math.pi) ** (4 - 3 * n) * (math.pi / 2) ** (n - 1) * s ** (n - 2) / (math.gamma(n) * math.gamma(n - 1))
