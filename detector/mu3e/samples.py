"""Event samples for the Mu3e detector studies: phase-space mu -> eee, IC and X signals.

* ``phase-space``: uniform 3-body ``mu+ -> e+ e+ e-`` at rest
  (:func:`muonbsm.generator.phase_space.flat_decay`, weights normalised to sum 1);
* ``ic``: internal conversion (:class:`~muonbsm.generator.processes.mu3e.process.InternalConversion`);
* ``dark-photon:<mass>``: prompt dark photon (:func:`muonbsm.models.mu3e.dark_photon`,
  epsilon = 1e-3; the efficiency does not depend on epsilon for prompt decays).

IC and signals are weighted events from the vegas-trained generator
(:func:`muonbsm.generator.generate.sample_events`): the weights sum to the fiducial BR.

>>> parse_mass("20MeV"), parse_mass("0.02")
(0.02, 0.02)
"""

from __future__ import annotations

import re

import awkward as ak
import numpy as np

from muonbsm.constants import M_E, M_MU
from muonbsm.events import from_arrays
from muonbsm.generator.phase_space import flat_decay
from muonbsm.generator.processes.mu3e.process import InternalConversion, XEmission
from muonbsm.generator.generate import TrainingOptions, sample_events
from muonbsm.generator.sampling import Process
from muonbsm.models.mu3e import dark_photon

__all__ = ["phase_space_mu_eee", "process_sample", "parse_mass", "make_sample", "make_samples"]


def phase_space_mu_eee(n: int, rng: np.random.Generator) -> ak.Array:
    """``n`` uniform phase-space ``mu+ -> e+ e+ e-`` decays at rest; weights sum to 1."""
    if n < 1:
        raise ValueError(f"n: must be >= 1, got {n}")
    p, w = flat_decay(M_MU, [M_E, M_E, M_E], n, rng)
    fields = {"E": p[..., 0], "px": p[..., 1], "py": p[..., 2], "pz": p[..., 3],
              "pdg": np.broadcast_to(np.array([-11, -11, 11]), (n, 3))}
    return from_arrays(fields, w / w.sum())


def process_sample(process: Process, n: int, rng: np.random.Generator) -> ak.Array:
    """``n`` weighted events of a generator ``process`` (vegas-trained; the seed is drawn from
    ``rng``), whose weights sum to the fiducial rate."""
    if n < 1:
        raise ValueError(f"n: must be >= 1, got {n}")
    training = TrainingOptions(nitn=6, neval=min(50_000, max(5_000, n)))
    events, _, _ = sample_events(process, n, seed=int(rng.integers(2**62)), training=training)
    return events


def parse_mass(text: str) -> float:
    """A mass from ``'20MeV'``, ``'0.02GeV'`` or a bare number in GeV; returns GeV."""
    m = re.fullmatch(r"\s*([0-9.eE+-]+)\s*(MeV|GeV|keV)?\s*", text)
    if not m:
        raise ValueError(f"mass: expected e.g. '20MeV' or '0.02', got {text!r}")
    value = float(m.group(1)) * {"MeV": 1e-3, "keV": 1e-6, "GeV": 1.0, None: 1.0}[m.group(2)]
    if not 2 * M_E < value < M_MU - M_E:
        raise ValueError(f"mass: must lie in ({2 * M_E:.6g}, {M_MU - M_E:.6g}) GeV, got {value}")
    return value


def make_sample(name: str, n: int, rng: np.random.Generator) -> ak.Array:
    """The sample called ``name`` ('phase-space', 'ic' or 'dark-photon:<mass>') with ``n`` points."""
    if name == "phase-space":
        return phase_space_mu_eee(n, rng)
    if name == "ic":
        return process_sample(InternalConversion(), n, rng)
    if name.startswith("dark-photon:"):
        return process_sample(XEmission(dark_photon(parse_mass(name.split(":", 1)[1]), 1e-3)), n, rng)
    raise ValueError(f"sample: must be 'phase-space', 'ic' or 'dark-photon:<mass>', got {name!r}")


def make_samples(spec: str, n: int, seed: int) -> dict[str, ak.Array]:
    """Samples for a comma-separated ``spec`` (e.g. 'phase-space,ic,dark-photon:20MeV'),
    each from its own child of ``SeedSequence(seed)``."""
    names = [s.strip() for s in spec.split(",") if s.strip()]
    if not names:
        raise ValueError(f"spec: no sample names in {spec!r}")
    children = np.random.SeedSequence(seed).spawn(len(names))
    return {name: make_sample(name, n, np.random.default_rng(ss)) for name, ss in zip(names, children)}
