"""Shared fixtures (the seed texts parsed once, a store built from the seeds, stores of the seeds
and chosen CSP articles), the rule that a skipped test fails the run, and the rule that no
process the tests started (a server above all) outlives them.

Every part the suite needs (Chromium, Playwright, the Oxigraph server, the test extra) is a hard
requirement: a test that skips for lack of one is reported as a failure, with its reason, so the
suite cannot pass by skipping.  ``SANTELEX_ALLOW_SKIPS=1`` lets a developer without a part run the
rest (the skips are then listed with their reasons, ``-rs``); CI (``.ci/run``) never sets it.
"""
from __future__ import annotations

import os
import shutil
import signal
import tarfile
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import settings

from santelex import builder, paths
from santelex.ingest import registry
from santelex.store import open_store

FIXTURES = Path(__file__).parent / "fixtures"

# Property tests draw the same examples on every run (CI included), so that a run's verdict does
# not depend on luck; HYPOTHESIS_PROFILE=explore draws new ones, to look for new faults (each
# fault found becomes a plain test, as tests/test_reader_jo_text.py shows).
settings.register_profile("santelex", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "santelex"))

ALLOW_SKIPS = "SANTELEX_ALLOW_SKIPS"
SKIP_IS_FAILURE = (f"skipped, and a skip is a failure here (every part the tests need is required; "
                   f"{ALLOW_SKIPS}=1 allows skips outside CI)")


def skips_allowed() -> bool:
    return os.environ.get(ALLOW_SKIPS, "") == "1"


@pytest.hookimpl(trylast=True)
def pytest_configure(config):
    """Skip reasons are always printed (-rs), whoever runs pytest and however."""
    if "s" not in config.option.reportchars and "a" not in config.option.reportchars.lower():
        config.option.reportchars += "s"
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None and "s" not in reporter.reportchars:
        reporter.reportchars += "s"


def _reason(longrepr) -> str:
    if isinstance(longrepr, tuple) and len(longrepr) == 3:  # (file, line, "Skipped: reason")
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.skipped and not hasattr(report, "wasxfail") and not skips_allowed():
        report.outcome = "failed"
        report.longrepr = f"{SKIP_IS_FAILURE}: {_reason(report.longrepr)}"
    return report


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector):
    """A module that skips itself whole (pytest.importorskip at import) fails like a broken import."""
    report = yield
    if report.skipped and not skips_allowed():
        report.outcome = "failed"
        report.longrepr = f"{SKIP_IS_FAILURE}: {_reason(report.longrepr)}"
    return report


def _live_processes() -> dict[int, tuple[int, str]]:
    """pid -> (parent's pid, command line) of every process still running (zombies left out),
    read from /proc; empty where there is no /proc."""
    out = {}
    for d in Path("/proc").glob("[0-9]*"):
        try:
            stat = (d / "stat").read_text()
            cmd = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:  # gone meanwhile
            continue
        state, ppid = stat.rsplit(")", 1)[1].split()[:2]
        if state not in ("Z", "X"):
            out[int(d.name)] = (int(ppid), cmd)
    return out


def started_by_tests(basetemp: Path, root: int | None = None) -> dict[int, str]:
    """The processes this session started that still run: the descendants of ``root`` (this
    process) and any process whose command line names a folder of this session's temporary
    folder (a server started detached).  Python's own helpers (multiprocessing's resource
    tracker and fork server), which end with the interpreter, are not counted."""
    root = os.getpid() if root is None else root
    procs = _live_processes()
    ours, grew = {root}, True
    while grew:
        more = {pid for pid, (ppid, _) in procs.items() if ppid in ours} - ours
        ours |= more
        grew = bool(more)
    return {pid: cmd for pid, (_, cmd) in procs.items()
            if pid != root and (pid in ours or f"{basetemp}{os.sep}" in cmd) and "multiprocessing" not in cmd}


@pytest.hookimpl(wrapper=True)
def pytest_sessionfinish(session):
    """Every fixture is torn down by now: a process the tests started that still runs (the
    Oxigraph server a fixture failed to stop) fails the run, is named, and is stopped."""
    result = yield
    factory = getattr(session.config, "_tmp_path_factory", None)
    basetemp = factory.getbasetemp() if factory is not None else Path("/nonexistent")
    deadline = time.monotonic() + 10  # one being stopped gets a few seconds
    while (left := started_by_tests(basetemp)) and time.monotonic() < deadline:
        time.sleep(0.2)
    if left:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        lines = [f"{len(left)} process(es) started by the tests still running after them (stopped now):"]
        lines += [f"  {pid}: {cmd}" for pid, cmd in sorted(left.items())]
        if reporter is not None:
            reporter.line("")  # after the progress dots
        for line in lines:
            if reporter is not None:
                reporter.write_line(line, red=True)
            else:
                print(line)
        for pid in left:
            try:
                os.kill(pid, signal.SIGTERM)
            except OSError:
                pass
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    return result


def read_one(path: Path):
    docs = []
    for item in registry.iter_inputs(path):
        docs.extend(registry.read_input(item))
    return docs


@pytest.fixture(scope="session")
def r1434_4():
    return read_one(paths.SEEDS / "r1434-4-sros-version.md")[0]


@pytest.fixture(scope="session")
def decree():
    return read_one(paths.SEEDS / "decret-2005-76-jo.txt")[0]


@pytest.fixture(scope="session")
def seed_store(tmp_path_factory):
    """A store holding the two seed texts (not the CSP: fast)."""
    path = tmp_path_factory.mktemp("seedstore") / "store"
    builder.build(list(SEEDS), path)
    store = open_store(path, read_only=True)
    yield store
    store.close()


#: the two seed texts
SEEDS = (paths.SEEDS / "r1434-4-sros-version.md", paths.SEEDS / "decret-2005-76-jo.txt")


def csp_files(folder: Path, names=(), prefixes=()) -> Path:
    """The files of the bundled CSP archive named in ``names`` or whose name starts with one of
    ``prefixes``, written under ``folder`` as the archive holds them; returns the code's folder."""
    names, prefixes = frozenset(names), tuple(prefixes)
    with tarfile.open(paths.CSP_ARCHIVE, "r|*") as tar:
        for member in tar:
            name = member.name.removeprefix("./")
            base = name.rsplit("/", 1)[-1]
            if member.isfile() and (base in names or base.startswith(prefixes)):
                dest = folder / name
                dest.parent.mkdir(parents=True, exist_ok=True)
                with tar.extractfile(member) as src, open(dest, "wb") as dst:
                    shutil.copyfileobj(src, dst)
    return folder / "code-de-la-sante-publique"


@pytest.fixture(scope="session")
def csp_store(tmp_path_factory):
    """``with csp_store(names=…, prefixes=…, seeds=…) as store``: a store of the ``seeds`` (both by
    default) and the CSP articles chosen as :func:`csp_files` chooses them, built in a folder of
    its own and open read-only until the ``with`` ends."""

    @contextmanager
    def make(names=(), prefixes=(), seeds=SEEDS):
        folder = tmp_path_factory.mktemp("csp")
        tree = csp_files(folder / "csp", names, prefixes)
        builder.build([*seeds, tree], folder / "store", workers=1)
        store = open_store(folder / "store", read_only=True)
        try:
            yield store
        finally:
            store.close()

    return make
