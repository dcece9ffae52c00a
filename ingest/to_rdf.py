"""Article model -> RDF (ELI for the law, PROV-O for provenance), written as N-Quads.

Pure: a document in, N-Quads text out, all in one named graph per source file so that
re-reading the file replaces exactly what it said before.  Nothing here reads files or
touches a store.  Terms are written straight in their N-Triples form (``<iri>``,
``"text"@fr``, ``"3"^^<…#integer>``): a build hands the text to Oxigraph's bulk loader
without building a term object per quad; ``to_quads`` parses the same text into pyoxigraph
quads for callers that want objects.  IRIs are minted by ``santelex.uris`` (percent-encoded,
valid by construction); the few taken from a source as they are (a text's ELI, a LEGIARTI
identifier) go through ``pyoxigraph.NamedNode``, which refuses an invalid one.

For a code article ``A``:
    A  a eli:LegalResourceSubdivision ; eli:is_part_of <section> ; eli:number "R1434-4" ;
       eli:id_local "R1434-4" ; eli:is_realized_by A/version/k ; eli:cites <target article>.
    A/version/k  a eli:LegalExpression ; eli:realizes A ; slx:text "…"@fr ;
       eli:first_date_entry_in_force … ; slx:status "VIGUEUR" ; eli:has_part <subdivisions>.
    A/version/k/I/1  a eli:LegalResourceSubdivision ; eli:realizes A/I/1 ; slx:text "…"@fr ;
       eli:number "1°" ; slx:kind "numero" ; slx:alinea 2 ; slx:order 2 ; eli:cites <target>.
    A/version/k/citation/n  a slx:Citation ; slx:citingSubdivision … ; slx:cited … ;
       slx:surface "…"@fr ; slx:start 62 ; slx:end 71 ; slx:provenance "legifrance-link" ;
       prov:wasDerivedFrom <source file>.
"""
from __future__ import annotations

import re
from datetime import date
from functools import lru_cache

from pyoxigraph import NamedNode, Quad, RdfFormat, parse

from santelex import uris
from santelex.errors import ReadError
from santelex.ingest.citations.pinpoint import key as pinpoint_key
from santelex.model import Amendment, Article, Document, LegalText, Reference, Subdivision
from santelex.vocab import ELI, OWL, PROV, RDF, RDFS, SLX, XSD


def iri(value: str) -> str:
    """An IRI minted by santelex.uris, in N-Triples form."""
    return f"<{value}>"


def foreign_iri(value: str) -> str:
    """An IRI read from a source: checked by Oxigraph (ValueError if it is not one)."""
    return str(NamedNode(value))


def E(local: str) -> str:
    return f"<{ELI}{local}>"


def S(local: str) -> str:
    return f"<{SLX}{local}>"


RDF_TYPE = f"<{RDF}type>"
OWL_SAMEAS = f"<{OWL}sameAs>"
RDFS_LABEL = f"<{RDFS}label>"
DERIVED_FROM = f"<{PROV}wasDerivedFrom>"
LEGAL_RESOURCE = E("LegalResource")
SUBDIVISION = E("LegalResourceSubdivision")
EXPRESSION = E("LegalExpression")
CITATION = S("Citation")
FR = "<http://publications.europa.eu/resource/authority/language/FRA>"
IS_PART_OF, HAS_PART, REALIZES, CITES = E("is_part_of"), E("has_part"), E("realizes"), E("cites")
NUMBER, TEXT, KIND, ALINEA, ORDER = E("number"), S("text"), S("kind"), S("alinea"), S("order")
_INTEGER = f"^^<{XSD}integer>"
_TRUE, _FALSE = f'"true"^^<{XSD}boolean>', f'"false"^^<{XSD}boolean>'
CITING_WORK, CITING_SUBDIVISION, SURFACE = S("citingWork"), S("citingSubdivision"), S("surface")
START, END, PROVENANCE, RESOLVED, LINK = S("start"), S("end"), S("provenance"), S("resolved"), S("link")
REASON, PINPOINT, CITED, CITED_SUBDIVISION = S("reason"), S("pinpoint"), S("cited"), S("citedSubdivision")
_DATE = f"^^<{XSD}date>"

#: what N-Triples strings must escape: the quote, the backslash, line ends; other control
#: characters are written as \\uXXXX so that no reader of the text trips on them
_SPECIAL = re.compile(r'[\x00-\x1f"\\\x7f]')
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape_char(m: re.Match) -> str:
    c = m.group()
    return _ESCAPES.get(c) or f"\\u{ord(c):04X}"


def _string(text: str) -> str:
    if _SPECIAL.search(text) is None:
        return f'"{text}"'
    return '"' + _SPECIAL.sub(_escape_char, text) + '"'


