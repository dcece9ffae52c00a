"""Citation lookups (``santelex cite``) and the extraction of references from files.

Lookups read the store: the ``slx:Citation`` nodes (surface text, offsets, pinpoint,
provenance) and ``eli:cites``.  Closure and path questions use a networkx ``DiGraph`` of
the article-to-article citations, built from the store when first asked.  Whether a cited
article still exists is answered by the index of the corpus (``ingest/corpus_index.py``):
a citation whose target is not (or no longer) in its code is *dangling*.

``extract`` runs the resolver on files and yields one record per reference, with exactly
the fields other tools read: source, start, end, text, target, pinpoint, resolved, exists,
reason.  No printing here.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import networkx as nx
from pyoxigraph import NamedNode

from santelex import uris, vocab
from santelex.errors import UsageError
from santelex.ingest import corpus_index, registry
from santelex.ingest.citations.resolve import exists as ref_exists
from santelex.ingest.citations.resolve import resolve_text
from santelex.model import Article, LegalText, Reference

P = vocab.sparql_prefixes("eli", "slx")
_ARTICLE_PART = "/article/"


def code_article(uri: str) -> tuple[str, str] | None:
    """(code slug, article number) of a code article's URI (work, version or subdivision), else None."""
    p = uris.parse(uri)
    return (p.code, p.number) if p is not None and p.code is not None and p.number is not None else None


@dataclass(frozen=True)
class Citation:
    """One citation read from the store."""

    source: str  # URI of the citing work
    target: str | None  # URI of the cited work
    pinpoint: str | None
    surface: str
    provenance: str
    resolved: bool
    reason: str | None = None


_ALL = ("surface", "provenance", "citingWork", "cited", "pinpoint", "resolved", "reason")


def _rows(store, where: str, bindings: dict, props=_ALL, target: str | None = None) -> list[Citation]:
    """The citations ``where`` selects (as ``?c``), each property fetched by one pattern: faster
    in Oxigraph than one OPTIONAL per property."""
    values = " ".join(f"slx:{p}" for p in props)
    rows = store.query(P + f"""SELECT ?c ?p ?o WHERE {{ {where}
        VALUES ?p {{ {values} }} ?c ?p ?o }}""", bindings)
    found: dict[str, dict] = {}
    for r in rows:
        found.setdefault(r["c"].value, {})[r["p"].value[len(vocab.SLX):]] = r["o"].value
    out = []
    seen = set()
    for d in found.values():
        if "surface" not in d or "citingWork" not in d:
            continue
        c = Citation(d["citingWork"], d.get("cited", target), d.get("pinpoint"), d["surface"], d.get("provenance", ""),
                     d.get("resolved", "true") == "true", d.get("reason"))
        key = (c.source, c.target, c.pinpoint, c.surface, c.provenance)
        if key not in seen:  # the same article read from two files (seed and corpus)
            seen.add(key)
            out.append(c)
    out.sort(key=lambda c: (c.target is None, uris.name(c.target or ""), c.pinpoint or "", c.surface))
    return out


def cites(store, work: str) -> list[Citation]:
    """What an article cites: every citation whose citing work is ``work``."""
    return _rows(store, "?c slx:citingWork ?w .", {"w": NamedNode(work)})


def cited_by(store, work: str) -> list[Citation]:
    """What cites an article: every citation whose cited work is ``work``."""
    rows = _rows(store, "?c slx:cited ?w .", {"w": NamedNode(work)},
                 ("surface", "provenance", "citingWork", "pinpoint"), work)
    return sorted(rows, key=lambda c: (uris.name(c.source), c.pinpoint or "", c.surface))


def graph(store) -> nx.DiGraph:
    """Work-to-work citations as a directed graph; edges carry how many citations they stand for."""
    g = nx.DiGraph()
    rows = store.query(P + """SELECT ?a ?b (COUNT(?c) AS ?n) WHERE {
        ?c slx:citingWork ?a ; slx:cited ?b . FILTER(?a != ?b) } GROUP BY ?a ?b""")
    for r in rows:
        g.add_edge(r["a"].value, r["b"].value, weight=int(r["n"].value))
    return g


def closure(g: nx.DiGraph, work: str, depth: int, reverse: bool = False) -> dict[str, int]:
    """Works reachable from ``work`` in at most ``depth`` citations (cited-by when ``reverse``)."""
    if work not in g:
        return {}
    view = g.reverse(copy=False) if reverse else g
    lengths = nx.single_source_shortest_path_length(view, work, cutoff=depth)
    lengths.pop(work, None)
    return dict(sorted(lengths.items(), key=lambda kv: (kv[1], uris.name(kv[0]))))


def path(g: nx.DiGraph, a: str, b: str) -> tuple[list[str], bool] | None:
    """The shortest citation path from ``a`` to ``b`` (or, failing that, from ``b`` to ``a``,
    then the flag is True); None when neither exists."""
    for src, dst, flipped in ((a, b, False), (b, a, True)):
        if src in g and dst in g:
            try:
                return nx.shortest_path(g, src, dst), flipped
            except nx.NetworkXNoPath:
                continue
    return None


