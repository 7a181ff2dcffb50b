"""Physical constants and conversion factors, in one place.

Units inside muonbsm: energies, momenta and masses in GeV; lengths in mm; times in ns;
cross sections in pb; decay rates as branching ratios or widths in GeV.

Masses, widths and lifetimes come from the PDG tables shipped with :mod:`particle`;
the coupling constants from CODATA (through :mod:`scipy.constants`) and the PDG.

PDG Monte Carlo codes of the particles beyond the Standard Model (:data:`PDG_IDS`), from the
"Monte Carlo particle numbering scheme" of the Review of Particle Physics (2020 onwards):
51, 52, 53 are dark-matter particles of spin 0, 1/2, 1 and 54, 55 the spin-0 and spin-1
mediators between the Standard Model and dark matter. ``particle`` accepts all five as valid
ids (it has no mass for them); Pythia 8 defines them (``DM(s=0)``, ``DM(s=1/2)``,
``DM(s=1)``, ``DMmed(s=0)``, ``DMmed(s=1)``), so its LHE reader needs no ``id:new``:

===========  ====  ====  =====================================================================
role         code  spin  choice
===========  ====  ====  =====================================================================
``x_spin0``  54    0     Mu3e X of the scalar and pseudoscalar models (a spin-0 boson coupled
                         to leptons: the PDG spin-0 mediator)
``x_spin1``  55    1     Mu3e X of the dark-photon and vector/axial models (the PDG spin-1
                         mediator; Pythia's Z' of its dark-matter processes)
``alp``      54    0     the LFV ALP of Batell, Davoudiasl, Marcarelli, Neil, Trojanowski
                         2024, arXiv:2407.15942, Eqs. (3), (4): a pseudoscalar coupled to
                         mu-tau and to the dark fermion chi, i.e. a spin-0 DM mediator. It
                         replaces 9000005 (the MadGraph ALP_UFO user code: no PDG code, and
                         unknown to Pythia 8)
``chi``      52    1/2   the dark Dirac fermion chi of that model (anti-chi: -52)
===========  ====  ====  =====================================================================

The ALP and a spin-0 X share 54: they never appear in one sample, the code names the kind of
particle (a spin-0 mediator), and its mass and couplings are in the file's metadata.

>>> round(M_MU, 6)
0.105658
>>> round(1 / ALPHA, 3)
137.036
"""

from __future__ import annotations

import math

import scipy.constants as _codata
from particle import Particle

from muonbsm.errors import InputError

__all__ = [
    "ALPHA",
    "E_CHARGE",
    "G_F",
    "M_E",
    "M_MU",
    "M_TAU",
    "M_PROTON",
    "M_NEUTRON",
    "M_PI",
    "M_PI0",
    "M_K",
    "CTAU_TAU_MM",
    "GAMMA_MU",
    "HBARC_GEV_MM",
    "HBARC_GEV_FM",
    "GEV2_TO_PB",
    "C_MM_PER_NS",
    "PDG_IDS",
    "pdg_mass",
    "x_pdg",
]

_MEV = 1e-3


def _measured(value: float | None, pdgid: int, what: str) -> float:
    """A quantity of the :mod:`particle` tables, which give unmeasured ones as None."""
    if value is None:
        raise InputError(f"PDG id {pdgid}: the particle tables give no {what}")
    return value


def pdg_mass(pdgid: int) -> float:
    """Mass of the particle with PDG id ``pdgid`` in GeV, from the :mod:`particle` tables."""
    return _measured(Particle.from_pdgid(pdgid).mass, pdgid, "mass") * _MEV


#: Fine-structure constant at q^2 = 0 (Thomson limit), CODATA.
ALPHA: float = _codata.physical_constants["fine-structure constant"][0]
#: Positron charge in natural Heaviside-Lorentz units, e = sqrt(4 pi alpha).
E_CHARGE: float = math.sqrt(4.0 * math.pi * ALPHA)
#: Fermi constant G_F in GeV^-2 (from muon lifetime, CODATA/PDG).
G_F: float = _codata.physical_constants["Fermi coupling constant"][0]

M_E: float = pdg_mass(11)
M_MU: float = pdg_mass(13)
M_TAU: float = pdg_mass(15)
M_PROTON: float = pdg_mass(2212)
M_NEUTRON: float = pdg_mass(2112)
M_PI: float = pdg_mass(211)
M_PI0: float = pdg_mass(111)
M_K: float = pdg_mass(321)

#: hbar * c in GeV mm and GeV fm.
HBARC_GEV_MM: float = _codata.hbar * _codata.c / _codata.e * 1e-9 * 1e3
HBARC_GEV_FM: float = HBARC_GEV_MM * 1e12
#: 1 GeV^-2 expressed in pb: (hbar c)^2 = 0.3893794 mb GeV^2.
GEV2_TO_PB: float = (HBARC_GEV_MM * 1e-1) ** 2 * 1e36
#: Speed of light in mm/ns.
C_MM_PER_NS: float = _codata.c * 1e-6

#: Proper decay length c*tau of the tau lepton in mm (PDG).
CTAU_TAU_MM: float = _measured(Particle.from_pdgid(15).ctau, 15, "c tau")
#: Total width of the muon in GeV (PDG), Gamma = hbar / tau.
GAMMA_MU: float = _measured(Particle.from_pdgid(13).width, 13, "width") * _MEV

#: PDG Monte Carlo codes of the BSM particles muonbsm writes (table in the module docstring).
PDG_IDS: dict[str, int] = {"x_spin0": 54, "x_spin1": 55, "alp": 54, "chi": 52}


def x_pdg(kind: str) -> int:
    """PDG code of a Mu3e X of Lorentz ``kind`` ``"scalar"`` (54) or ``"vector"`` (55).

    >>> x_pdg("vector")
    55
    """
    codes = {"scalar": PDG_IDS["x_spin0"], "vector": PDG_IDS["x_spin1"]}
    if kind not in codes:
        raise ValueError(f"X kind {kind!r}: allowed {sorted(codes)}")
    return codes[kind]
