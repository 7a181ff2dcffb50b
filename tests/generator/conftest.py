"""Cheap processes for testing the sampling machinery without the physics kernels."""

import pytest

from muonbsm.generator.processes.mu3e.process import InternalConversion, flat_matrix_element


@pytest.fixture
def phase_space_ic():
    """The IC process with a constant matrix element (pure phase space)."""
    return InternalConversion(polarization=(0.0, 0.0, 0.0), matrix_element=flat_matrix_element)
