"""The fixed-target LFV-ALP channel: mu N -> tau N a off a nucleus (photon exchange).

* :mod:`~.kinematics`: exact 2->3 kinematics in the nucleus rest frame;
* :mod:`~.matrix_element`: spin-averaged |M|^2 (scalar nucleus, one photon);
* :mod:`~.form_factors`: atomic, nuclear and quasi-elastic form factors G2(t);
* :mod:`~.cross_section`: sigma [pb] by vegas; :mod:`~.xsec_table`: (E, m_a) grids on disk;
* :mod:`~.production`: lab-frame events with ALP and tau decays.
"""

from muonbsm.generator.processes.alp.cross_section import alp_cross_section
from muonbsm.generator.processes.alp.production import AlpProduction

__all__ = ["AlpProduction", "alp_cross_section"]
