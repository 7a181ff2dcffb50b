"""``muonbsm xsec alp`` and ``muonbsm xsec-table alp``: sigma(mu N -> tau N a) in pb."""

from __future__ import annotations

import argparse
import re

import numpy as np

from muonbsm.cards import GENERATION, check_alp_kinematics, check_output
from muonbsm.cli.common import Parser, emit, flag
from muonbsm.errors import InputError
from muonbsm.generator.processes.registry import PROCESSES
from muonbsm.schema import Float, Int, Table

__all__ = ["register", "target_arg"]


def target_arg(text: str):
    """argparse type: a preset name (Pb, W) or ``Z,A`` for any nucleus."""
    from muonbsm.targets import get_target, make_target

    match = re.fullmatch(r"\s*(\d+)\s*,\s*([\d.]+)\s*", text)
    try:
        return make_target(int(match.group(1)), float(match.group(2))) if match else get_target(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _model_options(p: argparse.ArgumentParser) -> None:
    alp = GENERATION.keys["alp"]
    assert isinstance(alp, Table)
    p.add_argument("--target", type=target_arg, default="Pb",
                   help=f"target: {', '.join(_targets())}, or Z,A for any nucleus (default Pb)")
    for name in ("c_over_lambda", "theta", "t_max"):
        key = alp.keys[name]
        flag(p, f"--{name.replace('_', '-')}", key, default=key.default)
    flag(p, "--precision", Float(lo=0.0, hi=1.0, lo_open=True, hi_open=True, help="relative MC precision"),
         default=0.005)
    flag(p, "--seed", Int(lo=0, help="master seed"), default=0)
    p.add_argument("--json", action="store_true", help="print the result as JSON")


def _targets() -> list[str]:
    from muonbsm.targets import TARGETS

    return list(TARGETS)


def register(sub: argparse._SubParsersAction) -> None:
    alp = GENERATION.keys["alp"]
    assert isinstance(alp, Table)
    p = sub.add_parser("xsec", help="cross section of mu N -> tau N a in pb")
    kinds = p.add_subparsers(dest="kind", required=True, parser_class=Parser)
    q = kinds.add_parser("alp", help=PROCESSES["alp"].help)
    flag(q, "--energy", alp.keys["beam_energy"], required=True)
    flag(q, "--ma", alp.keys["m_a"], required=True)
    _model_options(q)
    q.set_defaults(func=_xsec)

    p = sub.add_parser("xsec-table", help="sigma(E, m_a) grid as CSV")
    kinds = p.add_subparsers(dest="kind", required=True, parser_class=Parser)
    q = kinds.add_parser("alp", help=PROCESSES["alp"].help)
    flag(q, "--energies", alp.keys["beam_energy"], nargs="+", help="beam energies")
    flag(q, "--energy-grid", _GRID, nargs=3, metavar=("LO", "HI", "N"), help="N log-spaced energies [GeV]")
    flag(q, "--masses", alp.keys["m_a"], nargs="+", help="ALP masses")
    flag(q, "--mass-grid", _GRID, nargs=3, metavar=("LO", "HI", "N"), help="N log-spaced masses [GeV]")
    q.add_argument("--output", help="output CSV file (.csv)")
    q.add_argument("--out", dest="output", help=argparse.SUPPRESS)  # old spelling, kept as an alias
    _model_options(q)
    q.set_defaults(func=_table)


_GRID = Float(lo=0.0, lo_open=True)


def _xsec(args: argparse.Namespace) -> int:
    check_alp_kinematics(args.target, args.energy, args.ma, args.t_max,
                         {"beam_energy": "--energy", "m_a": "--ma", "t_max": "--t-max"})
    from muonbsm.generator.processes.alp.cross_section import alp_cross_section

    r = alp_cross_section(args.target, args.energy, args.ma, args.c_over_lambda, args.theta,
                          rel_precision=args.precision, seed=args.seed, t_max=args.t_max)
    out = {"sigma_pb": r.sigma_pb, "sigma_err_pb": r.sigma_err_pb, "target": args.target.name,
           "energy_gev": args.energy, "ma_gev": args.ma, "c_over_lambda_per_tev": args.c_over_lambda,
           "theta": args.theta, "t_max_gev2": args.t_max, "n_eval": r.n_eval, "seed": args.seed}
    text = (f"sigma(mu {args.target.name} -> tau {args.target.name} a) = {r.sigma_pb:.6e} +- {r.sigma_err_pb:.2e} pb"
            f"  (E = {args.energy:g} GeV, m_a = {args.ma:g} GeV, C/Lambda = {args.c_over_lambda:g} TeV^-1, theta = {args.theta:g})")
    emit(out, args.json, text)
    return 0


def _grid(values, spec, name: str) -> np.ndarray:
    if (values is None) == (spec is None):
        raise InputError(f"--{name}s, --{name}-grid: give exactly one of them")
    if values is not None:
        return np.asarray(values, dtype=float)
    lo, hi, n = spec
    if not (0 < lo < hi and n >= 2 and float(n).is_integer()):
        raise InputError(f"--{name}-grid: need 0 < LO < HI and an integer N >= 2, got {spec}")
    return np.geomspace(lo, hi, int(n))


def _table(args: argparse.Namespace) -> int:
    if args.output is None:
        raise InputError("--output: required (the CSV file to write)")
    check_output(args.output, "--output", (".csv",))
    energies = _grid(args.energies, args.energy_grid, "energy")
    masses = _grid(args.masses, args.mass_grid, "mass")
    from muonbsm.generator.processes.alp.xsec_table import write_xsec_table

    path = write_xsec_table(args.target, energies, masses, args.output, c_over_lambda=args.c_over_lambda,
                            theta=args.theta, t_max=args.t_max, rel_precision=args.precision, seed=args.seed)
    out = {"output": str(path), "n_energies": len(energies), "n_masses": len(masses), "target": args.target.name}
    emit(out, args.json, f"wrote {len(energies)} x {len(masses)} cross sections to {path}")
    return 0
