"""The build engine: the one way every input enters the store.

A *plan* says what to read, in what order, and what to drop; this module does the rest,
the same for every plan (files and folders, DILA's LEGI/JORF archives, Legifrance API answers):

    plan --put(name, bytes)--> batches --worker processes: read, map to N-Quads (convert)-->
         this process, in the order put: old graphs dropped, N-Quads buffered
         --a writer thread: Oxigraph's loader--> staging store --> journal --> swap

- a ``Plan`` (made by santelex/builder/files.py, archives.py, or sources/legifrance.py for API
  answers) is a function that puts files into an ``Engine``, a key naming the job, and its stats;
- ``run(store, plan)`` opens one all-or-nothing transaction (``Store.transaction``,
  santelex/store/local.py: a staging copy beside the live store, a journal named after the
  plan's key, the swap at the end), gives the plan an ``Engine``, and counts what the store then
  holds;
- ``Engine.put`` queues a file; files put one after the other under one ``tag`` form batches of
  ``BATCH``, named ``<tag>#<n>``: the journal records batches, so a run resumed after an
  interruption skips the batches already written (the same on every run over the same inputs),
  and the journal stays small whatever the number of files;
- ``convert`` (in the workers) reads a batch with the registry's readers (or takes an RDF file's
  own triples) and maps it with ``ingest/to_rdf``; ``keep_texts`` filters JO texts (JORF
  archives), ``in_force`` marks the versions in force on a snapshot's day;
- each file is one named graph: a file put again (a rewrite in a later DILA increment, the same
  file twice) replaces its graph; ``drop`` removes graphs, ``replace_graph`` writes a small graph
  of the plan's own (the state of the DILA bases followed), ``names`` lists the graphs under a
  prefix; after graphs were dropped, ``finish`` prunes code plans of sections left empty and,
  with ``report``, says what changed article by article (santelex/builder/changes.py);
- a store on a SPARQL server has no staging folder to drop graphs in: its loader takes the N-Quads
  and replaces each file's graph itself; plans that drop graphs (DILA archives) refuse it.
"""
from __future__ import annotations

import hashlib
import multiprocessing as mp
import os
import re
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Callable, Iterable, Iterator

import pyoxigraph as ox

from santelex import formats, uris, vocab
from santelex.builder.stats import BuildStats
from santelex.errors import ReadError, StoreError, UsageError
from santelex.ingest import registry
from santelex.ingest.to_rdf import graph_of, to_nquads
from santelex.model import LegalText
from santelex.store import open_store
from santelex.store.local import Store, bulk_load, select

__all__ = ["BATCH", "CHUNK", "Engine", "Plan", "convert", "fingerprint", "prune_plans", "run", "warm_up"]

#: files per batch sent to a worker process
BATCH = 256
#: batches in flight per worker: enough for the workers to go on parsing while this process
#: waits for a bulk load
WINDOW = 4
#: bytes of N-Quads per load: more costs memory (64 MB: 575 MB at the peak), less costs CPU per
#: quad (Oxigraph merges every bulk load's files into the store).  One load runs at a time: a
#: bulk load lets go of the GIL and keeps one core busy; two are slower on two cores (CSP: 27.7 s
#: with one, 39 s with two, which also leave the workers less of the machine)
CHUNK = 32_000_000
#: N-Quads smaller than this (bytes) are loaded in a transaction rather than by the bulk loader,
#: whose fixed cost dominates for a small increment
SMALL = 400_000

Progress = Callable[[str, "int | None"], None]


# --- the work of one batch: read, map to RDF, serialize (in a worker process) ------------------

_SEEN: set = set()  # plan nodes this worker process has written during the current build


def _fresh_worker():
    _SEEN.clear()


def warm_up():
    """What every reader needs loaded (the index of codes and articles), loaded before forking:
    the workers share this process's copy."""
    from santelex.ingest import corpus_index, official
    corpus_index.default()
    official.code_slug("Code civil")


