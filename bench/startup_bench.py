"""Start-up time of the command line: whole processes, against Python's own start-up.

Runs each command ``--repeat`` times as a new process, alternating them so that a change of
the machine's load falls on all alike, and prints the median and the fastest run of each,
the median CPU time of the process (user + system: what a busy machine hardly changes),
and their ratio to the floors run in the same script: ``python -c pass`` (the interpreter)
and ``python -c "import click"`` (the interpreter and the CLI library santelex is written
with).  ``import click, rdflib`` is the floor of ``validate``'s start-up while its SHACL
engine works on rdflib terms; "validate's start-up" is what validate imports before reading
the annex.  Then, for each santelex command, the modules it imports that cost the most
(``python -X importtime``, cumulative microseconds), to show what a command loads before it
does anything.

    python bench/startup_bench.py                # --help and validate of the 117-objective example
    python bench/startup_bench.py --repeat 20
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
EXAMPLE = ROOT / "examples" / "annexe-2006"


def santelex_argv() -> list[str]:
    """The installed ``santelex`` script beside this interpreter (what a user runs)."""
    script = Path(PY).parent / "santelex"
    if not script.exists():
        sys.exit(f"{script}: no santelex script beside {PY}: install santelex into this environment")
    return [str(script)]


COMMANDS = {
    "python -c pass": [PY, "-c", "pass"],
    'python -c "import click"': [PY, "-c", "import click"],
    'python -c "import click, rdflib"': [PY, "-c", "import click, rdflib"],
    "santelex --help": santelex_argv() + ["--help"],
    "validate's start-up (its imports)": [PY, "-c", "import santelex.cli.main, santelex.validation"],
    "santelex validate examples/annexe-2006": santelex_argv() + ["validate", str(EXAMPLE)],
}
FLOORS = ("python -c pass", 'python -c "import click"')
#: not santelex commands: no import list for them
NOT_SANTELEX = (*FLOORS, 'python -c "import click, rdflib"')


def run(argv: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the process: user + system, which load hardly moves)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1):  # validate exits 1 on violations: still a run
        sys.exit(f"{' '.join(argv)}: exit {done.returncode}: {done.stderr.decode()[-500:]}")
    return seconds, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def importtime(argv: list[str], top: int) -> list[tuple[int, str]]:
    """(cumulative µs, module) of the modules the command imports, costliest top-level first."""
    env = dict(os.environ, PYTHONPROFILEIMPORTTIME="1")
    done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=ROOT,
                          text=True)
    rows = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cumulative, name = (part.strip() for part in line[len("import time:"):].split("|"))
        depth = (len(name) - len(name.lstrip())) // 2
        if depth <= 1:  # what the script or its first modules import
            rows.append((int(cumulative), name.strip()))
    seen, out = set(), []
    for us, name in sorted(rows, reverse=True):
        root = name.split(".")[0]
        if (root, us) in seen:
            continue
        seen.add((root, us))
        out.append((us, name))
    return out[:top]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=10)
    ap.add_argument("--top", type=int, default=12, help="modules listed per command")
    args = ap.parse_args()
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start; "
          f"python {sys.version.split()[0]}")
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    cpu: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for name, argv in COMMANDS.items():
        run(argv)  # warm the file cache
    for _ in range(args.repeat):
        for name, argv in COMMANDS.items():
            wall, used = run(argv)
            times[name].append(wall)
            cpu[name].append(used)
    base = {f: statistics.median(times[f]) for f in FLOORS}
    print(f"\n{'command':<42} {'median':>8} {'fastest':>8} {'cpu':>7} {'/ pass':>7} {'/ click':>8}")
    for name, ts in times.items():
        med = statistics.median(ts)
        print(f"{name:<42} {med * 1000:7.0f}ms {min(ts) * 1000:7.0f}ms {statistics.median(cpu[name]) * 1000:5.0f}ms "
              f"{med / base[FLOORS[0]]:6.1f}x {med / base[FLOORS[1]]:7.1f}x")
    for name in COMMANDS:
        if name in NOT_SANTELEX:
            continue
        print(f"\nwhat `{name}` imports, costliest first (cumulative ms, -X importtime):")
        for us, module in importtime(COMMANDS[name], args.top):
            print(f"  {us / 1000:7.1f}  {module}")
    print(f"\nmachine: load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
