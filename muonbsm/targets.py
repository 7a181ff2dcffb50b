"""Target materials for fixed-target muon experiments.

Presets (PDG "Atomic and nuclear properties of materials"): Pb and W, with Z, A [g/mol],
density [g/cm^3], radiation length X0 [cm], nuclear interaction length [cm]; the atom
density ``n = rho N_A / A`` [cm^-3] and nuclear mass ``M = A u`` [GeV] (u = 0.9314941 GeV,
atomic-mass approximation) are derived. Any other nucleus: ``make_target(Z, A)``.

>>> t = get_target("Pb")
>>> t.Z, round(t.n_atoms_cm3 / 1e22, 3)
(82, 3.299)
"""

from __future__ import annotations

from dataclasses import dataclass

import scipy.constants as _codata

__all__ = ["Target", "TARGETS", "ATOMIC_MASS_UNIT_GEV", "make_target", "get_target"]

#: Atomic mass unit in GeV (CODATA).
ATOMIC_MASS_UNIT_GEV: float = _codata.physical_constants[
    "atomic mass constant energy equivalent in MeV"][0] * 1e-3
_N_A: float = _codata.N_A


@dataclass(frozen=True)
class Target:
    """A target material. Units: density g/cm^3, lengths cm, n_atoms cm^-3, mass GeV."""

    name: str
    Z: int
    A: float
    density_g_cm3: float | None = None
    x0_cm: float | None = None
    lambda_int_cm: float | None = None

    @property
    def nucleus_mass(self) -> float:
        """Nuclear mass M = A u in GeV."""
        return self.A * ATOMIC_MASS_UNIT_GEV

    @property
    def n_atoms_cm3(self) -> float:
        """Number density of atoms rho N_A / A in cm^-3 (needs the density)."""
        if self.density_g_cm3 is None:
            raise ValueError(f"target {self.name!r} has no density; pass density_g_cm3")
        return self.density_g_cm3 * _N_A / self.A


def make_target(Z: int, A: float, name: str | None = None, density_g_cm3: float | None = None,
                x0_cm: float | None = None, lambda_int_cm: float | None = None) -> Target:
    """A user target with charge ``Z`` (1..120) and mass number ``A`` [g/mol] (>= Z)."""
    if not (1 <= int(Z) <= 120) or int(Z) != Z:
        raise ValueError(f"Z must be an integer in [1, 120], got {Z}")
    if not A >= Z:
        raise ValueError(f"A must be >= Z = {Z}, got {A}")
    if density_g_cm3 is not None and density_g_cm3 <= 0:
        raise ValueError(f"density_g_cm3 must be > 0, got {density_g_cm3}")
    return Target(name or f"Z{int(Z)}A{A:g}", int(Z), float(A), density_g_cm3, x0_cm, lambda_int_cm)


#: Preset materials (PDG properties of materials).
TARGETS: dict[str, Target] = {
    "Pb": Target("Pb", 82, 207.2, 11.35, 0.5612, 17.59),
    "W": Target("W", 74, 183.84, 19.3, 0.3504, 9.946),
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