def _count(doc, stats: BuildStats):
    arts = list(doc.articles) + list(doc.inserted) if isinstance(doc, LegalText) else [doc]
    stats.articles += len(arts)
    stats.texts += int(isinstance(doc, LegalText))
    stats.subdivisions += sum(1 for a in arts for _ in a.walk())
    stats.citations += sum(len(a.all_references) for a in arts)
    if isinstance(doc, LegalText):
        stats.citations += len(doc.visa_references)


def _text_uri(doc: LegalText) -> str:
    return uris.text(doc.nature, doc.number, doc.jorf_id or doc.nor)


def convert(batch: list[tuple[str, str, bytes]], format: str | None, keep_texts: frozenset | None,
            in_force: date | None, seen: set | None = None) -> tuple[list[str], bytes, BuildStats]:
    """A batch of (graph name, display name, bytes) -> (graph URIs, N-Quads, stats).

    ``format``: the reader (default: by name and content; an RDF file without one is taken as
    RDF); ``keep_texts``: when given, a JO text is kept only if its URI is in it; ``in_force``:
    the day of the snapshot the files come from (their versions are in force on it).
    """
    seen = _SEEN if seen is None else seen
    stats = BuildStats()
    lines: list[str] = []
    rdf: list[bytes] = []
    graphs = []
    for name, display, data in batch:
        graphs.append(graph_of(name))
        stats.files += 1
        if not format and registry.rdf_format(display):
            nquads = ox.serialize(_rdf_quads(name, display, data), format=ox.RdfFormat.N_QUADS)
            assert nquads is not None  # (None only when given a file to write to)
            rdf.append(nquads)
            continue
        for doc in registry.read_input(registry.Input(display, data), format):
            if keep_texts is not None and isinstance(doc, LegalText) and _text_uri(doc) not in keep_texts:
                continue
            lines.extend(to_nquads(doc, name, snapshot=in_force, seen=seen))
            _count(doc, stats)
    data = "".join(lines).encode("utf-8")
    return graphs, data + b"".join(rdf) if rdf else data, stats  # (no copy of the batch without RDF files)


def _rdf_quads(name: str, display: str, data: bytes) -> list[ox.Quad]:
    """The triples of an RDF file, in the graph of that file.

    A dataset (``.trig``, ``.nq``) may only use the default graph: a quad in a named graph
    would land in a graph that is not its file's, beyond the reach of the next build of that
    file, so it is refused.  RDF/XML declaring entities or a DOCTYPE is refused before it is
    parsed, as LEGI XML is (the parser would expand them: a "billion laughs" of 1 KB)."""
    rdf = registry.rdf_format(display)
    if rdf is None:  # the registry sends only RDF files here
        raise ReadError("not an RDF file (no RDF format has this suffix)", display)
    fmt = formats.oxigraph(rdf)
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


# --- one load --------------------------------------------------------------------------------

