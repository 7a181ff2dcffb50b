"""Tests of sigma(E, m_a) tables: CSV writing, cache, log-log interpolation."""

import numpy as np
import pytest

from muonbsm.generator.processes.alp import xsec_table as T


def test_write_read_and_cache(tmp_path):
    path = tmp_path / "tab.csv"
    energies, masses = [150.0, 300.0], [2.0, 4.0]
    T.write_xsec_table("Pb", energies, masses, path, rel_precision=0.05, cache_dir=tmp_path)
    text = path.read_text()
    assert "target: Pb Z=82" in text and "sigma_pb [pb]" in text and "C/Lambda = 1 TeV^-1" in text
    tab = T.read_xsec_table(path)
    assert tab.sigma_pb.shape == (2, 2) and np.all(tab.sigma_pb > 0)
    assert tab(300.0, 2.0)[0] == pytest.approx(tab.sigma_pb[1, 0])
    assert tab(200.0, 3.0)[0] > 0
    # cached: a second call returns identical numbers without integrating
    sig, _ = T.compute_grid("Pb", energies, masses, rel_precision=0.05, cache_dir=tmp_path)
    np.testing.assert_allclose(sig, tab.sigma_pb, rtol=1e-9)
    assert len(list(tmp_path.glob("alp_xsec_Pb_*.json"))) == 1
    with pytest.raises(ValueError, match="m_a"):
        tab(200.0, 5.0)
    assert tab(100.0, 2.0)[0] == 0.0


def test_log_log_interpolation_exact_for_power_laws(tmp_path):
    e = np.array([100.0, 1000.0, 10000.0])
    m = np.array([2.0, 20.0])
    lines = ["# synthetic", "energy_gev,m_a_gev,sigma_pb,sigma_err_pb"]
    lines += [f"{ei},{mi},{ei**1.5 * mi**-3},0" for ei in e for mi in m]
    (tmp_path / "s.csv").write_text("\n".join(lines) + "\n")
    tab = T.read_xsec_table(tmp_path / "s.csv")
    ee = np.array([150.0, 3000.0])
    np.testing.assert_allclose(tab(ee, 7.0), ee**1.5 * 7.0**-3, rtol=1e-12)
    with pytest.raises(ValueError, match="energy"):
        tab(2e4, 3.0)


def test_below_threshold_zero_and_bad_input(tmp_path):
    sig, err = T.compute_grid("W", [5.0], [2.0, 9.0], use_cache=False)
    assert np.all(sig == 0) and np.all(err == 0)
    with pytest.raises(ValueError, match="masses"):
        T.compute_grid("W", [5.0], [0.0], use_cache=False)
