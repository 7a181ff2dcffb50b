"""Per-mode validation and speed of the fast tau decayer against Pythia 8 (``pythia8mc``).

For every fast-decayer mode, Pythia 8 is forced into the matching channel(s) of its tau decay
table (``15:onMode`` per channel; eta and omega kept stable so that the primary products are the
final state, pi0/K_S/K_L stable as in the fast decayer), tau^- of ``--energy`` GeV along +z
with helicity P. Both samples are compared by chi2/ndf (normalised shapes, Pearson with both
errors, bins with >= 10 entries in the two samples together) of

* the charged-energy fraction E(charged daughters)/E_tau (20 bins);
* the hadronic mass Q and, with three or more hadrons, per unordered pair of hadron species
  the lowest and highest pair mass (20 bins each, over the kinematic range).

Pythia samples are cached (``--cache``, default ``$MUONBSM_CACHE/tau_pythia`` or
``~/.cache/muonbsm/tau_pythia``) so that "before"/"after" comparisons reuse one reference.
The speed is the inclusive rate of :func:`decay_taus` vs the Python-driven Pythia backend.

Diagnostics printed beside a mode that differs from Pythia by design: pi0 pi0 pi- with Pythia's
(not Bose-symmetric) F2, and the ``phase_space`` modes generated flat in phase space without the
V-A lepton tensor, as Pythia does. The remainder mode (a one-prong proxy for the unlisted modes)
is not compared. ``--envelope N`` instead checks N fresh candidates per mode and P against the
stored accept-reject envelope (largest w/envelope, share of the rate above it).

    python benchmarks/tau_decay_speed.py --n-pythia 50000 --n-fast 200000 --pol 0 1 -1 [--json out.json]
    python benchmarks/tau_decay_speed.py --envelope 3000000
    python benchmarks/tau_decay_speed.py --mode-times 20000

Needs ``pip install muonbsm[pythia]``.
"""

from __future__ import annotations

import argparse
import json
import os
import time
import zlib
from collections import Counter
from itertools import combinations
from pathlib import Path

import numpy as np

from muonbsm.constants import M_TAU, pdg_mass
from muonbsm.events import charge_of
from muonbsm.generator.decays import tau
from muonbsm.generator.decays.tau_br import REMAINDER_CODE

_NEUTRINOS = (12, 14, 16)
_STABLE_REF = (111, 130, 310, 221, 223)


def _key(ids, merge_k0: bool = False) -> tuple:
    """Channel content with K0 and Kbar0 as 311 (and K_S, K_L too with ``merge_k0``)."""
    kaons = (130, 310, 311) if merge_k0 else (311,)
    return tuple(sorted(Counter(311 if abs(int(i)) in kaons else int(i) for i in ids).items()))


def _pythia_channels() -> tuple[object, dict[tuple, list[int]]]:
    from muonbsm.generator.decays.tau_pythia import import_pythia

    pythia8 = import_pythia()
    py = pythia8.Pythia("", False)
    for s in ["ProcessLevel:all = off", "Print:quiet = on", "Random:setSeed = on"] + [f"{i}:mayDecay = off" for i in _STABLE_REF]:
        py.readString(s)
    if not py.init():
        raise RuntimeError("Pythia 8 initialisation failed")
    entry = py.particleData.particleDataEntryPtr(15)
    groups: dict[tuple, list[int]] = {}
    for i in range(entry.sizeChannels()):
        ch = entry.channel(i)
        products = [ch.product(k) for k in range(ch.multiplicity())]
        groups.setdefault(_key(products), []).append(i)
        merged = _key(products, merge_k0=True)
        if merged != _key(products):
            groups.setdefault(merged, []).append(i)
    return py, groups


