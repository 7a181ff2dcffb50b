"""Kinematic variables of the Mu3e search ``mu+ -> e+ nu nubar (X -> e+ e-)``.

Follows Secs. II-III, Eqs. (2)-(5) and App. B of Knapen, Langhoff, Opferkuch, Redigolo 2023,
"Angling for insights" (arXiv:2311.17913):

* the two opposite-sign pairings ``m1 = m(e+_0, e-)`` and ``m2 = m(e+_1, e-)``;
* for a hypothesis ``m_X`` the pairing closest to it, Eq. (2):
  ``m_ee = argmin_{m1, m2} |m - m_X|``; its positron is ``e+_X``, the other one the
  solitary ``e+_s``;
* normalised energies ``x_i = 2 E_i / m_mu``, Eq. (3);
* the angles between three-momenta ``cos theta(e+_s, e-)``, ``cos theta(e+_s, e+_X)``,
  Eqs. (4)-(5);
* with polarisation (App. B): the cosines of the angles of ``p_X = p(e+_X) + p(e-)`` and of
  ``p(e+_s)`` to the muon polarisation vector.

Inputs are plain arrays: the three charged-lepton four-momenta as ``(n, 4)`` arrays
``(E, px, py, pz)`` [GeV] and, optionally, the ``(n, 3)`` polarisation vectors, so that
truth-level events (:func:`leptons_from_events`) and detector-level arrays share the code.
The registry :data:`VARIABLES` maps names to functions of a :class:`Pairing`; users add
their own with :func:`register_variable`.

>>> import numpy as np
>>> ep0 = np.array([[0.02, 0.0, 0.0, 0.02]]); ep1 = np.array([[0.03, 0.0, 0.03, 0.0]])
>>> em = np.array([[0.02, 0.0, 0.0, -0.02]])
>>> out = evaluate(["m1", "m2", "cos_es_em"], ep0, ep1, em, m_x=0.04)
>>> [round(float(out[k][0]), 4) for k in ("m1", "m2", "cos_es_em")]
[0.04, 0.0346, 0.0]
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import awkward as ak
import numpy as np
from numpy.typing import NDArray

from muonbsm.constants import M_MU
from muonbsm.events import four_momenta

__all__ = [
    "Pairing",
    "VARIABLES",
    "invariant_mass",
    "cos_angle",
    "pair",
    "register_variable",
    "evaluate",
    "leptons_from_events",
    "evaluate_events",
]

Array = NDArray[np.float64]


def _four(p: NDArray, name: str) -> Array:
    arr = np.asarray(p, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] != 4:
        raise ValueError(f"{name} must have shape (n, 4) = (E, px, py, pz) [GeV], got {arr.shape}")
    return arr


def invariant_mass(p1: NDArray, p2: NDArray) -> Array:
    """Invariant mass ``sqrt((p1 + p2)^2)`` [GeV] of two ``(n, 4)`` four-momenta [GeV].

    Negative ``(p1 + p2)^2`` from rounding is clipped to zero.
    """
    p = _four(p1, "p1") + _four(p2, "p2")
    m2 = p[:, 0] ** 2 - np.sum(p[:, 1:] ** 2, axis=1)
    return np.sqrt(np.clip(m2, 0.0, None))


def cos_angle(a: NDArray, b: NDArray) -> Array:
    """Cosine of the angle between three-vectors ``a`` and ``b`` of shape ``(n, 3)``.

    ``a . b / (|a| |b|)`` clipped to ``[-1, 1]``; zero-length vectors give 0.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    norm = np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1)
    dot = np.sum(a * b, axis=-1)
    safe = np.where(norm > 0, norm, 1.0)
    return np.where(norm > 0, np.clip(dot / safe, -1.0, 1.0), 0.0)


@dataclass(frozen=True)
class Pairing:
    """The pairing of the three charged leptons for one mass hypothesis.

    Attributes
    ----------
    m_x : hypothesis mass [GeV]
    m1, m2 : ``m(e+_0, e-)`` and ``m(e+_1, e-)`` [GeV], shape ``(n,)``
    first : ``True`` where pairing 1 (``e+_0``) is the one closest to ``m_x``
    p_ex, p_es, p_em : four-momenta ``(n, 4)`` [GeV] of ``e+_X``, the solitary ``e+_s``, ``e-``
    polarization : ``(n, 3)`` muon polarisation vectors, or ``None``
    """

    m_x: float
    m1: Array
    m2: Array
    first: NDArray[np.bool_]
    p_ex: Array
    p_es: Array
    p_em: Array
    polarization: Array | None = None

    @property
    def m_ee(self) -> Array:
        """Mass of the chosen pair [GeV], Eq. (2) of Knapen et al., arXiv:2311.17913."""
        return np.where(self.first, self.m1, self.m2)

    @property
    def p_x(self) -> Array:
        """Four-momentum ``p(e+_X) + p(e-)`` of the X candidate [GeV]."""
        return self.p_ex + self.p_em

    def require_polarization(self) -> Array:
        """The polarisation vectors; ValueError if they were not given."""
        if self.polarization is None:
            raise ValueError("polarization (n, 3) is required for the polarisation angles")
        return self.polarization


