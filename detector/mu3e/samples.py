"""Event samples for the Mu3e detector studies: phase-space mu -> eee, IC and X signals.

* ``phase-space``: uniform 3-body ``mu+ -> e+ e+ e-`` at rest
  (:func:`muonbsm.generator.phase_space.flat_decay`, weights normalised to sum 1);
* ``ic``: internal conversion (:class:`~muonbsm.generator.processes.mu3e.process.InternalConversion`);
* ``dark-photon:<mass>``: prompt dark photon (:func:`muonbsm.models.mu3e.dark_photon`,
  epsilon = 1e-3; the efficiency does not depend on epsilon for prompt decays).

IC and signals are weighted events from the vegas-trained generator
(:func:`muonbsm.generator.generate.sample_events`): the weights sum to the fiducial BR.

Randomness (:mod:`muonbsm.seeds`): each function takes the master ``seed`` and the path of
its stream. :func:`make_samples` gives sample ``k`` of a spec the path
``("sample", k, "generation")``: phase-space draws come from that stream, generator runs get
their integer master seed from it (:func:`muonbsm.seeds.int_seed`). The detector of the
same sample uses ``("sample", k, "detector")`` (:func:`~muonbsm.detector.mu3e.table.efficiency_table`).

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
from muonbsm.generator.sampling import AnyProcess
from muonbsm.models.mu3e import dark_photon
from muonbsm.seeds import int_seed
from muonbsm.seeds import rng as stream_rng

__all__ = ["phase_space_mu_eee", "process_sample", "parse_mass", "make_sample", "make_samples"]


Path = tuple[str | int, ...]


def phase_space_mu_eee(n: int, seed: int, path: Path) -> ak.Array:
    """``n`` uniform phase-space ``mu+ -> e+ e+ e-`` decays at rest from the stream ``path``
    of master ``seed``; weights sum to 1."""
    if n < 1:
        raise ValueError(f"n: must be >= 1, got {n}")
    p, w = flat_decay(M_MU, [M_E, M_E, M_E], n, stream_rng(seed, *path))
    fields = {"E": p[..., 0], "px": p[..., 1], "py": p[..., 2], "pz": p[..., 3],
              "pdg": np.broadcast_to(np.array([-11, -11, 11]), (n, 3))}
    return from_arrays(fields, w / w.sum())


def process_sample(process: AnyProcess, n: int, seed: int, path: Path) -> ak.Array:
    """``n`` weighted events of a generator ``process`` (vegas-trained), whose weights sum to
    the fiducial rate; the run's master seed is :func:`~muonbsm.seeds.int_seed` of ``path``."""
    from muonbsm.generator.generate import TrainingOptions, sample_events  # the run engine, on use

    if n < 1:
        raise ValueError(f"n: must be >= 1, got {n}")
    training = TrainingOptions(nitn=6, neval=min(50_000, max(5_000, n)))
    events, _, _ = sample_events(process, n, seed=int_seed(seed, *path), training=training)
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


def make_sample(name: str, n: int, seed: int, path: Path) -> ak.Array:
    """The sample called ``name`` ('phase-space', 'ic' or 'dark-photon:<mass>') with ``n``
    points, from the stream ``path`` of master ``seed``."""
    if name == "phase-space":
        return phase_space_mu_eee(n, seed, path)
    if name == "ic":
        return process_sample(InternalConversion(), n, seed, path)
    if name.startswith("dark-photon:"):
        return process_sample(XEmission(dark_photon(parse_mass(name.split(":", 1)[1]), 1e-3)), n, seed, path)
    raise ValueError(f"sample: must be 'phase-space', 'ic' or 'dark-photon:<mass>', got {name!r}")


def make_samples(spec: str, n: int, seed: int) -> dict[str, ak.Array]:
    """Samples for a comma-separated ``spec`` (e.g. 'phase-space,ic,dark-photon:20MeV'):
    sample ``k`` from the stream ``("sample", k, "generation")`` of master ``seed``."""
    names = [s.strip() for s in spec.split(",") if s.strip()]
    if not names:
        raise ValueError(f"spec: no sample names in {spec!r}")
    if len(set(names)) != len(names):
        raise ValueError(f"spec: sample names repeat in {spec!r}")
    return {name: make_sample(name, n, seed, ("sample", k, "generation")) for k, name in enumerate(names)}
