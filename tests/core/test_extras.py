"""Optional dependencies: a missing extra is one clear error; importing muonbsm changes no global state."""

import subprocess
import sys

import pytest

from muonbsm import extras


@pytest.mark.parametrize("extra", sorted(extras.EXTRAS))
def test_missing_extra_names_the_install_command(extra):
    modules = extras.EXTRAS[extra][0]
    block = "; ".join(f"sys.modules[{m!r}] = None" for m in modules)
    script = (f"import sys; {block}\nfrom muonbsm import extras\n"
              f"try:\n    extras.require({extra!r})\nexcept extras.MissingExtraError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert "is not installed" in out and ("muonbsm[" + extra + "]" in out or extra == "pyplot")


def test_missing_extra_is_a_muonbsm_error_and_an_import_error():
    assert issubclass(extras.MissingExtraError, ImportError) and extras.MissingExtraError("x").exit_code == 1


def test_importing_the_plot_modules_keeps_the_matplotlib_backend():
    script = ("import matplotlib; matplotlib.use('svg')\n"
              "import muonbsm.analysis.fixed_target.plots, muonbsm.analysis.mu3e.plots, muonbsm.detector.mu3e.plots\n"
              "print(matplotlib.get_backend())")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "svg"
