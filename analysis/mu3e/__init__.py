"""The Mu3e search for mu+ -> e+ nu nubar X(-> e+ e-).

* :mod:`~.variables`: m_ee and the angular variables of each e+ e- pairing;
* :mod:`~.bump_hunt`: the m_ee bump hunt and the 2D angular binned analysis;
* :mod:`~.samples`: cached detector-level signal and background samples;
* :mod:`~.scan`: limits over masses; :mod:`~.reach`: reach cards and the coupling reach;
* :mod:`~.tasks`: one mass point per task, run in local worker processes;
* :mod:`~.plots`: distributions, gains and reach figures.
"""

__all__ = ["bump_hunt", "plots", "reach", "samples", "scan", "tasks", "variables"]
