"""Target materials for fixed-target muon experiments.

Presets (PDG "Atomic and nuclear properties of materials"): Pb and W, with Z, A [g/mol],
density [g/cm^3], radiation length X0 [cm], nuclear interaction length [cm]; the atom
density ``n = rho N_A / A`` [cm^-3] (natural element) is derived. Any other nucleus:
``make_target(Z, A)``.

The scattering nucleus is one isotope, the most abundant, which is also the one with a
nuclear-PDF grid (EPS09, used by Pythia 8 for nuclear beams: ``EPS09LOR_208`` ships with
Pythia 8.3). Event files name it by its PDG code ``100ZZZAAA0`` (RPP "Monte Carlo particle
numbering scheme"), and the kinematics and cross section use its mass, the (atomic) mass of
that code in the :mod:`particle` tables, which is also the mass Pythia 8 gives it (208Pb:
193.72902 GeV), so that a reader's energy-momentum check closes. One table, the presets:

======  ==  =========  =======  ==========  =====================  =========================
target  Z   A [g/mol]  isotope  PDG code    mass used M [GeV]      A u (natural element)
======  ==  =========  =======  ==========  =====================  =========================
Pb      82  207.2      208      1000822080  193.729 (208Pb)        193.006 (-0.37%)
W       74  183.84     184      1000741840  171.349 (184W)         171.246 (-0.06%)
======  ==  =========  =======  ==========  =====================  =========================

A user target writes the isotope ``isotope`` (default ``round(A)``); its mass is that
isotope's in :mod:`particle`, or (mass number) x u (u = 0.9314941 GeV) for one it does not list.

>>> t = get_target("Pb")
>>> t.Z, round(t.n_atoms_cm3 / 1e22, 3), t.pdg
(82, 3.299, 1000822080)
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import scipy.constants as _codata
from particle import Particle, ParticleNotFound

__all__ = ["Target", "TARGETS", "ATOMIC_MASS_UNIT_GEV", "make_target", "get_target", "nucleus_pdg"]

#: Atomic mass unit in GeV (CODATA).
ATOMIC_MASS_UNIT_GEV: float = _codata.physical_constants[
    "atomic mass constant energy equivalent in MeV"][0] * 1e-3
_N_A: float = _codata.N_A


@dataclass(frozen=True)
class Target:
    """A target material. Units: density g/cm^3, lengths cm, n_atoms cm^-3, mass GeV;
    ``isotope``: mass number of the nucleus written to event files (default ``round(A)``)."""

    name: str
    Z: int
    A: float
    density_g_cm3: float | None = None
    x0_cm: float | None = None
    lambda_int_cm: float | None = None
    isotope: int | None = None

    @property
    def pdg(self) -> int:
        """PDG code 100ZZZAAA0 of the isotope written to event files."""
        return nucleus_pdg(self.Z, round(self.A) if self.isotope is None else self.isotope)

    @property
    def nucleus_mass(self) -> float:
        """Mass [GeV] of the isotope of :attr:`pdg` (``particle`` tables; mass number x u if not listed)."""
        return _isotope_mass(self.pdg)

    @property
    def n_atoms_cm3(self) -> float:
        """Number density of atoms rho N_A / A in cm^-3 (needs the density)."""
        if self.density_g_cm3 is None:
            raise ValueError(f"target {self.name!r} has no density; pass density_g_cm3")
        return self.density_g_cm3 * _N_A / self.A


@lru_cache(maxsize=None)
def _isotope_mass(pdg: int) -> float:
    """Mass [GeV] of the nucleus code ``pdg`` in :mod:`particle`, else (mass number) x u."""
    try:
        mass = Particle.from_pdgid(pdg).mass
    except ParticleNotFound:
        mass = None
    return (pdg // 10) % 1000 * ATOMIC_MASS_UNIT_GEV if mass is None else mass * 1e-3


def nucleus_pdg(Z: int, A: int) -> int:
    """PDG code ``100ZZZAAA0`` of the ground-state nucleus with charge ``Z`` and mass number ``A``.

    >>> nucleus_pdg(82, 208)
    1000822080
    """
    if int(A) != A or int(Z) != Z or not 1 <= Z <= A <= 999:
        raise ValueError(f"nucleus: Z and A must be integers with 1 <= Z <= A <= 999, got Z={Z}, A={A}")
    return 1_000_000_000 + 10_000 * int(Z) + 10 * int(A)


def make_target(Z: int, A: float, name: str | None = None, density_g_cm3: float | None = None,
                x0_cm: float | None = None, lambda_int_cm: float | None = None,
                isotope: int | None = None) -> Target:
    """A user target with charge ``Z`` (1..120) and mass number ``A`` [g/mol] (>= Z); the
    nucleus in event files is ``isotope`` (default ``round(A)``)."""
    if not (1 <= int(Z) <= 120) or int(Z) != Z:
        raise ValueError(f"Z must be an integer in [1, 120], got {Z}")
    if not A >= Z:
        raise ValueError(f"A must be >= Z = {Z}, got {A}")
    if density_g_cm3 is not None and density_g_cm3 <= 0:
        raise ValueError(f"density_g_cm3 must be > 0, got {density_g_cm3}")
    if isotope is not None:
        nucleus_pdg(Z, isotope)
    return Target(name or f"Z{int(Z)}A{A:g}", int(Z), float(A), density_g_cm3, x0_cm, lambda_int_cm, isotope)


#: Preset materials (PDG properties of materials) and the isotope of their event-file code.
TARGETS: dict[str, Target] = {
    "Pb": Target("Pb", 82, 207.2, 11.35, 0.5612, 17.59, isotope=208),
    "W": Target("W", 74, 183.84, 19.3, 0.3504, 9.946, isotope=184),
}


def get_target(target: str | Target) -> Target:
    """Resolve a preset name (case-insensitive) or pass a :class:`Target` through."""
    if isinstance(target, Target):
        return target
    for key, val in TARGETS.items():
        if str(target).lower() == key.lower():
            return val
    raise ValueError(f"unknown target {target!r}; known targets: {', '.join(TARGETS)} "
                     "(or build one with make_target(Z, A))")