def pythia_sample(py, channels: list[int], n: int, pol: float, energy: float, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """n forced decays: (counts (n,), ids (m,), momenta (m, 4) (E, px, py, pz) [GeV])."""
    entry = py.particleData.particleDataEntryPtr(15)
    for i in range(entry.sizeChannels()):
        entry.channel(i).onMode(1 if i in channels else 0)
    py.rndm.init(seed)
    pz = float(np.sqrt(energy**2 - M_TAU**2))
    event = py.event
    counts, ids, moms = np.zeros(n, dtype=np.int64), [], []
    for k in range(n):
        event.reset()
        event.append(15, 1, 0, 0, 0.0, 0.0, pz, energy, M_TAU)
        event[1].pol(pol)
        if not py.next():
            raise RuntimeError("Pythia failed to decay a tau")
        fs = [event[j] for j in range(2, event.size()) if event[j].isFinal()]
        counts[k] = len(fs)
        ids.extend(int(p.id()) for p in fs)
        moms.extend((p.e(), p.px(), p.py(), p.pz()) for p in fs)
    return counts, np.array(ids, dtype=np.int64), np.array(moms, dtype=np.float64).reshape(-1, 4)


def cached_pythia(py, key: tuple, channels: list[int], n: int, pol: float, energy: float, cache: Path) -> tuple:
    name = "_".join(f"{i}x{c}" for i, c in key) + f"_P{pol:+.2f}_E{energy:g}_n{n}.npz"
    path = cache / name
    if path.exists():
        z = np.load(path)
        return z["counts"], z["ids"], z["moms"]
    seed = 1 + zlib.crc32(name.encode()) % 800_000_000
    counts, ids, moms = pythia_sample(py, channels, n, pol, energy, seed)
    cache.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, counts=counts, ids=ids, moms=moms)
    os.replace(tmp, path)
    return counts, ids, moms


def _to_fixed(counts, ids, moms, daughters: tuple[int, ...]) -> np.ndarray:
    """Reorder each decay's products into the order of ``daughters`` -> (n, k, 4)."""
    k = len(daughters)
    if np.any(counts != k):
        raise ValueError("unexpected multiplicity in the reference sample")
    ids = ids.reshape(-1, k)
    moms = moms.reshape(-1, k, 4)
    merge = any(abs(d) == 311 for d in daughters)
    canon = np.where(np.isin(np.abs(ids), (130, 310, 311) if merge else (311,)), 311, ids)
    want = np.array([311 if abs(d) in ((130, 310, 311) if merge else (311,)) else d for d in daughters])
    order = np.argsort(canon, axis=1, kind="stable")
    target = np.argsort(want, kind="stable")
    out = np.empty_like(moms)
    rows = np.arange(moms.shape[0])[:, None]
    out[rows, target[None, :]] = moms[rows, order]
    return out


def _boost_z(rest: np.ndarray, energy: float) -> np.ndarray:
    """Rest-frame momenta (n, k, 4) boosted to a tau^- of ``energy`` GeV along +z."""
    gamma, bg = energy / M_TAU, np.sqrt(energy**2 - M_TAU**2) / M_TAU
    lab = rest.copy()
    lab[..., 0] = gamma * rest[..., 0] + bg * rest[..., 3]
    lab[..., 3] = bg * rest[..., 0] + gamma * rest[..., 3]
    return lab


def fast_sample(code: int, n: int, pol: float, energy: float, rng: np.random.Generator) -> np.ndarray:
    """n decays of one mode, tau^- of ``energy`` GeV along +z (spin axis): (n, k, 4) lab momenta."""
    rest = tau.rest_frame_decays(code, np.full(n, pol), rng)
    return _boost_z(rest, energy)


def fast_sample_pythia_form_3pi(code: int, n: int, pol: float, energy: float, rng: np.random.Generator) -> np.ndarray:
    """As :func:`fast_sample` with the pi0 pi0 pi- F2 as coded in Pythia 8 (diagnostic, not Bose symmetric)."""
    from muonbsm.generator.decays import tau_currents_3pi as c3

    saved_current, saved_load = tau._CURRENTS["three_pion"], tau.tau_pilots.load
    tau._CURRENTS["three_pion"] = lambda d, h: c3.three_pion_current(d, h, bose=False)
    tau.tau_pilots.load = lambda: None
    for fn in (tau._max_weight, tau._sampler):
        fn.cache_clear()
    try:
        return fast_sample(code, n, pol, energy, rng)
    finally:
        tau._CURRENTS["three_pion"], tau.tau_pilots.load = saved_current, saved_load
        for fn in (tau._max_weight, tau._sampler):
            fn.cache_clear()


def fast_sample_flat(code: int, n: int, energy: float, rng: np.random.Generator) -> np.ndarray:
    """n decays of one mode flat in the tau-decay phase space (no matrix element, as Pythia 8's
    ``HMETau2PhaseSpace``; diagnostic for the ``phase_space`` modes): (n, k, 4) lab momenta."""
    masses = tau._masses(tau.MODES[code])
    out: list[np.ndarray] = []
    while sum(len(o) for o in out) < n:
        mom, w = tau.kin.nbody_rest(M_TAU, masses, 4 * n, rng)
        out.append(mom[rng.random(w.size) * w.max() * 1.05 < w])
    rest = np.concatenate(out)[:n]
    return _boost_z(rest, energy)