def fr(text: str) -> str:
    return _string(text) + "@fr"


def lit(value) -> str:
    if isinstance(value, bool):
        return _TRUE if value else _FALSE
    if isinstance(value, int):
        return f'"{value}"{_INTEGER}'
    if isinstance(value, date):
        return f'"{value.isoformat()}"{_DATE}'
    return _string(str(value))


class _Emitter:
    """Collects N-Quads lines; ``add`` writes into the document's graph."""

    def __init__(self, graph: str, seen: set | None = None):
        self.tail = tail = f" <{graph}> .\n"
        self.lines: list[str] = []
        self.seen = seen if seen is not None else set()
        append = self.lines.append

        def add(s: str, p: str, o: str):  # (a closure: a hundred calls an article)
            append(f"{s} {p} {o}{tail}")

        self.add = add

    def add_to(self, graph: str, s: str, p: str, o: str):
        self.lines.append(f"{s} {p} {o} {graph} .\n")


def reference_target(ref: Reference) -> tuple[str | None, str | None]:
    """URIs of (target work, target subdivision of the work when there is a pinpoint)."""
    if not ref.resolved or not ref.target:
        return None, None
    target = uris.target_of(ref.target)
    if target is None:
        return None, None
    if ref.target_text and ref.target_article and not ref.target_code:
        target = uris.text_article(target, ref.target_article)  # "l'article 12 de l'ordonnance …"
    if ref.pinpoint:
        path = tuple(pinpoint_key(p) for p in ref.pinpoint)
        if path and path[0].startswith("phrase-"):
            path = ()
        path = tuple(p for p in path if not p.startswith("phrase-"))
        if path:
            return target, uris.subdivision(target, path)
    return target, None


def _citation(out: _Emitter, holder: str, n: int, ref: Reference, citing_work: str,
              citing_node: str, source: str):
    node = f"<{holder}/citation/{n}>"
    add = out.add
    add(node, RDF_TYPE, CITATION)
    add(node, CITING_WORK, citing_work)
    add(node, CITING_SUBDIVISION, citing_node)
    add(node, SURFACE, fr(ref.text))
    add(node, START, lit(ref.start))
    add(node, END, lit(ref.end))
    add(node, PROVENANCE, lit(ref.provenance))
    add(node, RESOLVED, lit(ref.resolved))
    add(node, DERIVED_FROM, source)
    if ref.link:
        add(node, LINK, lit(ref.link))
    if ref.reason:
        add(node, REASON, lit(ref.reason))
    if ref.pinpoint:
        add(node, PINPOINT, lit(", ".join(ref.pinpoint)))
    work, sub = reference_target(ref)
    if work is not None:
        work = iri(work)
        add(node, CITED, work)
        add(citing_work, CITES, work)
        if sub is not None:
            sub = iri(sub)
            add(node, CITED_SUBDIVISION, sub)
            add(sub, IS_PART_OF, work)
            add(sub, RDF_TYPE, SUBDIVISION)
            add(citing_node, CITES, sub)
        else:
            add(citing_node, CITES, work)


def _subdivisions(out: _Emitter, work: str, expr: str, parent_expr: str,
                  subs: tuple[Subdivision, ...], prefix: tuple[str, ...], counter: list[int],
                  citing_work: str, source: str):
    add = out.add
    work_node = iri(work)
    for sub in subs:
        path = (sub.key,) if sub.kind == "alinea" else prefix + (sub.key,)
        node = iri(uris.subdivision(expr, path))
        abstract = iri(uris.subdivision(work, path))
        add(node, RDF_TYPE, SUBDIVISION)
        add(node, IS_PART_OF, parent_expr)
        add(parent_expr, HAS_PART, node)
        add(node, REALIZES, abstract)
        add(abstract, RDF_TYPE, SUBDIVISION)
        add(abstract, IS_PART_OF, work_node)
        add(node, TEXT, fr(sub.text))
        add(node, KIND, lit(sub.kind))
        alinea = lit(sub.alinea)
        add(node, ALINEA, alinea)
        add(node, ORDER, alinea)
        if sub.label:
            add(node, NUMBER, lit(sub.label))
        for ref in sub.references:
            counter[0] += 1
            _citation(out, expr, counter[0], ref, citing_work, node, source)
        _subdivisions(out, work, expr, node, sub.children, path, counter, citing_work, source)