class Engine:
    """One all-or-nothing load into a staging store (``Store.transaction``'s Loader).

    ``put`` queues a file for a worker process; results are taken in the order they were put,
    each file's graph replacing the one of the same name, and their N-Quads loaded by a writer
    thread while this process goes on reading.  A batch enters the journal once the load holding
    it and every load before it are done.  ``drop`` removes graphs (after everything put before
    it: order is kept).  ``finish`` prunes the plans of codes that lost articles and, with
    ``report``, compares every article touched with the live store to say what changed.
    """

    def __init__(self, store, loader, workers: int | None = None, progress: Progress | None = None,
                 stats: BuildStats | None = None, report: bool = False):
        self.store = store
        self.loader = loader
        local = getattr(loader, "store", None)
        self.ox: ox.Store | None = local if isinstance(local, ox.Store) else None  # None: a SPARQL server
        self.workers = workers or os.cpu_count() or 1
        self.progress = progress
        self.stats = stats if stats is not None else BuildStats()
        self.report = report
        self.touched: set[str] = set()  # graph names written or dropped (kept for the report only)
        self.removed_any = False
        self._seq: dict[str, int] = {}
        self._batch: list[tuple[str, str, bytes]] = []
        self._batch_key: tuple = ()
        self._batch_id = ""
        self._window: deque = deque()  # (worker's result, names, display names, batch id), in order
        self._seen: set = set()
        self._buffer: list[bytes] = []  # N-Quads taken, not yet handed to the writer
        self._size = 0
        self._names: set[str] = set()  # their graph names
        self._ids: list[str] = []  # their batch ids
        self._running: deque = deque()  # (load, batch ids, names), in order; one at a time
        self._writer: ThreadPoolExecutor | None = None
        self._pool = None
        if self.workers > 1:
            warm_up()
            self._pool = mp.get_context("fork").Pool(self.workers, initializer=_fresh_worker)
            from santelex.ingest import corpus_index
            corpus_index.default.cache_clear()  # the workers have their copy: memory for the loads

    # -- the queue ---------------------------------------------------------------------------
    def put(self, name: str, data: bytes, *, display: str | None = None, format: str | None = None,
            keep_texts: frozenset | None = None, in_force: date | None = None, tag: str = ""):
        """Queue file ``name`` (its graph name; ``display``: the name it is read and reported
        under, default ``name``).  The ``BATCH`` files put one after the other under one ``tag``
        form batch ``<tag>#<n>``: a batch the journal holds is skipped (counted in ``skipped``)."""
        display = display or name
        seq = self._seq.get(tag, 0)
        self._seq[tag] = seq + 1
        batch_id = f"{tag}#{seq // BATCH}"
        if batch_id in self.loader.done:
            self.stats.skipped += 1
            if self.progress:
                self.progress(display, None)
            return
        key = (format, keep_texts, in_force, tag)
        if self._batch and (key != self._batch_key or batch_id != self._batch_id):
            self._submit()
        self._batch_key, self._batch_id = key, batch_id
        self._batch.append((name, display, data))

    def _submit(self):
        if not self._batch:
            return
        batch, (format, keep, in_force, _), batch_id = self._batch, self._batch_key, self._batch_id
        self._batch = []
        names, displays = [b[0] for b in batch], [b[1] for b in batch]
        if self._pool is None:
            self._take(convert(batch, format, keep, in_force, self._seen), names, displays, batch_id)
            return
        self._window.append((self._pool.apply_async(convert, (batch, format, keep, in_force)),
                             names, displays, batch_id))
        if len(self._window) >= WINDOW * self.workers:
            job, *rest = self._window.popleft()
            self._take(job.get(), *rest)

    def _take(self, result, names: list[str], displays: list[str], batch_id: str):
        """A worker's result, in order: the graphs it replaces dropped, its N-Quads buffered."""
        graphs, data, part = result
        if self.ox is None:
            self.loader.load_nquads(graphs, data)  # replaces the graphs at the swap
            self.loader.commit([batch_id])
        else:
            if self._names.intersection(names) or any(self._names_running(names)):
                self._hand_over()  # the same file twice in one load: the first copy goes in first
                self._retire(0)
            self._remove(names)
            self._buffer.append(data)
            self._size += len(data)
            self._names.update(names)
            self._ids.append(batch_id)
            if self._size >= CHUNK:
                self._hand_over()
        if self.report:
            self.touched.update(names)
        self.stats.add(part)
        if self.progress:
            for display in displays:
                self.progress(display, None)

    def _names_running(self, names: list[str]) -> Iterator[bool]:
        for _, _, loading in self._running:
            yield bool(loading.intersection(names))

    # -- the writer --------------------------------------------------------------------------
    def _hand_over(self):
        """The buffered N-Quads to the writer thread (Oxigraph's loaders let go of the GIL:
        this process goes on reading meanwhile), after the load in progress."""
        if not self._buffer and not self._ids:
            return
        data = b"".join(self._buffer)
        ids, names = self._ids, self._names
        self._buffer, self._size, self._ids, self._names = [], 0, [], set()
        self._retire(0)
        if self._writer is None:
            self._writer = ThreadPoolExecutor(1, thread_name_prefix="santelex-load")
        self._running.append((self._writer.submit(self._load, data), ids, names))

    def _load(self, data: bytes):
        """(In the writer thread.)  The bulk loader for a big piece, a plain (transactional)
        load for a small one."""
        if not data:
            return
        store = self._local("loading")
        if len(data) >= SMALL:
            bulk_load(store, data)  # lenient: santelex wrote these N-Quads (see bulk_load)
            return
        try:
            store.load(data, format=ox.RdfFormat.N_QUADS)
        except (OSError, SyntaxError) as e:
            raise StoreError(f"store write failed: {e}") from None

    def _retire(self, keep: int):
        """Wait for the oldest loads until ``keep`` remain; journal their batches, in order.  A
        failed load: every other one is waited for (nothing may write once the staging folder
        goes), none after it journaled, and its error raised."""
        while len(self._running) > keep:
            job, ids, _ = self._running.popleft()
            try:
                job.result()
            except BaseException:
                for other, _, _ in self._running:
                    other.exception()
                self._running.clear()
                raise
            self.loader.commit(ids)

    def drain(self):
        """Write every file queued so far."""
        self._submit()
        while self._window:
            job, *rest = self._window.popleft()
            self._take(job.get(), *rest)
        self._hand_over()
        self._retire(0)

    # -- removing --------------------------------------------------------------------------
    def _remove(self, names: Iterable[str]) -> int:
        """Drop the graphs of these files that the staging store holds (none while a load writes)."""
        store = self._local("dropping graphs")
        nodes = [ox.NamedNode(uris.graph(n)) for n in names]
        nodes = [node for node in nodes if store.contains_named_graph(node)]
        if nodes:
            self._retire(0)
            for node in nodes:
                store.remove_graph(node)
            self.removed_any = True
        return len(nodes)

    def _local(self, what: str) -> ox.Store:
        if self.ox is None:
            raise UsageError(f"{what} needs a local store, not a remote one")
        return self.ox

    def drop(self, names: Iterable[str]) -> int:
        """Remove the graphs of these files (after everything queued before)."""
        self._local("dropping graphs")
        self.drain()
        n = 0
        for name in names:
            if self._remove([name]):
                n += 1
                if self.report:
                    self.touched.add(name)
        self.stats.deleted += n
        return n

    def names(self, prefix: str) -> Iterator[str]:
        """Names (source labels) of the graphs in the staging store starting with ``prefix``,
        one at a time (a full dump's store holds millions)."""
        store = self._local("listing graphs")
        self.drain()
        self.loader.flush()
        q = (f"SELECT ?l WHERE {{ GRAPH ?g {{ ?s a <{vocab.PROV}Entity> ; "
             f"<{vocab.RDFS}label> ?l }} "
             f"FILTER(STRSTARTS(STR(?l), {ox.Literal(prefix)})) }}")
        for r in select(store, q):
            yield r["l"].value

    def replace_graph(self, name: str, quads: list[ox.Quad]):
        """Write graph ``name`` (quads of the plan's own), replacing it."""
        self.drain()
        if self.ox is None:
            self.loader.replace_graph(uris.graph(name), quads)
            return
        self._remove([name])
        self.ox.extend(quads)

    # -- the end -----------------------------------------------------------------------------
    def _stop(self):
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None
        try:
            self._retire(0)  # interrupted too: what is loaded is journaled, a rerun resumes after it
        except BaseException:
            pass  # a failed load: the error that stopped the run is the one raised
        if self._writer is not None:
            self._writer.shutdown(wait=True)
            self._writer = None

    def close(self):
        self._stop()
        self.ox = None  # the staging store is the loader's: it must close with it, before the swap

    def finish(self):
        self.drain()
        self._stop()
        self.loader.flush()
        if self.removed_any:
            prune_plans(self._local("pruning plans"))
        if self.report:
            from santelex.builder.changes import changes
            self.stats.changes = changes(self.store, self._local("reporting changes"), self.touched)


