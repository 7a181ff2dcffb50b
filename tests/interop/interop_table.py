"""Print the interoperability table (file type x process x reader, with event counts and the
rate each file carries): ``python tests/interop/interop_table.py [DIR]``.

The same chain as ``test_chain.py``: ``muonbsm generate`` (subprocess, small cards) for the IC,
dark-photon, scalar and ALP samples, each rewritten into the other formats, every file opened
by pyhepmc / pylhe / Pythia 8 / uproot / awkward.
"""

import importlib.util
import sys
import tempfile
from pathlib import Path

READER_NAMES = {".hepmc3": "pyhepmc", ".lhe": "pylhe", ".root": "uproot", ".parquet": "awkward"}


def _pythia_count(path: Path) -> int:
    import pythia8mc

    pythia = pythia8mc.Pythia("", False)
    for line in ("Beams:frameType = 4", f"Beams:LHEF = {path}", "Check:beams = off", "LesHouches:matchInOut = off",
                 "PartonLevel:ISR = off", "PartonLevel:FSR = off", "PartonLevel:MPI = off",
                 "PartonLevel:Remnants = off", "HadronLevel:Hadronize = off", "Print:quiet = on"):
        pythia.readString(line)
    if not pythia.init():
        return -1
    n = 0
    while pythia.next():
        n += 1
    return n


def main(directory: Path) -> None:
    spec = importlib.util.spec_from_file_location("test_chain", Path(__file__).with_name("test_chain.py"))
    chain = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(chain)
    print("| process | generated | format | reader | events read / generated | rate in file | rate printed |")
    print("|---|---|---|---|---|---|---|")
    for name in chain.CARDS:
        sub = directory / name
        sub.mkdir(parents=True, exist_ok=True)
        path, summary = chain._generate(sub, name)
        events, meta = chain.io.read(path)
        for suffix in chain.FORMATS:
            target = path if path.name.endswith(suffix) else sub / f"copy{suffix}"
            if target != path:
                chain.io.write(events, target, meta)
            n, (rate, error) = chain.READERS[suffix](target)
            how = "muonbsm generate" if target == path else "io.write"
            printed = f"{summary['rate']:.6e} ± {summary['rate_error']:.3e} {summary['rate_unit']}"
            print(f"| {name} | {how} | {suffix} | {READER_NAMES[suffix]} | {n} / {summary['n_events']} | "
                  f"{rate:.6e} ± {error:.3e} | {printed} |")
            if suffix == ".lhe":
                count = _pythia_count(target) if name == "alp" else None
                shown = "n/a (decay at rest: no beams)" if count is None else f"{count} / {summary['n_events']}"
                print(f"| {name} | {how} | {suffix} | Pythia 8 | {shown} | | |")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp()))
