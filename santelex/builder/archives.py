"""DILA's bulk archives of the law into the store: LEGI (the codes) and JORF (texts as published).

DILA publishes the bases behind Legifrance (https://echanges.dila.gouv.fr/OPENDATA/) as
``tar.gz`` archives, one XML document per file:

- ``Freemium_legi_global_<stamp>.tar.gz``: the whole LEGI base, ``legi/global/code_et_TNC_…/``
  ``code_en_vigueur/LEGI/TEXT/…/LEGITEXT…/article/…/LEGIARTI….xml`` and the like;
- ``LEGI_<stamp>.tar.gz``: one day's changes, ``<stamp>/legi/global/…`` (new files, and files
  rewritten: a superseded version gets its new ``ETAT``/``DATE_FIN``) and
  ``<stamp>/liste_suppression_legi.dat`` (paths leaving the base, without ``.xml``; a folder's
  path removes everything under it);
- the same for the Journal officiel: ``Freemium_jorf_global_…``, ``JORF_<stamp>.tar.gz``.

How they are applied (``build``):

- streamed (``tarfile`` in ``r|gz`` mode), never unpacked; a member with an absolute or ``../``
  path is refused, XML goes through the readers' safe parser (entities refused);
- one named graph per file of the base, named by its path in the base
  (``legi/global/…/LEGIARTI….xml``), whichever archive delivered it: a file rewritten by an
  increment replaces what the earlier copy said, a path in a suppression list drops it, and the
  store after a full dump and its increments equals the store built from the final state;
- LEGI: only the codes asked for (``--code csp``; default: every code) are read, chosen by the
  ``LEGITEXT`` folder of each path before anything is parsed; ``<SECTION_TA>``,
  ``<TEXTELR>`` and a code's ``<TEXTE_VERSION>`` hold nothing santelex keeps (every article
  repeats its place in the code) and are skipped unread; non-codified texts (``TNC_…``) too;
- JORF: the texts that amend an article of the store (its ``eli:changed_by``), or every text
  with ``jorf_texts="all"``;
- archives in date order (LEGI before JORF on the same day); in an increment the suppressions
  apply before the files it brings (a path removed and delivered again stays); a full dump is a
  whole state: files of the codes it was read for that it no longer holds are dropped;
- the plan of a code (``plan/<code>`` graph) loses the sections no article lies under any more;
- which archives were applied and which codes the store follows is kept in the store itself
  (graph ``dila/state``, PROV-O): an increment not newer than the last one applied is skipped,
  so running the same command twice changes nothing;
- all or nothing: every archive of one command is loaded into one staging store, swapped in at
  the end; a truncated archive or a bad file leaves the store as it was.

The loading engine (``Loading``) is shared with the Legifrance API client (santelex/sources/legifrance.py):
worker processes parse and map to RDF (the same readers and ``ingest/to_rdf``), this process
writes in order, replaces and drops graphs, and can report what changed article by article.
"""
from __future__ import annotations

import bisect
import hashlib
import multiprocessing as mp
import os
import re
import tarfile
import time
import zlib
from array import array
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path, PurePosixPath
from typing import Any, Callable, Iterable, Iterator

import pyoxigraph as ox

from santelex import uris
from santelex.builder.stats import BuildStats
from santelex.errors import ReadError, StoreError, UsageError
from santelex.ingest import registry
from santelex.ingest.to_rdf import to_nquads
from santelex.model import LegalText
from santelex.store import Store as AnyStore
from santelex.store import open_store
from santelex.store.local import Store, select

__all__ = ["ArchiveStats", "build", "Change", "describe", "initials", "is_dila_archive", "legitexts",
           "newer", "P", "read_state", "resolve_codes", "run_load"]

#: files per batch sent to a worker process
BATCH = 128
#: batches in flight per worker: enough for the workers to go on parsing while this process
#: bulk-loads a buffer into the store
WINDOW = 12
#: N-Quads are written to the store (and the journal) by this many bytes at least
WRITE = 24_000_000
#: N-Quads smaller than this (bytes) are loaded in a transaction rather than by the bulk loader
SMALL = 400_000
ELI = "http://data.europa.eu/eli/ontology#"
SLX = uris.ONTOLOGY
PROV = "http://www.w3.org/ns/prov#"
RDFS_LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
P = f"PREFIX eli: <{ELI}>\nPREFIX slx: <{SLX}>\nPREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"


# --- what changed, article by article ---------------------------------------------------------

@dataclass(frozen=True)
class Change:
    """One article that a load added, modified, repealed or removed.

    ``date``: when the change applies (the new version's start, the repeal's date);
    ``by``: the amending texts (labels), from the article's ``eli:changed_by`` links that are new.
    """

    kind: str  # "added", "modified", "repealed", "removed"
    work: str
    code: str | None
    number: str
    date: date | None = None
    by: tuple[str, ...] = ()


