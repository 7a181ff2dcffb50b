r"""Light new bosons X for mu+ -> e+ nu nubar X, X -> e+ e- (Mu3e channel).

Lagrangian (Echenard et al. style, see ``/work/shared/physics/mu3e.md`` Sec. 1):

.. math:: \mathcal L \supset \phi\sum_{\ell=e,\mu}\bar\ell(g_S^\ell + i g_P^\ell\gamma_5)\ell
          + X_\alpha\sum_\ell \bar\ell\gamma^\alpha(g_V^\ell + g_A^\ell\gamma_5)\ell .

Dark photon: :math:`g_V^e = g_V^\mu = \varepsilon e`, :math:`g_A = 0`.

Widths (tree level, :math:`r = m_\ell^2/M^2`, :math:`\beta = \sqrt{1-4r}`):

* vector: :math:`\Gamma(X\to\ell\ell) = \frac{M}{12\pi}\beta[g_V^2(1+2r) + g_A^2\beta^2]`
  (dark photon: :math:`\alpha\varepsilon^2 M(1+2r)\beta/3`);
* scalar: :math:`\Gamma(\phi\to\ell\ell) = \frac{M}{8\pi}[g_S^2\beta^3 + g_P^2\beta]`;
* scalar -> gamma gamma through lepton loops (Spira, Fortsch. Phys. 46 (1998) 203, Eqs. 25, 29):
  :math:`\Gamma = \frac{\alpha^2M^3}{256\pi^3}\big(|\sum_\ell \tfrac{g_S^\ell}{m_\ell}A_S(\tau_\ell)|^2
  + |\sum_\ell \tfrac{g_P^\ell}{m_\ell}A_P(\tau_\ell)|^2\big)`, :math:`\tau = M^2/4m_\ell^2`,
  :math:`A_S = 2[\tau + (\tau-1)f(\tau)]/\tau^2`, :math:`A_P = 2f(\tau)/\tau`.

Muon-only models: if X has no electron coupling, Knapen et al. (arXiv:2311.17913) assume BR(X -> ee) = 1; the
signal matrix element then uses the muon coupling *structure* with unit strength at the
X -> ee vertex (:attr:`XModel.decay_couplings`), :attr:`XModel.br_ee_assumed` is 1 and
:attr:`XModel.narrow_width_norm` is the ee width with those unit couplings, so that
:math:`\frac{1}{2m_\mu}\int d\Phi_4 d\Phi_2 |N|^2/(2M\,\Gamma_{\rm norm})
= BR(\mu\to e\nu\bar\nu X)\times BR(X\to ee)_{\rm assumed}`.

Lifetime. The decay length comes from the same width that normalises the rate. For an
electron-coupled X the rate uses :math:`BR(X\to ee) = \Gamma_{ee}/\Gamma_{\rm tot}` and
:math:`c\tau = \hbar c/\Gamma_{\rm tot}` (ee + mumu + gamma gamma). A muon-only X has no
computable ee width: BR(X -> ee) = 1 is an assumption, so its lifetime must be *stated*
(``ctau_stated_mm``); without it :attr:`XModel.ctau_mm` is None (the gamma gamma width of the
muon loop alone would give 2.3 km at 20 MeV and g = 1e-4, contradicting BR(X -> ee) = 1).
Knapen et al., arXiv:2311.17913, Eqs. (22)-(24): the ee width dominates the total width for
:math:`g_e \gtrsim (\alpha/4\pi) (m_X/m_\mu) g_\mu` (their Eq. 23).

One-loop :math:`\Delta a_\ell` (Leveille, Nucl. Phys. B137 (1978) 63; Jegerlehner-Nyffeler,
Phys. Rept. 477 (2009) 1, Eq. 259 with internal lepton = external), :math:`r = M/m_\ell`:

* S: :math:`\frac{g_S^2}{8\pi^2}\int_0^1\frac{x^2(2-x)}{x^2+(1-x)r^2}dx`, P: :math:`-\frac{g_P^2}{8\pi^2}\int_0^1\frac{x^3}{x^2+(1-x)r^2}dx`,
* V: :math:`\frac{g_V^2}{4\pi^2}\int_0^1\frac{x^2(1-x)}{x^2+(1-x)r^2}dx`,
  A: :math:`\frac{g_A^2}{4\pi^2}\int_0^1\frac{x(1-x)(x-4) - 2x^3/r^2}{x^2+(1-x)r^2}dx`.

>>> a = dark_photon(0.010, 1e-4)
>>> round(a.ctau_mm, 2)
0.81
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.integrate import quad

from muonbsm.constants import ALPHA, E_CHARGE, HBARC_GEV_MM, M_E, M_MU
from muonbsm.errors import InputError, PhysicsRangeError

__all__ = ["XModel", "dark_photon", "scalar", "pseudoscalar", "vector"]

_LEPTONS = {"e": M_E, "mu": M_MU}


def _beta(mass: float, m_l: float) -> float:
    return math.sqrt(max(0.0, 1.0 - 4.0 * m_l**2 / mass**2))


def _f_loop(tau: float) -> complex:
    """Loop function f(tau) of the fermion triangle (Spira Eq. 26)."""
    if tau <= 1.0:
        return complex(math.asin(math.sqrt(tau)) ** 2)
    b = math.sqrt(1.0 - 1.0 / tau)
    return -0.25 * (math.log((1.0 + b) / (1.0 - b)) - 1j * math.pi) ** 2


def _leveille(r: float, num) -> float:
    return quad(lambda x: num(x) / (x * x + (1.0 - x) * r * r), 0.0, 1.0, limit=200, epsabs=0.0, epsrel=1e-10)[0]


@dataclass(frozen=True)
class XModel:
    """A light boson X with lepton couplings (dimensionless) and mass ``mass`` (GeV).

    ``kind`` is "vector" (uses ``g_v_*``, ``g_a_*``) or "scalar" (uses ``g_s_*``, ``g_p_*``).
    Valid masses: ``2 M_E < mass < M_MU - M_E`` (X produced in mu decay, decaying to ee).
    Couplings carry signs (the relative sign of e and mu couplings interferes in the rate).
    ``ctau_stated_mm``: proper decay length [mm] of a muon-only X (BR(X -> ee) = 1 assumed);
    not allowed for an electron-coupled X, whose lifetime follows from its widths.
    """

    kind: str
    mass: float
    g_s_e: float = 0.0
    g_p_e: float = 0.0
    g_s_mu: float = 0.0
    g_p_mu: float = 0.0
    g_v_e: float = 0.0
    g_a_e: float = 0.0
    g_v_mu: float = 0.0
    g_a_mu: float = 0.0
    ctau_stated_mm: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("vector", "scalar"):
            raise ValueError(f"kind must be 'vector' or 'scalar', got {self.kind!r}")
        lo, hi = 2.0 * M_E, M_MU - M_E
        if not (np.isfinite(self.mass) and lo < self.mass < hi):
            raise ValueError(f"mass must lie in ({lo:.6g}, {hi:.6g}) GeV (2 m_e, m_mu - m_e), got {self.mass}")
        names = ("g_s_e", "g_p_e", "g_s_mu", "g_p_mu", "g_v_e", "g_a_e", "g_v_mu", "g_a_mu")
        for name in names:
            if not np.isfinite(getattr(self, name)):
                raise ValueError(f"{name} must be finite, got {getattr(self, name)}")
        other = names[4:] if self.kind == "scalar" else names[:4]
        for name in other:
            if getattr(self, name) != 0.0:
                raise ValueError(f"{name} must be 0 for a {self.kind} X, got {getattr(self, name)}")
        if not any(getattr(self, name) != 0.0 for name in names):
            raise ValueError("couplings: at least one coupling of X must be non-zero")
        if self.ctau_stated_mm is not None:
            if self.electron_coupled:
                raise InputError("ctau: an electron-coupled X has c tau = hbar c / Gamma_total from its couplings; "
                                 "state c tau only for a muon-only X (BR(X -> ee) = 1 assumed)")
            if not (math.isfinite(self.ctau_stated_mm) and self.ctau_stated_mm >= 0.0):
                raise PhysicsRangeError(f"ctau: must be a finite length >= 0 mm, got {self.ctau_stated_mm}")

    def couplings(self, lepton: str) -> tuple[float, float]:
        """(g_S, g_P) or (g_V, g_A) of X to ``lepton`` ("e" or "mu")."""
        if lepton not in _LEPTONS:
            raise ValueError(f"lepton must be 'e' or 'mu', got {lepton!r}")
        pre = ("g_s_", "g_p_") if self.kind == "scalar" else ("g_v_", "g_a_")
        return getattr(self, pre[0] + lepton), getattr(self, pre[1] + lepton)

    @property
    def couplings_e(self) -> tuple[float, float]:
        """Couplings to electrons (g_S, g_P) or (g_V, g_A)."""
        return self.couplings("e")

    @property
    def couplings_mu(self) -> tuple[float, float]:
        """Couplings to muons (g_S, g_P) or (g_V, g_A)."""
        return self.couplings("mu")

    @property
    def electron_coupled(self) -> bool:
        """True if X couples to electrons (otherwise BR(X -> ee) = 1 is assumed)."""
        return any(c != 0.0 for c in self.couplings_e)

    @property
    def decay_couplings(self) -> tuple[float, float]:
        """Couplings used at the X -> e+e- vertex of the signal matrix element.

        The electron couplings if non-zero; otherwise the muon couplings normalised to unit
        length (same Lorentz structure, unit strength), with BR(X -> ee) = 1 assumed."""
        if self.electron_coupled:
            return self.couplings_e
        g1, g2 = self.couplings_mu
        norm = math.hypot(g1, g2)
        return g1 / norm, g2 / norm

    def _width_ll(self, m_l: float, g1: float, g2: float) -> float:
        if self.mass <= 2.0 * m_l:
            return 0.0
        b = _beta(self.mass, m_l)
        if self.kind == "vector":
            r = m_l**2 / self.mass**2
            return self.mass / (12.0 * math.pi) * b * (g1**2 * (1.0 + 2.0 * r) + g2**2 * b**2)
        return self.mass / (8.0 * math.pi) * (g1**2 * b**3 + g2**2 * b)

    @property
    def width_ee(self) -> float:
        """Gamma(X -> e+ e-) in GeV (tree level)."""
        return self._width_ll(M_E, *self.couplings_e)

    @property
    def width_mumu(self) -> float:
        """Gamma(X -> mu+ mu-) in GeV (0: closed for M < 2 m_mu, always the case here)."""
        return self._width_ll(M_MU, *self.couplings_mu)

    @property
    def width_gammagamma(self) -> float:
        """Gamma(phi -> gamma gamma) in GeV via e and mu loops (0 for a vector: Landau-Yang)."""
        if self.kind == "vector":
            return 0.0
        amp_s, amp_p = 0j, 0j
        for lep, m_l in _LEPTONS.items():
            g_s, g_p = self.couplings(lep)
            tau = self.mass**2 / (4.0 * m_l**2)
            f = _f_loop(tau)
            amp_s += g_s / m_l * 2.0 * (tau + (tau - 1.0) * f) / tau**2
            amp_p += g_p / m_l * 2.0 * f / tau
        return ALPHA**2 * self.mass**3 / (256.0 * math.pi**3) * (abs(amp_s) ** 2 + abs(amp_p) ** 2)

    @property
    def width_total(self) -> float:
        """Total width in GeV (ee + mumu + gamma gamma); neutrino couplings are neglected."""
        return self.width_ee + self.width_mumu + self.width_gammagamma

    @property
    def br_ee(self) -> float:
        """Physical BR(X -> e+ e-) from the widths above."""
        return self.width_ee / self.width_total

    @property
    def br_ee_assumed(self) -> float:
        """BR(X -> ee) used for the signal: :attr:`br_ee`, or 1 for a muon-only X (seed assumption)."""
        return self.br_ee if self.electron_coupled else 1.0

    @property
    def narrow_width_norm(self) -> float:
        """Width (GeV) to divide by in the narrow-width signal rate (see module docstring)."""
        if self.electron_coupled:
            return self.width_total
        return self._width_ll(M_E, *self.decay_couplings)

    @property
    def ctau_mm(self) -> float | None:
        """Proper decay length c*tau [mm] from the width that defines the decay.

        Electron-coupled X: hbar c / Gamma_total (the width of :attr:`narrow_width_norm`).
        Muon-only X: the stated ``ctau_stated_mm`` (None if not stated: the lifetime is not
        determined by the couplings once BR(X -> ee) = 1 is assumed).
        """
        if self.electron_coupled:
            return HBARC_GEV_MM / self.width_total
        return self.ctau_stated_mm

    def ctau_at_scale(self, scale: float) -> float | None:
        """c*tau [mm] with every coupling multiplied by ``scale`` (widths scale as scale^2;
        a stated muon-only lifetime is kept as stated)."""
        ctau = self.ctau_mm
        if ctau is None or not self.electron_coupled:
            return ctau
        return ctau / scale**2

    def delta_a(self, lepton: str = "mu") -> float:
        """One-loop contribution of X to a_l = (g-2)_l/2 of ``lepton`` ("mu" or "e") (Leveille)."""
        g1, g2 = self.couplings(lepton)
        r = self.mass / _LEPTONS[lepton]
        out = 0.0
        if self.kind == "scalar":
            if g1:
                out += g1**2 / (8 * math.pi**2) * _leveille(r, lambda x: x * x * (2.0 - x))
            if g2:
                out -= g2**2 / (8 * math.pi**2) * _leveille(r, lambda x: x**3)
        else:
            if g1:
                out += g1**2 / (4 * math.pi**2) * _leveille(r, lambda x: x * x * (1.0 - x))
            if g2:
                out += g2**2 / (4 * math.pi**2) * _leveille(r, lambda x: x * (1 - x) * (x - 4) - 2 * x**3 / r**2)
        return out

    @property
    def delta_a_mu(self) -> float:
        """One-loop Delta a_mu (dimensionless)."""
        return self.delta_a("mu")

    @property
    def delta_a_e(self) -> float:
        """One-loop Delta a_e (dimensionless)."""
        return self.delta_a("e")


def dark_photon(mass: float, epsilon: float) -> XModel:
    """Dark photon of mass ``mass`` (GeV), kinetic mixing ``epsilon``: g_V^e = g_V^mu = epsilon e."""
    return XModel("vector", mass, g_v_e=epsilon * E_CHARGE, g_v_mu=epsilon * E_CHARGE)


def scalar(mass: float, g_e: float, g_mu: float) -> XModel:
    """CP-even scalar phi (GeV mass) with Yukawa couplings g_S^e = ``g_e``, g_S^mu = ``g_mu``."""
    return XModel("scalar", mass, g_s_e=g_e, g_s_mu=g_mu)


def pseudoscalar(mass: float, g_e: float, g_mu: float) -> XModel:
    """CP-odd scalar (GeV mass), couplings i g_P gamma5 with g_P^e = ``g_e``, g_P^mu = ``g_mu``."""
    return XModel("scalar", mass, g_p_e=g_e, g_p_mu=g_mu)


def vector(mass: float, g_v_e: float, g_a_e: float, g_v_mu: float, g_a_mu: float) -> XModel:
    """General vector/axial-vector boson of mass ``mass`` (GeV)."""
    return XModel("vector", mass, g_v_e=g_v_e, g_a_e=g_a_e, g_v_mu=g_v_mu, g_a_mu=g_a_mu)
