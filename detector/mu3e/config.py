"""Configuration of the parametrised Mu3e detector: dataclasses, TOML loading, validation.

The default file ``detector/data/mu3e_phase1.toml`` holds the phase-I geometry of
``shared/physics/mu3e.md`` Sec. 4; numbers not confirmed in a primary source are marked
``(approx.)`` there. Units: GeV, mm, T, rad.

>>> cfg = load_config()
>>> cfg.geometry.b_tesla, [layer.name for layer in cfg.geometry.layers]
(1.0, ['L1', 'L2', 'L3', 'L4'])
>>> replace_value(cfg, "efficiency.vertex", 0.5).efficiency.vertex
0.5
"""

from __future__ import annotations

import dataclasses
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

__all__ = [
    "Layer",
    "Geometry",
    "Selection",
    "MapFiles",
    "Efficiencies",
    "Resolution",
    "Mu3eConfig",
    "default_config_path",
    "load_config",
    "config_from_dict",
    "replace_value",
]


@dataclass(frozen=True)
class Layer:
    """A cylindrical pixel layer: radius and half-length [mm], centred at ``z_center_mm``."""

    name: str
    radius_mm: float
    half_length_mm: float
    z_center_mm: float = 0.0


@dataclass(frozen=True)
class Geometry:
    """Field [T], target double cone [mm], central layers and recurl stations.

    ``recurl_z_centers_mm`` are the centres of the recurl stations; each holds copies of the
    layers named in ``recurl_layers`` (same radius and length). ``max_turns`` is the number
    of helix turns after the first apex in which extra (recurl) hits are searched.
    """

    b_tesla: float
    target_length_mm: float
    target_radius_mm: float
    layers: tuple[Layer, ...]
    recurl_z_centers_mm: tuple[float, ...]
    recurl_layers: tuple[str, ...]
    max_turns: int

    def layer(self, name: str) -> Layer:
        """The central-station layer called ``name``."""
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(f"layer must be one of {[l.name for l in self.layers]}, got {name!r}")


@dataclass(frozen=True)
class Selection:
    """Track-level selection: p_T cut [GeV], low-p_T inner recurlers, vertex sampling."""

    pt_min_gev: float
    inner_recurl_short: bool
    sample_vertex: bool


@dataclass(frozen=True)
class MapFiles:
    """Efficiency-map CSV files and the plateau efficiencies used to build the defaults."""

    short: Path
    long_upgrade: Path
    plateau_short: float
    plateau_long: float


@dataclass(frozen=True)
class Efficiencies:
    """Flat vertex and timing efficiencies and the calibration reference.

    ``reference_total`` is the total efficiency that the sample ``reference_sample``
    (uniform phase-space mu -> eee) must reproduce after the rescaling factor.
    """

    vertex: float
    timing: float
    reference_total: float
    reference_sample: str


@dataclass(frozen=True)
class Resolution:
    """Momentum resolution [GeV] per track class and m_ee smearing.

    ``mee_rms_gev[k]`` is the Gaussian RMS [GeV] of m_ee for events with k long tracks
    (k = 0..3); the RMS grows by ``mee_rms_slope`` x m_ee. With ``crystal_ball`` the RMS is
    the Gaussian core of a Crystal Ball with a low-side power-law tail (alpha, n).
    """

    momentum_short_gev: float
    momentum_long_gev: float
    mee_rms_gev: tuple[float, float, float, float]
    mee_rms_slope: float
    crystal_ball: bool
    cb_alpha: float
    cb_n: float


@dataclass(frozen=True)
class Mu3eConfig:
    """The full detector configuration; ``source`` is the file it was read from."""

    name: str
    geometry: Geometry
    selection: Selection
    maps: MapFiles
    efficiency: Efficiencies
    resolution: Resolution
    source: Path | None = None


def default_config_path() -> Path:
    """Path of the packaged default phase-I configuration."""
    return Path(str(resources.files("muonbsm.detector") / "data" / "mu3e_phase1.toml"))


def load_config(path: str | Path | None = None) -> Mu3eConfig:
    """Read and validate a TOML configuration (default: the packaged phase-I file).

    Map paths in the file are relative to the file's directory unless absolute.
    Raises ``ValueError`` naming the offending key for malformed content.
    """
    path = Path(path) if path is not None else default_config_path()
    if not path.is_file():
        raise ValueError(f"path: configuration file {path} does not exist")
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"path: {path} is not valid TOML: {exc}") from exc
    return config_from_dict(data, base_dir=path.parent, source=path)


