"""santelex's services: what the CLI (and the web pages) call.  No printing here."""
from __future__ import annotations

import hashlib
import multiprocessing as mp
import os
import re
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import pyoxigraph as ox

from ingest import registry, uris
from ingest.to_rdf import to_quads
from santelex import paths
from santelex.errors import ReadError
from santelex.model import LegalText
from santelex.store import Store

__all__ = ["BuildStats", "build", "default_sources", "graph_name", "open_store"]

#: inputs per batch sent to a worker process
BATCH = 256


@dataclass
class BuildStats:
    files: int = 0
    skipped: int = 0
    articles: int = 0
    texts: int = 0
    subdivisions: int = 0
    citations: int = 0
    quads: int = 0
    triples: int = 0
    seconds: float = 0.0
    resumed: bool = False
    sources: list[str] = field(default_factory=list)

    def add(self, other: "BuildStats"):
        for name in ("files", "articles", "texts", "subdivisions", "citations"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def default_sources() -> list[Path]:
    """The bundled inputs: the two seed texts, the whole Code de la santé publique, and
    santelex's own vocabularies (ontology/**/*.ttl, shapes/**/*.ttl) so queries can use them."""
    return [paths.SEEDS / "r1434-4-sros-version.md", paths.SEEDS / "decret-2005-76-jo.txt",
            paths.CSP_ARCHIVE, *vocabularies()]


def vocabularies() -> list[Path]:
    return sorted(paths.ONTOLOGY.rglob("*.ttl")) + sorted(paths.SHAPES.rglob("*.ttl"))


#: RDF files are loaded as they are, into the graph of their file
RDF_SUFFIXES = {".ttl": ox.RdfFormat.TURTLE, ".nt": ox.RdfFormat.N_TRIPLES,
                ".nq": ox.RdfFormat.N_QUADS, ".trig": ox.RdfFormat.TRIG,
                ".rdf": ox.RdfFormat.RDF_XML, ".jsonld": ox.RdfFormat.JSON_LD}


def _rdf_quads(name: str, display: str, data: bytes) -> list[ox.Quad]:
    fmt = RDF_SUFFIXES[Path(display).suffix.lower()]
    graph = ox.NamedNode(uris.graph(name))
    try:
        parsed = list(ox.parse(data, format=fmt, base_iri=uris.BASE))
    except SyntaxError as e:
        line = getattr(e, "lineno", None)
        raise ReadError(f"not valid {fmt.name}: {e.msg if hasattr(e, 'msg') else e}", display, line) from None
    out = []
    for q in parsed:
        g = q.graph_name if isinstance(q, ox.Quad) and not isinstance(q.graph_name, ox.DefaultGraph) else graph
        out.append(ox.Quad(q.subject, q.predicate, q.object, g))
    return out


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


def open_store(store_path: str | os.PathLike | None = None, read_only: bool = False):
    target = str(store_path) if store_path is not None else os.environ.get("SANTELEX_STORE", "")
    remote = re.match(r"sparql\+(https?):/+(.*)$", target)  # a Path folds "//" into "/"
    if remote:
        from santelex.remote import RemoteStore
        return RemoteStore(f"{remote.group(1)}://{remote.group(2)}", read_only=read_only)
    return Store(store_path or paths.default_store(), read_only=read_only)


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


def _convert(batch: list[tuple[str, str, bytes]], format: str | None, in_force: bool | None,
             seen: set | None = None):
    """Parse a batch of (graph name, display name, bytes) -> (graph URIs, N-Quads, stats)."""
    seen = _SEEN if seen is None else seen
    stats = BuildStats()
    quads: list[ox.Quad] = []
    graphs = []
    for name, display, data in batch:
        if Path(display).suffix.lower() in RDF_SUFFIXES and not format:
            quads.extend(_rdf_quads(name, display, data))
            graphs.append(uris.graph(name))
            stats.files += 1
            continue
        item = registry.Input(display, data)
        for doc in registry.read_input(item, format):
            quads.extend(to_quads(doc, name, in_force=in_force, seen=seen))
            stats.add(_count(doc))
        graphs.append(uris.graph(name))
        stats.files += 1
    return graphs, ox.serialize(quads, format=ox.RdfFormat.N_QUADS), stats


def _batches(sources, done: set, stats: BuildStats, format, progress) -> Iterator:
    for source in sources:
        in_force = True if source.resolve() == paths.CSP_ARCHIVE.resolve() else None
        if progress:
            progress(f"start:{source}", registry.count_members(source))
        batch: list[tuple[str, str, bytes]] = []
        for item in registry.iter_inputs(source):
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
          workers: int | None = None, codes=None) -> BuildStats:
    """Read every source into the store, all or nothing, resumable after an interruption.

    Inputs are parsed and mapped to RDF in ``workers`` processes (default: one per core)
    while this process loads their N-Quads into the staging store.  ``progress(name,
    total)`` is called with ``start:<source>`` and the number of files it holds (or None),
    then once per file.  DILA's LEGI/JORF archives (full dumps, daily increments) go to
    santelex/archives.py, which keeps only ``codes`` (default: every code).
    """
    started = time.perf_counter()
    sources = [Path(s) for s in (sources or default_sources())]
    for s in sources:
        if not s.exists():
            raise ReadError("no such file or folder", str(s))
    from santelex import archives
    if codes or any(archives.is_dila_archive(s) for s in sources):
        return archives.build(sources, store_path, codes=codes, progress=progress, workers=workers)
    if format:
        registry.get(format)
    workers = workers or os.cpu_count() or 1
    stats = BuildStats()
    store = open_store(store_path)
    with store.transaction(key=_fingerprint(sources, format)) as loader:
        stats.resumed = bool(loader.done)
        batches = _batches(sources, loader.done, stats, format, progress)

        def finish(graphs, data, part: BuildStats, names):
            loader.load_nquads(graphs, data)
            loader.commit(names)
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
            from ingest import corpus_index
            corpus_index.default()  # load once here; forked workers share it
            ctx = mp.get_context("fork")
            with ctx.Pool(workers, initializer=_fresh_worker) as pool:
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
