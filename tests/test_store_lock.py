"""One build at a time per store, across processes (issue 14, item 2).

Two real ``santelex build`` processes are raced into one store at many offsets: whatever the
interleaving, the live store opens and holds exactly what the builds that succeeded wrote, and
a refused build says so in one line naming the store.
"""
import gc
import json
import os
import re
import shutil
import subprocess
import sys
import time

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from santelex import paths
from santelex.cli import main
from santelex.store.local import BuildLock, Store

A = paths.SEEDS / "r1434-4-sros-version.md"
B = paths.SEEDS / "decret-2005-76-jo.txt"
CLI = [sys.executable, "-c", "from santelex.cli import main; main()"]


def build(store, *inputs):
    return subprocess.Popen([*CLI, "build", "--quiet", "--store", str(store), *map(str, inputs)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def dump(store) -> list[str]:
    """The store's quads, opened read-only as any reader would (fails if it cannot be opened)."""
    st = ox.Store.read_only(str(store))
    out = sorted(st.dump(format=ox.RdfFormat.N_QUADS).decode().splitlines())
    del st
    return out


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    """The stores the builds may leave: base (the vocabularies), base+A, base+B, base+A+B."""
    root = tmp_path_factory.mktemp("outcomes")
    base = root / "base"
    vocab = sorted(paths.ONTOLOGY.glob("*.ttl"))[:1]
    assert subprocess.run([*CLI, "build", "-q", "--store", str(base), *map(str, vocab)]).returncode == 0
    out = {}
    for name, inputs in {"A": [A], "B": [B], "AB": [A, B]}.items():
        store = root / name
        shutil.copytree(base, store)
        for i in inputs:
            assert subprocess.run([*CLI, "build", "-q", "--store", str(store), str(i)]).returncode == 0
        out[name] = dump(store)
    assert len({tuple(v) for v in out.values()}) == 3
    return base, out


@pytest.mark.parametrize("offset", [i * 0.12 for i in range(15)])
def test_two_builds_raced_leave_one_whole_store(tmp_path, outcomes, offset):
    base, expected = outcomes
    store = tmp_path / "store"
    shutil.copytree(base, store)
    first = build(store, A)
    time.sleep(offset)
    second = build(store, B)
    results = {}
    for name, proc, other in (("A", first, second), ("B", second, first)):
        out, err = proc.communicate(timeout=120)
        assert "Traceback" not in err, err
        assert proc.returncode in (0, 2), err
        if proc.returncode == 2:  # refused by the build lock, naming the other build
            assert re.fullmatch(f"santelex: error: {re.escape(str(store))}: the store is being written "
                                f"by santelex process {other.pid} \\(since [0-9: -]+\\): one build at a "
                                "time; wait for it to finish", err.strip()), err
        results[name] = proc.returncode == 0
    assert any(results.values())  # one of them always gets the store
    want = "AB" if all(results.values()) else "A" if results["A"] else "B"
    assert dump(store) == expected[want]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["store"]  # no staging, journal or lock left


def test_the_store_is_free_as_soon_as_the_build_lock_is(tmp_path, outcomes):
    """The next build, waiting on the lock, opens the store for writing the moment the lock
    is free: a build keeps no handle on the store past its lock (else Oxigraph's own writer
    lock refuses it, anonymously, and the handle goes on writing into the live store)."""
    base, expected = outcomes
    store = tmp_path / "store"
    shutil.copytree(base, store)
    lock = tmp_path / ".store.lock"
    proc = build(store, A)
    deadline = time.monotonic() + 60
    while proc.poll() is None and time.monotonic() < deadline and \
            not (lock.exists() and f'"pid": {proc.pid}' in lock.read_text()):
        time.sleep(0.002)
    assert proc.poll() is None, proc.communicate()  # seen while its build holds the lock
    with BuildLock(store, wait=True):
        live = ox.Store(str(store))  # no StoreError: Oxigraph's writer lock is free too
        got = sorted(live.dump(format=ox.RdfFormat.N_QUADS).decode().splitlines())
        del live
        gc.collect()
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert got == expected["A"]
    assert dump(store) == expected["A"]


def test_readers_open_the_store_while_builds_swap_it(tmp_path, outcomes):
    """A reader opening the store as a build swaps its new one in (the old one's files going
    with it) opens the new one: it meets a whole store, old or new, and never an error."""
    base, expected = outcomes
    store = tmp_path / "store"
    shutil.copytree(base, store)
    builds = subprocess.Popen([sys.executable, "-c", (
        "import sys\nimport santelex\n"
        "for source in sys.argv[2:]:\n    santelex.build([source], sys.argv[1], workers=1)\n"),
        str(store), str(B), str(A), str(B), str(A)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen = set()
    while builds.poll() is None:
        st = Store(store, read_only=True)
        seen.add(st.count_quads())
        st.close()
    assert builds.returncode == 0, builds.communicate()
    assert seen <= {len(dump(base)), len(expected["B"]), len(expected["AB"])}
    assert dump(store) == expected["AB"]


def test_a_build_in_progress_is_named_and_the_store_kept(tmp_path, outcomes):
    base, expected = outcomes
    store = tmp_path / "store"
    shutil.copytree(base, store)
    lock = tmp_path / ".store.lock"
    holder = subprocess.Popen([sys.executable, "-c", (
        "import fcntl, os, sys, time\n"
        f"fd = os.open({str(lock)!r}, os.O_RDWR | os.O_CREAT)\n"
        "fcntl.flock(fd, fcntl.LOCK_EX)\n"
        "os.write(fd, b'{\"pid\": %d, \"since\": \"2026-01-01 10:00:00\"}' % os.getpid())\n"
        "print('locked', flush=True)\n"
        "sys.stdin.read()\n")], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        res = CliRunner().invoke(main, ["build", "--quiet", "--store", str(store), str(A)])
        assert res.exit_code == 2
        assert res.output.strip() == (f"santelex: error: {store}: the store is being written by santelex "
                                      f"process {holder.pid} (since 2026-01-01 10:00:00): one build at a "
                                      "time; wait for it to finish")
        assert dump(store) == dump(base)
    finally:
        holder.communicate("")
    # the holder is gone: its lock (still naming it) is taken over, and said in one line
    res = CliRunner().invoke(main, ["build", "--quiet", "--store", str(store), str(A)])
    assert res.exit_code == 0, res.output
    assert res.output.strip() == (f"santelex: {store}: the last build (santelex process {holder.pid}) "
                                  "was stopped before its end; its lock is taken over")
    assert dump(store) == expected["A"]
    assert not lock.exists()  # released: a later build says nothing
    res = CliRunner().invoke(main, ["build", "--quiet", "--store", str(store), str(A)])
    assert res.exit_code == 0 and res.output == ""


def test_killed_build_lock_is_taken_over(tmp_path, outcomes):
    """kill -9 during a build: the kernel drops its lock; the next build takes it over and
    the store is what it was before the killed build, plus the new one."""
    base, expected = outcomes
    store = tmp_path / "store"
    shutil.copytree(base, store)
    proc = build(store, paths.CSP_ARCHIVE)
    lock = tmp_path / ".store.lock"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (lock.exists() and lock.read_text()):
        time.sleep(0.05)
    time.sleep(1.5)  # well into the build
    assert json.loads(lock.read_text())["pid"] == proc.pid
    proc.kill()
    proc.wait()
    assert dump(store) == dump(base)
    res = CliRunner().invoke(main, ["build", "--quiet", "--store", str(store), str(A)])
    assert res.exit_code == 0, res.output
    assert f"santelex process {proc.pid}" in res.output and "taken over" in res.output
    assert dump(store) == expected["A"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["store"]


def test_store_naming_a_file(tmp_path):
    f = tmp_path / "notes.txt"
    f.write_text("not a store")
    for args in (["build", "--quiet", "--store", str(f), str(A)], ["show", "--store", str(f), "R1434-4"],
                 ["export", "--store", str(f)]):
        res = CliRunner().invoke(main, args)
        assert res.exit_code == 2
        assert res.output.strip() == f"santelex: error: {f}: not a store folder: a file has this name"
    assert f.read_text() == "not a store"
    assert sorted(os.listdir(tmp_path)) == ["notes.txt"]


def test_a_staging_store_still_open_is_never_swapped_in(tmp_path):
    # an Oxigraph handle left open on the staging store keeps RocksDB's lock and may go on
    # writing into the folder swapped out (the live store then names files that are gone):
    # the transaction refuses to swap it in, and the live store stays as it was
    path = tmp_path / "store"
    assert subprocess.run([*CLI, "build", "-q", "--store", str(path), str(A)]).returncode == 0
    before = dump(path)
    store = Store(path)
    kept = []
    with pytest.raises(RuntimeError, match="still open"):
        with store.transaction(key="x") as loader:
            loader.load_nquads(["urn:g"], b"<urn:a> <urn:b> <urn:c> <urn:g> .\n")
            loader.commit(["x"])
            kept.append(loader.store)  # a reference the loader does not know of
    kept.clear()
    assert dump(path) == before