def prune_plans(store: ox.Store):
    """Remove from the code plans the sections (and codes) no article lies under any more.

    A plan graph only ever grows while files are read; after files were replaced or dropped,
    a node of the plan with no living child in the plan and no article (in any other graph)
    under it is removed, so that the plan is the one a build from the current files writes.
    """
    part_of = ox.NamedNode(vocab.ELI + "is_part_of")
    code_of = ox.NamedNode(vocab.SLX + "code")
    prefix = uris.BASE + "graph/plan/"
    for plan in [g for g in store.named_graphs() if isinstance(g, ox.NamedNode) and g.value.startswith(prefix)]:
        nodes: set = set()
        children: dict = {}
        for q in store.quads_for_pattern(None, None, None, plan):
            nodes.add(q.subject)
            if q.predicate == part_of:
                children.setdefault(q.object, []).append(q.subject)

        def has_article(node) -> bool:
            for pred in (part_of, code_of):
                if any(q.graph_name != plan for q in store.quads_for_pattern(None, pred, node)):
                    return True
            return False

        alive: dict = {}

        def live(node, depth=0) -> bool:
            if node not in alive:
                alive[node] = depth < 64 and (has_article(node) or any(
                    live(c, depth + 1) for c in children.get(node, ())))
            return alive[node]

        dead = [n for n in nodes if not live(n)]
        for node in dead:
            for q in list(store.quads_for_pattern(node, None, None, plan)):
                store.remove(q)
            for q in list(store.quads_for_pattern(None, None, node, plan)):
                store.remove(q)


