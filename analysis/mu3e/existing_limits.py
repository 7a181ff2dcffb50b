"""Published dark-photon limits (epsilon vs mass) and the Mu3e projection, as package data.

The curves live in ``analysis/data/dark_photon_limits/`` (see its README for the citations:
each file's ``#`` header names the experiment's paper, CL and source figure; the
digitisations were collected by DarkCast, Ilten, Soreq, Williams, Xue, arXiv:1801.04847).
Users add their own files with the same columns, ``mass_gev, epsilon_lower[, epsilon_upper]``:

* only ``epsilon_lower``: epsilon above the curve is excluded (prompt searches, g-2);
* both: epsilon between the edges is excluded (beam dumps).

:meth:`LimitCurve.region` returns the excluded region as a closed polygon in (m [GeV],
epsilon^power), clipped to a plot ceiling, ready for ``ax.fill``.

>>> curves = default_limits()
>>> len(curves), sorted({c.label for c in curves})[3:6]
(20, ['A1', 'BaBar', 'CHARM'])
>>> projection().label
'Mu3e projection (Echenard et al.)'
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from muonbsm.errors import InputError

__all__ = ["LimitCurve", "LABELS", "DEFAULT", "limits_dir", "read_limit", "packaged_limits", "default_limits",
           "projection"]

#: File stem -> short legend label (one label per experiment; several files may share it).
LABELS: dict[str, str] = {
    "NA48_Batley2015lha": "NA48/2", "BaBar_Lees2014xha": "BaBar", "KLOE_Anastasi2015qla": "KLOE",
    "KLOE_Babusci2012cr": "KLOE", "A1_Merkel2014avp": "A1", "HPS_Adrian2018scb": "HPS",
    "NA64_Banerjee2018vgk": "NA64", "NA64_Banerjee2019hmi": "NA64", "E137_Andreas2012mt": "E137",
    "E137_Bjorken2009mm": "E137", "E141_Riordan1987aw": "E141", "E774_Bross1989mp": "E774",
    "Orsay_Davier1989wz": "Orsay", "KEK_Konaka1986cb": "KEK", "CHARM_Bergsma1985qz": "CHARM",
    "CHARM_Tsai2019mtm": "CHARM", "NuCAL_Blumlein1990ay": r"$\nu$-Cal", "NuCAL_Blumlein1991xh": r"$\nu$-Cal",
    "NuCAL_Tsai2019mtm": r"$\nu$-Cal", "NOMAD_Astier2001ck": "NOMAD", "PS191_Bernardi1985ny": "PS191",
    "AMMe_Bodas2021fsy_rb": "(g-2)$_e$", "AMMe_Bodas2021fsy_cs": "(g-2)$_e$", "AMMmu_Bodas2021fsy": r"(g-2)$_\mu$",
    "Mu3e_Echenard2014lma": "Mu3e projection (Echenard et al.)",
}
#: Curves drawn by default: one analysis per dataset (README: second analyses and the
#: alpha(Cs) (g-2)_e curve are shipped but not drawn).
DEFAULT: tuple[str, ...] = (
    "NA48_Batley2015lha", "BaBar_Lees2014xha", "KLOE_Anastasi2015qla", "KLOE_Babusci2012cr", "A1_Merkel2014avp",
    "HPS_Adrian2018scb", "NA64_Banerjee2018vgk", "NA64_Banerjee2019hmi", "E137_Andreas2012mt", "E141_Riordan1987aw",
    "E774_Bross1989mp", "Orsay_Davier1989wz", "KEK_Konaka1986cb", "CHARM_Bergsma1985qz", "NuCAL_Blumlein1990ay",
    "NuCAL_Blumlein1991xh", "NOMAD_Astier2001ck", "PS191_Bernardi1985ny", "AMMe_Bodas2021fsy_rb", "AMMmu_Bodas2021fsy",
)


@dataclass(frozen=True)
class LimitCurve:
    """One limit curve: masses [GeV] and epsilon edges; ``upper`` is None for a one-sided limit.

    ``label`` is the legend entry, ``header`` the ``# key: value`` lines of the file
    (``arxiv``, ``confidence_level``, ``search_type``, ...), ``source`` the file.
    """

    name: str
    label: str
    mass_gev: NDArray[np.float64]
    lower: NDArray[np.float64]
    upper: NDArray[np.float64] | None
    source: Path
    header: dict[str, str] = field(default_factory=dict)

    @property
    def is_projection(self) -> bool:
        """True for a projected reach (not an existing limit)."""
        return "projection" in self.header.get("search_type", "").lower() or "PROJECTION" in self.header.get(
            "experiment", "")

    def region(self, ceiling: float, power: float = 2.0) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Closed polygon (m [GeV], epsilon^power) of the excluded region, edges clipped to ``ceiling``
        (in epsilon^power units): lower edge up to the ceiling, or the band lower .. upper."""
        lo = np.minimum(self.lower**power, ceiling)
        if self.upper is None:
            return np.r_[self.mass_gev, self.mass_gev[::-1]], np.r_[lo, np.full(lo.size, ceiling)]
        up = np.minimum(self.upper**power, ceiling)
        return np.r_[self.mass_gev, self.mass_gev[::-1]], np.r_[lo, up[::-1]]


