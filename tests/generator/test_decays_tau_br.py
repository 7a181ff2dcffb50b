"""The tau branching-fraction table: PDG values, exclusivity, remainder and the 3-prong definition."""

from __future__ import annotations

import csv
import subprocess
import sys

import numpy as np
import pytest

from muonbsm.errors import IntegrityError
from muonbsm.generator.decays import tau, tau_br


def test_table_sums_to_one_and_matches_modes():
    edition, brs, three = tau_br.load_table()
    assert edition == tau.PDG_EDITION
    assert brs.sum() == pytest.approx(1.0, abs=1e-12)
    assert np.array_equal(brs, tau.BRANCHING_RATIOS)
    assert len(brs) == len(tau.MODES) == len(tau_br.MODE_SPECS)
    # the remainder is small and positive (modes with photons / eta), carried by the last mode
    assert 0.0 < brs[tau_br.REMAINDER_CODE] < 0.006


def test_three_prong_fraction_equals_pdg_definition():
    """K_S stable: 3-prong = sum of 3-charged-track modes = PDG S035.209 within 0.1 % absolute."""
    _, brs, three = tau_br.load_table()
    prongs = np.array([tau_br.n_prongs(s.daughters) for s in tau_br.MODE_SPECS])
    assert np.array_equal(prongs, tau.N_PRONGS)
    assert abs(brs[prongs == 3].sum() - three) < 1e-3
    assert abs(brs[prongs == 3].sum() - 0.1455073774) < 1e-3  # PDG 2026, hand-copied from the listing
    assert brs[prongs == 5].sum() == pytest.approx(0.000994, abs=1e-4)  # PDG 5-prong S035.20


def test_no_double_counting_of_k0_in_pion_modes():
    """pi- pi- pi+ and pi- pi- pi+ pi0 are the PDG '(ex. K0)' values (9.016 %, 4.486 %), not 9.306 %, 4.618 %."""
    names = [m.name for m in tau.MODES]
    assert tau.BRANCHING_RATIOS[names.index("pi- pi- pi+ nu_tau")] == pytest.approx(0.09015833202, rel=1e-9)
    assert tau.BRANCHING_RATIOS[names.index("pi- pi- pi+ pi0 nu_tau")] == pytest.approx(0.04485588695, rel=1e-9)
    keys = [tuple(sorted(m.daughters)) for m in tau.MODES]
    assert len(set(keys)) == len(keys)  # exclusive final states


def test_table_agrees_with_pdg_package():
    pdg = pytest.importorskip("pdg")
    edition, citation, values = tau_br.from_pdg()
    assert edition == tau.PDG_EDITION
    rows = list(csv.DictReader(ln for ln in tau_br.TABLE_PATH.read_text().splitlines() if not ln.startswith("#")))
    for spec, row, (value, _) in zip(tau_br.MODE_SPECS, rows, values[:-1]):
        if spec.pdgid is not None:
            assert float(row["pdg_value"]) == pytest.approx(value, rel=1e-8), spec.name
    assert values[-1][0] == pytest.approx(tau_br.PDG_THREE_PRONG, rel=1e-8)
    del pdg


def test_corrupt_table_is_rejected(tmp_path):
    bad = tmp_path / "t.csv"
    text = tau_br.TABLE_PATH.read_text().replace("0.1784677289,0.0003681,0.1784677289", "0.1784677289,0.0003681,0.2784677289")
    bad.write_text(text)
    with pytest.raises(IntegrityError, match="sum to 1"):
        tau_br.load_table(bad)


def test_build_script_prints_the_prong_check():
    out = subprocess.run([sys.executable, "-m", "muonbsm.generator.decays.tau_br"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "3-prong (K_S stable)" in out.stdout
