"""Benchmarks: `make bench` runs every bench/bench_*.py (or those named on the command line).

Each benchmark prints its figures and writes bench/results/NAME.json. Nothing here
asserts a time: performance claims live in these printed figures only.
"""

from __future__ import annotations

import importlib.util
import json
import platform
import sys
from pathlib import Path

HERE = Path(__file__).parent
RESULTS = HERE / "results"


def machine():
    return {
        "kernel": platform.release(),
        "python": platform.python_version(),
        "cpus": len(__import__("os").sched_getaffinity(0)),
    }


def main(names):
    RESULTS.mkdir(exist_ok=True)
    available = sorted(p.stem[len("bench_") :] for p in HERE.glob("bench_*.py"))
    for name in names or available:
        if name not in available:
            sys.exit("no benchmark %r (have: %s)" % (name, ", ".join(available)))
        spec = importlib.util.spec_from_file_location("bench_" + name, HERE / ("bench_%s.py" % name))
        bench = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(bench)
        print("== %s ==" % name, flush=True)
        figures = bench.run()
        figures["machine"] = machine()
        (RESULTS / ("%s.json" % name)).write_text(json.dumps(figures, indent=2) + "\n")
        print("   -> %s" % (RESULTS / ("%s.json" % name)), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
