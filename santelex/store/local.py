"""The embedded store: an on-disk Oxigraph store, written all-or-nothing.

A build never writes into the live store.  It copies it (Oxigraph's ``backup``, a cheap
checkpoint of hard links) into a staging folder beside it, loads there, and only when
everything has been read and written swaps the staging folder in.  A crash, an error or a
Ctrl-C before the swap leaves the live store exactly as it was.

Each source file's triples live in their own named graph; loading a file again first
drops that graph, so a re-build of the same input gives the same store.  Queries see the
union of all graphs as their default graph.
"""
from __future__ import annotations

import ctypes
import errno
import fcntl
import gc
import glob
import hashlib
import json
import logging
import os
import shutil
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterable, Iterator, Literal

import pyoxigraph as ox

from santelex import formats
from santelex.errors import QueryError, SantelexError, StoreError
from santelex.vocab import PREFIXES

log = logging.getLogger("santelex")


def _open(path: Path, read_only: bool = False) -> ox.Store:
    for attempt in range(_OPEN_TRIES):
        try:
            if read_only:
                return ox.Store.read_only(str(path))
            return ox.Store(str(path))
        except (OSError, RuntimeError) as e:
            msg = str(e)
            if read_only and "No such file or directory" in msg and attempt + 1 < _OPEN_TRIES:
                # a build swapped its new store in while this one was being opened: the files
                # listed by the old one went with it; open the new one
                time.sleep(0.01 * attempt)
                continue
            if "LOCK" in msg or "Resource temporarily unavailable" in msg:
                # santelex builds write only staging copies, under the build lock
                raise StoreError("the store is open for writing by another program (not a santelex "
                                 "build): stop it first", str(path)) from None
            raise StoreError(f"cannot open the store: {msg}", str(path)) from None
    raise AssertionError("unreachable")


#: read-only opens tried while builds swap new stores in (each swap takes milliseconds)
_OPEN_TRIES = 20


def _recover(path: Path) -> None:
    """Finish or undo a swap interrupted between its two renames (only when no build holds the
    lock: a build in progress may be between them, and only it may touch its folders)."""
    old = path.with_name(path.name + ".old")
    if not old.exists():
        return
    with BuildLock(path, wait=False, quiet=True) as lock:
        if not lock.held:
            return
        if not path.exists() and old.exists():
            old.rename(path)
        elif old.exists():
            shutil.rmtree(old, ignore_errors=True)


class BuildLock:
    """One build at a time per store, across processes: ``.NAME.lock`` beside the store.

    The file is locked with ``flock`` for the whole build (the kernel releases it when the
    holder dies, however it dies) and holds the holder's pid and start time, so that a second
    build is refused naming the first.  A build removes the file as it ends; a file left
    naming a pid that no longer holds the lock is a build that was killed, whose lock is
    taken over (``taken_over`` says whose).  ``quiet``: lock without writing a pid (a
    short recovery by a reader).
    """

    def __init__(self, path: Path, wait: bool = False, quiet: bool = False):
        self.path = path.with_name(f".{path.name}.lock")
        self.store = path
        self.wait = wait
        self.quiet = quiet
        self.held = False
        self.taken_over: str = ""
        self._fd: int | None = None

    def __enter__(self) -> "BuildLock":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        while True:
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            except OSError as e:
                raise StoreError(f"cannot create the lock file {self.path.name}: {e.strerror or e}",
                                 str(self.store)) from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | (0 if self.wait else fcntl.LOCK_NB))
            except BlockingIOError:
                if self.quiet:
                    os.close(fd)
                    return self
                holder = _read_lock(fd)
                for _ in range(100):  # the holder writes its pid just after taking the lock
                    if holder.get("pid"):
                        break
                    time.sleep(0.01)
                    holder = _read_lock(fd)
                os.close(fd)
                who = f"santelex process {holder['pid']}" if holder.get("pid") else "another santelex process"
                since = f" (since {holder['since']})" if holder.get("since") else ""
                raise StoreError(f"the store is being written by {who}{since}: one build at a time; "
                                 "wait for it to finish", str(self.store)) from None
            try:
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)  # its holder removed the file as we opened it: lock the one there now
        self._fd, self.held = fd, True
        _LOCK_FDS.add(fd)
        if not self.quiet:
            previous = _read_lock(fd)
            if previous.get("pid") and int(previous["pid"]) != os.getpid():
                self.taken_over = str(previous["pid"])
            record = json.dumps({"pid": os.getpid(), "since": time.strftime("%Y-%m-%d %H:%M:%S")})
            os.ftruncate(fd, 0)
            os.pwrite(fd, record.encode() + b"\n", 0)
        return self

    def __exit__(self, *exc):
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            if not self.quiet or not _read_lock(fd):
                os.unlink(self.path)  # while still held: whoever opened it meanwhile sees it gone
        except OSError:
            pass
        finally:
            self.held = False
            _LOCK_FDS.discard(fd)
            os.close(fd)  # releases the flock


