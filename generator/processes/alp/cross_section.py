r"""Exact 2->3 cross section of ``mu N -> tau N a`` (and variants) by vegas integration.

.. math::
    \frac{d\sigma}{dx\,d\cos\theta_a\,dt\,d\phi_q} = \frac{\overline{|M|^2}\,|k|\,E}
    {1024\,\pi^4 M^2 |p|\,|p-k|}

(alp_lfv.md Sec. 2; the ALP azimuth is integrated, 2 pi). Integration variables on the unit
hypercube: ``ln(1-x)``, ``ln theta_a`` (from 1e-4 of the collinear angle scale to pi),
``ln t`` between the exact limits of :mod:`alp_kinematics` (capped by the form-factor cut-off
``t_max``) and ``phi_q`` in [0, 2 pi) (the rate is even in phi_q, but generated events must
populate both signs of the azimuth of the tau about the ALP). The integrand is evaluated
in batches; vegas maps can be reused between neighbouring (E, m_a) points (``warm_start``).

Cross sections are in pb. ``c_over_lambda`` is in TeV^-1 (converted to GeV^-1 inside).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import vegas
from numpy.typing import NDArray

from muonbsm.constants import GEV2_TO_PB, M_MU, M_TAU
from muonbsm.generator.processes.alp import form_factors as nucleus
from muonbsm.generator.processes.alp import kinematics as kinem
from muonbsm.generator.processes.alp.matrix_element import amplitude_squared
from muonbsm.models.alp import couplings as lfv_couplings
from muonbsm.targets import Target, get_target

__all__ = ["CrossSection", "AlpSetup", "make_setup", "integrand", "alp_cross_section",
           "dsigma_dx", "weighted_sample", "histograms"]

_THETA_LO_FRACTION = 1e-4


@dataclass
class CrossSection:
    """Integrated cross section [pb] +- MC error [pb], evaluations, wall time [s]."""

    sigma_pb: float
    sigma_err_pb: float
    n_eval: int
    time_s: float
    integrator: vegas.Integrator | None = field(default=None, repr=False)
    setup: AlpSetup | None = field(default=None, repr=False)


@dataclass(frozen=True)
class AlpSetup:
    """Physics configuration of one integration (GeV, GeV^2; couplings dimensionless)."""

    energy: float
    m_a: float
    m_in: float
    m_out: float
    M: float
    Z: int
    A: float
    s: float
    p: float
    t_cut: float
    form_factor: str
    emission: str
    unit_matrix_element: bool

    @property
    def x_range(self) -> tuple[float, float]:
        """(x_min, x_max) = (m_a/E, 1 - m_out/E)."""
        return self.m_a / self.energy, 1.0 - self.m_out / self.energy


def make_setup(target: str | Target, energy: float, m_a: float, c_over_lambda: float = 1.0,
               theta: float = 0.0, *, t_max: float | None = 1.0, flavour: str = "mutau",
               couplings: tuple[float, float] | None = None, emission: str = "alp",
               unit_matrix_element: bool = False, form_factor: str = "all",
               nucleus_mass: float | None = None, muon_mass: float = M_MU) -> AlpSetup:
    """Validate inputs and build an :class:`AlpSetup`.

    ``flavour``: ``"mutau"`` (mu -> tau, seed model) or ``"mumu"`` (flavour-conserving mu -> mu).
    ``couplings=(s, p)`` overrides (C/Lambda, theta). ``form_factor``: ``"all"``, ``"elastic"``,
    ``"inelastic"`` (Batell et al., Eq. 16 pieces) or ``"point"`` (G2 = Z^2). ``t_max=None``: no cut-off.
    ``nucleus_mass`` [GeV] overrides the target's; ``muon_mass`` [GeV] (>= 0) allows the
    m_mu -> 0 limit (for ``flavour="mumu"`` it is also the outgoing lepton mass).
    """
    tgt = get_target(target)
    if not m_a >= 0 or (m_a == 0 and emission == "alp"):
        raise ValueError(f"m_a must be > 0 GeV for ALP emission, got {m_a}")
    if c_over_lambda < 0:
        raise ValueError(f"c_over_lambda must be >= 0 TeV^-1, got {c_over_lambda}")
    if flavour not in ("mutau", "mumu"):
        raise ValueError(f"flavour must be 'mutau' or 'mumu', got {flavour!r}")
    if emission not in ("alp", "photon"):
        raise ValueError(f"emission must be 'alp' or 'photon', got {emission!r}")
    if form_factor not in ("all", "elastic", "inelastic", "point"):
        raise ValueError(f"form_factor must be all/elastic/inelastic/point, got {form_factor!r}")
    if t_max is not None and t_max <= 0:
        raise ValueError(f"t_max must be > 0 GeV^2 (or None), got {t_max}")
    if muon_mass < 0:
        raise ValueError(f"muon_mass must be >= 0 GeV, got {muon_mass}")
    m_out = M_TAU if flavour == "mutau" else muon_mass
    big_m = tgt.nucleus_mass if nucleus_mass is None else float(nucleus_mass)
    e_thr = kinem.threshold_energy(muon_mass, m_out, m_a, big_m)
    if not energy > e_thr:
        raise ValueError(f"energy must be above the threshold {e_thr:.6g} GeV of mu N -> "
                         f"{'tau' if flavour == 'mutau' else 'mu'} N a (m_a = {m_a} GeV), got {energy}")
    if couplings is None:
        s, p = lfv_couplings(c_over_lambda, theta, m_light=muon_mass) if flavour == "mutau" else (
            0.0, c_over_lambda * 1e-3 * 2 * muon_mass)
    else:
        s, p = couplings
    return AlpSetup(float(energy), float(m_a), float(muon_mass), m_out, big_m, tgt.Z, tgt.A,
                    float(s), float(p), math.inf if t_max is None else float(t_max), form_factor, emission,
                    unit_matrix_element)


def _g2(setup: AlpSetup, t: NDArray) -> NDArray:
    if setup.form_factor == "point":
        return np.where(t <= setup.t_cut, float(setup.Z) ** 2, 0.0)
    return nucleus.g2(t, setup.Z, setup.A, t_cut=setup.t_cut if np.isfinite(setup.t_cut) else 1e300,
                      components=setup.form_factor)


def _map_point(setup: AlpSetup, u: NDArray, x_fixed: float | None):
    """Unit-cube points -> (x, theta, t, phi, jacobian); jacobian 0 outside the physical region."""
    e = setup.energy
    col = 0
    if x_fixed is None:
        x_lo, x_hi = setup.x_range
        y_lo, y_hi = math.log(1.0 - x_hi), math.log1p(-x_lo)
        one_m_x = np.exp(y_lo + u[:, 0] * (y_hi - y_lo))
        x = 1.0 - one_m_x
        jac = one_m_x * (y_hi - y_lo)
        col = 1
    else:
        x = np.full(u.shape[0], float(x_fixed))
        jac = np.ones(u.shape[0])
    th_c = kinem.collinear_scale(e, x, setup.m_in, setup.m_out, setup.m_a)
    lth_lo = np.log(np.minimum(_THETA_LO_FRACTION * th_c, 1e-3 * math.pi))
    lth_span = math.log(math.pi) - lth_lo
    theta = np.exp(lth_lo + u[:, col] * lth_span)
    jac = jac * np.sin(theta) * theta * lth_span
    t_lo, t_hi = kinem.t_limits(e, x, theta, setup.m_in, setup.m_out, setup.m_a, setup.M)
    t_hi = np.minimum(t_hi, setup.t_cut)
    ok = t_hi > t_lo
    lt_lo = np.log(np.where(ok, t_lo, 1.0))
    lt_span = np.where(ok, np.log(np.where(ok, t_hi, 1.0)) - lt_lo, 0.0)
    t = np.exp(lt_lo + u[:, col + 1] * lt_span)
    phi = 2.0 * math.pi * u[:, col + 2]
    jac = jac * t * lt_span * 2.0 * math.pi
    return x, theta, t, phi, np.where(ok, jac, 0.0), ok


def integrand(setup: AlpSetup, u: NDArray, x_fixed: float | None = None,
              with_kinematics: bool = False):
    """Cross-section density [pb] on the unit hypercube ``u`` of shape (n, 4) (or (n, 3) at fixed x,
    then it is dsigma/dx in pb). With ``with_kinematics`` also return (x, theta, t, kinematics, ok)."""
    x, theta, t, phi, jac, ok = _map_point(setup, np.atleast_2d(u), x_fixed)
    out = np.zeros(len(x))
    kin = None
    if np.any(ok):
        kin = kinem.build_kinematics(setup.energy, x[ok], theta[ok], t[ok], phi[ok], setup.m_in,
                                     setup.m_out, setup.m_a, setup.M)
        if setup.unit_matrix_element:
            msq = np.ones(int(ok.sum()))
        else:
            msq = amplitude_squared(kin, t[ok], _g2(setup, t[ok]), setup.s, setup.p, setup.m_in,
                                    setup.m_out, emission=setup.emission)
        dens = msq * kin.k_abs * setup.energy / (1024.0 * math.pi**4 * setup.M**2 * kin.p_abs
                                                 * kin.v_abs)
        out[ok] = dens * jac[ok] * GEV2_TO_PB
    if with_kinematics:
        return out, (x, theta, t, kin, ok)
    return out


def _empty(setup: AlpSetup) -> bool:
    """True if t_min > t_cut everywhere (checked on a fine x grid at theta = 0, where t_min is minimal)."""
    x_lo, x_hi = setup.x_range
    x = 1.0 - np.exp(np.linspace(math.log(1 - x_hi), math.log1p(-x_lo), 4001))
    t_lo, t_hi = kinem.t_limits(setup.energy, x, np.zeros_like(x), setup.m_in, setup.m_out,
                                setup.m_a, setup.M)
    return not np.any((t_hi > t_lo) & (t_lo < setup.t_cut))


def alp_cross_section(target: str | Target, energy: float, m_a: float, c_over_lambda: float = 1.0,
                      theta: float = 0.0, *, rel_precision: float = 0.005, seed: int = 0,
                      t_max: float | None = 1.0, neval: int = 6000, n_warmup: int = 4,
                      max_iterations: int = 60, warm_start: vegas.Integrator | None = None,
                      **options) -> CrossSection:
    """sigma(mu N -> tau N a) [pb] +- error at beam energy ``energy`` [GeV], ALP mass ``m_a`` [GeV],
    ``c_over_lambda`` [TeV^-1], ``theta`` [rad] (Batell et al., Eq. 2), form-factor cut-off ``t_max`` [GeV^2].

    Vegas runs ``n_warmup`` adaptation iterations (2 if ``warm_start`` is a previously adapted
    integrator), then iterations of ``neval`` points until the relative error is below
    ``rel_precision`` (or ``max_iterations``). Further ``options`` go to :func:`make_setup`.
    Seeded by ``seed`` through ``numpy.random.default_rng``.
    """
    if not 0 < rel_precision < 1:
        raise ValueError(f"rel_precision must be in (0, 1), got {rel_precision}")
    setup = make_setup(target, energy, m_a, c_over_lambda, theta, t_max=t_max, **options)
    t0 = time.perf_counter()
    if _empty(setup) or (setup.s == 0 and setup.p == 0 and not setup.unit_matrix_element):
        return CrossSection(0.0, 0.0, 0, time.perf_counter() - t0, None, setup)
    rng = np.random.default_rng(seed)
    if warm_start is None:
        integ = vegas.Integrator(4 * [[0.0, 1.0]], ran_array_generator=rng.random)
    else:
        integ = vegas.Integrator(warm_start, ran_array_generator=rng.random)
        n_warmup = min(n_warmup, 2)
    n_calls = [0]

    @vegas.batchintegrand
    def f(u: NDArray) -> NDArray:
        n_calls[0] += len(u)
        return integrand(setup, u)

    integ(f, nitn=n_warmup, neval=neval)
    wsum = wmean = 0.0
    for _ in range(max_iterations):
        r = integ(f, nitn=1, neval=neval)
        if r.sdev > 0:
            wsum += 1.0 / r.sdev**2
            wmean += r.mean / r.sdev**2
        elif r.mean == 0:
            continue
        if wsum > 0 and 1.0 / math.sqrt(wsum) <= rel_precision * abs(wmean / wsum):
            break
    mean = wmean / wsum if wsum > 0 else 0.0
    err = 1.0 / math.sqrt(wsum) if wsum > 0 else 0.0
    return CrossSection(mean, err, n_calls[0], time.perf_counter() - t0, integ, setup)


def dsigma_dx(target: str | Target, energy: float, x: float, m_a: float,
              c_over_lambda: float = 1.0, theta: float = 0.0, *, nodes: tuple[int, int, int] = (64, 64, 24),
              t_max: float | None = 1.0, **options) -> float:
    """dsigma/dx [pb] at ``x = E_a/E`` by a Gauss-Legendre product rule in (ln theta, ln t, phi_q).

    Deterministic and accurate for smooth integrands (the ln theta and ln t maps make them smooth).
    """
    setup = make_setup(target, energy, m_a, c_over_lambda, theta, t_max=t_max, **options)
    x_lo, x_hi = setup.x_range
    if not x_lo < x < x_hi:
        raise ValueError(f"x must be in ({x_lo:.6g}, {x_hi:.6g}), got {x}")
    pts, wts = [], []
    for n in nodes:
        g, w = np.polynomial.legendre.leggauss(n)
        pts.append(0.5 * (g + 1.0))
        wts.append(0.5 * w)
    grid = np.stack(np.meshgrid(*pts, indexing="ij"), axis=-1).reshape(-1, 3)
    wgt = np.einsum("i,j,k->ijk", *wts).reshape(-1)
    return float(np.sum(wgt * integrand(setup, grid, x_fixed=x)))


def weighted_sample(result: CrossSection, n: int, seed: int = 0) -> dict[str, NDArray]:
    """Weighted events from an adapted integration: arrays ``x``, ``theta_a`` [rad], ``t`` [GeV^2],
    ``e_lepton`` (outgoing lepton energy, GeV), ``e_a`` [GeV] and ``weight`` [pb] (sum = sigma).
    """
    if result.integrator is None or result.setup is None:
        raise ValueError("result has no adapted integrator (sigma = 0 or not from alp_cross_section)")
    rng = np.random.default_rng(seed)
    integ = vegas.Integrator(result.integrator, ran_array_generator=rng.random, neval=n)
    us, ws = [], []
    for u, w in integ.random_batch():
        us.append(np.array(u))
        ws.append(np.array(w))
    u, w = np.concatenate(us), np.concatenate(ws)
    val, (x, theta, t, kin, ok) = integrand(result.setup, u, with_kinematics=True)
    e_lep = np.zeros(len(x))
    if kin is not None:
        e_lep[ok] = kin.pprime[:, 0]
    return {"x": x, "theta_a": theta, "t": t, "e_lepton": e_lep, "e_a": x * result.setup.energy,
            "weight": val * w}


def histograms(sample: dict[str, NDArray], bins: dict[str, NDArray]) -> dict[str, tuple[NDArray, NDArray]]:
    """Differential distributions ``dsigma/dvar`` [pb per unit] from :func:`weighted_sample`.

    ``bins`` maps a sample key (``x``, ``theta_a``, ``t``, ``e_lepton``, ``e_a``) to bin edges.
    Returns ``{key: (edges, dsigma/dvar)}``.
    """
    out = {}
    for key, edges in bins.items():
        if key not in sample or key == "weight":
            raise ValueError(f"unknown variable {key!r}; choose from x, theta_a, t, e_lepton, e_a")
        h, e = np.histogram(sample[key], bins=edges, weights=sample["weight"])
        out[key] = (e, h / np.diff(e))
    return out
