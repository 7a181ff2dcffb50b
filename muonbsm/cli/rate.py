"""``muonbsm rate ic|signal``: fiducial branching ratios with their Monte Carlo errors."""

from __future__ import annotations

import argparse
from typing import Any

from muonbsm.cli.common import emit, energy_arg

__all__ = ["register", "ic_rate", "signal_rate"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("rate", help="fiducial branching ratio of the IC background or an X signal")
    kinds = p.add_subparsers(dest="kind", required=True)
    for name, helptext in (("ic", "mu+ -> e+ e+ e- nu nubar (internal conversion, LO)"),
                           ("signal", "mu+ -> e+ nu nubar X, X -> e+ e-")):
        q = kinds.add_parser(name, help=helptext)
        q.add_argument("--min-energy", type=energy_arg, default=0.0, help="per-lepton E cut (GeV or with unit)")
        q.add_argument("--min-pt", type=energy_arg, default=0.0, help="per-lepton pT cut (GeV or with unit)")
        q.add_argument("--mee-window", type=energy_arg, nargs=2, metavar=("LO", "HI"), help="m_ee window on either pairing")
        q.add_argument("--polarization", type=float, nargs=3, default=(0.0, 0.0, -0.86), metavar=("PX", "PY", "PZ"),
                       help="muon polarisation vector (default 0 0 -0.86, Mu3e)")
        q.add_argument("--seed", type=int, default=1)
        q.add_argument("--nitn", type=int, default=10, help="vegas iterations (after as many/2 for adaptation)")
        q.add_argument("--neval", type=int, default=200_000, help="integrand evaluations per iteration")
        q.add_argument("--json", action="store_true")
        if name == "signal":
            q.add_argument("--model", required=True, choices=("dark-photon", "scalar", "pseudoscalar", "vector"))
            q.add_argument("--mass", required=True, type=energy_arg, help="X mass (GeV or with unit, e.g. 20MeV)")
            q.add_argument("--epsilon", type=float, default=0.0, help="dark-photon kinetic mixing")
            for c in ("g-e", "g-mu", "g-v-e", "g-a-e", "g-v-mu", "g-a-mu"):
                q.add_argument(f"--{c}", type=float, default=0.0, help=f"coupling {c.replace('-', '_')} (signed; write negative values as --{c}=-2e-5)")
        q.set_defaults(func=_main)


def _common(args: argparse.Namespace) -> dict[str, Any]:
    from muonbsm.generator.processes.mu3e.cuts import LeptonCuts, MeeWindow

    window = MeeWindow(*args.mee_window) if args.mee_window else None
    return {"polarization": tuple(args.polarization), "cuts": LeptonCuts(args.min_energy, args.min_pt), "mee_window": window}


def _integrate(process: Any, args: argparse.Namespace) -> dict[str, Any]:
    from muonbsm.generator.sampling import train_channels

    grids = train_channels(process, args.seed, nitn=args.nitn, neval=args.neval)
    return {"branching_ratio": sum(g.integral for g in grids), "error": sum(g.error**2 for g in grids) ** 0.5,
            "chi2_dof": max(g.chi2_dof for g in grids), "seed": args.seed, "nitn": args.nitn, "neval": args.neval,
            "process": process.describe()}


def ic_rate(args: argparse.Namespace) -> dict[str, Any]:
    """Fiducial BR(mu -> e nu nu e e) for the options in ``args``."""
    from muonbsm.generator.processes.mu3e.process import InternalConversion

    return _integrate(InternalConversion(**_common(args)), args)


def signal_rate(args: argparse.Namespace) -> dict[str, Any]:
    """BR(mu -> e nu nu X) and BR(X -> ee) for the model in ``args``."""
    from muonbsm.generator.processes.mu3e.process import XEmission
    from muonbsm.generator.processes.registry import x_model

    model = x_model(args.model, args.mass, epsilon=args.epsilon, g_e=args.g_e, g_mu=args.g_mu,
                    g_v_e=args.g_v_e, g_a_e=args.g_a_e, g_v_mu=args.g_v_mu, g_a_mu=args.g_a_mu)
    out = _integrate(XEmission(model, **_common(args)), args)
    br_ee = model.br_ee_assumed
    out["br_times_br_ee"], out["br_times_br_ee_error"] = out["branching_ratio"], out["error"]
    out["branching_ratio"] /= br_ee
    out["error"] /= br_ee
    out["br_x_to_ee"] = br_ee
    out["br_x_to_ee_assumed"] = not model.electron_coupled
    out["ctau_mm"] = model.ctau_mm
    return out


def _main(args: argparse.Namespace) -> int:
    if args.kind == "ic":
        out = ic_rate(args)
        text = f"BR(mu+ -> e+ nu nubar e+ e-) = {out['branching_ratio']:.6e} +- {out['error']:.2e} (chi2/dof {out['chi2_dof']:.2f})"
    else:
        out = signal_rate(args)
        text = (f"BR(mu+ -> e+ nu nubar X) = {out['branching_ratio']:.6e} +- {out['error']:.2e}\n"
                f"BR(X -> e+ e-) = {out['br_x_to_ee']:.6g}{' (assumed: X has no electron coupling)' if out['br_x_to_ee_assumed'] else ''}\n"
                + (f"c tau(X) = {out['ctau_mm']:.4g} mm" if out["ctau_mm"] is not None
                   else "c tau(X): not determined (muon-only X, BR(X -> ee) = 1 assumed)"))
    emit(out, args.json, text)
    return 0
