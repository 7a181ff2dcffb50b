"""Cheap processes for testing the sampling machinery without the physics kernels."""

import numpy as np
import pytest

from muonbsm.generator.processes.muon_decay import InternalConversion


def unit_me2(p1, p2, pm, pnu, pnubar, pol):
    """|M|^2 = 1 GeV^-4: the integral is then Phi_5 / (2 * 2 m_mu Gamma_mu)."""
    return np.ones(len(p1))


@pytest.fixture
def phase_space_ic():
    """The IC process with a constant matrix element (pure phase space)."""
    return InternalConversion(polarization=(0.0, 0.0, 0.0), matrix_element=unit_me2)