@dataclass
class ArchiveStats(BuildStats):
    deleted: int = 0
    archives: list[str] = field(default_factory=list)
    skipped_archives: list[str] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    calls: int = 0  # API calls (when the engine loads API answers)
    cached: int = 0


# --- the loading engine -------------------------------------------------------------------------

_SEEN: set = set()  # plan nodes this worker process has written during the current load


def _fresh_worker():
    _SEEN.clear()


def _warm_up():
    """What every reader needs loaded (the index of codes and articles), loaded before forking."""
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


def _convert(batch: list[tuple[str, bytes]], format: str | None, keep_texts: frozenset | None,
             seen: set | None = None):
    """Parse a batch of (graph name, bytes) -> (N-Quads, stats).  Runs in a worker process.

    ``keep_texts``: when given, a JO text (LegalText) is kept only if its URI is in it.
    """
    seen = _SEEN if seen is None else seen
    stats = BuildStats()
    lines: list[str] = []
    for name, data in batch:
        for doc in registry.read_input(registry.Input(name, data), format):
            if keep_texts is not None and isinstance(doc, LegalText) and _text_uri(doc) not in keep_texts:
                continue
            lines.extend(to_nquads(doc, name, seen=seen))
            _count(doc, stats)
        stats.files += 1
    return "".join(lines).encode("utf-8"), stats


class Loading:
    """One all-or-nothing load into a staging store (``Store.transaction``'s Loader).

    ``put`` queues a file for a worker process; results are written in the order they were
    put, each file's graph replacing the one of the same name.  ``drop`` removes graphs (it
    first waits for every file put before it: order is kept).  ``finish`` prunes the plans of
    codes that lost articles and, with ``report``, compares every article touched with the live
    store to say what changed.
    """

    def __init__(self, store: Store, loader, workers: int | None = None,
                 progress: Callable[[str, int | None], None] | None = None,
                 stats: ArchiveStats | None = None, report: bool = False):
        self.store = store
        self.loader = loader
        self.ox: ox.Store = loader.store
        self.workers = workers or os.cpu_count() or 1
        self.progress = progress
        self.stats = stats if stats is not None else ArchiveStats()
        self.report = report
        self.touched: set[str] = set()  # graph names written or dropped (kept for the report only)
        self.removed_any = False
        self._batch: list[tuple[str, bytes]] = []
        self._batch_key: tuple = ()
        self._window: deque = deque()
        self._seen: set = set()
        self._buffer: list[bytes] = []
        self._buffered = 0
        self._buffered_names: set[str] = set()
        self._done: list[str] = []
        self._seq: dict[str, int] = {}
        self._batch_id = ""
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="santelex-writer")
        self._pending: Future | None = None
        self._writing: set[str] = set()
        self._pool = None
        if self.workers > 1:
            _warm_up()  # load the corpus index once, here, rather than in every worker
            self._pool = mp.get_context("fork").Pool(self.workers, initializer=_fresh_worker)

    # -- the queue -------------------------------------------------------------------------
    def put(self, name: str, data: bytes, *, format: str | None = None,
            keep_texts: frozenset | None = None, tag: str = ""):
        """Queue file ``name`` (its graph name and label) for loading.

        Files are journaled by batch: the ``BATCH`` files put one after the other under one
        ``tag`` (an archive) form batch ``<tag>#<n>``, the same on every run over the same
        inputs, so a run resumed after an interruption skips the batches already written, and
        the journal stays small whatever the archive's size.
        """
        seq = self._seq.get(tag, 0)
        self._seq[tag] = seq + 1
        batch_id = f"{tag}#{seq // BATCH}"
        if batch_id in self.loader.done:
            self.stats.skipped += 1
            if self.progress:
                self.progress(name, None)
            return
        key = (format, keep_texts, tag)
        if self._batch and (key != self._batch_key or batch_id != self._batch_id):
            self._submit()
        self._batch_key, self._batch_id = key, batch_id
        self._batch.append((name, data))

    def _submit(self):
        if not self._batch:
            return
        batch, (format, keep, _), batch_id = self._batch, self._batch_key, self._batch_id
        self._batch = []
        names = [n for n, _ in batch]
        if self._pool is None:
            self._finish(_convert(batch, format, keep, self._seen), names, batch_id)
            return
        self._window.append((self._pool.apply_async(_convert, (batch, format, keep)), names, batch_id))
        if len(self._window) >= WINDOW * self.workers:
            job, names, batch_id = self._window.popleft()
            self._finish(job.get(), names, batch_id)

    def _finish(self, result, names: list[str], batch_id: str):
        """A worker's result: old graphs removed now, N-Quads buffered until ``WRITE`` bytes."""
        data, part = result
        if self._buffered_names.intersection(names) or self._writing.intersection(names):
            self._write()  # the same file twice in one load: the first copy goes in first
            self._wait()
        for name in names:
            self._remove(name)
        self._buffer.append(data)
        self._buffered += len(data)
        self._buffered_names.update(names)
        self._done.append(batch_id)
        if self.report:
            self.touched.update(names)
        self.stats.add(part)
        if self._buffered >= WRITE:
            self._write()
        if self.progress:
            for name in names:
                self.progress(name, None)

    def _write(self):
        """Hand the buffered N-Quads to the writer thread (Oxigraph's loaders let go of the
        GIL: this process goes on reading the archive meanwhile); the journal follows them."""
        self._wait()
        self.loader.flush()
        if self._buffer or self._done:
            data = b"".join(self._buffer)
            self._buffer, self._buffered = [], 0
            self._writing, self._buffered_names = self._buffered_names, set()
            done, self._done = self._done, []
            self._pending = self._writer.submit(self._load, data, done)

    def _load(self, data: bytes, done: list[str]):
        """(In the writer thread.)  The bulk loader for a big buffer, a plain (transactional)
        load for a small one, where the bulk loader's fixed cost dominates; then the journal."""
        if len(data) >= SMALL:
            self.loader.load_nquads([], data)
        elif data:
            try:
                self.ox.load(data, format=ox.RdfFormat.N_QUADS)
            except (OSError, SyntaxError) as e:
                raise StoreError(f"store write failed: {e}") from None
        if done:
            self.loader.commit(done)

    def _wait(self):
        """Wait for the write in progress (its error, if any, is raised here)."""
        pending, self._pending = self._pending, None
        self._writing = set()
        if pending is not None:
            pending.result()

    def drain(self):
        """Write every file queued so far."""
        self._submit()
        while self._window:
            job, names, batch_id = self._window.popleft()
            self._finish(job.get(), names, batch_id)
        self._write()
        self._wait()

    # -- removing --------------------------------------------------------------------------
    def _remove(self, name: str) -> bool:
        node = ox.NamedNode(uris.graph(name))
        if not self.ox.contains_named_graph(node):
            return False
        self._wait()  # no deletion while the bulk loader writes
        self.ox.remove_graph(node)
        self.removed_any = True
        return True

    def drop(self, names: Iterable[str]) -> int:
        """Remove the graphs of these files (after everything queued before)."""
        self.drain()
        n = 0
        for name in names:
            if self._remove(name):
                n += 1
                if self.report:
                    self.touched.add(name)
        self.stats.deleted += n
        return n

    def names(self, prefix: str) -> Iterator[str]:
        """Names (source labels) of the graphs in the staging store starting with ``prefix``,
        one at a time (a full dump's store holds millions)."""
        self.drain()
        self.loader.flush()
        q = (P + f"SELECT ?l WHERE {{ GRAPH ?g {{ ?s a <{PROV}Entity> ; rdfs:label ?l }} "
             f"FILTER(STRSTARTS(STR(?l), {_literal(prefix)})) }}")
        for r in select(self.ox, q):
            yield r["l"].value

    def replace_graph(self, name: str, quads: list[ox.Quad]):
        self.drain()
        self._remove(name)
        self.ox.extend(quads)

    # -- the end -----------------------------------------------------------------------------
    def close(self):
        self._stop()
        del self.ox  # the staging store is the loader's: it must close with it, before the swap

    def _stop(self):
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None
        if self._pending is not None:  # an error or Ctrl-C: let the write in progress end
            try:
                self._pending.result()
            except BaseException:
                pass
            self._pending = None
        self._writer.shutdown(wait=True)

    def finish(self):
        self.drain()
        self._stop()
        if self.removed_any:
            _prune_plans(self.ox)
        if self.report:
            self.stats.changes = _changes(self.store, self.ox, self.touched)


