"""Build processes and models from validated run cards or command-line options."""

from __future__ import annotations

from typing import Any

from muonbsm.generator.processes.mu3e.cuts import LeptonCuts, MeeWindow
from muonbsm.generator.processes.mu3e.process import InternalConversion, XEmission
from muonbsm.generator.sampling import Process
from muonbsm.models import mu3e

__all__ = ["x_model", "build_process"]


def x_model(
    name: str,
    mass: float,
    *,
    epsilon: float = 0.0,
    g_e: float = 0.0,
    g_mu: float = 0.0,
    g_v_e: float = 0.0,
    g_a_e: float = 0.0,
    g_v_mu: float = 0.0,
    g_a_mu: float = 0.0,
) -> mu3e.XModel:
    """The X model ``name`` (dark-photon, scalar, pseudoscalar, vector) of ``mass`` [GeV].

    Dark photon: ``epsilon``; scalar/pseudoscalar: ``g_e``, ``g_mu`` (at least one non-zero);
    vector: the four vector/axial couplings (at least one non-zero).
    """
    if name == "dark-photon":
        if epsilon <= 0:
            raise ValueError(f"dark-photon: epsilon must be > 0, got {epsilon}")
        return mu3e.dark_photon(mass, epsilon)
    if name in ("scalar", "pseudoscalar"):
        if g_e < 0 or g_mu < 0 or g_e == g_mu == 0:
            raise ValueError(f"{name}: need g_e >= 0 and g_mu >= 0, not both zero; got g_e={g_e}, g_mu={g_mu}")
        return (mu3e.scalar if name == "scalar" else mu3e.pseudoscalar)(mass, g_e, g_mu)
    if name == "vector":
        if g_v_e == g_a_e == g_v_mu == g_a_mu == 0:
            raise ValueError("vector: at least one of g_v_e, g_a_e, g_v_mu, g_a_mu must be non-zero")
        return mu3e.vector(mass, g_v_e, g_a_e, g_v_mu, g_a_mu)
    raise ValueError(f"unknown model {name!r}; allowed: dark-photon, scalar, pseudoscalar, vector")


def build_process(card: dict[str, Any]) -> Process:
    """The process of a validated card (:func:`muonbsm.cards.parse_card`)."""
    proc, cuts_card = card["process"], card["cuts"]
    cuts = LeptonCuts(cuts_card["min_energy"], cuts_card["min_pt"])
    window = MeeWindow(*cuts_card["mee_window"]) if cuts_card["mee_window"] else None
    if proc["name"] == "alp":
        from muonbsm.generator.processes.alp.production import AlpProduction

        return AlpProduction(**card["alp"], prompt=proc["prompt"])
    pol = tuple(proc["polarization"])
    if proc["name"] == "mu3e-ic":
        return InternalConversion(polarization=pol, cuts=cuts, mee_window=window)
    model_card = dict(card["model"])
    model = x_model(model_card.pop("name"), model_card.pop("mass"), **model_card)
    return XEmission(model, polarization=pol, cuts=cuts, mee_window=window, prompt=proc["prompt"])
