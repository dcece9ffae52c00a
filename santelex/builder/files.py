"""santelex's services: what the CLI (and the web pages) call.  No printing here."""
from __future__ import annotations

import hashlib
import multiprocessing as mp
import os
import re
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Callable, Iterator

import pyoxigraph as ox

from santelex import paths, uris
from santelex.builder import archives
from santelex.builder.snapshots import snapshot_of
from santelex.builder.stats import BuildStats
from santelex.errors import ReadError, StoreError
from santelex.ingest import registry
from santelex.ingest.to_rdf import to_nquads
from santelex.model import LegalText
from santelex.store import open_store

__all__ = ["BuildStats", "build", "default_sources", "graph_name", "open_store"]

#: inputs per batch sent to a worker process
BATCH = 256


def default_sources() -> list[Path]:
    """The bundled inputs: the two seed texts, the whole Code de la santé publique, and
    santelex's own vocabularies (ontology/**/*.ttl, shapes/**/*.ttl) so queries can use them."""
    return [paths.SEEDS / "r1434-4-sros-version.md", paths.SEEDS / "decret-2005-76-jo.txt",
            paths.CSP_ARCHIVE, *vocabularies()]


def vocabularies() -> list[Path]:
    return (paths.files_of(paths.ONTOLOGY, "**/*.ttl", "the ontology")
            + paths.files_of(paths.SHAPES, "**/*.ttl", "the SHACL shapes"))


def _rdf_quads(name: str, display: str, data: bytes) -> list[ox.Quad]:
    """The triples of an RDF file, in the graph of that file.

    A dataset (``.trig``, ``.nq``) may only use the default graph: a quad in a named graph
    would land in a graph that is not its file's, beyond the reach of the next build of that
    file, so it is refused.  RDF/XML declaring entities or a DOCTYPE is refused before it is
    parsed, as LEGI XML is (the parser would expand them: a "billion laughs" of 1 KB)."""
    fmt = ox.RdfFormat.from_extension(Path(display).suffix.lower()[1:])
    graph = ox.NamedNode(uris.graph(name))
    if fmt == ox.RdfFormat.RDF_XML:
        _refuse_declarations(data, display)
    try:
        parsed = list(ox.parse(data, format=fmt, base_iri=uris.BASE))
    except SyntaxError as e:
        line = getattr(e, "lineno", None)
        raise ReadError(f"not valid {fmt.name}: {e.msg if hasattr(e, 'msg') else e}", display, line) from None
    out = []
    for q in parsed:
        if isinstance(q, ox.Quad) and not isinstance(q.graph_name, ox.DefaultGraph):
            raise ReadError(f"a quad in the named graph {q.graph_name}: santelex keeps each file in a "
                            "graph of its own; give the triples of a dataset in its default graph "
                            "(or one .ttl/.nt file per graph)", display, _line_of(data, q.graph_name))
        out.append(ox.Quad(q.subject, q.predicate, q.object, graph))
    return out


def _line_of(data: bytes, graph) -> int | None:
    i = data.find(str(graph).encode())
    return data.count(b"\n", 0, i) + 1 if i >= 0 else None


_DECLARATION = re.compile(rb"<!(ENTITY|DOCTYPE)", re.I)


def _refuse_declarations(data: bytes, display: str) -> None:
    from santelex.ingest.safe_xml import _entity_declaration
    m = _DECLARATION.search(data)
    line = data.count(b"\n", 0, m.start()) + 1 if m else _entity_declaration(data)
    if m or line is not None:
        raise ReadError("RDF/XML with a DOCTYPE or entity declarations (<!ENTITY …>): refused and not "
                        "expanded; write the IRIs in full", display, line)


def graph_name(path: Path, item_name: str) -> str:
    """A stable name for the graph of one input, independent of the current directory."""
    p = Path(path).resolve()
    try:
        base = str(p.relative_to(paths.DATA))
    except ValueError:
        base = str(p)
    if p.is_dir():
        return str(Path(base).parent / item_name)
    if item_name == str(path) or Path(item_name).name == p.name and not registry.is_archive(p):
        return base
    return f"{base}!{item_name}"


def _count(doc) -> BuildStats:
    arts = list(doc.articles) + list(doc.inserted) if isinstance(doc, LegalText) else [doc]
    s = BuildStats(articles=len(arts), texts=int(isinstance(doc, LegalText)))
    s.subdivisions = sum(1 for a in arts for _ in a.walk())
    s.citations = sum(len(a.all_references) for a in arts)
    if isinstance(doc, LegalText):
        s.citations += len(doc.visa_references)
    return s