def _hierarchy(out: _Emitter, art: Article) -> str:
    """The plan of the code (code > partie > … > section) in the code's own 'plan' graph.

    Shared by every article of the code, so written once per build (``out.seen``) into a
    graph that re-reads only ever add to: the same heading gives the same quads.
    """
    code_uri, plan = _code(art.code)
    code = iri(code_uri)
    parent, path = code, ()
    if code_uri not in out.seen:
        out.seen.add(code_uri)
        out.add_to(plan, code, RDF_TYPE, LEGAL_RESOURCE)
        out.add_to(plan, code, E("id_local"), lit(art.code))
    for heading in art.hierarchy:
        path = path + (heading.slug or heading.title,)
        node_uri = _section(art.code, path)
        node = iri(node_uri)
        if node_uri not in out.seen:
            out.seen.add(node_uri)
            out.add_to(plan, node, RDF_TYPE, SUBDIVISION)
            out.add_to(plan, node, IS_PART_OF, parent)
            out.add_to(plan, parent, HAS_PART, node)
            out.add_to(plan, node, E("title"), fr(heading.title))
            out.add_to(plan, node, S("level"), lit(heading.level))
        parent = node
    return parent


@lru_cache(maxsize=1024)
def _code(slug: str) -> tuple[str, str]:
    """A code's URI and its plan graph (in N-Triples form): once per code, not per article."""
    return uris.code(slug), iri(uris.graph("plan/" + slug))


#: the URI of a section of a code's plan, by its path: the articles of a section share it
_section = lru_cache(maxsize=16384)(uris.section)

#: the graph of a source file, asked for by the build and by ``to_nquads`` (a SHA-1 each time)
graph_of = lru_cache(maxsize=4096)(uris.graph)


def article_quads(art: Article, out: _Emitter, source: str, text_uri: str | None = None,
                  in_force: bool | None = None) -> str:
    """Write one article (work, version, subdivisions, citations); its work URI."""
    if art.code:
        work = uris.article(art.code, art.number)
        container = _hierarchy(out, art)
    elif text_uri is None:
        src = art.source
        raise ReadError(f"article {art.number[:40]}: no code to place it in (a lone Markdown file takes "
                        "its code from its Legifrance links, and it has none); put it in a folder "
                        "named after its code, e.g. code-de-la-sante-publique/",
                        src.file if src else None, src.line if src else None)
    else:
        work = uris.text_article(text_uri, art.number)
        container = iri(text_uri)
    w = iri(work)
    add = out.add
    add(w, RDF_TYPE, SUBDIVISION)
    add(w, S("kindOfResource"), lit("article"))
    add(w, IS_PART_OF, container)
    add(container, HAS_PART, w)
    add(w, NUMBER, lit(art.number))
    add(w, E("id_local"), lit(art.number))
    if art.code:
        add(w, S("code"), iri(_code(art.code)[0]))
    text = art.text
    key = uris.version_key(art.legiarti, art.version, text)
    expr = uris.version(work, key)
    x = iri(expr)
    add(w, E("is_realized_by"), x)
    add(x, RDF_TYPE, EXPRESSION)
    add(x, REALIZES, w)
    add(x, E("language"), FR)
    add(x, TEXT, fr(text))
    add(x, S("versionKey"), lit(key))
    add(x, DERIVED_FROM, source)
    if art.legiarti:
        add(x, E("id_local"), lit(art.legiarti))
        add(x, OWL_SAMEAS, foreign_iri(f"https://www.legifrance.gouv.fr/codes/article_lc/{art.legiarti}"))
    if art.status:
        add(x, S("status"), lit(art.status))
    if art.start:
        add(x, E("first_date_entry_in_force"), lit(art.start))
    if art.end:
        add(x, E("date_no_longer_in_force"), lit(art.end))
    if art.title:
        add(x, E("title"), fr(art.title))
    if art.nota:
        add(x, S("nota"), fr(art.nota))
    if in_force is not None:
        add(x, S("inForceInSnapshot"), lit(in_force))
    for ref in art.changed_by:
        if not ref.target_text:
            continue
        by_text = uris.target_of(ref.target_text)
        for by in ([by_text, uris.text_article(by_text, ref.target_article)]
                   if ref.target_article else [by_text]):
            add(w, E("changed_by"), iri(by))
            add(iri(by), E("changes"), w)
    counter = [0]
    for ref in art.references:
        counter[0] += 1
        _citation(out, expr, counter[0], ref, w, x, source)
    _subdivisions(out, work, expr, x, art.subdivisions, (), counter, w, source)
    return work


_NATURE_TYPE = {"decret": "DECREE", "ordonnance": "ORDINANCE", "loi": "LAW", "arrete": "ORDER"}