def _literal(value: str) -> str:
    return str(ox.Literal(value))


# --- pruning the plan of a code -------------------------------------------------------------------

def _prune_plans(store: ox.Store):
    """Remove from the code plans the sections (and codes) no article lies under any more.

    A plan graph only ever grows while files are read; after files were replaced or dropped,
    a node of the plan with no living child in the plan and no article (in any other graph)
    under it is removed, so that the plan is the one a build from the current files writes.
    """
    part_of = ox.NamedNode(ELI + "is_part_of")
    code_of = ox.NamedNode(SLX + "code")
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


# --- what changed ---------------------------------------------------------------------------------

_VERSIONS = P + """SELECT ?w ?code ?num ?key ?status ?start ?end ?text WHERE {
    ?w eli:is_realized_by ?v ; eli:number ?num . ?v slx:versionKey ?key .
    OPTIONAL { ?w slx:code ?code } OPTIONAL { ?v slx:status ?status }
    OPTIONAL { ?v eli:first_date_entry_in_force ?start } OPTIONAL { ?v eli:date_no_longer_in_force ?end }
    OPTIONAL { ?v slx:text ?text } }"""
_CHANGED_BY = P + "SELECT ?w ?t WHERE { ?w eli:changed_by ?t }"
_TITLE = P + "SELECT ?t ?title WHERE { ?t eli:title ?title }"


def _chunks(items: list, n: int = 400):
    for i in range(0, len(items), n):
        yield items[i:i + n]


