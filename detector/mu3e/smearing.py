r"""Resolution models: momentum smearing per track class and m_ee smearing (Gaussian or Crystal Ball).

Crystal Ball (Oreglia, SLAC-R-236 (1980); Gaiser, SLAC-R-255 (1982), App. F), in the
standardised variable :math:`t = (x - \mu)/\sigma`, with a low-side tail:

.. math::
    f(t) \propto \begin{cases} e^{-t^2/2}, & t > -\alpha \\
    A (B - t)^{-n}, & t \le -\alpha \end{cases},\qquad
    A = (n/\alpha)^n e^{-\alpha^2/2},\quad B = n/\alpha - \alpha .

The Gaussian part integrates to :math:`G = \sqrt{2\pi}\,\Phi(\alpha)` and the tail to
:math:`T = \frac{n}{\alpha(n-1)} e^{-\alpha^2/2}`; sampling picks the tail with probability
:math:`T/(T+G)` and inverts each part's CDF. With the tail, sigma is the Gaussian core width.

>>> import numpy as np
>>> t = standard_crystal_ball(np.random.default_rng(2), 200_000, alpha=1.5, n=3.0)
>>> bool(abs(np.median(t)) < 0.1 and t.min() < -8)
True
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.special import ndtr, ndtri

from muonbsm.constants import M_E
from muonbsm.detector.mu3e.config import Resolution

__all__ = ["standard_crystal_ball", "crystal_ball_pdf", "smear_mee", "smear_momenta", "mee_rms"]


def _cb_parts(alpha: float, n: float) -> tuple[float, float, float, float]:
    a = (n / alpha) ** n * np.exp(-0.5 * alpha**2)
    b = n / alpha - alpha
    gauss = np.sqrt(2 * np.pi) * ndtr(alpha)
    tail = n / (alpha * (n - 1)) * np.exp(-0.5 * alpha**2)
    return a, b, gauss, tail


def crystal_ball_pdf(t: NDArray[np.float64], alpha: float, n: float) -> NDArray[np.float64]:
    """Normalised Crystal Ball density in the standardised variable ``t`` (unit sigma)."""
    if alpha <= 0 or n <= 1:
        raise ValueError(f"alpha must be > 0 and n > 1, got alpha={alpha}, n={n}")
    a, b, gauss, tail = _cb_parts(alpha, n)
    t = np.asarray(t, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        f = np.where(t > -alpha, np.exp(-0.5 * t**2), a * np.abs(b - t) ** (-n))
    return f / (gauss + tail)


def standard_crystal_ball(rng: np.random.Generator, size: int | tuple[int, ...], alpha: float, n: float) -> NDArray[np.float64]:
    """Draws of the standardised Crystal Ball (unit Gaussian core, tail below ``-alpha``)."""
    if alpha <= 0 or n <= 1:
        raise ValueError(f"alpha must be > 0 and n > 1, got alpha={alpha}, n={n}")
    a, b, gauss, tail = _cb_parts(alpha, n)
    u = rng.random((2,) + (size if isinstance(size, tuple) else (size,)))
    in_tail = u[0] < tail / (gauss + tail)
    lo = ndtr(-alpha)
    core = ndtri(lo + u[1] * (1.0 - lo))
    # tail CDF: A (B - t)^(1-n) / ((n-1) T) = v  ->  t = B - ((n-1) T v / A)^(1/(1-n))
    v = np.maximum(u[1], 1e-300)
    t_tail = b - ((n - 1) * tail * v / a) ** (1.0 / (1.0 - n))
    return np.where(in_tail, t_tail, core)


def mee_rms(n_long: NDArray[np.integer], mee: NDArray[np.float64], res: Resolution) -> NDArray[np.float64]:
    """m_ee RMS [GeV] for events with ``n_long`` long tracks (0..3) at pair mass ``mee`` [GeV]."""
    table = np.asarray(res.mee_rms_gev)
    return table[np.clip(n_long, 0, 3)] + res.mee_rms_slope * np.asarray(mee)


def smear_mee(mee: NDArray[np.float64], n_long: NDArray[np.integer], res: Resolution,
              rng: np.random.Generator) -> NDArray[np.float64]:
    """Smeared pair masses [GeV]: ``mee`` (n, k) plus RMS(n_long) x draw, clipped at 2 m_e.

    Each pairing is smeared independently (the real pairings share the e-; their
    correlation is not modelled). ``n_long`` has shape (n,).
    """
    mee = np.asarray(mee, dtype=np.float64)
    if res.crystal_ball:
        z = standard_crystal_ball(rng, mee.shape, res.cb_alpha, res.cb_n)
    else:
        z = rng.standard_normal(mee.shape)
    rms = mee_rms(np.asarray(n_long)[:, None], mee, res)
    return np.maximum(mee + rms * z, 2.0 * M_E)


def smear_momenta(p3: NDArray[np.float64], long: NDArray[np.bool_], res: Resolution,
                  rng: np.random.Generator) -> NDArray[np.float64]:
    """Smear |p| of tracks ``p3`` (..., 3) [GeV] by a Gaussian of width per class, keeping direction.

    Width ``momentum_long_gev`` for long tracks, ``momentum_short_gev`` otherwise; |p| is
    reflected at zero. Scattering-induced angular smearing is not modelled.
    """
    p = np.linalg.norm(p3, axis=-1)
    sigma = np.where(long, res.momentum_long_gev, res.momentum_short_gev)
    p_new = np.abs(p + sigma * rng.standard_normal(p.shape))
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.where(p > 0, p_new / p, 1.0)
    return p3 * scale[..., None]
