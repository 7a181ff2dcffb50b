"""Parametrised Mu3e phase-I detector: helix acceptance, efficiency maps, calibration, smearing.

Modules: :mod:`.config` (TOML configuration), :mod:`.geometry` (helices, layers, target),
:mod:`.maps` ((p, lambda) efficiency maps), :mod:`.smearing`, :mod:`.reconstruction`
(events -> detector-level arrays + cut-flow), :mod:`.calibration` (rescaling factor),
:mod:`.samples` (phase-space, IC and dark-photon samples), :mod:`.table` (Knapen et al., Table 2),
:mod:`.plots`.

Typical use::

    from muonbsm.detector.mu3e import load_config, calibrate, simulate
    from muonbsm.seeds import rng
    cfg = load_config()
    result = simulate(events, cfg, rng(1, "detector"), rescale=calibrate(cfg, seed=1).value)
    result.events.m_ee_1, result.events.weight, result.cutflow
"""

from muonbsm.detector.mu3e.calibration import calibrate, rescaling_factor
from muonbsm.detector.mu3e.config import Mu3eConfig, load_config, replace_value
from muonbsm.detector.mu3e.maps import EfficiencyMap, load_map
from muonbsm.detector.mu3e.reconstruction import DetectorResult, simulate
from muonbsm.detector.mu3e.table import efficiency_table, efficiency_vs_mass, format_table

__all__ = [
    "Mu3eConfig",
    "load_config",
    "replace_value",
    "EfficiencyMap",
    "load_map",
    "DetectorResult",
    "simulate",
    "rescaling_factor",
    "calibrate",
    "efficiency_table",
    "efficiency_vs_mass",
    "format_table",
]
