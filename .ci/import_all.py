"""Import every module of the installed muonbsm package (no side effects expected)."""
import importlib, pkgutil, sys
import muonbsm
bad = []
names = [m.name for m in pkgutil.walk_packages(muonbsm.__path__, "muonbsm.")]
for sub in ("generator", "detector", "analysis"):
    pkg = importlib.import_module(f"muonbsm.{sub}")
    names += [m.name for m in pkgutil.walk_packages(pkg.__path__, f"muonbsm.{sub}.")]
for name in sorted(set(names)):
    if name.endswith("__main__"):
        continue
    try:
        importlib.import_module(name)
    except Exception as exc:  # noqa: BLE001
        bad.append(f"{name}: {type(exc).__name__}: {exc}")
print(f"{len(set(names))} modules, {len(bad)} failed", *bad, sep="\n")
sys.exit(1 if bad else 0)