def _values(var: str, uris_: Iterable[str]) -> str:
    return "VALUES ?%s { %s }" % (var, " ".join(f"<{u}>" for u in uris_))


def _with_values(query: str, block: str) -> str:
    i = query.index("WHERE {") + len("WHERE {")
    return query[:i] + " " + block + " " + query[i:]


def _works_in(store: ox.Store, graphs: list[str]) -> set[str]:
    out: set[str] = set()
    for chunk in _chunks(graphs):
        q = P + "SELECT DISTINCT ?w WHERE { %s GRAPH ?g { ?w eli:is_realized_by ?v } }" % _values("g", chunk)
        out.update(r["w"].value for r in select(store, q))
    return out


def _snapshot(store: ox.Store, works: list[str]) -> dict:
    """work -> {"code", "num", "versions": {key: (status, start, end, text hash)}, "by": set}."""
    snap: dict[str, dict] = {}
    for chunk in _chunks(works):
        for r in select(store, _with_values(_VERSIONS, _values("w", chunk)), union=True):
            w = snap.setdefault(r["w"].value, {"code": None, "num": r["num"].value, "versions": {}, "by": set()})
            if r["code"] is not None:
                w["code"] = r["code"].value
            text = r["text"].value if r["text"] is not None else ""
            w["versions"][r["key"].value] = tuple(
                r[k].value if r[k] is not None else None for k in ("status", "start", "end")) + (
                hashlib.sha1(text.encode()).hexdigest(),)
        for r in select(store, _with_values(_CHANGED_BY, _values("w", chunk)), union=True):
            if r["w"].value in snap:
                snap[r["w"].value]["by"].add(r["t"].value)
    return snap


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def text_label(uri: str, titles: dict[str, str]) -> str:
    """A readable name for an amending text's URI: its title when the store has it."""
    base = re.sub(r"/article/[^/]+$", "", uri)
    article = uri[len(base) + 9:] if uri != base else ""
    name = titles.get(base)
    if not name:
        m = re.search(r"/jorf/([^/]+)/([^/]+)$", base)
        if m and m.group(1) != "text":
            nature = {"decret": "décret", "arrete": "arrêté", "decret-loi": "décret-loi"}.get(m.group(1), m.group(1))
            name = f"{nature} n° {m.group(2)}"
        else:
            name = base.rsplit("/", 1)[-1]
    return f"{name}, art. {article}" if article else name


def _labels(targets: Iterable[str], titles: dict[str, str]) -> tuple[str, ...]:
    """Labels of amending texts; a text named with its article is not named again alone."""
    targets = sorted(set(targets))
    with_article = {re.sub(r"/article/[^/]+$", "", t) for t in targets if "/article/" in t}
    return tuple(text_label(t, titles) for t in targets if t not in with_article)


def diff(before: dict, after: dict, titles: dict[str, str] | None = None) -> list[Change]:
    """Articles added, modified, repealed or removed between two snapshots."""
    titles = titles or {}
    changes = []
    for work in sorted(set(before) | set(after)):
        b, a = before.get(work), after.get(work)
        if a is None:
            b = before[work]  # (in one snapshot at least)
            changes.append(Change("removed", work, b["code"] and b["code"].rsplit("/", 1)[-1], b["num"]))
            continue
        code = a["code"] and a["code"].rsplit("/", 1)[-1]
        new_by = sorted(a["by"] - (b["by"] if b else set()))

        def latest(versions):
            return max(versions.items(), key=lambda kv: (kv[1][1] or "", kv[0]))

        if b is None:
            _, (status, start, end, _) = latest(a["versions"])
            kind = "repealed" if (status or "").startswith("ABROGE") else "added"
            changes.append(Change(kind, work, code, a["num"], _day(end if kind == "repealed" else start),
                                  _labels(new_by, titles)))
            continue
        if a["versions"] == b["versions"] and not new_by:
            continue
        old_texts = {v[3] for v in b["versions"].values()}
        new_keys = [k for k in a["versions"] if k not in b["versions"]]
        changed_keys = [k for k in a["versions"] if k in b["versions"] and a["versions"][k] != b["versions"][k]]
        if not changed_keys and all(a["versions"][k][3] in old_texts for k in new_keys):
            continue  # the same text, now known under its Legifrance id (and its links): no change
        key, (status, start, end, _) = latest(a["versions"])
        was = latest(b["versions"])[1][0] or ""
        if (status or "").startswith("ABROGE") and not was.startswith("ABROGE"):
            changes.append(Change("repealed", work, code, a["num"], _day(end) or _day(start),
                                  _labels(new_by, titles)))
            continue
        when = [a["versions"][k][1] for k in new_keys if a["versions"][k][1]]
        when += [a["versions"][k][2] for k in changed_keys if a["versions"][k][2]]
        changes.append(Change("modified", work, code, a["num"], _day(max(when)) if when else None,
                              _labels(new_by, titles)))
    order = {"added": 0, "modified": 1, "repealed": 2, "removed": 3}
    return sorted(changes, key=lambda c: (order[c.kind], c.code or "", c.number))


