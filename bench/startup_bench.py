"""Start-up time of the command line: whole processes, against Python's own start-up.

Runs each command ``--repeat`` times as a new process, alternating them so that a change of
the machine's load falls on all alike, and prints the median and the fastest run of each,
the median CPU time of the process (user + system: what a busy machine hardly changes),
and their ratios (wall and CPU) to the floors run in the same script: ``python -c pass``
(the interpreter) and ``python -c "import click"`` (the interpreter and the CLI library
santelex is written with).  ``import click, pyoxigraph`` is the floor of ``validate``: the
command line and the library that reads the annex, the shapes and the vocabulary.
"validate's start-up" is what validate imports before reading the annex.

Each process runs as an installed package does, with its bytecode cached (written once, in
a private folder: ``PYTHONPYCACHEPREFIX``); one more row gives ``validate`` without it
(``PYTHONDONTWRITEBYTECODE=1``, every santelex module compiled from source on each run, as
in an environment that sets it and uses an editable install).

Then, in fresh processes, where ``validate``'s run goes after its imports (CPU ms, median):
reading the annex, the rule set's manifests, shapes and vocabulary (Oxigraph), compiling
the shapes, validating, rendering; and for each santelex command the modules it imports
(``python -X importtime``, each module's least time over ``--repeat`` runs): the costliest,
and every module's own time summed by package,
to show what a command loads before it does anything.

    python bench/startup_bench.py                # --help and validate of the example annex
    python bench/startup_bench.py --repeat 20
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
EXAMPLE = ROOT / "examples" / "annexe-2006"
#: the children's environment: bytecode cached in a folder of this run (set in main)
ENV = dict(os.environ)


def santelex_argv() -> list[str]:
    """The installed ``santelex`` script beside this interpreter (what a user runs)."""
    script = Path(PY).parent / "santelex"
    if not script.exists():
        sys.exit(f"{script}: no santelex script beside {PY}: install santelex into this environment")
    return [str(script)]


NO_BYTECODE = "santelex validate, no bytecode cache"
COMMANDS = {
    "python -c pass": [PY, "-c", "pass"],
    'python -c "import click"': [PY, "-c", "import click"],
    'python -c "import click, pyoxigraph"': [PY, "-c", "import click, pyoxigraph"],
    "santelex --help": santelex_argv() + ["--help"],
    "validate's start-up (its imports)": [PY, "-c", "import santelex.cli.main, santelex.cli.validate, "
                                                    "santelex.validation"],
    "santelex validate examples/annexe-2006": santelex_argv() + ["validate", str(EXAMPLE)],
    NO_BYTECODE: santelex_argv() + ["validate", str(EXAMPLE)],
}
FLOORS = ("python -c pass", 'python -c "import click"')
#: not santelex commands: no import list for them
NOT_SANTELEX = (*FLOORS, 'python -c "import click, pyoxigraph"', NO_BYTECODE)


def env_of(name: str) -> dict:
    if name == NO_BYTECODE:  # the installed libraries' own bytecode, none for santelex's editable modules
        return {**{k: v for k, v in ENV.items() if k != "PYTHONPYCACHEPREFIX"}, "PYTHONDONTWRITEBYTECODE": "1"}
    return ENV


def run(argv: list[str], env: dict) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the process: user + system, which load hardly moves)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT, env=env)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1):  # validate exits 1 on violations: still a run
        sys.exit(f"{' '.join(argv)}: exit {done.returncode}: {done.stderr.decode()[-500:]}")
    return seconds, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def importtime(argv: list[str], runs: int) -> list[tuple[int, int, int, str]]:
    """(self µs, cumulative µs, depth, module) of every module the command imports, each time
    the least of ``runs`` runs (what the load added taken out as far as it can be)."""
    best: dict[str, list[int]] = {}
    for _ in range(runs):
        done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT, text=True,
                              env=dict(ENV, PYTHONPROFILEIMPORTTIME="1"))
        for line in done.stderr.splitlines():
            if not line.startswith("import time:") or "cumulative" in line:
                continue
            own, cumulative, name = line[len("import time:"):].split("|")
            depth, key = (len(name) - len(name.lstrip()) - 1) // 2, name.strip()
            if key in best:
                best[key] = [min(best[key][0], int(own)), min(best[key][1], int(cumulative)), best[key][2]]
            else:
                best[key] = [int(own), int(cumulative), depth]
    return [(own, cumulative, depth, name) for name, (own, cumulative, depth) in best.items()]


def costliest(rows, top: int) -> list[tuple[int, str]]:
    """(cumulative µs, module) of what the script or its first modules import, costliest first."""
    seen, out = set(), []
    for _, us, depth, name in sorted(rows, key=lambda r: -r[1]):
        root = name.split(".")[0]
        if depth > 1 or (root, us) in seen:
            continue
        seen.add((root, us))
        out.append((us, name))
    return out[:top]


def by_package(rows) -> list[tuple[int, int, str]]:
    """(µs, modules, package) of the modules' own times summed by package (santelex by subpackage)."""
    total: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for own, _, _, name in rows:
        parts = name.split(".")
        key = ".".join(parts[:2]) if parts[0] == "santelex" and len(parts) > 1 else parts[0]
        if key.startswith("_") and key not in ("__editable___santelex_0_1_0_finder",):
            key = "(C and private modules of the standard library)"
        total[key][0] += own
        total[key][1] += 1
    return sorted(((us, n, key) for key, (us, n) in total.items()), reverse=True)