def pair(
    p_ep0: NDArray,
    p_ep1: NDArray,
    p_em: NDArray,
    m_x: float,
    polarization: NDArray | None = None,
) -> Pairing:
    """Choose, per event, the ``e+ e-`` pairing closest to ``m_x`` [GeV] (Knapen et al., Eq. (2)).

    ``p_ep0, p_ep1, p_em`` are ``(n, 4)`` four-momenta ``(E, px, py, pz)`` [GeV] of the two
    positrons and the electron; ``polarization`` the optional ``(n, 3)`` polarisation vectors.
    Ties ``|m1 - m_x| == |m2 - m_x|`` choose pairing 1.
    """
    if not np.isfinite(m_x) or m_x < 0:
        raise ValueError(f"m_x must be a finite mass >= 0 GeV, got {m_x}")
    ep0, ep1, em = _four(p_ep0, "p_ep0"), _four(p_ep1, "p_ep1"), _four(p_em, "p_em")
    if not (len(ep0) == len(ep1) == len(em)):
        raise ValueError("p_ep0, p_ep1 and p_em must have the same number of events")
    pol = None
    if polarization is not None:
        pol = np.asarray(polarization, dtype=np.float64)
        if pol.shape != (len(ep0), 3):
            raise ValueError(f"polarization must have shape ({len(ep0)}, 3), got {pol.shape}")
    m1 = invariant_mass(ep0, em)
    m2 = invariant_mass(ep1, em)
    first = np.abs(m1 - m_x) <= np.abs(m2 - m_x)
    sel = first[:, None]
    return Pairing(
        m_x=float(m_x),
        m1=m1,
        m2=m2,
        first=first,
        p_ex=np.where(sel, ep0, ep1),
        p_es=np.where(sel, ep1, ep0),
        p_em=em,
        polarization=pol,
    )


def _x(p: Array) -> Array:
    """Normalised energy ``x = 2 E / m_mu`` (Knapen et al., Eq. (3))."""
    return 2.0 * p[:, 0] / M_MU


#: Registry of variables by name; each maps a :class:`Pairing` to an ``(n,)`` array.
VARIABLES: dict[str, Callable[[Pairing], Array]] = {
    "m_ee": lambda p: p.m_ee,
    "m1": lambda p: p.m1,
    "m2": lambda p: p.m2,
    "x_es": lambda p: _x(p.p_es),
    "x_ex": lambda p: _x(p.p_ex),
    "x_em": lambda p: _x(p.p_em),
    "cos_es_em": lambda p: cos_angle(p.p_es[:, 1:], p.p_em[:, 1:]),
    "cos_es_ex": lambda p: cos_angle(p.p_es[:, 1:], p.p_ex[:, 1:]),
    "cos_ex_em": lambda p: cos_angle(p.p_ex[:, 1:], p.p_em[:, 1:]),
    "cos_x_pol": lambda p: cos_angle(p.p_x[:, 1:], p.require_polarization()),
    "cos_es_pol": lambda p: cos_angle(p.p_es[:, 1:], p.require_polarization()),
}


def register_variable(name: str, func: Callable[[Pairing], Array], overwrite: bool = False) -> None:
    """Add ``func(pairing) -> (n,) array`` to :data:`VARIABLES` under ``name``.

    Raises ValueError if ``name`` exists and ``overwrite`` is False.
    """
    if name in VARIABLES and not overwrite:
        raise ValueError(f"variable name {name!r} is already registered (pass overwrite=True)")
    VARIABLES[name] = func


def evaluate(
    names: Iterable[str],
    p_ep0: NDArray,
    p_ep1: NDArray,
    p_em: NDArray,
    m_x: float,
    polarization: NDArray | None = None,
) -> dict[str, Array]:
    """Evaluate the registered variables ``names`` for hypothesis ``m_x`` [GeV].

    Returns a dict name -> ``(n,)`` array. Momenta as in :func:`pair`.
    """
    p = pair(p_ep0, p_ep1, p_em, m_x, polarization)
    out: dict[str, Array] = {}
    for name in names:
        if name not in VARIABLES:
            raise ValueError(f"unknown variable {name!r}; registered: {sorted(VARIABLES)}")
        out[name] = np.asarray(VARIABLES[name](p), dtype=np.float64)
    return out


def leptons_from_events(events: ak.Array) -> tuple[Array, Array, Array, Array | None]:
    """Adapter from the muonbsm event schema (Mu3e layout) to arrays.

    Particles 0 and 1 are the positrons, 2 the electron (``muonbsm.events``). Returns
    ``(p_ep0, p_ep1, p_em, polarization)`` with ``(n, 4)`` momenta [GeV] and the ``(n, 3)``
    polarisation vectors from ``polarization_x/_y/_z`` (``None`` if the sample has none).
    """
    pdg = ak.to_numpy(events.particles.pdg[:, :3])
    if not (np.all(pdg[:, :2] == -11) and np.all(pdg[:, 2] == 11)):
        raise ValueError("events must have e+ (-11) at indices 0, 1 and e- (11) at index 2")
    fields = set(events.fields)
    pol = None
    if {"polarization_x", "polarization_y", "polarization_z"} <= fields:
        pol = np.stack([ak.to_numpy(events[f"polarization_{c}"]) for c in "xyz"], axis=-1).astype(np.float64)
    return four_momenta(events, 0), four_momenta(events, 1), four_momenta(events, 2), pol


def evaluate_events(names: Iterable[str], events: ak.Array, m_x: float) -> dict[str, Array]:
    """:func:`evaluate` on a muonbsm event sample (via :func:`leptons_from_events`), ``m_x`` [GeV]."""
    ep0, ep1, em, pol = leptons_from_events(events)
    return evaluate(names, ep0, ep1, em, m_x, pol)