def _changes(store: Store, staging: ox.Store, touched: set[str]) -> list[Change]:
    graphs = [uris.graph(n) for n in sorted(touched)]
    if not graphs:
        return []
    live = None
    if store.exists:
        store.close()
        live = ox.Store.read_only(str(store.path))
    try:
        works = _works_in(staging, graphs) | (_works_in(live, graphs) if live is not None else set())
        works_l = sorted(works)
        before = _snapshot(live, works_l) if live is not None else {}
        after = _snapshot(staging, works_l)
        targets = sorted({re.sub(r"/article/[^/]+$", "", t) for s in after.values() for t in s["by"]})
        titles = {}
        for chunk in _chunks(targets):
            for r in select(staging, _with_values(_TITLE, _values("t", chunk)), union=True):
                titles[r["t"].value] = r["title"].value
        return diff(before, after, titles)
    finally:
        live = None


def run_load(store_path, plan: Callable[[Loading], None], key: str, *, workers=None, progress=None,
             report: bool = False, stats: ArchiveStats | None = None) -> ArchiveStats:
    """Open the store (or take an open ``Store``), run ``plan(loading)`` inside one
    all-or-nothing transaction, swap it in."""
    started = time.perf_counter()
    stats = stats if stats is not None else ArchiveStats()
    store = store_path if isinstance(store_path, Store) else open_store(store_path)
    if not isinstance(store, Store):
        raise UsageError("DILA archives and Legifrance answers load into a local store, not a remote one")
    with store.transaction(key=key) as loader:
        stats.resumed = bool(loader.done)
        loading = Loading(store, loader, workers, progress, stats, report)
        try:
            plan(loading)
            loading.finish()
        finally:
            loading.close()
    stats.quads = store.count_quads()
    stats.triples = store.count()
    store.close()
    stats.seconds = time.perf_counter() - started
    return stats


# --- DILA archives ---------------------------------------------------------------------------------

_NAME = re.compile(r"^(?:Freemium_(?P<full>legi|jorf)_global_|(?P<inc>LEGI|JORF|JORFSIMPLE)_)"
                   r"(?P<stamp>\d{8}-\d{6})\.(?:tar\.gz|tgz)$", re.I)
_STAMP_DIR = re.compile(r"^\d{8}-\d{6}$")


@dataclass(frozen=True)
class ArchiveInfo:
    path: Path
    base: str  # "legi" or "jorf"
    stamp: str  # "20231207-213025"
    full: bool

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def when(self) -> datetime:
        return datetime.strptime(self.stamp, "%Y%m%d-%H%M%S")


def _peek(path: Path) -> str | None:
    """The path of the first file of a tar.gz (None if it is not one)."""
    try:
        with tarfile.open(path, mode="r|gz") as tar:
            for member in tar:
                if member.isfile():
                    return member.name
    except (tarfile.TarError, EOFError, OSError, zlib.error):
        return None
    return None


def describe(path: str | os.PathLike) -> ArchiveInfo | None:
    """What DILA archive ``path`` is (by its name, else by its first member), or None."""
    p = Path(path)
    m = _NAME.match(p.name)
    if m:
        base = (m.group("full") or m.group("inc")).lower()
        return ArchiveInfo(p, "jorf" if base.startswith("jorf") else "legi", m.group("stamp"),
                           bool(m.group("full")))
    if not p.is_file() or not p.name.lower().endswith((".tar.gz", ".tgz")):
        return None
    first = _peek(p)
    if not first:
        return None
    parts = PurePosixPath(first.removeprefix("./")).parts
    stamp = None
    if parts and _STAMP_DIR.match(parts[0]):
        stamp, parts = parts[0], parts[1:]
    if not parts or not (parts[0] in ("legi", "jorf") or parts[0].startswith("liste_suppression_")):
        return None
    base = "jorf" if parts[0] == "jorf" or "jorf" in parts[0] else "legi"
    digits = re.search(r"(\d{8}-\d{6})", p.name)
    return ArchiveInfo(p, base, stamp or (digits.group(1) if digits else "00000000-000000"), stamp is None)


def is_dila_archive(path: str | os.PathLike) -> bool:
    return describe(path) is not None


@dataclass(frozen=True)
class Member:
    """A file of the LEGI or JORF base, by its path in the base."""

    name: str  # legi/global/…/LEGIARTI….xml (without the increment's <stamp>/)
    text_id: str | None  # the LEGITEXT/JORFTEXT folder it is in
    part: str  # "article", "section_ta", "version", "struct", "cont", "other"
    code: bool  # under code_en_vigueur / code_non_vigueur (LEGI)


_TEXT_DIR = re.compile(r"/((?:LEGI|JORF)TEXT\d{12})/(article|section_ta|texte/version|texte/struct|texte)/")