def _mass(p: np.ndarray) -> np.ndarray:
    return np.sqrt(np.clip(p[..., 0] ** 2 - np.sum(p[..., 1:] ** 2, axis=-1), 0.0, None))


def observables(mom: np.ndarray, daughters: tuple[int, ...], energy: float) -> dict[str, tuple[np.ndarray, tuple[float, float]]]:
    """Observables of one mode with their histogram ranges."""
    d = np.array(daughters)
    charged = charge_of(d) != 0
    had = [i for i, x in enumerate(d) if abs(x) not in _NEUTRINOS and abs(x) not in (11, 13)]
    out = {"E_ch/E": (mom[:, charged, 0].sum(axis=1) / energy, (0.0, 1.0))}
    masses = {i: pdg_mass(abs(int(d[i]))) for i in had}
    if len(had) >= 2:
        out["Q"] = (_mass(mom[:, had].sum(axis=1)), (sum(masses.values()), M_TAU))
    groups: dict[tuple, list[np.ndarray]] = {}
    for i, j in combinations(had if len(had) >= 3 else [], 2):
        groups.setdefault(tuple(sorted((int(d[i]), int(d[j])))), []).append(_mass(mom[:, i] + mom[:, j]))
    for (a, b), vals in groups.items():
        lo = pdg_mass(abs(a)) + pdg_mass(abs(b))
        hi = M_TAU - sum(masses.values()) + lo
        v = np.column_stack(vals)
        out[f"m({a},{b})" + ("lo" if v.shape[1] > 1 else "")] = (v.min(axis=1), (lo, hi))
        if v.shape[1] > 1:
            out[f"m({a},{b})hi"] = (v.max(axis=1), (lo, hi))
    return out


def chi2_hist(a: np.ndarray, b: np.ndarray, rng_: tuple[float, float], bins: int = 20) -> tuple[float, int]:
    """chi2 and ndf between the normalised histograms of samples a and b."""
    edges = np.linspace(rng_[0], rng_[1], bins + 1)
    ha, _ = np.histogram(a, edges)
    hb, _ = np.histogram(b, edges)
    keep = ha + hb >= 10
    fa, fb = ha[keep] / a.size, hb[keep] / b.size
    var = ha[keep] / a.size**2 + hb[keep] / b.size**2
    return float(np.sum((fa - fb) ** 2 / var)), max(int(keep.sum()) - 1, 1)


def compare_mode(code: int, ref: np.ndarray, fast: np.ndarray, energy: float) -> dict[str, tuple[float, int]]:
    daughters = tau.MODES[code].daughters
    o_ref, o_fast = observables(ref, daughters, energy), observables(fast, daughters, energy)
    return {name: chi2_hist(o_fast[name][0], o_ref[name][0], o_ref[name][1]) for name in o_ref}


def speed(energy: float, n_fast: int, n_py: int, rng: np.random.Generator, repeats: int = 3) -> tuple[list[float], list[float]]:
    """Inclusive decays/s of the fast decayer and of the Pythia backend (tau^-, P = 0), measured
    ``repeats`` times alternately after a warm-up of each (the machine's speed drifts by 10-30 %)."""
    from muonbsm.generator.decays import tau_pythia

    p = np.array([energy, 0.0, 0.0, np.sqrt(energy**2 - M_TAU**2)])
    tau.decay_taus(np.tile(p, (20_000, 1)), np.full(20_000, 15), rng)  # warm-up (pilot envelopes, numba caches)
    tau_pythia.decay_taus_pythia(np.tile(p, (500, 1)), np.full(500, 15), rng)  # warm-up (Pythia initialisation)
    fast, slow = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        tau.decay_taus(np.tile(p, (n_fast, 1)), np.full(n_fast, 15), rng)
        fast.append(n_fast / (time.perf_counter() - t0))
        t0 = time.perf_counter()
        tau_pythia.decay_taus_pythia(np.tile(p, (n_py, 1)), np.full(n_py, 15), rng)
        slow.append(n_py / (time.perf_counter() - t0))
    return fast, slow