def _section(data: Mapping[str, Any], key: str, allowed: set[str]) -> Mapping[str, Any]:
    sec = data.get(key)
    if not isinstance(sec, Mapping):
        raise ValueError(f"[{key}]: missing or not a table")
    unknown = set(sec) - allowed
    if unknown:
        raise ValueError(f"[{key}]: unknown keys {sorted(unknown)}; allowed {sorted(allowed)}")
    return sec


def _num(sec: Mapping[str, Any], where: str, key: str, lo: float, hi: float, *, open_lo: bool = False) -> float:
    if key not in sec:
        raise ValueError(f"{where}.{key}: missing (allowed range [{lo}, {hi}])")
    val = sec[key]
    if isinstance(val, bool) or not isinstance(val, (int, float)) or not math.isfinite(val):
        raise ValueError(f"{where}.{key}: must be a finite number in [{lo}, {hi}], got {val!r}")
    if val < lo or val > hi or (open_lo and val == lo):
        bracket = "(" if open_lo else "["
        raise ValueError(f"{where}.{key}: must be in {bracket}{lo}, {hi}], got {val}")
    return float(val)


def _bool(sec: Mapping[str, Any], where: str, key: str) -> bool:
    val = sec.get(key)
    if not isinstance(val, bool):
        raise ValueError(f"{where}.{key}: must be true or false, got {val!r}")
    return val


def _geometry(data: Mapping[str, Any]) -> Geometry:
    field = _section(data, "field", {"b_tesla"})
    target = _section(data, "target", {"length_mm", "radius_mm"})
    layers_raw = data.get("layers")
    if not isinstance(layers_raw, list) or len(layers_raw) < 2:
        raise ValueError("[[layers]]: need a list of at least two layer tables")
    layers = []
    for i, lay in enumerate(layers_raw):
        where = f"layers[{i}]"
        if not isinstance(lay, Mapping) or set(lay) - {"name", "radius_mm", "half_length_mm"}:
            raise ValueError(f"{where}: keys must be name, radius_mm, half_length_mm")
        if not isinstance(lay.get("name"), str):
            raise ValueError(f"{where}.name: must be a string")
        layers.append(Layer(lay["name"], _num(lay, where, "radius_mm", 0, 1e4, open_lo=True),
                            _num(lay, where, "half_length_mm", 0, 1e4, open_lo=True)))
    radii = [l.radius_mm for l in layers]
    if any(b <= a for a, b in zip(radii, radii[1:])):
        raise ValueError(f"layers.radius_mm: must increase strictly from inner to outer, got {radii}")
    t_radius = _num(target, "target", "radius_mm", 0, 1e4, open_lo=True)
    if t_radius >= radii[0]:
        raise ValueError(f"target.radius_mm: must be below the innermost layer radius {radii[0]}, got {t_radius}")
    recurl = _section(data, "recurl", {"z_centers_mm", "layers", "max_turns"})
    zc = recurl.get("z_centers_mm")
    if not isinstance(zc, list) or not all(isinstance(z, (int, float)) and not isinstance(z, bool) for z in zc):
        raise ValueError(f"recurl.z_centers_mm: must be a list of numbers [mm], got {zc!r}")
    names = recurl.get("layers")
    known = [l.name for l in layers]
    if not isinstance(names, list) or not all(n in known for n in names):
        raise ValueError(f"recurl.layers: must be a list of layer names from {known}, got {names!r}")
    turns = recurl.get("max_turns")
    if isinstance(turns, bool) or not isinstance(turns, int) or not 1 <= turns <= 20:
        raise ValueError(f"recurl.max_turns: must be an integer in [1, 20], got {turns!r}")
    return Geometry(
        b_tesla=_num(field, "field", "b_tesla", 0, 20, open_lo=True),
        target_length_mm=_num(target, "target", "length_mm", 0, 1e4, open_lo=True),
        target_radius_mm=t_radius,
        layers=tuple(layers),
        recurl_z_centers_mm=tuple(float(z) for z in zc),
        recurl_layers=tuple(names),
        max_turns=turns,
    )


def _resolve(base_dir: Path, name: Any, where: str) -> Path:
    if not isinstance(name, str) or not name:
        raise ValueError(f"{where}: must be a file name, got {name!r}")
    p = Path(name)
    return p if p.is_absolute() else base_dir / p


