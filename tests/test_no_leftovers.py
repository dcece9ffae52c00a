"""No process the tests start outlives them (tests/conftest.py): a run that leaves one running
(as a fixture driven by hand once left an Oxigraph server after every run) fails, names it and
stops it.  Run for real: pytest in a subprocess on a small test folder that uses this suite's own
conftest.py, with real processes left running.
"""
from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from test_no_skips import pytest_run

HERE = Path(__file__).parent

LEAVING = '''
import subprocess, sys, time

import pytest

SLEEP = "import sys, time; time.sleep(float(sys.argv[1]))"

@pytest.fixture(scope="module")
def server(tmp_path_factory):
    # a child that the fixture stops: not a leftover
    proc = subprocess.Popen([sys.executable, "-c", SLEEP, "600", str(tmp_path_factory.mktemp("stopped"))])
    yield proc
    proc.terminate()
    proc.wait()

def test_stopped(server):
    assert server.poll() is None

def test_leaves_a_child(tmp_path):
    subprocess.Popen([sys.executable, "-c", SLEEP, "600", str(tmp_path / "child")])

def test_leaves_a_detached_one(tmp_path):
    # its parent is gone: only its command line, naming the session's temporary folder, says it is ours
    subprocess.run(["sh", "-c", f'"{sys.executable}" -c "{SLEEP}" 600 "{tmp_path}/detached" &'], check=True)

def test_one_that_ends_soon(tmp_path):
    # still running when the tests end, gone within the grace period: not a leftover
    subprocess.Popen([sys.executable, "-c", SLEEP, "2", str(tmp_path / "soon")])
'''


def _running(marker: str) -> list[int]:
    found = []
    for d in Path("/proc").glob("[0-9]*"):
        try:
            cmd = (d / "cmdline").read_bytes().decode(errors="replace")
            state = (d / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if marker in cmd and state not in ("Z", "X"):
            found.append(int(d.name))
    return found


def leaving_suite(tmp_path: Path) -> Path:
    """A test folder with this project's conftest.py and the tests of LEAVING."""
    folder = tmp_path / "suite"
    folder.mkdir()
    shutil.copy(HERE / "conftest.py", folder / "conftest.py")
    (folder / "test_leaving.py").write_text(LEAVING)
    return folder


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="no /proc here")
def test_a_process_left_running_fails_the_run_and_is_stopped(tmp_path):
    folder = leaving_suite(tmp_path)
    basetemp = tmp_path / "base"
    r = pytest_run(folder, "--basetemp", str(basetemp))
    out = r.stdout + r.stderr
    assert r.returncode == 1, out
    assert "4 passed" in r.stdout
    assert "2 process(es) started by the tests still running after them (stopped now):" in r.stdout, out
    named = [line for line in r.stdout.splitlines() if line.startswith("  ") and str(basetemp) in line]
    assert len(named) == 2 and any("child" in n for n in named) and any("detached" in n for n in named), out
    assert not any("stopped" in n or "soon" in n for n in named)
    deadline = time.monotonic() + 10
    while _running(str(basetemp)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _running(str(basetemp)) == []  # stopped by the check


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="no /proc here")
def test_a_run_that_stops_what_it_starts_passes(tmp_path):
    folder = leaving_suite(tmp_path)
    r = pytest_run(folder, "--basetemp", str(tmp_path / "base"), "-k", "stopped or soon")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "still running" not in r.stdout
