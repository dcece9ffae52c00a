"""The verbs of santelex's public API, re-exported by the package (``santelex.build(…)``).

Each verb is a thin call into the layer that does the work (the builder, the sources, the
validation, the services, the store) and returns data; none prints.  The command line makes
the same calls and prints their results.  A ``store`` argument is a store folder, a
``sparql+http(s)://…`` address, ``None`` (``$SANTELEX_STORE`` or the default folder) or a
store already opened with :func:`open_store`; a store a verb opens itself it also closes.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator

if TYPE_CHECKING:  # the types only: importing santelex loads nothing else
    from datetime import date

    from santelex.builder.stats import BuildStats
    from santelex.services.cite import Citation
    from santelex.services.query import Result
    from santelex.sources import Fetch
    from santelex.sources.legifrance import Config
    from santelex.sources.update import UpdateResult
    from santelex.validation.report import Report

Progress = Callable[[str, "int | None"], None]


def open_store(store=None, read_only: bool = False):
    """Open the embedded Oxigraph store (a folder) or a SPARQL 1.1 server (``sparql+http://…``)."""
    from santelex.store import open_store as _open

    return _open(store, read_only=read_only)


@contextmanager
def _opened(store, read_only: bool = True) -> Iterator[Any]:
    if hasattr(store, "query"):  # already open: the caller's to close
        yield store
        return
    st = open_store(store, read_only=read_only)
    try:
        yield st
    finally:
        st.close()


def build(sources: Iterable | None = None, store=None, *, format: str | None = None,
          codes: Iterable[str] | None = None, snapshot: "date | None" = None,
          progress: Progress | None = None, workers: int | None = None) -> "BuildStats":
    """Read legal texts (files, folders, archives; default: the seeds and the CSP) into the
    store, all or nothing, resumable after an interruption."""
    from santelex.builder import build as _build

    return _build(list(sources) if sources is not None else None, store, format=format, codes=codes,
                  snapshot=snapshot, progress=progress, workers=workers)


def fetch(*what: str, codes: Iterable[str] = (), store=None, config: "Config | None" = None,
          versions: bool | None = None, refresh: bool = False, progress: Progress | None = None) -> "Fetch":
    """Get articles, texts or whole codes from Legifrance's API and load them into the store."""
    from santelex.sources import fetch as _fetch

    return _fetch(*what, codes=codes, store=store, config=config, versions=versions, refresh=refresh,
                  progress=progress)


def update(store=None, *, config: "Config | None" = None, source: str | None = None, archives=None,
           progress: Progress | None = None) -> "UpdateResult":
    """Bring the store up to date from Legifrance's API or from newer DILA archives."""
    from santelex.sources.update import update as _update

    return _update(store, config, source, archives, progress)


def validate(annex, shapes=None, *, law: "date | None" = None, engine: str = "fast") -> "Report":
    """Validate an annex of objectifs quantifiés (a folder of CSV files, a workbook, or a list
    of them) against the rule set in force at its date (or at ``law``), or any RDF data
    against ``shapes``."""
    from santelex.validation import validate as _validate

    return _validate(annex, shapes, engine=engine, law=law)


def query(query: str, store=None, *, params: dict[str, str] | None = None, timeout: float | None = None,
          max_results: int | None = None) -> "Result":
    """Run a named query (by name, as ``santelex query --list`` lists them) or SPARQL text;
    ``params`` are the named query's parameters as a user writes them (``article="CSP R1434-4"``)."""
    from santelex.services import query as q

    nq = q.named_or_text(query)
    with _opened(store) as st:
        bindings = q.bind(nq, dict(params or {}), st)
        return q.execute(st, nq.text, bindings, timeout=timeout, max_results=max_results, file=nq.file)


def cite(article: str, store=None, *, cited_by: bool = False) -> "list[Citation]":
    """The citations an article makes (or, with ``cited_by=True``, those made of it)."""
    from santelex.lookup import known_article
    from santelex.services import cite as c

    with _opened(store) as st:
        uri = known_article(st, article)
        return c.cited_by(st, uri) if cited_by else c.cites(st, uri)


def show(article: str, store=None) -> str:
    """An article as ``santelex show`` prints it: hierarchy, subdivisions, versions, citations."""
    from santelex.services import show as s

    with _opened(store) as st:
        return s.render(st, article)
