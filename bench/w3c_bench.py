"""The W3C SHACL Core test suite's data through each engine: time and answers.

    python bench/w3c_bench.py [--repeat 3]

For each of the 98 ``sht:Validate`` entries of tests/w3c/core (see tests/w3c/README.md), runs
the fast engine, pySHACL and pyrudof (``pip install .[bench]``; left out if absent) on the
entry's data and shapes files, read from disk each time, and prints each engine's total time
(best of ``--repeat``), its ratio to the fast engine, and how many entries it answers as the
suite expects: the whole result set for the fast engine and pySHACL (as
tests/test_w3c_shacl.py compares it, messages aside), the conformance and the number of
results for pyrudof (its report names paths and literals in its own syntax).
"""
from __future__ import annotations

import argparse
import sys
import time
import warnings
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import test_w3c_shacl as suite  # noqa: E402

from santelex import validation as v  # noqa: E402


def _santelex(engine: str):
    def run(case):
        report = v.validate(case.data, case.shapes, engine=engine)
        return report.conforms, suite._plain(report.raw)
    return run


def _rudof():
    from pyrudof import Rudof, RudofConfig, ShaclValidationMode

    def run(case):
        r = Rudof(RudofConfig())
        r.read_data(str(case.data), base=case.data.as_uri())
        r.read_shacl(str(case.shapes), base=case.shapes.as_uri())
        report = r.validate_shacl(mode=ShaclValidationMode.Native)
        return report.conforms, len(report.violations)
    return run


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=3, help="runs of the whole suite per engine (best kept)")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    expected = {c.name: suite.expected(c) for c in suite.CASES}
    engines = [("fast", _santelex("fast")), ("pySHACL", _santelex("pyshacl"))]
    try:
        engines.append(("pyrudof", _rudof()))
    except ImportError:
        print("pyrudof: not installed (pip install .[bench]); left out")
    times: dict[str, float] = {}
    for name, run in engines:
        best, right, failed = None, 0, 0
        for _ in range(args.repeat):
            right = failed = 0
            t0 = time.perf_counter()
            answers = {}
            for case in suite.CASES:
                try:
                    answers[case.name] = run(case)
                except Exception:
                    failed += 1
            t = time.perf_counter() - t0
            best = t if best is None else min(best, t)
        for case in suite.CASES:
            got = answers.get(case.name)
            conforms, want = expected[case.name]
            plain = Counter({k[:6]: n for k, n in want.items()})
            if got is not None and (got == (conforms, plain) or got == (conforms, sum(want.values()))):
                right += 1
        times[name] = best
        ratio = "" if name == "fast" else f"  ({best / times['fast']:,.1f}x the fast engine's time)"
        what = "conformance and number of results" if name == "pyrudof" else "results"
        print(f"{name:8} {best:6.2f} s for {len(suite.CASES)} entries, {best / len(suite.CASES) * 1000:5.1f} ms each; "
              f"{what} as expected: {right}/{len(suite.CASES)}"
              + (f", {failed} raised an error" if failed else "") + ratio)


if __name__ == "__main__":
    main()
