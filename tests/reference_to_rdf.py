"""The mapping to RDF as it was before it wrote N-Quads text (santelex 58c2627,
``ingest/to_rdf.py``): pyoxigraph ``Quad`` objects built one by one.  Kept only as the
reference that ``tests/test_to_rdf.py`` compares the N-Quads writer with, quad for quad;
not used by santelex.
"""
from __future__ import annotations

from datetime import date
from functools import lru_cache

from pyoxigraph import Literal, NamedNode, Quad

from santelex import uris, vocab
from santelex.ingest.citations.pinpoint import key as pinpoint_key
from santelex.model import Amendment, Article, Document, LegalText, Reference, Subdivision

XSD = "http://www.w3.org/2001/XMLSchema#"
RDF_TYPE = NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
PROV = "http://www.w3.org/ns/prov#"
OWL_SAMEAS = NamedNode("http://www.w3.org/2002/07/owl#sameAs")
RDFS_LABEL = NamedNode("http://www.w3.org/2000/01/rdf-schema#label")


@lru_cache(maxsize=None)
def E(local: str) -> NamedNode:
    return NamedNode(vocab.ELI + local)


@lru_cache(maxsize=None)
def S(local: str) -> NamedNode:
    return NamedNode(vocab.SLX + local)


LEGAL_RESOURCE = E("LegalResource")
SUBDIVISION = E("LegalResourceSubdivision")
EXPRESSION = E("LegalExpression")
FR = NamedNode("http://publications.europa.eu/resource/authority/language/FRA")


def fr(text: str) -> Literal:
    return Literal(text, language="fr")


def lit(value) -> Literal:
    if isinstance(value, bool):
        return Literal("true" if value else "false", datatype=NamedNode(XSD + "boolean"))
    if isinstance(value, int):
        return Literal(str(value), datatype=NamedNode(XSD + "integer"))
    if isinstance(value, date):
        return Literal(value.isoformat(), datatype=NamedNode(XSD + "date"))
    return Literal(str(value))


class _Emitter:
    def __init__(self, graph: NamedNode, seen: set | None = None):
        self.graph = graph
        self.quads: list[Quad] = []
        self.seen = seen if seen is not None else set()

    def add(self, s, p, o):
        self.quads.append(Quad(s, p, o, self.graph))

    def add_to(self, graph: NamedNode, s, p, o):
        self.quads.append(Quad(s, p, o, graph))


def reference_target(ref: Reference) -> tuple[NamedNode | None, NamedNode | None]:
    """(target work, target subdivision of the work when there is a pinpoint)."""
    if not ref.resolved or not ref.target:
        return None, None
    target = uris.target_of(ref.target)
    if target is None:
        return None, None
    if ref.target_text and ref.target_article and not ref.target_code:
        target = uris.text_article(target, ref.target_article)  # "l'article 12 de l'ordonnance …"
    work = NamedNode(target)
    if ref.pinpoint:
        path = tuple(pinpoint_key(p) for p in ref.pinpoint)
        if path and path[0].startswith("phrase-"):
            path = ()
        path = tuple(p for p in path if not p.startswith("phrase-"))
        if path:
            return work, NamedNode(uris.subdivision(target, path))
    return work, None


def _citation(out: _Emitter, holder: str, n: int, ref: Reference, citing_work: NamedNode,
              citing_node: NamedNode, source: NamedNode):
    node = NamedNode(f"{holder}/citation/{n}")
    out.add(node, RDF_TYPE, S("Citation"))
    out.add(node, S("citingWork"), citing_work)
    out.add(node, S("citingSubdivision"), citing_node)
    out.add(node, S("surface"), fr(ref.text))
    out.add(node, S("start"), lit(ref.start))
    out.add(node, S("end"), lit(ref.end))
    out.add(node, S("provenance"), lit(ref.provenance))
    out.add(node, S("resolved"), lit(ref.resolved))
    out.add(node, NamedNode(PROV + "wasDerivedFrom"), source)
    if ref.link:
        out.add(node, S("link"), lit(ref.link))
    if ref.reason:
        out.add(node, S("reason"), lit(ref.reason))
    if ref.pinpoint:
        out.add(node, S("pinpoint"), lit(", ".join(ref.pinpoint)))
    work, sub = reference_target(ref)
    if work is not None:
        out.add(node, S("cited"), work)
        out.add(citing_work, E("cites"), work)
        if sub is not None:
            out.add(node, S("citedSubdivision"), sub)
            out.add(sub, E("is_part_of"), work)
            out.add(sub, RDF_TYPE, SUBDIVISION)
            out.add(citing_node, E("cites"), sub)
        else:
            out.add(citing_node, E("cites"), work)