def limits_dir() -> Path:
    """Folder of the packaged limit files."""
    return Path(str(resources.files("muonbsm.analysis") / "data" / "dark_photon_limits"))


def read_limit(path: str | Path, label: str | None = None) -> LimitCurve:
    """Read a limit CSV (``#`` header lines, then ``mass_gev,epsilon_lower[,epsilon_upper]``).

    Raises :class:`~muonbsm.errors.InputError` naming the file (and line) for a missing file,
    wrong columns, non-numbers, non-positive values, unsorted masses or ``upper < lower``.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(f"limit file {p}: does not exist")
    header: dict[str, str] = {}
    rows: list[list[str]] = []
    with p.open(newline="") as fh:
        for line in fh:
            if line.startswith("#"):
                key, sep, value = line[1:].partition(":")
                if sep:
                    header.setdefault(key.strip(), value.strip())
                continue
            if line.strip():
                rows.append(next(csv.reader([line])))
    if not rows or [c.strip() for c in rows[0]] not in (["mass_gev", "epsilon_lower"],
                                                         ["mass_gev", "epsilon_lower", "epsilon_upper"]):
        raise InputError(f"limit file {p}: first row must be 'mass_gev,epsilon_lower[,epsilon_upper]'")
    ncol = len(rows[0])
    try:
        data = np.array([[float(v) for v in r] for r in rows[1:]], dtype=np.float64)
    except ValueError as exc:
        raise InputError(f"limit file {p}: {exc}") from None
    if data.ndim != 2 or data.shape[0] < 2 or data.shape[1] != ncol:
        raise InputError(f"limit file {p}: need at least two rows of {ncol} numbers")
    if not np.all(np.isfinite(data)) or np.any(data <= 0):
        raise InputError(f"limit file {p}: masses and epsilons must be finite and > 0")
    if np.any(np.diff(data[:, 0]) < 0):
        raise InputError(f"limit file {p}: mass_gev must not decrease")
    upper = data[:, 2] if ncol == 3 else None
    if upper is not None and np.any(upper < data[:, 1]):
        bad = int(np.argmax(upper < data[:, 1]))
        raise InputError(f"limit file {p}: epsilon_upper < epsilon_lower in data row {bad + 1}")
    name = p.stem
    label = label or LABELS.get(name) or header.get("experiment") or name
    return LimitCurve(name, label, data[:, 0], data[:, 1], upper, p, header)


def packaged_limits(names: tuple[str, ...] | None = None) -> list[LimitCurve]:
    """The packaged existing limits (all of them, or the file stems in ``names``)."""
    files = {p.stem: p for p in sorted(limits_dir().glob("*.csv"))}
    if names is None:
        return [read_limit(p) for p in files.values()]
    missing = [n for n in names if n not in files]
    if missing:
        raise InputError(f"limits: unknown curve(s) {missing}; available {sorted(files)}")
    return [read_limit(files[n]) for n in names]


def default_limits() -> list[LimitCurve]:
    """The curves drawn by default (:data:`DEFAULT`)."""
    return packaged_limits(DEFAULT)


def projection(name: str = "Mu3e_Echenard2014lma") -> LimitCurve:
    """A packaged projection (default: Mu3e, Echenard, Essig, Zhong, arXiv:1411.1770, Fig. 7)."""
    path = limits_dir() / "projections" / f"{name}.csv"
    if not path.is_file():
        raise InputError(f"projection {name!r}: no file {path}")
    return read_limit(path)
