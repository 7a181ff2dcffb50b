"""``muonbsm rate ic|signal``: fiducial branching ratios with their Monte Carlo errors."""

from __future__ import annotations

import argparse
from typing import Any

from muonbsm.cards import GENERATION, X_MASS, check_mee_window, check_x_mass
from muonbsm.cli.common import Parser, emit, flag
from muonbsm.errors import InputError
from muonbsm.generator.processes.registry import COUPLINGS, PROCESSES, X_MODELS
from muonbsm.schema import Float, Quantity, Table

__all__ = ["register", "ic_rate", "signal_rate"]


def register(sub: argparse._SubParsersAction) -> None:
    cuts, run, training = (GENERATION.keys[k] for k in ("cuts", "run", "training"))
    assert isinstance(cuts, Table) and isinstance(run, Table) and isinstance(training, Table)
    p = sub.add_parser("rate", help="fiducial branching ratio of the IC background or an X signal")
    kinds = p.add_subparsers(dest="kind", required=True, parser_class=Parser)
    for name in ("ic", "signal"):
        q = kinds.add_parser(name, help=PROCESSES["mu3e-ic" if name == "ic" else "mu3e-signal"].help)
        flag(q, "--min-energy", cuts.keys["min_energy"], default=0.0)
        flag(q, "--min-pt", cuts.keys["min_pt"], default=0.0)
        flag(q, "--mee-window", Quantity("energy", lo=0.0, help="m_ee window [LO, HI] on either pairing"),
             nargs=2, metavar=("LO", "HI"))
        flag(q, "--polarization", Float(lo=-1.0, hi=1.0, help="muon polarisation vector (default 0 0 -0.86, Mu3e)"),
             nargs=3, default=(0.0, 0.0, -0.86), metavar=("PX", "PY", "PZ"))
        flag(q, "--seed", run.keys["seed"], default=1)
        flag(q, "--nitn", training.keys["nitn"], default=10)
        flag(q, "--neval", training.keys["neval"], default=200_000)
        q.add_argument("--json", action="store_true", help="print the result as JSON")
        if name == "signal":
            q.add_argument("--model", required=True, choices=list(X_MODELS),
                           help="; ".join(f"{k}: {v.help}" for k, v in X_MODELS.items()))
            flag(q, "--mass", X_MASS, required=True)
            for c in COUPLINGS:
                flag(q, f"--{c.replace('_', '-')}", Float(help=f"coupling {c}"), default=0.0)
            flag(q, "--ctau", Quantity("length", lo=0.0, help="stated c tau of a muon-only X"))
        q.set_defaults(func=_main)


def _check(args: argparse.Namespace) -> None:
    """Rules across flags, before any heavy import."""
    if args.mee_window and not args.mee_window[0] < args.mee_window[1]:
        raise InputError(f"--mee-window: need LO < HI, got {args.mee_window[0]:g} {args.mee_window[1]:g} GeV")
    if args.mee_window:
        check_mee_window(args.mee_window, "--mee-window")
    if sum(c * c for c in args.polarization) > 1.0 + 1e-12:
        raise InputError(f"--polarization: |P| must be <= 1, got {list(args.polarization)}")
    if args.kind == "signal":
        check_x_mass(args.mass, "--mass")
        entry = X_MODELS[args.model]
        for c in COUPLINGS:
            if c not in entry.couplings and getattr(args, c) != 0.0:
                raise InputError(f"--{c.replace('_', '-')}: not a coupling of --model {args.model} "
                                 f"(it uses {', '.join('--' + u.replace('_', '-') for u in entry.couplings)})")
        if args.model == "dark-photon" and not args.epsilon > 0:
            raise InputError(f"--epsilon: --model dark-photon needs epsilon > 0, got {args.epsilon}")
        if all(getattr(args, c) == 0.0 for c in entry.couplings):
            raise InputError(f"--{entry.couplings[0].replace('_', '-')}: --model {args.model} needs at least one "
                             f"non-zero coupling of {', '.join('--' + u.replace('_', '-') for u in entry.couplings)}")


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

    model = x_model(args.model, args.mass, ctau=args.ctau, **{c: getattr(args, c) for c in COUPLINGS})
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
    _check(args)
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