def _subdivisions(out: _Emitter, work: str, expr: str, parent_expr: NamedNode,
                  subs: tuple[Subdivision, ...], prefix: tuple[str, ...], counter: list[int],
                  citing_work: NamedNode, source: NamedNode):
    for sub in subs:
        path = (sub.key,) if sub.kind == "alinea" else prefix + (sub.key,)
        node = NamedNode(uris.subdivision(expr, path))
        abstract = NamedNode(uris.subdivision(work, path))
        out.add(node, RDF_TYPE, SUBDIVISION)
        out.add(node, E("is_part_of"), parent_expr)
        out.add(parent_expr, E("has_part"), node)
        out.add(node, E("realizes"), abstract)
        out.add(abstract, RDF_TYPE, SUBDIVISION)
        out.add(abstract, E("is_part_of"), NamedNode(work))
        out.add(node, S("text"), fr(sub.text))
        out.add(node, S("kind"), lit(sub.kind))
        out.add(node, S("alinea"), lit(sub.alinea))
        out.add(node, S("order"), lit(sub.alinea))
        if sub.label:
            out.add(node, E("number"), lit(sub.label))
        for ref in sub.references:
            counter[0] += 1
            _citation(out, expr, counter[0], ref, citing_work, node, source)
        _subdivisions(out, work, expr, node, sub.children, path, counter, citing_work, source)


def _hierarchy(out: _Emitter, art: Article) -> NamedNode:
    """The plan of the code (code > partie > … > section) in the code's own 'plan' graph.

    Shared by every article of the code, so written once per build (``out.seen``) into a
    graph that re-reads only ever add to: the same heading gives the same quads.
    """
    code = NamedNode(uris.code(art.code))
    plan = NamedNode(uris.graph("plan/" + art.code))
    parent, path = code, ()
    if code.value not in out.seen:
        out.seen.add(code.value)
        out.add_to(plan, code, RDF_TYPE, LEGAL_RESOURCE)
        out.add_to(plan, code, E("id_local"), lit(art.code))
    for heading in art.hierarchy:
        path = path + (heading.slug or heading.title,)
        node = NamedNode(uris.section(art.code, path))
        if node.value not in out.seen:
            out.seen.add(node.value)
            out.add_to(plan, node, RDF_TYPE, SUBDIVISION)
            out.add_to(plan, node, E("is_part_of"), parent)
            out.add_to(plan, parent, E("has_part"), node)
            out.add_to(plan, node, E("title"), fr(heading.title))
            out.add_to(plan, node, S("level"), lit(heading.level))
        parent = node
    return parent


def article_quads(art: Article, out: _Emitter, source: NamedNode, text_uri: str | None = None,
                  in_force: bool | None = None) -> str:
    if art.code:
        work = uris.article(art.code, art.number)
        container = _hierarchy(out, art)
    else:
        work = uris.text_article(text_uri, art.number)
        container = NamedNode(text_uri)
    w = NamedNode(work)
    out.add(w, RDF_TYPE, SUBDIVISION)
    out.add(w, S("kindOfResource"), lit("article"))
    out.add(w, E("is_part_of"), container)
    out.add(container, E("has_part"), w)
    out.add(w, E("number"), lit(art.number))
    out.add(w, E("id_local"), lit(art.number))
    if art.code:
        out.add(w, S("code"), NamedNode(uris.code(art.code)))
    key = uris.version_key(art.legiarti, art.version, art.text)
    expr = uris.version(work, key)
    x = NamedNode(expr)
    out.add(w, E("is_realized_by"), x)
    out.add(x, RDF_TYPE, EXPRESSION)
    out.add(x, E("realizes"), w)
    out.add(x, E("language"), FR)
    out.add(x, S("text"), fr(art.text))
    out.add(x, S("versionKey"), lit(key))
    out.add(x, NamedNode(PROV + "wasDerivedFrom"), source)
    if art.legiarti:
        out.add(x, E("id_local"), lit(art.legiarti))
        out.add(x, OWL_SAMEAS, NamedNode(f"https://www.legifrance.gouv.fr/codes/article_lc/{art.legiarti}"))
    if art.status:
        out.add(x, S("status"), lit(art.status))
    if art.start:
        out.add(x, E("first_date_entry_in_force"), lit(art.start))
    if art.end:
        out.add(x, E("date_no_longer_in_force"), lit(art.end))
    if art.title:
        out.add(x, E("title"), fr(art.title))
    if art.nota:
        out.add(x, S("nota"), fr(art.nota))
    if in_force is not None:
        out.add(x, S("inForceInSnapshot"), lit(in_force))
    for ref in art.changed_by:
        if not ref.target_text:
            continue
        by_text = uris.target_of(ref.target_text)
        for by in ([by_text, uris.text_article(by_text, ref.target_article)]
                   if ref.target_article else [by_text]):
            out.add(w, E("changed_by"), NamedNode(by))
            out.add(NamedNode(by), E("changes"), w)
    counter = [0]
    for ref in art.references:
        counter[0] += 1
        _citation(out, expr, counter[0], ref, w, x, source)
    _subdivisions(out, work, expr, x, art.subdivisions, (), counter, w, source)
    return work