def classify(name: str) -> Member:
    m = _TEXT_DIR.search(name)
    if m:
        part = {"texte/version": "version", "texte/struct": "struct", "texte": "version"}.get(m.group(2), m.group(2))
        text_id = m.group(1)
    else:
        part = "cont" if "/CONT/" in name else "other"
        text_id = None
    return Member(name, text_id, part, "/code_en_vigueur/" in name or "/code_non_vigueur/" in name)


def _members(info: ArchiveInfo) -> Iterator[tuple[str, tarfile.TarFile, tarfile.TarInfo]]:
    """(path in the base, tar, member) for every file of the archive, streamed, paths checked."""
    p = str(info.path)
    try:
        with registry.decompressed(info.path) as stream, tarfile.open(fileobj=stream, mode="r|") as tar:
            for member in tar:
                raw = member.name
                if raw.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", raw) or ".." in PurePosixPath(
                        raw.replace("\\", "/")).parts:
                    raise ReadError(f"archive member {raw[:120]!r} has an unsafe path "
                                    "(absolute or '..'); refused", p)
                if not member.isfile():
                    tar.members = []  # type: ignore[attr-defined]  # (in tarfile, not in typeshed)
                    continue
                parts = [p for p in raw.removeprefix("./").split("/") if p and p != "."]
                if parts and _STAMP_DIR.match(parts[0]):
                    parts = parts[1:]
                yield "/".join(parts), tar, member
                # tarfile keeps every member it read: memory would grow with the archive
                tar.members = []  # type: ignore[attr-defined]  # (in tarfile, not in typeshed)
            while stream.read(1 << 20):  # the gzip stream must go on to its end: a cut archive is refused
                pass
    except (tarfile.TarError, EOFError, zlib.error) as e:
        raise ReadError(f"broken or truncated archive: {e}", p) from None
    except OSError as e:
        raise ReadError(f"cannot read the archive: {e}", p) from None


def _read(tar: tarfile.TarFile, member: tarfile.TarInfo, archive: Path) -> bytes:
    registry.check_size(member.size, str(archive), f"member {member.name[:200]}")
    try:
        f = tar.extractfile(member)
        return f.read() if f is not None else b""
    except (tarfile.TarError, EOFError, zlib.error, OSError) as e:
        raise ReadError(f"broken or truncated archive at {member.name}: {e}", str(archive)) from None


def suppressions(data: bytes, name: str) -> list[str]:
    """The paths of a ``liste_suppression_*.dat`` (one a line; a trailing one-letter flag is dropped)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ReadError("suppression list is not UTF-8", name, data.count(b"\n", 0, e.start) + 1) from None
    out = []
    for i, line in enumerate(text.splitlines(), start=1):
        line = re.sub(r"\s+[A-Z]$", "", line.strip())
        if not line:
            continue
        if line.startswith("/") or ".." in PurePosixPath(line).parts or " " in line:
            raise ReadError(f"suppression list entry {line[:80]!r} is not a path of the base", name, i)
        out.append(line.removesuffix(".xml").rstrip("/"))
    return out


def legitexts() -> dict[str, list[str]]:
    """Code slug -> its LEGITEXT identifiers (two when a code was recast under the same name)."""
    from santelex.ingest.corpus_index import LEGITEXT
    out: dict[str, list[str]] = {}
    for legitext, slug in LEGITEXT.items():
        out.setdefault(slug, []).append(legitext)
    return out


_SMALL = {"de", "la", "le", "les", "des", "du", "et", "d", "l", "a", "en", "au", "aux"}


def initials() -> dict[str, str]:
    """'cgi' -> code-general-des-impots-cgi: a code's initials, when only one code has them."""
    seen: dict[str, set] = {}
    for slug in legitexts():
        words = [w for w in slug.split("-") if w not in _SMALL]
        elided = [w[1:] if re.match(r"^[ld][aeiouyh]", w) and len(w) > 4 else w for w in words]
        keys = {"".join(w[0] for w in words), "".join(w[0] for w in elided)}
        if len(words) > 2 and words[-1] == "".join(w[0] for w in words[:-1]):
            keys.add(words[-1])  # code-general-des-impots-cgi
        for key in keys:
            seen.setdefault(key, set()).add(slug)
    return {k: next(iter(v)) for k, v in seen.items() if len(v) == 1}


def resolve_codes(codes: Iterable[str] | None) -> dict[str, str] | None:
    """``--code`` values (``csp``, ``cgi``, a slug, a LEGITEXT id) -> {LEGITEXT id: slug};
    None: every code."""
    if not codes:
        return None
    from santelex.ingest.corpus_index import LEGITEXT
    by_slug = legitexts()
    out: dict[str, str] = {}
    for raw in codes:
        value = raw.strip()
        if re.fullmatch(r"LEGITEXT\d{12}", value):
            out[value] = LEGITEXT.get(value, value)
            continue
        slug = uris.CODE_ALIASES.get(value.lower()) or initials().get(value.lower()) or value.lower()
        if slug not in by_slug:
            import difflib
            near = difflib.get_close_matches(slug, list(by_slug) + list(uris.CODE_ALIASES), n=3, cutoff=0.5)
            raise UsageError(f"unknown code {raw!r}" + (f"; nearest: {', '.join(near)}" if near else
                                                         "; give its slug or LEGITEXT id"))
        for legitext in by_slug[slug]:
            out[legitext] = slug
    return out