# -- the work of one batch: parse, map to RDF, serialize (runs in a worker process) ---------
_SEEN: set = set()  # plan nodes this worker has written during the current build


def _fresh_worker():
    _SEEN.clear()


def _convert(batch: list[tuple[str, str, bytes]], format: str | None, in_force: date | None,
             seen: set | None = None):
    """Parse a batch of (graph name, display name, bytes) -> (graph URIs, N-Quads, stats)."""
    seen = _SEEN if seen is None else seen
    stats = BuildStats()
    lines: list[str] = []
    rdf: list[bytes] = []
    graphs = []
    for name, display, data in batch:
        if registry.rdf_format(display) and not format:
            rdf.append(ox.serialize(_rdf_quads(name, display, data), format=ox.RdfFormat.N_QUADS))
            graphs.append(uris.graph(name))
            stats.files += 1
            continue
        item = registry.Input(display, data)
        for doc in registry.read_input(item, format):
            lines.extend(to_nquads(doc, name, snapshot=in_force, seen=seen))
            stats.add(_count(doc))
        graphs.append(uris.graph(name))
        stats.files += 1
    return graphs, "".join(lines).encode("utf-8") + b"".join(rdf), stats


class _Writer:
    """The N-Quads of the workers into the staging store: Oxigraph's bulk loader, in a thread
    of this process, while this process goes on gathering what the workers parse.

    A bulk load lets go of the GIL and, in pieces of this size, keeps one core busy (its wall
    time is its CPU time).  ``LOADS`` loads may run at
    once; one is faster on two cores (CSP: 27.7 s with one, 39 s with two, which also leave
    the workers less of the machine).  Inputs enter the journal in the order they were put,
    once the load holding them and every load before it are done.  A graph the staging store
    already holds (a file read again) is dropped only while no load is running.  A store
    without a local Oxigraph (a SPARQL server) gets the loader's own ``load_nquads``.
    """

    #: bytes of N-Quads per bulk load: more costs memory (64 MB: 575 MB at the peak), less
    #: costs CPU per quad (Oxigraph merges every load's files into the store)
    CHUNK = 32_000_000
    LOADS = 1

    def __init__(self, loader):
        self.loader = loader
        self.ox = getattr(loader, "store", None)
        if not isinstance(self.ox, ox.Store):
            self.ox = None
        self._threads = None
        self._running: deque = deque()  # (future, names), in order
        self._buffer: list[bytes] = []
        self._size = 0
        self._names: list[str] = []

    def __enter__(self) -> "_Writer":
        return self

    def __exit__(self, kind, error, tb):
        if kind is None:
            self._submit()
        try:
            self._retire(0)  # interrupted too: what is loaded is journaled, a rerun resumes after it
        finally:
            if self._threads is not None:
                self._threads.shutdown()
            self.ox = None  # the staging store is the loader's: it must close with it, before the swap
        if kind is None:
            self.loader.flush()

    def put(self, graphs: list[str], data: bytes, names: list[str]):
        if self.ox is None:
            self.loader.load_nquads(graphs, data)
            self.loader.commit(names)
            return
        for g in graphs:
            if self.ox.contains_named_graph(ox.NamedNode(g)):
                self._submit()
                self._retire(0)  # no drop while a load writes
            self.loader.replace_graph(g, ())  # drops what an earlier build wrote, once
        self._buffer.append(data)
        self._size += len(data)
        self._names.extend(names)
        if self._size >= self.CHUNK:
            self._submit()

    def _submit(self):
        if not self._buffer and not self._names:
            return
        data = b"".join(self._buffer)
        names, self._names = self._names, []
        self._buffer, self._size = [], 0
        self._retire(self.LOADS - 1)
        if self._threads is None:
            self._threads = ThreadPoolExecutor(self.LOADS, thread_name_prefix="santelex-load")
        self._running.append((self._threads.submit(self._load, data), names))

    def _load(self, data: bytes):
        if data:
            try:
                self.ox.bulk_load(data, format=ox.RdfFormat.N_QUADS)
            except (OSError, SyntaxError) as e:
                raise StoreError(f"store write failed: {e}") from None

    def _retire(self, keep: int):
        """Wait for the oldest loads until ``keep`` remain; journal their inputs, in order.
        A failed load: every other one is waited for (nothing may write once the staging
        folder goes), none after it journaled, and its error raised."""
        while len(self._running) > keep:
            job, names = self._running.popleft()
            try:
                job.result()
            except BaseException:
                for other, _ in self._running:
                    other.exception()
                self._running.clear()
                raise
            self.loader.commit(names)