_NATURE_TYPE = {"decret": "DECREE", "ordonnance": "ORDINANCE", "loi": "LAW", "arrete": "ORDER"}


def _amendment(out: _Emitter, text_uri: str, n: int, am: Amendment):
    node = NamedNode(f"{text_uri}/amendment/{n}")
    by = NamedNode(uris.text_article(text_uri, am.by_article))
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
        target = NamedNode(uris.article(am.code, t) if am.code else uris.text_article(text_uri, t))
        out.add(node, S("target"), target)
        if am.kind in ("replace", "insert", "rename"):
            out.add(by, E("changes"), target)
            out.add(target, E("changed_by"), by)
            out.add(NamedNode(text_uri), E("changes"), target)
            out.add(target, E("changed_by"), NamedNode(text_uri))


def text_quads(doc: LegalText, out: _Emitter, source: NamedNode):
    t_uri = uris.text(doc.nature, doc.number, doc.jorf_id or doc.nor)
    t = NamedNode(t_uri)
    out.add(t, RDF_TYPE, LEGAL_RESOURCE)
    out.add(t, E("type_document"), NamedNode(
        "http://publications.europa.eu/resource/authority/resource-type/"
        + _NATURE_TYPE.get(doc.nature, "LEGIS")))
    out.add(t, S("nature"), lit(doc.nature))
    out.add(t, E("title"), fr(doc.title))
    out.add(t, NamedNode(PROV + "wasDerivedFrom"), source)
    if doc.number:
        out.add(t, E("number"), lit(doc.number))
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
        out.add(t, OWL_SAMEAS, NamedNode(doc.eli))
    for name in doc.signatories:
        out.add(t, S("signatory"), lit(name))
    counter = [0]
    for i, visa in enumerate(doc.visas, start=1):
        out.add(t, S("visa"), fr(visa))
    for ref in doc.visa_references:
        counter[0] += 1
        _citation(out, t_uri + "/visas", counter[0], ref, t, t, source)
    for art in doc.articles:
        a = article_quads(art, out, source, text_uri=t_uri)
        out.add(NamedNode(a), E("is_part_of"), t)
    for art in doc.inserted:
        a = article_quads(art, out, source)
        out.add(NamedNode(a), E("changed_by"), t)
        out.add(t, E("changes"), NamedNode(a))
    for n, am in enumerate(doc.amendments, start=1):
        _amendment(out, t_uri, n, am)


def to_quads(doc: Document, source_name: str, snapshot: date | None = None,
             seen: set | None = None) -> list[Quad]:
    """All quads of one document, in the named graph of its source file.

    ``snapshot``: the source is a Legifrance snapshot of that day (the source node says so with
    ``slx:snapshotDate``), so the versions it holds are in force in it (``slx:inForceInSnapshot``).

    Quads of a code's plan go to the code's plan graph; ``seen`` (URIs of plan nodes
    already written in this build) keeps them from being written once per article.
    """
    out = _Emitter(NamedNode(uris.graph(source_name)), seen)
    source = NamedNode(uris.source(source_name))
    out.add(source, RDF_TYPE, NamedNode(PROV + "Entity"))
    out.add(source, RDFS_LABEL, lit(source_name))
    if snapshot is not None:
        out.add(source, S("snapshotDate"), lit(snapshot))
    if isinstance(doc, LegalText):
        text_quads(doc, out, source)
    else:
        article_quads(doc, out, source, in_force=True if snapshot is not None else None)
    return out.quads


__all__ = ["to_quads", "reference_target"]
