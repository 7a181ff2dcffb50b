"""Tests of target materials."""

import pytest

from muonbsm.targets import TARGETS, get_target, make_target, nucleus_pdg


def test_presets():
    pb, w = get_target("Pb"), get_target("w")
    assert (pb.Z, pb.A, w.Z, w.A) == (82, 207.2, 74, 183.84)
    assert pb.n_atoms_cm3 == pytest.approx(3.299e22, rel=1e-3)
    assert w.n_atoms_cm3 == pytest.approx(6.322e22, rel=1e-3)
    assert pb.nucleus_mass == pytest.approx(193.729, rel=1e-6)  # 207.9766521 u, the 208Pb atom
    assert w.nucleus_mass == pytest.approx(171.349, rel=1e-5)  # 183.9509312 u
    assert pb.x0_cm == pytest.approx(0.5612) and w.x0_cm == pytest.approx(0.3504)
    assert get_target(pb) is pb


def test_unknown_target_lists_known():
    with pytest.raises(ValueError, match="known targets: " + ", ".join(TARGETS)):
        get_target("Unobtainium")


def test_user_target():
    t = make_target(26, 55.845, density_g_cm3=7.874)
    assert t.nucleus_mass == pytest.approx(52.103, rel=1e-4)  # 56Fe: 55.9349363 u
    assert make_target(26, 55.845, isotope=99).nucleus_mass == pytest.approx(99 * 0.9314941, rel=1e-6)  # unlisted
    assert t.n_atoms_cm3 == pytest.approx(8.49e22, rel=1e-2)
    with pytest.raises(ValueError, match="Z must"):
        make_target(0, 10)
    with pytest.raises(ValueError, match="A must"):
        make_target(20, 10)
    with pytest.raises(ValueError, match="density"):
        make_target(20, 40).n_atoms_cm3


def test_event_file_codes_name_the_isotope_with_a_nuclear_pdf():
    """The preset codes are the isotopes `particle` knows as 208Pb and 184W (EPS09 grids), not
    the rounded atomic weights 207 / 184."""
    from particle import Particle

    assert get_target("Pb").pdg == 1000822080 and Particle.from_pdgid(get_target("Pb").pdg).name == "Pb208"
    assert Particle.from_pdgid(get_target("W").pdg).name == "W184"
    assert make_target(26, 55.845).pdg == 1000260560
    assert make_target(82, 207.2, isotope=206).pdg == 1000822060
    with pytest.raises(ValueError, match="Z and A must be integers"):
        make_target(82, 207.2, isotope=70)
    with pytest.raises(ValueError, match="Z and A must be integers"):
        nucleus_pdg(82, 207.2)