def _amendment(out: _Emitter, text_uri: str, n: int, am: Amendment):
    node = iri(f"{text_uri}/amendment/{n}")
    by = iri(uris.text_article(text_uri, am.by_article))
    out.add(node, RDF_TYPE, S("Amendment"))
    out.add(node, S("amendmentKind"), lit(am.kind))
    out.add(node, S("byArticle"), by)
    if am.place:
        out.add(node, S("place"), fr(am.place))
    if am.in_force:
        out.add(node, E("first_date_entry_in_force"), lit(am.in_force))
    if am.until:
        out.add(node, E("date_no_longer_in_force"), lit(am.until))
    if am.condition:
        out.add(node, S("condition"), fr(am.condition))
    for t in am.targets:
        target = iri(uris.article(am.code, t) if am.code else uris.text_article(text_uri, t))
        out.add(node, S("target"), target)
        if am.kind in ("replace", "insert", "rename"):
            out.add(by, E("changes"), target)
            out.add(target, E("changed_by"), by)
            out.add(iri(text_uri), E("changes"), target)
            out.add(target, E("changed_by"), iri(text_uri))


def text_quads(doc: LegalText, out: _Emitter, source: str):
    t_uri = uris.text(doc.nature, doc.number, doc.jorf_id or doc.nor)
    t = iri(t_uri)
    out.add(t, RDF_TYPE, LEGAL_RESOURCE)
    out.add(t, E("type_document"), iri(
        "http://publications.europa.eu/resource/authority/resource-type/"
        + _NATURE_TYPE.get(doc.nature, "LEGIS")))
    out.add(t, S("nature"), lit(doc.nature))
    out.add(t, E("title"), fr(doc.title))
    out.add(t, DERIVED_FROM, source)
    if doc.number:
        out.add(t, NUMBER, lit(doc.number))
    if doc.date:
        out.add(t, E("date_document"), lit(doc.date))
    if doc.nor:
        out.add(t, E("id_local"), lit(doc.nor))
        out.add(t, S("nor"), lit(doc.nor))
    if doc.jorf_id:
        out.add(t, S("jorfId"), lit(doc.jorf_id))
    if doc.jo_date:
        out.add(t, E("date_publication"), lit(doc.jo_date))
    if doc.jo_number:
        out.add(t, E("published_in"), lit(f"Journal officiel n° {doc.jo_number} du {doc.jo_date}"))
        out.add(t, S("joNumber"), lit(doc.jo_number))
    if doc.eli:
        out.add(t, OWL_SAMEAS, foreign_iri(doc.eli))
    for name in doc.signatories:
        out.add(t, S("signatory"), lit(name))
    counter = [0]
    for visa in doc.visas:
        out.add(t, S("visa"), fr(visa))
    for ref in doc.visa_references:
        counter[0] += 1
        _citation(out, t_uri + "/visas", counter[0], ref, t, t, source)
    for art in doc.articles:
        a = article_quads(art, out, source, text_uri=t_uri)
        out.add(iri(a), IS_PART_OF, t)
    for art in doc.inserted:
        a = article_quads(art, out, source)
        out.add(iri(a), E("changed_by"), t)
        out.add(t, E("changes"), iri(a))
    for n, am in enumerate(doc.amendments, start=1):
        _amendment(out, t_uri, n, am)


def to_nquads(doc: Document, source_name: str, snapshot: date | None = None,
              seen: set | None = None) -> list[str]:
    """All quads of one document, in the named graph of its source file: N-Quads lines.

    ``snapshot``: the source is a Legifrance snapshot of that day (the source node says so with
    ``slx:snapshotDate``), so the versions it holds are in force in it (``slx:inForceInSnapshot``).

    Quads of a code's plan go to the code's plan graph; ``seen`` (URIs of plan nodes
    already written in this build) keeps them from being written once per article.
    """
    out = _Emitter(graph_of(source_name), seen)
    source = iri(uris.source(source_name))
    out.add(source, RDF_TYPE, f"<{PROV}Entity>")
    out.add(source, RDFS_LABEL, lit(source_name))
    if snapshot is not None:
        out.add(source, S("snapshotDate"), lit(snapshot))
    if isinstance(doc, LegalText):
        text_quads(doc, out, source)
    else:
        article_quads(doc, out, source, in_force=True if snapshot is not None else None)
    return out.lines


def to_quads(doc: Document, source_name: str, snapshot: date | None = None,
             seen: set | None = None) -> list[Quad]:
    """The same quads as pyoxigraph objects (parsed from ``to_nquads``)."""
    text = "".join(to_nquads(doc, source_name, snapshot, seen))
    return list(parse(text.encode("utf-8"), format=RdfFormat.N_QUADS))


__all__ = ["graph_of", "to_nquads", "to_quads", "reference_target"]