def config_from_dict(data: Mapping[str, Any], base_dir: Path | None = None, source: Path | None = None) -> Mu3eConfig:
    """Validate a parsed TOML mapping and build a :class:`Mu3eConfig`."""
    base_dir = base_dir if base_dir is not None else default_config_path().parent
    allowed_top = {"name", "field", "target", "layers", "recurl", "selection", "maps", "efficiency", "resolution"}
    unknown = set(data) - allowed_top
    if unknown:
        raise ValueError(f"configuration: unknown top-level keys {sorted(unknown)}; allowed {sorted(allowed_top)}")
    geometry = _geometry(data)
    sel = _section(data, "selection", {"pt_min_gev", "inner_recurl_short", "sample_vertex"})
    selection = Selection(_num(sel, "selection", "pt_min_gev", 0, 0.06), _bool(sel, "selection", "inner_recurl_short"),
                          _bool(sel, "selection", "sample_vertex"))
    mp = _section(data, "maps", {"short", "long_upgrade", "plateau_short", "plateau_long"})
    maps = MapFiles(_resolve(base_dir, mp.get("short"), "maps.short"),
                    _resolve(base_dir, mp.get("long_upgrade"), "maps.long_upgrade"),
                    _num(mp, "maps", "plateau_short", 0, 1), _num(mp, "maps", "plateau_long", 0, 1))
    ef = _section(data, "efficiency", {"vertex", "timing", "reference_total", "reference_sample"})
    ref_sample = ef.get("reference_sample")
    if not isinstance(ref_sample, str):
        raise ValueError(f"efficiency.reference_sample: must be a sample name, got {ref_sample!r}")
    eff = Efficiencies(_num(ef, "efficiency", "vertex", 0, 1, open_lo=True), _num(ef, "efficiency", "timing", 0, 1, open_lo=True),
                       _num(ef, "efficiency", "reference_total", 0, 1, open_lo=True), ref_sample)
    rs = _section(data, "resolution", {"momentum_short_gev", "momentum_long_gev", "mee_rms_gev", "mee_rms_slope", "crystal_ball"})
    rms = rs.get("mee_rms_gev")
    if (not isinstance(rms, list) or len(rms) != 4
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v <= 0.05 for v in rms)):
        raise ValueError(f"resolution.mee_rms_gev: must be 4 numbers in [0, 0.05] GeV (0..3 long tracks), got {rms!r}")
    cb = rs.get("crystal_ball")
    if not isinstance(cb, Mapping) or set(cb) != {"enabled", "alpha", "n"}:
        raise ValueError("resolution.crystal_ball: must be a table with keys enabled, alpha, n")
    resolution = Resolution(
        momentum_short_gev=_num(rs, "resolution", "momentum_short_gev", 0, 0.05),
        momentum_long_gev=_num(rs, "resolution", "momentum_long_gev", 0, 0.05),
        mee_rms_gev=tuple(float(v) for v in rms),  # type: ignore[arg-type]
        mee_rms_slope=_num(rs, "resolution", "mee_rms_slope", 0, 1),
        crystal_ball=_bool(cb, "resolution.crystal_ball", "enabled"),
        cb_alpha=_num(cb, "resolution.crystal_ball", "alpha", 0, 10, open_lo=True),
        cb_n=_num(cb, "resolution.crystal_ball", "n", 1, 100, open_lo=True),
    )
    name = data.get("name", "mu3e")
    if not isinstance(name, str):
        raise ValueError(f"name: must be a string, got {name!r}")
    return Mu3eConfig(name, geometry, selection, maps, eff, resolution, source)


def replace_value(config: Mu3eConfig, dotted: str, value: Any) -> Mu3eConfig:
    """A copy of ``config`` with the field at ``dotted`` (e.g. ``"efficiency.vertex"``) replaced.

    Only the type is kept, ranges are not re-validated: use it for studies and tests.
    """
    head, _, rest = dotted.partition(".")
    if not dataclasses.is_dataclass(config) or head not in {f.name for f in dataclasses.fields(config)}:
        raise ValueError(f"dotted: {dotted!r} does not name a configuration field")
    if not rest:
        return dataclasses.replace(config, **{head: value})
    return dataclasses.replace(config, **{head: replace_value(getattr(config, head), rest, value)})