def _batches(sources, done: set, stats: BuildStats, format, progress, snapshot=None) -> Iterator:
    for source in sources:
        # versions read from an archive of a known Legifrance snapshot are in force in it
        day = snapshot or snapshot_of(source)
        in_force = date.fromisoformat(day) if day else None
        if progress:
            progress(f"start:{source}", registry.count_members(source))
        batch: list[tuple[str, str, bytes]] = []
        skipped: list[str] = []

        def note_skipped():  # files of a folder passed over (no known format): noted, counted
            for passed in skipped:
                stats.notes.append(registry.skip_note(passed))
                if progress:
                    progress("", None)
            skipped.clear()

        for item in registry.iter_inputs(source, skipped):  # nothing readable: ReadError
            note_skipped()
            name = graph_name(source, item.name)
            if name in done:
                stats.skipped += 1
                if progress:
                    progress(item.name, None)
                continue
            batch.append((name, item.name, item.data))
            if len(batch) >= BATCH:
                yield batch, in_force
                batch = []
        note_skipped()
        if batch:
            yield batch, in_force
        stats.sources.append(str(source))


def _fingerprint(sources, format) -> str:
    h = hashlib.sha1(repr(format).encode())
    for s in sources:
        st = s.stat()
        h.update(f"{s.resolve()}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def build(sources=None, store_path=None, format: str | None = None,
          progress: Callable[[str, int | None], None] | None = None,
          workers: int | None = None, codes=None, snapshot: str | None = None) -> BuildStats:
    """Read every source into the store, all or nothing, resumable after an interruption.

    Inputs are parsed and mapped to RDF in ``workers`` processes (default: one per core)
    while this process loads their N-Quads into the staging store.  ``progress(name,
    total)`` is called with ``start:<source>`` and the number of files it holds (or None),
    then once per file.  DILA's LEGI/JORF archives (full dumps, daily increments) go to
    santelex/builder/archives.py, which keeps only ``codes`` (default: every code).  ``snapshot`` (a
    date) says the inputs are a Legifrance snapshot of that day, so their versions are in
    force in it; archives listed in ``data/corpus/snapshots.tsv`` are known without it.
    """
    started = time.perf_counter()
    sources = [Path(s) for s in (sources or default_sources())]
    for s in sources:
        if not s.exists():
            raise ReadError("no such file or folder", str(s))
    if codes or any(archives.is_dila_archive(s) for s in sources):
        return archives.build(sources, store_path, codes=codes, progress=progress, workers=workers)
    if format:
        registry.get(format)
    workers = workers or os.cpu_count() or 1
    stats = BuildStats()
    store = open_store(store_path)
    with store.transaction(key=_fingerprint(sources, (format, snapshot))) as loader:
        stats.resumed = bool(loader.done)
        if stats.resumed and progress:
            progress(f"resume:{len(loader.done)}", None)
        batches = _batches(sources, loader.done, stats, format, progress, snapshot)

        with _Writer(loader) as writer:

            def finish(graphs, data, part: BuildStats, names):
                writer.put(graphs, data, names)
                stats.add(part)
                if progress:
                    for name in names:
                        progress(name, None)

            if workers <= 1:
                seen: set = set()
                for batch, in_force in batches:
                    graphs, data, part = _convert(batch, format, in_force, seen)
                    finish(graphs, data, part, [b[0] for b in batch])
            else:
                from santelex.ingest import corpus_index
                corpus_index.default()  # load once here; forked workers share it
                ctx = mp.get_context("fork")
                with ctx.Pool(workers, initializer=_fresh_worker) as pool:
                    # the workers have their copy; this process needs the index no more, and
                    # its memory goes to the bulk loads
                    corpus_index.default.cache_clear()
                    window: deque = deque()
                    for batch, in_force in batches:
                        window.append((pool.apply_async(_convert, (batch, format, in_force)),
                                       [b[0] for b in batch]))
                        if len(window) >= 4 * workers:  # keep workers busy during bulk loads
                            job, names = window.popleft()
                            finish(*job.get(), names)
                    while window:
                        job, names = window.popleft()
                        finish(*job.get(), names)
    if hasattr(store, "count_quads"):
        stats.quads = store.count_quads()
    stats.triples = store.count()
    store.close()
    stats.seconds = time.perf_counter() - started
    return stats