STEPS = """
import json, resource, sys
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
out, t = {}, cpu()
import santelex.cli.main, santelex.cli.validate
from santelex import validation as v
from santelex.validation import engine
out["imports"], t = cpu() - t, cpu()
a = v.annex_mod.read(sys.argv[1])
out["read the annex"], t = cpu() - t, cpu()
rs = v.choose(a)
out["choose the rule set (manifests)"], t = cpu() - t, cpu()
sg = rs.shape_triples()
out["read its shapes (Oxigraph)"], t = cpu() - t, cpu()
rs.vocabulary_triples(), rs.notations()
out["read its vocabulary and notations"], t = cpu() - t, cpu()
engine.compile_shapes(sg)
out["compile the shapes"], t = cpu() - t, cpu()
report = v.validate(a)
out["validate (data graph, engine, report)"], t = cpu() - t, cpu()
v.render(report, "text")
out["render the text"] = cpu() - t
out["rdflib loaded"] = "rdflib" in sys.modules
print(json.dumps(out))
"""


def steps(repeat: int) -> dict[str, list]:
    """Where validate's run goes, step by step, in ``repeat`` fresh processes."""
    found: dict[str, list] = defaultdict(list)
    for _ in range(repeat):
        done = subprocess.run([PY, "-c", STEPS, str(EXAMPLE)], capture_output=True, text=True, cwd=ROOT, env=ENV,
                              check=True)
        for k, val in json.loads(done.stdout.splitlines()[-1]).items():
            found[k].append(val)
    return found


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=10)
    ap.add_argument("--top", type=int, default=12, help="modules listed per command")
    args = ap.parse_args()
    cache = tempfile.mkdtemp(prefix="santelex-bytecode-")
    ENV.pop("PYTHONDONTWRITEBYTECODE", None)
    ENV["PYTHONPYCACHEPREFIX"] = cache
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start; "
          f"python {sys.version.split()[0]}; bytecode cached in {cache}")
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    cpu: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for name, argv in COMMANDS.items():
        run(argv, env_of(name))  # warm the file cache, write the bytecode
    for _ in range(args.repeat):
        for name, argv in COMMANDS.items():
            wall, used = run(argv, env_of(name))
            times[name].append(wall)
            cpu[name].append(used)
    base = {f: statistics.median(times[f]) for f in FLOORS}
    base_cpu = {f: statistics.median(cpu[f]) for f in FLOORS}
    print(f"\n{'command':<42} {'median':>8} {'fastest':>8} {'cpu':>7} {'/ pass':>7} {'/ click':>8}"
          f" {'cpu/click':>10}")
    for name, ts in times.items():
        med, used = statistics.median(ts), statistics.median(cpu[name])
        print(f"{name:<42} {med * 1000:7.0f}ms {min(ts) * 1000:7.0f}ms {used * 1000:5.0f}ms "
              f"{med / base[FLOORS[0]]:6.1f}x {med / base[FLOORS[1]]:7.1f}x {used / base_cpu[FLOORS[1]]:9.1f}x")

    found = steps(args.repeat)
    print(f"\nwhere `santelex validate {EXAMPLE.relative_to(ROOT)}` goes, in {args.repeat} fresh processes "
          "(CPU ms, median; the interpreter's own start-up not included):")
    for step, values in found.items():
        if step != "rdflib loaded":
            print(f"  {statistics.median(values) * 1000:7.1f}  {step}")
    print(f"  rdflib loaded: {sorted(set(found['rdflib loaded']))}")

    for name in COMMANDS:
        if name in NOT_SANTELEX:
            continue
        rows = importtime(COMMANDS[name], args.repeat)
        print(f"\nwhat `{name}` imports, costliest first (cumulative ms, -X importtime, least of {args.repeat} runs):")
        for us, module in costliest(rows, args.top):
            print(f"  {us / 1000:7.1f}  {module}")
        print(f"  and every module's own time, summed by package ({len(rows)} modules, "
              f"{sum(r[0] for r in rows) / 1000:.1f} ms in all):")
        for us, n, package in by_package(rows)[:args.top]:
            print(f"  {us / 1000:7.1f}  {package} ({n})")
    print(f"\nmachine: load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