@dataclass(frozen=True)
class Dangling:
    source: str
    target: str
    pinpoint: str | None
    surface: str
    provenance: str


def dangling(store, work: str | None = None, index=None) -> list[Dangling]:
    """Citations of code articles that the code does not (or no longer) have, per the index."""
    index = index or corpus_index.default()
    where = "?c slx:citingWork ?w ." if work else ""
    rows = store.query(P + f"""SELECT DISTINCT ?src ?target ?pin ?surface ?prov WHERE {{
        {where} ?c slx:cited ?target ; slx:citingWork ?src ; slx:surface ?surface ; slx:provenance ?prov .
        OPTIONAL {{ ?c slx:pinpoint ?pin }} }}""", {"w": NamedNode(work)} if work else None)
    out = []
    for r in rows:
        hit = code_article(r["target"].value)
        if hit is None or index.exists(*hit) is not False:
            continue
        out.append(Dangling(r["src"].value, r["target"].value, r["pin"].value if r["pin"] else None,
                            r["surface"].value, r["prov"].value))
    out.sort(key=lambda d: (uris.name(d.target), uris.name(d.source), d.surface))
    return out


# -- extraction from files --------------------------------------------------------------------

FIELDS = ("source", "start", "end", "text", "target", "pinpoint", "resolved", "exists", "reason")


def record(source: str, ref: Reference, offset: int = 0, index=None) -> dict:
    """One JSON line of ``santelex cite extract``: exactly ``FIELDS``, in that order."""
    target = ref.target
    pin = list(ref.pinpoint)
    if ref.target_text and ref.target_article:
        pin.insert(0, f"article {ref.target_article}")  # jorf/ordonnance-2003-850, article 12
    if target is None and ref.target_code:
        target = ref.target_code  # a division of a code: the levels are the pinpoint
    return {"source": source, "start": ref.start + offset, "end": ref.end + offset, "text": ref.text,
            "target": target if ref.resolved else None, "pinpoint": ", ".join(pin) or None,
            "resolved": ref.resolved, "exists": ref_exists(ref, index) if ref.resolved else None,
            "reason": ref.reason}


def _article_records(source: str, paragraphs, code: str | None, ctx: dict, index) -> Iterator[dict]:
    offset = 0
    for p in paragraphs:
        for ref in resolve_text(p, code, ctx):
            yield record(source, ref, offset, index)
        offset += len(p) + 1


def _document_records(doc, index) -> Iterator[dict]:
    if isinstance(doc, Article):
        if doc.code:
            source = f"{doc.code}/{doc.number}"
        else:
            source = f"jorf/{doc.text_id or 'text'}/{doc.number}"
        yield from _article_records(source, doc.paragraphs, doc.code, {"article": doc.number}, index)
        return
    if not isinstance(doc, LegalText):
        return
    me = f"jorf/{doc.nature}-{doc.number}" if doc.number else f"jorf/{doc.jorf_id or doc.nor or 'text'}"
    code = None
    for r in resolve_text(doc.title, None, {}):
        if r.target_code:
            code = r.target_code
            break
    ctx = {"code": code, "text": me, "articles": tuple(a.number for a in doc.inserted)}
    for i, visa in enumerate(doc.visas):
        for ref in resolve_text(visa, None, ctx):
            yield record(f"{me}/visas", ref, sum(len(v) + 1 for v in doc.visas[:i]), index)
    for art in doc.articles:
        ctx["article"] = art.number
        # the article's own paragraphs: those of its subdivision tree (the text it quotes into
        # a code is read below, as the code's articles)
        own = max((sub.alinea for _, sub in art.walk()), default=len(art.paragraphs))
        offset = 0
        for p in art.paragraphs[:own]:
            for ref in resolve_text(p, None, ctx):
                yield record(f"{me}/{art.number}", ref, offset, index)
            offset += len(p) + 1
    for art in doc.inserted:
        yield from _article_records(f"{art.code}/{art.number}", art.paragraphs, art.code,
                                    {"article": art.number, "code": art.code}, index)


def extract(paths, format: str | None = None, skipped: list[str] | None = None) -> Iterator[dict]:
    """Every reference found in the files, folders or archives named (see ``FIELDS``).

    Offsets are into the article's text (its paragraphs joined by newlines; for a JO text's
    visas, the visas joined by newlines).  Legifrance's ``<a>`` links are not used: only what
    the text says is resolved.  Files of a folder in no known format are passed over, their
    names added to ``skipped``.
    """
    index = corpus_index.default()
    for path in paths:
        if not Path(path).exists():
            raise UsageError("no such file or folder", str(path))
        for item in registry.iter_inputs(path, skipped):  # nothing readable: ReadError
            for doc in registry.read_input(item, format):
                yield from _document_records(doc, index)


__all__ = ["Citation", "Dangling", "FIELDS", "cites", "cited_by", "closure", "dangling", "extract",
           "graph", "path", "record"]