# --- the state the store keeps about the archives it follows ---------------------------------------

STATE = "dila/state"
EVERY_CODE = "*"
_STATE_NODE = uris.BASE + "source/dila"


def read_state(store: AnyStore) -> dict:
    """{"legi": last stamp, "jorf": last stamp, "codes": slugs followed ("*": every code),
    "archives": [names applied]}."""
    state: dict[str, Any] = {"legi": "", "jorf": "", "codes": set(), "archives": []}
    if not getattr(store, "exists", False):
        return state
    q = P + f"""PREFIX prov: <{PROV}> SELECT ?label ?base ?code ?every WHERE {{
        {{ <{_STATE_NODE}> prov:wasDerivedFrom ?a . ?a rdfs:label ?label ; slx:dilaBase ?base }}
        UNION {{ <{_STATE_NODE}> slx:followedCode ?code }}
        UNION {{ <{_STATE_NODE}> slx:followsEveryCode ?every }} }}"""
    for r in store.query(q):
        if r["every"] is not None:
            state["codes"].add(EVERY_CODE)
        elif r["code"] is not None:
            state["codes"].add(r["code"].value.rsplit("/", 1)[-1])
        elif r["label"] is not None:
            info = describe(r["label"].value)
            state["archives"].append(r["label"].value)
            if info is not None:
                base = r["base"].value
                state[base] = max(state[base], info.stamp)
    return state