# --- the run -----------------------------------------------------------------------------------

def fingerprint(paths: Iterable[Path], *extra) -> str:
    """The key of a job: its input files (path, size, time) and options.  A run interrupted
    resumes only under the same key."""
    h = hashlib.sha1(repr(extra).encode())
    for s in paths:
        st = s.stat()
        h.update(f"{s.resolve()}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


@dataclass
class Plan:
    """What a build reads: ``put(engine)`` puts its files (and drops graphs) in order; ``key``
    names the job (``fingerprint``: a run interrupted resumes only under the same key);
    ``stats`` the plan's own figures (sources, notes, archives), which the engine adds to;
    ``local``: what the plan loads, when it needs a local store (it drops graphs)."""

    put: Callable[[Engine], None]
    key: str
    stats: BuildStats = field(default_factory=BuildStats)
    local: str = ""


def run(store, plan: Plan, *, workers: int | None = None, progress: Progress | None = None,
        report: bool = False) -> BuildStats:
    """Open the store (a path, an address, None for the default, or an open store), run the
    plan inside one all-or-nothing transaction named after it, swap it in.  A plan that needs
    a local store refuses a store on a SPARQL server before anything is read."""
    started = time.perf_counter()
    stats = plan.stats
    store = store if hasattr(store, "transaction") else open_store(store)
    if plan.local and not isinstance(store, Store):
        raise UsageError(f"{plan.local} load into a local store, not a remote one")
    with store.transaction(key=plan.key) as loader:
        stats.resumed = bool(loader.done)
        if stats.resumed and progress:
            progress(f"resume:{len(loader.done)}", None)
        engine = Engine(store, loader, workers, progress, stats, report)
        try:
            plan.put(engine)
            engine.finish()
        finally:
            engine.close()
    stats.quads = store.count_quads()
    stats.triples = store.count()
    store.close()
    stats.seconds = time.perf_counter() - started
    return stats