#: lock files this process holds open; a forked child (a worker) closes its copies, so that the
#: lock goes with the build's own process, not with workers that outlive it
_LOCK_FDS: set[int] = set()


def _close_lock_fds():
    for fd in list(_LOCK_FDS):
        try:
            os.close(fd)
        except OSError:
            pass
    _LOCK_FDS.clear()


os.register_at_fork(after_in_child=_close_lock_fds)


def _read_lock(fd: int) -> dict:
    try:
        data = os.pread(fd, 4096, 0)
        return json.loads(data) if data.strip() else {}
    except (OSError, ValueError):
        return {}


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders in one step (Linux ``renameat2(RENAME_EXCHANGE)``): at no instant is
    either path missing.  False where the system cannot (then two renames are used)."""
    global _RENAMEAT2
    if _RENAMEAT2 is None:
        try:
            _RENAMEAT2 = ctypes.CDLL(None, use_errno=True).renameat2
        except (AttributeError, OSError):
            _RENAMEAT2 = False
    if not _RENAMEAT2:
        return False
    at_fdcwd, rename_exchange = -100, 2
    if _RENAMEAT2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(a))


_RENAMEAT2: Callable[..., int] | Literal[False] | None = None  # renameat2 from libc; False: none


def bind_values(sparql: str, bindings: dict) -> str:
    """Bind variables to RDF terms with a VALUES block inside the WHERE clause.

    The values are pyoxigraph terms, written in their N-Triples form (escaped by Oxigraph),
    never user text pasted into the query: a value can only ever match or not match.
    """
    from santelex.store.sparql import where_brace
    for k, v in bindings.items():
        if not isinstance(v, (ox.NamedNode, ox.Literal, ox.BlankNode)):
            raise QueryError(f"parameter {k!r} must be an RDF term")
    block = " ".join(f"VALUES ?{k} {{ {v} }}" for k, v in bindings.items())
    at = where_brace(sparql)  # comments, strings and IRIs skipped
    if at is None:
        raise QueryError("query has no WHERE clause to bind parameters in")
    return sparql[:at] + " " + block + " " + sparql[at:]


class Store:
    """A santelex store at ``path`` (created on first write)."""

    def __init__(self, path: str | os.PathLike, read_only: bool = False):
        self.path = Path(path)
        self.read_only = read_only
        self._store: ox.Store | None = None

    @property
    def exists(self) -> bool:
        return self.path.is_dir() and any(self.path.iterdir())

    @property
    def oxigraph(self) -> ox.Store:
        if self._store is None:
            if self.path.exists() and not self.path.is_dir():
                raise StoreError("not a store folder: a file has this name", str(self.path))
            if not self.exists:
                if self.read_only:
                    raise StoreError("no store here yet: run 'santelex build' first", str(self.path))
                # an empty store, created under the build lock: never beside a build that has
                # the live store open for writing (a second build then names the first's pid)
                with BuildLock(self.path):
                    if not self.exists:
                        self.path.mkdir(parents=True, exist_ok=True)
                        _open(self.path)
                        gc.collect()
            _recover(self.path)
            # the live store is only ever written by a transaction, which holds the build lock
            # and opens it itself: reading it never takes Oxigraph's writer lock from a build
            self._store = _open(self.path, read_only=True)
        return self._store

    def close(self):
        """Drop the handle; Oxigraph closes the database when the last reference goes."""
        self._store = None
        gc.collect()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- reading -------------------------------------------------------------------------
    def query(self, sparql: str, substitutions: dict | None = None, **kw):
        try:
            if substitutions:
                sparql = bind_values(sparql, substitutions)
            return self.oxigraph.query(sparql, use_default_graph_as_union=True, **kw)
        except SyntaxError as e:
            raise QueryError(f"malformed SPARQL: {e}") from None
        except OSError as e:
            raise StoreError(f"store read failed: {e}", str(self.path)) from None

    def count(self) -> int:
        res = self.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
        return int(next(iter(res))["n"].value)

    def count_quads(self) -> int:
        return len(self.oxigraph)

    def named_graphs(self) -> list[str]:
        return [g.value for g in self.oxigraph.named_graphs()]

    def dump(self, output, format: str):
        f = formats.by_name(format)
        fmt = formats.oxigraph(f)
        if f.kind == "dataset":
            self.oxigraph.dump(output, fmt)
            return
        triples = self.oxigraph.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", use_default_graph_as_union=True)
        assert isinstance(triples, ox.QueryTriples)
        ox.serialize(triples, output, fmt, prefixes=PREFIXES)

    # -- writing -------------------------------------------------------------------------
    @contextmanager
    def transaction(self, key: str = "") -> Iterator[Loader]:
        """Yield a Loader on a staging copy; swap it in only if the block completes.

        One transaction at a time per store, across processes (``BuildLock``): a second
        build is refused, naming the first.  The staging folder and journal are named after
        ``key`` (a fingerprint of the inputs; a random name without one), so no two jobs ever
        share them.  If a build with the same key was interrupted (Ctrl-C, kill, crash) on the
        same live store, its staging folder and journal are still there and the build resumes
        from them: the Loader's ``done`` set holds the inputs already loaded; the leftovers of
        other jobs are removed.  A SantelexError (bad input) discards the staging folder; the
        live store is untouched in every case.  The swap exchanges the two folders in one
        step where the system can (Linux), so the live path always holds a whole store.
        """
        if self.read_only:
            raise StoreError("the store is open read-only", str(self.path))
        if self.path.exists() and not self.path.is_dir():
            raise StoreError("not a store folder: a file has this name", str(self.path))
        with BuildLock(self.path) as lock:
            if lock.taken_over:
                log.warning("%s: the last build (santelex process %s) was stopped before its end; "
                            "its lock is taken over", self.path, lock.taken_over)
            yield from self._transaction(key)

    def _transaction(self, key: str) -> Iterator[Loader]:
        old = self.path.with_name(self.path.name + ".old")
        if not self.path.exists() and old.exists():
            old.rename(self.path)
        elif old.exists():
            shutil.rmtree(old, ignore_errors=True)
        tag = hashlib.sha1(key.encode()).hexdigest()[:16] if key else uuid.uuid4().hex[:16]
        staging = self.path.with_name(f".{self.path.name}.staging-{tag}")
        journal_path = self.path.with_name(f".{self.path.name}.journal-{tag}")
        for leftover in self.path.parent.glob(f".{glob.escape(self.path.name)}.*"):
            if leftover.name.startswith((f".{self.path.name}.staging", f".{self.path.name}.journal")) \
                    and leftover not in (staging, journal_path):
                _remove(leftover)  # an interrupted job with other inputs: it will not resume
        base = self.build_id()
        journal = _read_journal(journal_path)
        if staging.exists() and not (journal.get("key") == key and journal.get("base") == base and key):
            shutil.rmtree(staging, ignore_errors=True)
            journal = {}
        if not staging.exists():
            journal = {"key": key, "base": base, "done": []}
            if self.exists:
                self.close()
                live = _open(self.path)
                live.flush()
                live.backup(str(staging))
                del live
                gc.collect()
        _write_journal(journal_path, journal)
        loader = Loader(_open(staging), journal_path, journal)
        try:
            try:
                yield loader
                loader.flush()
                loader.store.flush()
            finally:
                loader.close()
        except SantelexError:
            shutil.rmtree(staging, ignore_errors=True)
            journal_path.unlink(missing_ok=True)
            raise
        self.close()
        _check_closed(staging)
        (staging / BUILD_ID).write_text(uuid.uuid4().hex)
        if self.path.exists() and _exchange(staging, self.path):
            journal_path.unlink(missing_ok=True)
            shutil.rmtree(staging, ignore_errors=True)  # the old store, now under the staging name
            return
        if self.path.exists():
            self.path.rename(old)
        staging.rename(self.path)
        journal_path.unlink(missing_ok=True)
        shutil.rmtree(old, ignore_errors=True)

    def build_id(self) -> str:
        f = self.path / BUILD_ID
        return f.read_text() if f.exists() else ""


BUILD_ID = "SANTELEX_BUILD_ID"


def _check_closed(staging: Path) -> None:
    """Refuse to swap in a staging store that something of this process still holds open.

    An open Oxigraph store keeps its RocksDB lock and may still write (a compaction ends, the
    memtable is flushed when it closes): swapped in while open, the store's lock stays taken
    until this process ends (a second build meets it) and files it writes afterwards land in
    the folder swapped out, which is then deleted, leaving the live store's manifest naming
    files that are gone.  Opening it for writing proves no handle is left.
    """
    gc.collect()
    try:
        ox.Store(str(staging))
    except OSError as e:
        raise RuntimeError(f"the staging store is still open in this process; not swapped in: {e}") from None
    gc.collect()


def _remove(path: Path):
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _read_journal(path: Path) -> dict:
    """The journal: a JSON header line (job key, base build), then one done input per line."""
    try:
        with open(path, encoding="utf-8") as f:
            journal = json.loads(f.readline())
            journal["done"] = [line.rstrip("\n") for line in f if line.endswith("\n")]
            return journal
    except (OSError, ValueError):
        return {}


def _write_journal(path: Path, journal: dict):
    tmp = path.with_suffix(".tmp")
    header = {k: v for k, v in journal.items() if k != "done"}
    tmp.write_text(json.dumps(header) + "\n" + "".join(n + "\n" for n in journal.get("done", [])),
                   encoding="utf-8")
    os.replace(tmp, path)


def _append_journal(path: Path, names: list[str]):
    with open(path, "a", encoding="utf-8") as f:
        f.write("".join(n + "\n" for n in names))
        f.flush()
        os.fsync(f.fileno())


class Loader:
    """Writes quads into the staging store, one named graph per source.

    ``replace_graph`` drops a graph that an earlier build wrote, then adds the new quads;
    ``load_nquads`` does the same for a batch serialized as N-Quads (Oxigraph's fastest
    path).  ``commit(names)`` records inputs as done in the journal, for resuming.
    """

    def __init__(self, store: ox.Store, journal_path: Path | None = None, journal: dict | None = None):
        self._store: ox.Store | None = store
        self._pending: list[ox.Quad] = []
        self._graphs: set[str] = set()
        self.quads_written = 0
        self.journal_path = journal_path
        self.journal = journal if journal is not None else {"done": []}
        self.done: set[str] = set(self.journal.get("done", []))
        self._nquads: list[bytes] = []
        self._nquads_size = 0
        self._uncommitted: list[str] = []

    @property
    def store(self) -> ox.Store:
        """The staging store, open until the loader is closed (the transaction then swaps it in)."""
        if self._store is None:
            raise RuntimeError("the loader is closed: its staging store may be swapped in")
        return self._store

    def _drop(self, graph: str):
        if graph not in self._graphs:
            self._graphs.add(graph)
            node = ox.NamedNode(graph)
            if self.store.contains_named_graph(node):
                self.flush()
                self.store.remove_graph(node)

    def replace_graph(self, graph: str, quads: Iterable[ox.Quad]):
        self._drop(graph)
        self._pending.extend(quads)
        if len(self._pending) > 200_000:
            self.flush()

    #: N-Quads are gathered up to this size before one bulk load: Oxigraph's bulk loader
    #: costs several times more per quad when called for many small batches
    BULK_BYTES = 64 * 2**20

    def load_nquads(self, graphs: Iterable[str], data: bytes):
        for g in graphs:
            self._drop(g)
        self._nquads.append(data)
        self._nquads_size += len(data)
        if self._nquads_size >= self.BULK_BYTES:
            self.flush()

    def commit(self, names: Iterable[str]):
        """Record inputs as loaded; the journal gets them once their quads are on disk."""
        self._uncommitted.extend(names)
        if not self._nquads:
            self.flush()

    def _journal_done(self):
        names, self._uncommitted = self._uncommitted, []
        if not names or self.journal_path is None:
            return
        self.store.flush()
        self.done.update(names)
        _append_journal(self.journal_path, names)

    def close(self):
        self._pending = []
        self._nquads = []
        self._uncommitted = []
        self._store = None
        gc.collect()

    def flush(self):
        """Write what is gathered (quads, then N-Quads batches), then journal the inputs done."""
        try:
            if self._pending:
                self.store.bulk_extend(self._pending)
                self.quads_written += len(self._pending)
                self._pending = []
            if self._nquads:
                data = b"".join(self._nquads)
                self._nquads, self._nquads_size = [], 0
                self.store.bulk_load(data, format=ox.RdfFormat.N_QUADS)
        except (OSError, SyntaxError) as e:
            raise StoreError(f"store write failed: {e}") from None
        self._journal_done()




def generation(folder: Path | None, wait: float = 5.0) -> tuple | None:
    """What tells one build of the store from the next: the folder's inode and build id.

    A build renames its staging folder onto the store; between the two renames of the swap
    the folder is briefly missing: wait for it (up to ``wait`` seconds).
    """
    if not isinstance(folder, Path):  # None, or a store on a SPARQL server (its path is its URL)
        return None
    deadline = time.monotonic() + wait
    while True:
        try:
            st = os.stat(folder)
            try:
                build = (folder / BUILD_ID).read_text()
            except FileNotFoundError:
                build = ""
            return (st.st_dev, st.st_ino, build)
        except FileNotFoundError:
            if time.monotonic() > deadline:
                return None
            time.sleep(0.05)
