"""santelex's services: what the CLI (and the web pages) call.  No printing here."""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ingest import registry, uris
from ingest.to_rdf import to_quads
from santelex import paths
from santelex.model import LegalText
from santelex.store import Store

__all__ = ["BuildStats", "build", "default_sources", "graph_name", "open_store"]


@dataclass
class BuildStats:
    files: int = 0
    articles: int = 0
    texts: int = 0
    subdivisions: int = 0
    citations: int = 0
    quads: int = 0
    triples: int = 0
    seconds: float = 0.0
    sources: list[str] = field(default_factory=list)


def default_sources() -> list[Path]:
    """The bundled inputs: the two seed texts and the whole Code de la santé publique."""
    return [paths.SEEDS / "r1434-4-sros-version.md", paths.SEEDS / "decret-2005-76-jo.txt",
            paths.CSP_ARCHIVE]


def graph_name(path: Path, item_name: str) -> str:
    """A stable name for the graph of one input, independent of the current directory."""
    p = Path(path).resolve()
    try:
        rel = p.relative_to(paths.DATA)
        base = str(rel)
    except ValueError:
        base = str(p)
    if p.is_file() and Path(item_name).name == p.name and not p.name.endswith((".tar.xz", ".tar.gz", ".tgz")):
        return base
    if p.is_dir():
        return str(p.parent / item_name) if base == str(p) else str(Path(base).parent / item_name)
    return f"{base}!{item_name}"


def open_store(store_path: str | os.PathLike | None = None, read_only: bool = False) -> Store:
    return Store(store_path or paths.default_store(), read_only=read_only)


def _count(doc) -> tuple[int, int, int]:
    arts = list(doc.articles) + list(doc.inserted) if isinstance(doc, LegalText) else [doc]
    subs = sum(1 for a in arts for _ in a.walk())
    cites = sum(len(a.all_references) for a in arts)
    if isinstance(doc, LegalText):
        cites += len(doc.visa_references)
    return len(arts), subs, cites


def build(sources=None, store_path=None, format: str | None = None,
          progress: Callable[[str, int | None], None] | None = None) -> BuildStats:
    """Read every source into the store, all or nothing.  ``progress(name, total)`` per file."""
    started = time.perf_counter()
    sources = [Path(s) for s in (sources or default_sources())]
    for s in sources:
        if not s.exists():
            from santelex.errors import ReadError
            raise ReadError("no such file or folder", str(s))
    bundled_corpus = {paths.CSP_ARCHIVE.resolve()}
    stats = BuildStats()
    store = open_store(store_path)
    with store.transaction() as loader:
        for source in sources:
            in_force = True if source.resolve() in bundled_corpus else None
            total = registry.count_members(source)
            if progress:
                progress(f"start:{source}", total)
            for item in registry.iter_inputs(source):
                name = graph_name(source, item.name)
                quads = []
                for doc in registry.read_input(item, format):
                    quads.extend(to_quads(doc, name, in_force=in_force))
                    a, s, c = _count(doc)
                    stats.articles += a
                    stats.subdivisions += s
                    stats.citations += c
                    stats.texts += isinstance(doc, LegalText)
                loader.replace_graph(uris.graph(name), quads)
                stats.files += 1
                if progress:
                    progress(item.name, None)
            stats.sources.append(str(source))
        loader.flush()
    stats.quads = store.count_quads()
    stats.triples = store.count()
    store.close()
    stats.seconds = time.perf_counter() - started
    return stats
