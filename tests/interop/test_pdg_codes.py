"""The BSM PDG codes against the numbering scheme as `particle` and Pythia 8 implement it."""

import numpy as np
import pytest
from particle import PDGID

from muonbsm.constants import PDG_IDS, x_pdg
from muonbsm.events import charge_of
from muonbsm.models.mu3e import dark_photon, scalar

SPIN = {"x_spin0": 0, "x_spin1": 1, "alp": 0, "chi": 0.5}


@pytest.mark.parametrize("role", list(PDG_IDS))
def test_codes_are_valid_and_neutral(role):
    """Valid ids for `particle`, which has no table entry for them: its digit rules give 52 and
    54 charge 2 (quark-like digits), so muonbsm's charge comes from its own table (0)."""
    code = PDG_IDS[role]
    assert PDGID(code).is_valid and not PDGID(code).is_nucleus
    assert charge_of(np.array([code, -code])).tolist() == [0.0, 0.0]


def test_chi_is_the_spin_half_dark_matter_code_of_particle():
    """`particle` 1.1 classifies 51-53 (DM of spin 0, 1/2, 1) as special particles; 54 and 55
    (the mediators, RPP 2020+) are valid ids it does not classify yet."""
    assert PDGID(PDG_IDS["chi"]).is_special_particle


@pytest.mark.pythia
@pytest.mark.parametrize("role", list(PDG_IDS))
def test_pythia_knows_each_code_with_its_spin(role):
    pythia8 = pytest.importorskip("pythia8mc")
    data = pythia8.Pythia("", False).particleData
    code = PDG_IDS[role]
    assert data.isParticle(code) and data.spinType(code) == int(2 * SPIN[role] + 1)
    assert data.name(code).startswith("DM")


def test_x_code_follows_the_model_spin():
    assert x_pdg(dark_photon(0.02, 1e-4).kind) == 55
    assert x_pdg(scalar(0.02, 1e-5, 1e-4).kind) == 54
    with pytest.raises(ValueError, match="allowed"):
        x_pdg("tensor")
