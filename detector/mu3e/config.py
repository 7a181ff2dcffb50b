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
from collections.abc import Mapping
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Any

from muonbsm.cards import read_toml
from muonbsm.detector.mu3e.vertex import FORMS, DisplacedVertex
from muonbsm.errors import CardError
from muonbsm.schema import REQUIRED, Bool, Choice, Float, Int, List, Quantity, Str, Table, TableList, validate

__all__ = [
    "Layer",
    "Geometry",
    "Selection",
    "MapFiles",
    "Efficiencies",
    "Resolution",
    "Mu3eConfig",
    "MU3E_DETECTOR",
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
    displaced_vertex: DisplacedVertex = DisplacedVertex(enabled=False)


def default_config_path() -> Path:
    """Path of the packaged default phase-I configuration."""
    return Path(str(resources.files("muonbsm.detector") / "data" / "mu3e_phase1.toml"))


def load_config(path: str | Path | None = None) -> Mu3eConfig:
    """Read and validate a TOML configuration (default: the packaged phase-I file).

    Map paths in the file are relative to the file's directory unless absolute. Raises
    :class:`~muonbsm.errors.CardError` naming the file, section and key (schema
    :data:`MU3E_DETECTOR`).
    """
    path = Path(path) if path is not None else default_config_path()
    data = read_toml(path, "detector configuration")
    return config_from_dict(data, base_dir=path.parent, source=path)


def _mm(lo: float = 0.0, hi: float = 1e4, **kw: Any) -> Quantity:
    return Quantity("length", lo=lo, hi=hi, default_unit="mm", **kw)


def _gev(lo: float, hi: float, **kw: Any) -> Quantity:
    return Quantity("energy", lo=lo, hi=hi, default_unit="GeV", **kw)


def _geometry_rules(d: dict[str, Any], loc: str) -> None:
    radii = [layer["radius_mm"] for layer in d["layers"]]
    if any(b <= a for a, b in zip(radii, radii[1:])):
        raise CardError(f"{loc} [[layers]] radius_mm: must increase strictly from inner to outer, got {radii}")
    if d["target"]["radius_mm"] >= radii[0]:
        raise CardError(f"{loc} [target] radius_mm: must be below the innermost layer radius {radii[0]} mm, "
                        f"got {d['target']['radius_mm']}")
    names = [layer["name"] for layer in d["layers"]]
    for i, name in enumerate(d["recurl"]["layers"]):
        if name not in names:
            raise CardError(f"{loc} [recurl] layers[{i}]: got {name!r}; allowed: one of {', '.join(names)}")


_POSITIVE_MM = _mm(lo_open=True, default=REQUIRED)
#: The schema of a Mu3e detector configuration (units: GeV, mm, T).
MU3E_DETECTOR = Table({
    "name": Str(default="mu3e", help="configuration name"),
    "field": Table({"b_tesla": Float(lo=0.0, hi=20.0, lo_open=True, units="T", default=REQUIRED, help="solenoid field")}),
    "target": Table({"length_mm": replace(_POSITIVE_MM, help="target double-cone length"),
                     "radius_mm": replace(_POSITIVE_MM, help="target radius")}),
    "layers": TableList(table=Table({
        "name": Str(default=REQUIRED, help="layer name"),
        "radius_mm": replace(_POSITIVE_MM, help="layer radius"),
        "half_length_mm": replace(_POSITIVE_MM, help="layer half-length"),
    }, "Central pixel layers, inner to outer (radii increasing)."), min_len=2),
    "recurl": Table({
        "z_centers_mm": List(_mm(lo=-1e4), min_len=0, default=REQUIRED, help="recurl station centres"),
        "layers": List(Str(), min_len=0, default=REQUIRED, help="names of the layers copied in each station"),
        "max_turns": Int(1, 20, default=REQUIRED, help="helix turns searched for recurl hits"),
    }),
    "selection": Table({
        "pt_min_gev": _gev(0.0, 0.06, default=REQUIRED, help="extra track pT cut"),
        "inner_recurl_short": Bool(default=REQUIRED, help="count inner recurlers as short tracks"),
        "sample_vertex": Bool(default=REQUIRED, help="sample the decay point on the target surface"),
    }),
    "maps": Table({
        "short": Str(default=REQUIRED, help="short-track efficiency map CSV (relative to the file)"),
        "long_upgrade": Str(default=REQUIRED, help="short -> long upgrade map CSV"),
        "plateau_short": Float(0.0, 1.0, default=REQUIRED, help="plateau of the default short map"),
        "plateau_long": Float(0.0, 1.0, default=REQUIRED, help="plateau of the default long map"),
    }),
    "efficiency": Table({
        "vertex": Float(0.0, 1.0, lo_open=True, default=REQUIRED, help="vertex-quality efficiency"),
        "timing": Float(0.0, 1.0, lo_open=True, default=REQUIRED, help="timing efficiency"),
        "reference_total": Float(0.0, 1.0, lo_open=True, default=REQUIRED, help="total efficiency to calibrate on"),
        "reference_sample": Str(default=REQUIRED, help="sample of the calibration"),
    }),
    "resolution": Table({
        "momentum_short_gev": _gev(0.0, 0.05, default=REQUIRED, help="|p| resolution, short tracks"),
        "momentum_long_gev": _gev(0.0, 0.05, default=REQUIRED, help="|p| resolution, long tracks"),
        "mee_rms_gev": List(_gev(0.0, 0.05), length=4, default=REQUIRED, help="m_ee RMS for 0..3 long tracks"),
        "mee_rms_slope": Float(0.0, 1.0, default=REQUIRED, help="RMS growth per unit m_ee"),
        "crystal_ball": Table({
            "enabled": Bool(default=REQUIRED, help="Crystal Ball low-side tail"),
            "alpha": Float(0.0, 10.0, lo_open=True, default=REQUIRED, help="tail start in RMS"),
            "n": Float(1.0, 100.0, lo_open=True, default=REQUIRED, help="tail power"),
        }),
    }),
    "displaced_vertex": Table({
        "enabled": Bool(default=True, help="prompt-vertex quality of displaced e+e- vertices"),
        "form": Choice(options=FORMS, default="chi2", help="shape of q(d_T, d_z)"),
        "sigma_transverse_mm": _mm(lo_open=True, hi=1e3, default=0.25, help="transverse scale"),
        "sigma_longitudinal_mm": _mm(lo_open=True, hi=1e3, default=0.35, help="longitudinal scale"),
        "ndf": Int(1, 20, default=3, help="degrees of freedom of the chi2 form"),
    }, "Absent: every decay treated as prompt.", optional=True),
}, checks=[_geometry_rules])


def _resolve(base_dir: Path, name: str) -> Path:
    p = Path(name)
    return p if p.is_absolute() else base_dir / p


def config_from_dict(data: Mapping[str, Any], base_dir: Path | None = None, source: Path | None = None) -> Mu3eConfig:
    """Validate a parsed TOML mapping (schema :data:`MU3E_DETECTOR`) and build a :class:`Mu3eConfig`."""
    base_dir = base_dir if base_dir is not None else default_config_path().parent
    d = validate(MU3E_DETECTOR, data, str(source) if source is not None else "detector configuration")
    geometry = Geometry(
        b_tesla=d["field"]["b_tesla"], target_length_mm=d["target"]["length_mm"],
        target_radius_mm=d["target"]["radius_mm"],
        layers=tuple(Layer(x["name"], x["radius_mm"], x["half_length_mm"]) for x in d["layers"]),
        recurl_z_centers_mm=tuple(d["recurl"]["z_centers_mm"]), recurl_layers=tuple(d["recurl"]["layers"]),
        max_turns=d["recurl"]["max_turns"])
    sel, mp, ef, rs = d["selection"], d["maps"], d["efficiency"], d["resolution"]
    cb = rs["crystal_ball"]
    resolution = Resolution(rs["momentum_short_gev"], rs["momentum_long_gev"], tuple(rs["mee_rms_gev"]),
                            rs["mee_rms_slope"], cb["enabled"], cb["alpha"], cb["n"])
    vertex = DisplacedVertex(**d["displaced_vertex"]) if d["displaced_vertex"] else DisplacedVertex(enabled=False)
    return Mu3eConfig(d["name"], geometry, Selection(sel["pt_min_gev"], sel["inner_recurl_short"], sel["sample_vertex"]),
                      MapFiles(_resolve(base_dir, mp["short"]), _resolve(base_dir, mp["long_upgrade"]),
                               mp["plateau_short"], mp["plateau_long"]),
                      Efficiencies(ef["vertex"], ef["timing"], ef["reference_total"], ef["reference_sample"]),
                      resolution, source, vertex)


def replace_value(config: Mu3eConfig, dotted: str, value: Any) -> Mu3eConfig:
    """A copy of ``config`` with the field at ``dotted`` (e.g. ``"efficiency.vertex"``) replaced.

    Only the type is kept, ranges are not re-validated: use it for studies and tests.
    """
    head, _, rest = dotted.partition(".")
    if not dataclasses.is_dataclass(config) or head not in {f.name for f in dataclasses.fields(config)}:
        raise ValueError(f"dotted: {dotted!r} does not name a configuration field")
    new = value if not rest else replace_value(getattr(config, head), rest, value)
    return dataclasses.replace(config, **{head: new})  # type: ignore[arg-type]  # field chosen at run time