def _state_quads(archives: list[str], codes: set[str]) -> list[ox.Quad]:
    g = ox.NamedNode(uris.graph(STATE))
    node = ox.NamedNode(_STATE_NODE)
    out = [ox.Quad(node, RDF_TYPE, ox.NamedNode(PROV + "Entity"), g),
           ox.Quad(node, RDFS_LABEL, ox.Literal("the DILA bases (LEGI, JORF) as followed by this store"), g)]
    for name in sorted(set(archives)):
        info = describe(name)
        a = ox.NamedNode(uris.source("dila/" + name))
        out += [ox.Quad(node, ox.NamedNode(PROV + "wasDerivedFrom"), a, g),
                ox.Quad(a, RDF_TYPE, ox.NamedNode(PROV + "Entity"), g),
                ox.Quad(a, RDFS_LABEL, ox.Literal(name), g)]
        if info is not None:
            out += [ox.Quad(a, ox.NamedNode(SLX + "dilaBase"), ox.Literal(info.base), g),
                    ox.Quad(a, ox.NamedNode(PROV + "generatedAtTime"), ox.Literal(
                        info.when.isoformat(), datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#dateTime")), g)]
    for code in sorted(codes):
        if code == EVERY_CODE:
            out.append(ox.Quad(node, ox.NamedNode(SLX + "followsEveryCode"), ox.Literal(
                "true", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#boolean")), g))
            continue
        out.append(ox.Quad(node, ox.NamedNode(SLX + "followedCode"), ox.NamedNode(uris.code(code)), g))
    return out


# --- applying archives -------------------------------------------------------------------------------

def _fingerprint(paths: list[Path], *extra) -> str:
    h = hashlib.sha1(repr(extra).encode())
    for s in paths:
        st = s.stat()
        h.update(f"{s.resolve()}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def order(infos: list[ArchiveInfo]) -> list[ArchiveInfo]:
    """Date order; on the same stamp a full dump first; LEGI before JORF of the same day."""
    return sorted(infos, key=lambda i: (i.stamp[:8], i.base != "legi", i.stamp, not i.full, i.name))


def amended_texts(store: ox.Store) -> frozenset:
    """URIs of the JO texts that changed an article of the store (its eli:changed_by)."""
    rows = select(store, P + "SELECT DISTINCT ?t WHERE { ?w eli:changed_by ?t ; slx:code ?c }", union=True)
    return frozenset(re.sub(r"/article/[^/]+$", "", r["t"].value) for r in rows)


class Names:
    """A set of file names kept as 8-byte digests in one array: 8 bytes a file, for the
    millions of files of a full dump."""

    def __init__(self):
        self._new = array("Q")
        self._sorted = array("Q")

    @staticmethod
    def _key(name: str) -> int:
        return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big")

    def add(self, name: str):
        self._new.append(self._key(name))

    def __contains__(self, name: str) -> bool:
        if self._new:
            self._sorted = array("Q", sorted(self._sorted + self._new))
            self._new = array("Q")
        key = self._key(name)
        i = bisect.bisect_left(self._sorted, key)
        return i < len(self._sorted) and self._sorted[i] == key


def _apply(loading: Loading, info: ArchiveInfo, codes: dict[str, str] | None,
           keep_texts: frozenset | None, progress):
    """Stream one archive into the load: its files, then its suppressions, then (full dump)
    drop what the base no longer holds."""
    if progress:
        progress(f"start:{info.path}", None)
    base = info.base
    tag = info.stamp + ("G" if info.full else "I")
    delivered = Names()
    gone: list[str] = []
    for name, tar, member in _members(info):
        leaf = name.rsplit("/", 1)[-1]
        if leaf.startswith("liste_suppression") and leaf.endswith(".dat"):
            gone.extend(suppressions(_read(tar, member, info.path), f"{info.path}!{member.name}"))
            continue
        if not name.startswith(base + "/") or not name.lower().endswith(".xml"):
            continue
        m = classify(name)
        if base == "legi":
            if not m.code or m.part != "article":
                continue  # structure only (sections, a code's text files) or a non-codified text
            if codes is not None and m.text_id not in codes:
                continue
            loading.put(name, _read(tar, member, info.path), format="legi-xml", tag=tag)
        else:
            if m.part in ("struct", "section_ta"):
                continue
            loading.put(name, _read(tar, member, info.path), keep_texts=keep_texts, tag=tag)
        delivered.add(name)
    # suppressions apply before the files the same increment brings
    doomed: set[str] = set()
    folders = []
    for path in gone:
        if not path.startswith(base + "/"):
            continue
        folders.append(path + "/")
        doomed.add(path + ".xml")
    if folders:
        doomed |= {n for n in loading.names(base + "/") if any(n.startswith(f) for f in folders)}
    loading.drop(sorted(n for n in doomed if n not in delivered))
    if info.full:
        # a full dump is the whole base: what it does not hold (for the codes read) is gone
        stale = [n for n in loading.names(base + "/") if n not in delivered and (
            base != "legi" or codes is None or classify(n).text_id in codes)]
        loading.drop(sorted(stale))


def build(sources, store_path=None, codes: Iterable[str] | None = None,
          progress: Callable[[str, int | None], None] | None = None, workers: int | None = None,
          jorf_texts: str = "amending", report: bool = False) -> ArchiveStats:
    """Apply DILA archives (full dumps and increments, LEGI and JORF) to the store, all or nothing.

    ``codes``: the codes to keep (``csp``, slugs, LEGITEXT ids); default: those the store already
    follows for an increment, every code for a full dump.  ``jorf_texts``: ``"amending"`` (the
    texts that changed an article of the store) or ``"all"``.  ``report``: fill
    ``stats.changes`` with what changed, article by article.
    """
    paths = [Path(s) for s in sources]
    infos = []
    for p in paths:
        if not p.exists():
            raise ReadError("no such file or folder", str(p))
        info = describe(p)
        if info is None:
            raise UsageError(f"{p.name} is not a DILA LEGI/JORF archive (Freemium_legi_global_*.tar.gz, "
                             "LEGI_*.tar.gz, JORF_*.tar.gz); build it in a command of its own", str(p))
        infos.append(info)
    if jorf_texts not in ("amending", "all"):
        raise UsageError(f"jorf_texts must be 'amending' or 'all', not {jorf_texts!r}")
    wanted = resolve_codes(codes)
    store = open_store(store_path)
    if not isinstance(store, Store):
        raise UsageError("DILA archives load into a local store, not a remote one")
    state = read_state(store)
    if wanted is None and state["codes"] and EVERY_CODE not in state["codes"] and not any(
            i.full and i.base == "legi" for i in infos):
        wanted = resolve_codes(sorted(state["codes"]))  # increments follow what the store follows
    stats = ArchiveStats()
    todo = []
    for info in order(infos):
        if not info.full and info.stamp <= state[info.base]:
            stats.skipped_archives.append(info.name)  # already applied (or older than what was)
        else:
            todo.append(info)
    applied = list(state["archives"])
    followed = set(state["codes"])

    def plan(loading: Loading):
        for info in todo:
            keep = None
            if info.base == "jorf" and jorf_texts == "amending":
                loading.drain()
                loading.loader.flush()
                keep = amended_texts(loading.ox)
            _apply(loading, info, wanted, keep, progress)
            applied.append(info.name)
            stats.archives.append(info.name)
            if info.base == "legi" and info.full:
                followed.update(wanted.values() if wanted is not None else [EVERY_CODE])
        if todo:
            loading.replace_graph(STATE, _state_quads(applied, followed))

    key = _fingerprint(paths, sorted(wanted or {}), jorf_texts)
    return run_load(store, plan, key, workers=workers, progress=progress, report=report, stats=stats)


def newer(folder: str | os.PathLike, state: dict) -> list[Path]:
    """The increments in ``folder`` newer than what the store has applied (``state``:
    ``read_state``), for ``santelex update``."""
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise UsageError("no such folder of DILA archives", str(folder))
    out = []
    for p in sorted(folder.iterdir()):
        info = describe(p) if _NAME.match(p.name) else None
        if info is None or info.full:
            continue
        if info.stamp > state[info.base]:
            out.append(p)
    return out
