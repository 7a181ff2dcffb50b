"""``muonbsm xsec alp`` and ``muonbsm xsec-table alp``: sigma(mu N -> tau N a) in pb."""

from __future__ import annotations

import argparse
import re

import numpy as np

from muonbsm.cli.common import emit, energy_arg

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
    p.add_argument("--target", type=target_arg, default="Pb", help="Pb, W, or Z,A (default Pb)")
    p.add_argument("--c-over-lambda", type=float, default=1.0, help="C/Lambda in TeV^-1 (default 1)")
    p.add_argument("--theta", type=float, default=0.0, help="coupling angle theta [rad] (seed Eq. 2; default 0)")
    p.add_argument("--t-max", type=float, default=1.0, help="form-factor cut-off on t [GeV^2] (default 1)")
    p.add_argument("--precision", type=float, default=0.005, help="relative MC precision (default 0.005)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("xsec", help="cross section of mu N -> tau N a in pb")
    kinds = p.add_subparsers(dest="kind", required=True)
    q = kinds.add_parser("alp", help="LFV ALP production off a nucleus (exact 2->3)")
    q.add_argument("--energy", type=energy_arg, required=True, help="muon beam energy (GeV or with unit)")
    q.add_argument("--ma", type=energy_arg, required=True, help="ALP mass (GeV or with unit)")
    _model_options(q)
    q.set_defaults(func=_xsec)

    p = sub.add_parser("xsec-table", help="sigma(E, m_a) grid as CSV")
    kinds = p.add_subparsers(dest="kind", required=True)
    q = kinds.add_parser("alp", help="LFV ALP production off a nucleus (exact 2->3)")
    q.add_argument("--energies", type=energy_arg, nargs="+", help="beam energies (GeV or with unit)")
    q.add_argument("--energy-grid", type=float, nargs=3, metavar=("LO", "HI", "N"), help="N log-spaced energies [GeV]")
    q.add_argument("--masses", type=energy_arg, nargs="+", help="ALP masses (GeV or with unit)")
    q.add_argument("--mass-grid", type=float, nargs=3, metavar=("LO", "HI", "N"), help="N log-spaced masses [GeV]")
    q.add_argument("--out", required=True, help="output CSV file")
    _model_options(q)
    q.set_defaults(func=_table)


def _xsec(args: argparse.Namespace) -> int:
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
        raise ValueError(f"give exactly one of --{name}s and --{name}-grid")
    if values is not None:
        return np.asarray(values, dtype=float)
    lo, hi, n = spec
    if not (0 < lo < hi and n >= 2 and float(n).is_integer()):
        raise ValueError(f"--{name}-grid: need 0 < LO < HI and an integer N >= 2, got {spec}")
    return np.geomspace(lo, hi, int(n))


def _table(args: argparse.Namespace) -> int:
    from muonbsm.generator.processes.alp.xsec_table import write_xsec_table

    energies = _grid(args.energies, args.energy_grid, "energy")
    masses = _grid(args.masses, args.mass_grid, "mass")
    path = write_xsec_table(args.target, energies, masses, args.out, c_over_lambda=args.c_over_lambda,
                            theta=args.theta, t_max=args.t_max, rel_precision=args.precision, seed=args.seed)
    out = {"out": str(path), "n_energies": len(energies), "n_masses": len(masses), "target": args.target.name}
    emit(out, args.json, f"wrote {len(energies)} x {len(masses)} cross sections to {path}")
    return 0