def mode_times(n: int, rng: np.random.Generator) -> list[tuple[int, float, float]]:
    """(code, time per rest-frame decay [s], BR x time [s]) per mode, after a warm-up call."""
    out = []
    for code, mode in enumerate(tau.MODES):
        tau.rest_frame_decays(code, np.zeros(200), rng)
        t0 = time.perf_counter()
        tau.rest_frame_decays(code, np.zeros(n), rng)
        dt = (time.perf_counter() - t0) / n
        out.append((code, dt, mode.br * dt))
    return out


def envelope_check(code: int, n: int, rng: np.random.Generator) -> dict[str, float]:
    """Weights of ``n`` fresh candidates (P = 0, +-1) against the stored accept-reject envelope:
    the largest w/envelope and the share of the rate above the envelope, sum (w - env)_+ / sum w
    (the bias of the accept-reject, which accepts such candidates with probability 1)."""
    mode = tau.MODES[code]
    m0, m1, _ = tau._max_weight(code)
    worst, over, total = 0.0, 0.0, 0.0
    for pol, env in ((0.0, m0), (-1.0, m1), (1.0, m1)):
        for _ in range(max(n // 200_000, 1)):
            mom, w_ps = tau._proposal(mode, min(n, 200_000), rng)
            w = w_ps * tau._me_weight(mode, mom, np.full(len(w_ps), pol))
            worst, over, total = max(worst, float(w.max() / env)), over + float(np.clip(w - env, 0.0, None).sum()), total + float(w.sum())
    return {"max_w_over_envelope": worst, "rate_share_above": over / total}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-pythia", type=int, default=50_000, help="Pythia decays per mode and polarisation")
    parser.add_argument("--n-fast", type=int, default=200_000, help="fast decays per mode and polarisation")
    parser.add_argument("--energy", type=float, default=100.0, help="tau energy [GeV]")
    parser.add_argument("--pol", type=float, nargs="+", default=[0.0, 1.0, -1.0], help="tau helicities")
    parser.add_argument("--modes", type=int, nargs="*", default=None, help="fast-decayer mode codes (default all)")
    parser.add_argument("--cache", type=Path, default=Path(os.environ.get("MUONBSM_CACHE", Path.home() / ".cache" / "muonbsm")) / "tau_pythia")
    parser.add_argument("--reference-only", action="store_true", help="only fill the Pythia cache")
    parser.add_argument("--no-speed", action="store_true")
    parser.add_argument("--mode-times", type=int, default=0, metavar="N", help="time N rest-frame decays per mode (P = 0)")
    parser.add_argument("--envelope", type=int, default=0, metavar="N", help="check N fresh candidates per mode and P against the envelope")
    parser.add_argument("--json", type=Path, default=None, help="write the table as JSON")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--fast-module", type=Path, default=None, help="decayer module file to test instead (e.g. an old version)")
    args = parser.parse_args()
    if args.fast_module is not None:
        import importlib.util
        import sys

        sys.path.insert(0, str(args.fast_module.parent))
        spec = importlib.util.spec_from_file_location(args.fast_module.stem, args.fast_module)
        module = importlib.util.module_from_spec(spec)
        sys.modules[args.fast_module.stem] = module
        spec.loader.exec_module(module)
        globals()["tau"] = module
    rng = np.random.default_rng(args.seed)
    if args.mode_times:
        rows = mode_times(args.mode_times, rng)
        total = sum(r[2] for r in rows)
        for code, dt, share in sorted(rows, key=lambda r: -r[2]):
            print(f"mode {code:2d} {tau.MODES[code].name:34s} BR {100 * tau.MODES[code].br:6.3f} %  {1e6 * dt:8.1f} us/decay  "
                  f"{100 * share / total:5.1f} % of the inclusive time")
        print(f"inclusive (BR-weighted, rest frame): {1e6 * total:.2f} us/decay = {1 / total:.3g} decays/s")
        return
    if args.envelope:
        for code in range(len(tau.MODES)) if args.modes is None else args.modes:
            chk = envelope_check(code, args.envelope, rng)
            print(f"envelope mode {code:2d} {tau.MODES[code].name:34s} max w/env = {chk['max_w_over_envelope']:.3f}; "
                  f"share of the rate above it = {chk['rate_share_above']:.1e}", flush=True)
        return
    py, groups = _pythia_channels()
    codes = range(len(tau.MODES)) if args.modes is None else args.modes
    table = []
    print(f"tau^- along +z, E = {args.energy} GeV; Pythia {args.n_pythia} and fast {args.n_fast} decays per mode and P")
    for pol in args.pol:
        for code in codes:
            mode = tau.MODES[code]
            key = _key(mode.daughters)
            if key not in groups and any(abs(d) == 311 for d in mode.daughters):
                key = _key(mode.daughters, merge_k0=True)  # a K0 mode vs Pythia's K_S/K_L channels
            if key not in groups:
                print(f"P = {pol:+.0f} mode {code:2d} {mode.name:34s} no Pythia channel")
                continue
            if code == REMAINDER_CODE and not args.fast_module:  # Pythia's pi- pi0 gamma is the radiative rho mode, not this proxy
                print(f"P = {pol:+.0f} mode {code:2d} {mode.name:34s} not compared: a one-prong proxy for the unlisted modes")
                continue
            counts, ids, moms = cached_pythia(py, key, groups[key], args.n_pythia, pol, args.energy, args.cache)
            if args.reference_only:
                continue
            ref = _to_fixed(counts, ids, moms, mode.daughters)
            fast = fast_sample(code, args.n_fast, pol, args.energy, rng)
            res = compare_mode(code, ref, fast, args.energy)
            chi2, ndf = sum(c for c, _ in res.values()), sum(n for _, n in res.values())
            worst = max(res, key=lambda k: res[k][0] / res[k][1])
            table.append({"pol": pol, "code": code, "mode": mode.name, "chi2": chi2, "ndf": ndf,
                          "observables": {k: list(v) for k, v in res.items()}})
            print(f"P = {pol:+.0f} mode {code:2d} {mode.name:34s} chi2/ndf = {chi2:8.1f}/{ndf:<4d} = {chi2 / ndf:6.2f}; "
                  f"worst {worst} {res[worst][0]:.1f}/{res[worst][1]}; E_ch/E {res['E_ch/E'][0]:.1f}/{res['E_ch/E'][1]}", flush=True)
            if mode.name == "pi0 pi0 pi- nu_tau" and hasattr(tau, "_CURRENTS"):
                alt = compare_mode(code, ref, fast_sample_pythia_form_3pi(code, args.n_fast, pol, args.energy, rng), args.energy)
                c2, nd = sum(c for c, _ in alt.values()), sum(n for _, n in alt.values())
                table.append({"pol": pol, "code": code, "mode": mode.name + " [Pythia-form F2]", "chi2": c2, "ndf": nd,
                              "observables": {k: list(v) for k, v in alt.items()}})
                print(f"P = {pol:+.0f} mode {code:2d} {'  with Pythia-form F2 (diagnostic)':34s} chi2/ndf = {c2:8.1f}/{nd:<4d} = {c2 / nd:6.2f}")
            if mode.model == "phase_space" and hasattr(tau, "kin"):
                alt = compare_mode(code, ref, fast_sample_flat(code, args.n_fast, args.energy, rng), args.energy)
                c2, nd = sum(c for c, _ in alt.values()), sum(n for _, n in alt.values())
                table.append({"pol": pol, "code": code, "mode": mode.name + " [flat phase space]", "chi2": c2, "ndf": nd,
                              "observables": {k: list(v) for k, v in alt.items()}})
                print(f"P = {pol:+.0f} mode {code:2d} {'  flat phase space, no V-A (diagnostic)':34s} chi2/ndf = {c2:8.1f}/{nd:<4d} = {c2 / nd:6.2f}")
            high = [k for k in res if k.endswith("hi") and "111" in k and "-211" in k]
            if high:
                h = high[0]
                o_ref, o_fast = observables(ref, mode.daughters, args.energy), observables(fast, mode.daughters, args.energy)
                print(f"        mean {h}: fast {o_fast[h][0].mean():.4f}, Pythia {o_ref[h][0].mean():.4f} GeV")
    if not (args.no_speed or args.reference_only):
        fast, slow = speed(args.energy, 400_000, 20_000, rng)
        ratios = [f / s_ for f, s_ in zip(fast, slow)]
        print(f"speed (median of {len(fast)} alternating runs): fast {np.median(fast):.3g} decays/s, Pythia from Python "
              f"{np.median(slow):.3g} decays/s, ratio {np.median(ratios):.0f} (runs: {', '.join(f'{r:.0f}' for r in ratios)})")
        table.append({"speed_fast": fast, "speed_pythia": slow, "ratios": ratios})
    if args.json:
        args.json.write_text(json.dumps(table, indent=1))


if __name__ == "__main__":
    main()
