r"""tau^- branching fractions from the PDG, exclusive decay modes and the prong definition.

The fast decayer (:mod:`muonbsm.generator.decays.tau`) generates the exclusive modes of
:data:`MODE_SPECS`. Each is one node of the PDG tau fit, read from the PDG's own Python API
(``pdg`` on PyPI, which ships the database; ``api.get(pdgid).value``, the fit value) at build
time into ``data/tau_branching_fractions.csv`` with the edition and citation in its header:

    python -m muonbsm.generator.decays.tau_br --write

At run time the decayer reads that file (:func:`load_table`), so the ``pdg`` package is not
needed; ``tests/generator/test_decays_tau_br.py`` compares the file with ``pdg`` when installed.

Exclusivity. The modes are final states with pi0, K_S, K_L (and K0 = K_S or K_L) stable, so
the multi-pion nodes are the PDG "(ex. K0)" ones: e.g. pi- pi- pi+ is ``S035.258``, 9.016 %
(2026), *not* the 9.306 % that includes K_S -> pi+ pi- from pi- K_S (generated separately as
Kbar0 pi-); likewise pi- pi- pi+ pi0 (4.486 %, not 4.618 %). omega and eta decays into pions are
part of the pion final states of the PDG nodes (pi- omega, omega -> pi+ pi- pi0 is inside
pi- pi- pi+ pi0), so they are not listed again. pi- K0 Kbar0 is split into its measured K_S K_L,
K_S K_S and K_L K_L nodes (the K0 Kbar0 pair is not two independent K0).

Remainder. The explicit modes sum to 1 - r with r = 0.36 % (2026): mostly pi- omega with
omega -> pi0 gamma (0.16 %), eta pi- pi0 with eta -> gamma gamma (0.06 %) and other modes with
photons or eta, which are one-prong. r is carried by the last mode, ``pi- pi0 gamma`` (phase
space), so the fractions sum to 1 exactly and the prong fractions stay those of the PDG.

Prongs (the one definition, :data:`KS_STABLE` and :func:`n_prongs`): charged particles from the
tau decay vertex with K_S **stable** (K_S -> pi+ pi- not counted). Its PDG reference is
``S035.209`` "h- h- h+ >= 0 neutrals nu (ex. K0S -> pi+ pi-) (3-prong)", 14.551 % (2026); the
table gives 14.564 %. (With K_S decaying the PDG value is 15.204 %, ``S035.194``.)

>>> round(float(BRANCHING_FRACTIONS.sum()), 12)
1.0
>>> int(n_prongs((-211, -211, 211, 16)))
3
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from muonbsm.errors import IntegrityError
from muonbsm.events import charge_of

__all__ = [
    "ModeSpec",
    "MODE_SPECS",
    "KS_STABLE",
    "THREE_PRONG_PDGID",
    "TABLE_PATH",
    "n_prongs",
    "load_table",
    "BRANCHING_FRACTIONS",
    "PDG_EDITION",
    "PDG_THREE_PRONG",
    "REMAINDER_CODE",
    "from_pdg",
    "write_table",
]


@dataclass(frozen=True)
class ModeSpec:
    """An exclusive tau^- mode: name, daughters (PDG ids, tau^-), current model, PDG node id."""

    name: str
    daughters: tuple[int, ...]
    model: str
    pdgid: str | None


#: Exclusive modes, indexed by mode code (codes 0-20 kept from the first table; new ones appended).
MODE_SPECS: tuple[ModeSpec, ...] = (
    ModeSpec("e- nubar_e nu_tau", (11, -12, 16), "lepton", "S035.2"),
    ModeSpec("mu- nubar_mu nu_tau", (13, -14, 16), "lepton", "S035.1"),
    ModeSpec("pi- nu_tau", (-211, 16), "pseudoscalar", "S035.12"),
    ModeSpec("K- nu_tau", (-321, 16), "pseudoscalar", "S035.7"),
    ModeSpec("pi- pi0 nu_tau", (-211, 111, 16), "vector_rho", "S035.16"),
    ModeSpec("K- pi0 nu_tau", (-321, 111, 16), "vector_scalar_kpi", "S035.182"),
    ModeSpec("Kbar0 pi- nu_tau", (-311, -211, 16), "vector_scalar_kpi", "S035.117"),
    ModeSpec("pi0 pi0 pi- nu_tau", (111, 111, -211, 16), "three_pion", "S035.201"),
    ModeSpec("pi- pi- pi+ nu_tau", (-211, -211, 211, 16), "three_pion", "S035.258"),
    ModeSpec("pi- pi- pi+ pi0 nu_tau", (-211, -211, 211, 111, 16), "four_pion", "S035.262"),
    ModeSpec("pi- 3pi0 nu_tau", (-211, 111, 111, 111, 16), "four_pion", "S035.203"),
    ModeSpec("pi- pi- pi+ 2pi0 nu_tau", (-211, -211, 211, 111, 111, 16), "five_pion", "S035.112"),
    ModeSpec("K- pi- pi+ nu_tau", (-321, -211, 211, 16), "three_meson_kaon", "S035.260"),
    ModeSpec("K- K+ pi- nu_tau", (-321, 321, -211, 16), "three_meson_kaon", "S035.5"),
    ModeSpec("Kbar0 pi- pi0 nu_tau", (-311, -211, 111, 16), "three_meson_kaon", "S035.118"),
    ModeSpec("K- K0 nu_tau", (-321, 311, 16), "vector_rho", "S035.62"),
    ModeSpec("K- K0 pi0 nu_tau", (-321, 311, 111, 16), "three_meson_kaon", "S035.119"),
    ModeSpec("K- pi0 pi0 nu_tau", (-321, 111, 111, 16), "three_meson_kaon", "S035.115"),
    ModeSpec("pi- K_S K_L nu_tau", (-211, 310, 130, 16), "three_meson_kaon", "S035.240"),
    ModeSpec("3pi- 2pi+ nu_tau", (-211, -211, -211, 211, 211, 16), "five_pion", "S035.3"),
    ModeSpec("pi- 4pi0 nu_tau", (-211, 111, 111, 111, 111, 16), "five_pion", "S035.220"),
    ModeSpec("pi- K_S K_S nu_tau", (-211, 310, 310, 16), "three_meson_kaon", "S035.214"),
    ModeSpec("pi- K_L K_L nu_tau", (-211, 130, 130, 16), "three_meson_kaon", "S035.342"),
    ModeSpec("K- pi- pi+ pi0 nu_tau", (-321, -211, 211, 111, 16), "phase_space", "S035.264"),
    ModeSpec("K- K+ pi- pi0 nu_tau", (-321, 321, -211, 111, 16), "phase_space", "S035.247"),
    ModeSpec("Kbar0 pi- pi- pi+ nu_tau", (-311, -211, -211, 211, 16), "phase_space", "S035.244"),
    ModeSpec("pi- pi- pi+ 3pi0 nu_tau", (-211, -211, 211, 111, 111, 111, 16), "phase_space", "S035.318"),
    ModeSpec("3pi- 2pi+ pi0 nu_tau", (-211, -211, -211, 211, 211, 111, 16), "phase_space", "S035.323"),
    ModeSpec("K- 3pi0 nu_tau", (-321, 111, 111, 111, 16), "phase_space", "S035.116"),
    ModeSpec("Kbar0 pi- 2pi0 nu_tau", (-311, -211, 111, 111, 16), "phase_space", "S035.238"),
    ModeSpec("pi- K0 Kbar0 pi0 nu_tau", (-211, 311, -311, 111, 16), "phase_space", "S035.278"),
    ModeSpec("pi- pi0 gamma nu_tau (remainder)", (-211, 111, 22, 16), "phase_space", None),
)
#: Code of the mode that carries the remainder 1 - sum(explicit PDG modes).
REMAINDER_CODE = len(MODE_SPECS) - 1
#: Prong definition used everywhere: K_S is stable (its pi+ pi- are not prongs).
KS_STABLE = True
#: PDG node of the 3-prong fraction with this definition.
THREE_PRONG_PDGID = "S035.209"
#: The table file read at run time.
TABLE_PATH = Path(__file__).parent / "data" / "tau_branching_fractions.csv"
_FIELDS = ("code", "name", "pdgid", "pdg_value", "pdg_error", "branching_fraction")


def n_prongs(daughters: tuple[int, ...]) -> int:
    """Charged prongs of a final state (PDG ids) with K_S stable (:data:`KS_STABLE`)."""
    return int(np.count_nonzero(charge_of(np.asarray(daughters))))


def from_pdg() -> tuple[str, str, list[tuple[float, float]]]:
    """(edition, citation, [(value, symmetric error)] per explicit mode) from the ``pdg`` package."""
    import warnings

    import pdg

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        api = pdg.connect()
        values = []
        for spec in MODE_SPECS:
            if spec.pdgid is None:
                values.append((float("nan"), float("nan")))
                continue
            bf = api.get(f"{spec.pdgid}/{api.edition}")
            if bf.is_limit:
                raise ValueError(f"{spec.pdgid} ({spec.name}) is a PDG limit, not a measured fraction")
            err = 0.5 * (float(bf.error_positive or 0.0) + float(bf.error_negative or 0.0))
            values.append((float(bf.value), err))
        three = api.get(f"{THREE_PRONG_PDGID}/{api.edition}")
        values.append((float(three.value), 0.5 * (float(three.error_positive) + float(three.error_negative))))
        return str(api.edition), str(api.info("citation")), values


def write_table(path: Path = TABLE_PATH) -> Path:
    """Build the table file from the ``pdg`` package (atomic write: temporary name, fsync, rename)."""
    edition, citation, values = from_pdg()
    three, modes = values[-1], values[:-1]
    explicit = sum(v for v, _ in modes if np.isfinite(v))
    buf = io.StringIO()
    buf.write(f"# tau- branching fractions, PDG edition {edition}: {citation}\n")
    buf.write("# fit values read with the pdg Python API (api.get(pdgid).value); written by\n")
    buf.write("# python -m muonbsm.generator.decays.tau_br --write; remainder 1 - sum(explicit) on the last mode\n")
    buf.write(f"# three_prong {THREE_PRONG_PDGID} {three[0]:.10g} {three[1]:.3g} (K_S stable)\n")
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(_FIELDS)
    for code, (spec, (value, err)) in enumerate(zip(MODE_SPECS, modes)):
        br = 1.0 - explicit if code == REMAINDER_CODE else value
        writer.writerow([code, spec.name, spec.pdgid or "", f"{value:.10g}", f"{err:.4g}", f"{br:.10g}"])
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(buf.getvalue())
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return path


def load_table(path: Path = TABLE_PATH) -> tuple[str, NDArray[np.float64], float]:
    """(PDG edition, branching fractions per mode code, PDG 3-prong fraction) from the table file."""
    text = path.read_text(encoding="utf-8")
    header = [ln for ln in text.splitlines() if ln.startswith("#")]
    edition = header[0].split("PDG edition ")[1].split(":")[0]
    three = float(next(ln for ln in header if ln.startswith("# three_prong")).split()[3])
    rows = list(csv.DictReader(ln for ln in text.splitlines() if not ln.startswith("#")))
    if [r["name"] for r in rows] != [s.name for s in MODE_SPECS]:
        raise IntegrityError(f"{path}: modes differ from MODE_SPECS; rebuild with python -m muonbsm.generator.decays.tau_br --write")
    brs = np.array([float(r["branching_fraction"]) for r in rows])
    if np.any(brs <= 0) or abs(brs.sum() - 1.0) > 1e-9:
        raise IntegrityError(f"{path}: branching fractions must be positive and sum to 1 (sum {brs.sum():.12f})")
    return edition, brs / brs.sum(), three


PDG_EDITION, BRANCHING_FRACTIONS, PDG_THREE_PRONG = load_table()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="tau branching-fraction table from the pdg package")
    parser.add_argument("--write", action="store_true", help=f"rebuild {TABLE_PATH.name} from the pdg package")
    args = parser.parse_args(argv)
    if args.write:
        print(f"wrote {write_table()}")
    edition, brs, three = load_table()
    prongs = np.array([n_prongs(s.daughters) for s in MODE_SPECS])
    print(f"PDG {edition}: 3-prong (K_S stable) table {brs[prongs == 3].sum():.5f}, PDG {three:.5f}; "
          f"remainder {brs[REMAINDER_CODE]:.5f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
