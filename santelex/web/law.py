"""What the pages show of the law, read from the store: plain values, no HTML, no HTTP.

    article_page(store, work_uri, version_key=None) -> ArticlePage
    text_page(store, text_uri) -> TextPage
    page_url(uri) -> "/article/code-de-la-sante-publique/D712-2#I/3/a" (or None)
    label(uri) -> "D. 712-2", "L. 162-14-1 (CSS)", "décret n° 2005-76, art. 3"

An article page holds the version shown (the one in force unless another is asked for) as a
tree of subdivisions, each with its text cut into plain runs and references (links to the
cited article, scrolled to the cited subdivision); the citations of the article made
elsewhere ("cité par"); its versions and the texts that changed it; and the concepts of the
ontology (``ontology/*.ttl``) that the article's subdivisions define.

Anchors: a subdivision's anchor is its path in the *work* (``I/3/a``, ``alinea-26/tiret-1``),
the part of the pinpoint URI after the article's URI, so a citation's ``slx:citedSubdivision``
gives the link's fragment directly.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import quote

import pyoxigraph as ox

from santelex import codes, lookup, paths, uris, vocab
from santelex.ingest.numbers import sort_key
from santelex.services.show import in_force
from santelex.store.local import Store as LocalStore
from santelex.uris import label, sub_label

P = vocab.sparql_prefixes("eli", "slx", "prov", "rdfs")
STATUS = {"VIGUEUR": "en vigueur", "VIGUEUR_DIFF": "en vigueur différée", "ABROGE": "abrogé",
          "ABROGE_DIFF": "abrogation différée", "MODIFIE": "modifié", "MODIFIE_MORT_NE": "modifié (mort-né)",
          "PERIME": "périmé", "TRANSFERE": "transféré", "DISJOINT": "disjoint", "ANNULE": "annulé"}
AMENDMENT_KINDS = {"replace": "rédaction nouvelle", "rename": "intitulé modifié", "insert": "insertion",
                   "applicability": "conditions d'application", "transitional": "disposition transitoire"}


# ----------------------------------------------------------------------------- names and links

def page_url(uri: str, version: str | None = None) -> str | None:
    """The page showing ``uri`` (an article, a version, a subdivision: with its anchor), or None."""
    p = uris.parse(uri)
    if p is None or (p.code is not None and p.number is None):
        return None
    if p.code is not None:
        url = f"/article/{quote(p.code)}/{quote(p.number)}"
    else:
        url = f"/texte/{p.text}" + (f"/article/{uris.seg(p.number)}" if p.number is not None else "")
    sub = p.sub
    version = version or p.version
    if version:
        url += "?version=" + quote(version, safe="")
    if sub:
        url += ("&" if version else "?") + "cible=" + quote(sub, safe="/") + "#" + sub
    return url


# ----------------------------------------------------------------------------- values

@dataclass
class Run:
    """A piece of a subdivision's text: plain (``href`` None) or a reference."""

    text: str
    href: str | None = None
    title: str = ""
    absent: bool = False      # the target is only cited, not in the store
    unresolved: bool = False  # a reference the reader found but could not resolve
    also: list["Run"] = field(default_factory=list)  # other targets of the same words ("D. 712-1 à D. 712-3")


@dataclass
class Sub:
    anchor: str
    number: str
    kind: str
    depth: int
    runs: list[Run]
    cited: bool = False       # the subdivision asked for (?cible=)


@dataclass
class Version:
    key: str
    uri: str
    start: str | None
    end: str | None
    status: str | None
    in_force: bool
    source: str | None
    title: str | None = None


@dataclass
class CitedBy:
    citing: str
    citing_label: str
    href: str | None
    surface: str
    pinpoint: str | None
    target_label: str | None


@dataclass
class Change:
    label: str
    href: str | None
    date: str | None
    title: str | None


@dataclass
class AmendmentView:
    kind: str
    by_label: str
    href: str | None
    condition: str | None
    in_force: str | None


@dataclass
class Concept:
    uri: str
    label: str
    notation: str | None
    kind: str
    scheme: str | None
    note: str | None
    anchor: str
    anchor_label: str


@dataclass
class ArticlePage:
    uri: str
    title: str
    code: str | None
    number: str
    in_store: bool
    plan: list[tuple[str, str | None]] = field(default_factory=list)
    versions: list[Version] = field(default_factory=list)
    shown: Version | None = None
    subs: list[Sub] = field(default_factory=list)
    other_refs: list[Run] = field(default_factory=list)
    nota: str | None = None
    cited_by: list[CitedBy] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    amendments: list[AmendmentView] = field(default_factory=list)
    concepts: list[Concept] = field(default_factory=list)
    see_also: list[Concept] = field(default_factory=list)
    target: str | None = None
    target_found: bool = True
    part_of: tuple[str, str] | None = None   # a JO article: (text label, href)


def _rows(store, query: str, **bindings) -> list:
    return list(store.query(P + query, {k: v for k, v in bindings.items()} or None))


def _v(term) -> str | None:
    return term.value if term is not None else None


_REALIZED = ox.NamedNode(vocab.ELI + "is_realized_by")


def in_store(store, uris_: list[str]) -> set[str]:
    """Which of these works have at least one version in the store (in a named graph, where
    santelex writes: the union the queries read).  The embedded store is asked directly, one
    lookup per work: half the time of a query naming hundreds of works."""
    if not uris_:
        return set()
    if isinstance(store, LocalStore):
        quads = store.oxigraph.quads_for_pattern
        return {u for u in set(uris_)
                if any(not isinstance(q.graph_name, ox.DefaultGraph) for q in quads(ox.NamedNode(u), _REALIZED, None))}
    values = " ".join(str(ox.NamedNode(u)) for u in sorted(set(uris_)))
    rows = store.query(P + f"SELECT DISTINCT ?w WHERE {{ VALUES ?w {{ {values} }} ?w eli:is_realized_by ?v }}")
    return {r["w"].value for r in rows}


def _work_of(uri: str) -> str:
    p = uris.parse(uri)
    return p.work if p is not None else uri


def _versions(store, w: ox.NamedNode) -> list[Version]:
    rows = _rows(store, """SELECT ?v ?key ?start ?end ?status ?snap ?src ?title WHERE {
        ?w eli:is_realized_by ?v . OPTIONAL { ?v slx:versionKey ?key }
        OPTIONAL { ?v eli:first_date_entry_in_force ?start } OPTIONAL { ?v eli:date_no_longer_in_force ?end }
        OPTIONAL { ?v slx:status ?status } OPTIONAL { ?v slx:inForceInSnapshot ?snap }
        OPTIONAL { ?v eli:title ?title }
        OPTIONAL { ?v prov:wasDerivedFrom ?s . ?s rdfs:label ?src } } ORDER BY ?start ?key""", w=w)
    seen, out = set(), []
    for r in rows:
        if r["v"].value in seen:
            continue
        seen.add(r["v"].value)
        out.append(Version(key=_v(r["key"]) or r["v"].value.rsplit("/", 1)[-1], uri=r["v"].value,
                           start=_v(r["start"]), end=_v(r["end"]), status=_v(r["status"]),
                           in_force=in_force(_v(r["snap"]) == "true", _v(r["start"]), _v(r["end"]),
                                            _v(r["status"])), source=_v(r["src"]), title=_v(r["title"])))
    return out


def _plan(store, work: str) -> list[tuple[str, str | None]]:
    chain, node = [], work
    for _ in range(14):
        rows = _rows(store, "SELECT ?p ?t WHERE { ?s eli:is_part_of ?p OPTIONAL { ?p eli:title ?t } }",
                     s=ox.NamedNode(node))
        rows = [r for r in rows if r["p"].value != node]
        if not rows:
            break
        node = rows[0]["p"].value
        chain.append((_v(rows[0]["t"]) or label(node), page_url(node) if node.startswith(uris.JORF) else None))
    return list(reversed(chain))


class Labels(dict):
    """``label`` of each URI a page names, computed once for the page (a range of hundreds of
    articles names each target three times: to order, to title and to link it)."""

    def __missing__(self, uri: str) -> str:
        value = self[uri] = label(uri)
        return value


def _runs(text: str, cites: list[dict], present: set[str], names: Labels | None = None) -> list[Run]:
    """Cut a subdivision's text at its citations' offsets.

    Citations of the same words (a range, "articles D. 712-1 à D. 712-3", gives one per
    article) make one link to the first target and small links to the others; a citation
    overlapping an earlier one is dropped.
    """
    names = Labels() if names is None else names
    spans: dict[tuple[int, int], list[dict]] = {}
    at = 0
    for c in sorted(cites, key=lambda c: (c["start"], -c["end"])):
        start, end = c["start"], c["end"]
        if text[start:end] != c["surface"]:  # offsets from another text: find the words instead
            found = text.find(c["surface"])
            if found < 0 or not c["surface"]:
                continue
            start, end = found, found + len(c["surface"])
        spans.setdefault((start, end), []).append(c)
    runs = []
    for (start, end), group in sorted(spans.items()):
        if start < at or end <= start:
            continue
        if start > at:
            runs.append(Run(text[at:start]))
        group = sorted(group, key=lambda c: (c.get("cited") is None, sort_key(names[c.get("sub") or c.get("cited") or ""])))
        run = _ref_run(text[start:end], group[0], present, names)
        seen = {run.href}
        for c in group[1:]:
            other = _ref_run(names[c.get("sub") or c.get("cited") or ""], c, present, names)
            if other.href not in seen:
                seen.add(other.href)
                run.also.append(other)
        runs.append(run)
        at = end
    if at < len(text):
        runs.append(Run(text[at:]))
    return runs


def _ref_run(words: str, c: dict, present: set[str], names: Labels | None = None) -> Run:
    target = c.get("sub") or c.get("cited")
    if not c.get("cited"):
        why = c.get("reason") or "renvoi non résolu"
        return Run(words, None, f"Renvoi non résolu : {why}", unresolved=True)
    absent = c["cited"] not in present
    title = (label(target) if names is None else names[target]) + (" — absent du graphe" if absent else "")
    return Run(words, page_url(target), title, absent=absent)


#: what the page reads of a citation, in the order of the values ``_scanned`` and ``_plain`` give
_PROPS = ("citingSubdivision", "surface", "start", "end", "cited", "citedSubdivision", "reason")
#: the citations made in each of the subdivisions ``?s`` (numbered ``?i``), each read in one
#: scan of its triples: a row numbered -1, then (or before it) one row for each property read,
#: numbered by its place in ``_PROPS`` (Oxigraph's LATERAL; one lookup per property costs
#: twice as much on an article that cites hundreds)
_SCAN = """SELECT ?i ?k ?o WHERE {{ VALUES (?s ?i) {{ {values} }} ?c slx:citingSubdivision ?s LATERAL {{
    {{ BIND(-1 AS ?k) }} UNION {{
    ?c ?p ?o FILTER(?p IN (slx:surface, slx:start, slx:end, slx:cited, slx:citedSubdivision, slx:reason))
    BIND(IF(?p = slx:surface, 1, IF(?p = slx:start, 2, IF(?p = slx:end, 3, IF(?p = slx:cited, 4,
         IF(?p = slx:citedSubdivision, 5, 6))))) AS ?k) }} }} }}"""
_PLAIN = """SELECT ?sub ?surface ?start ?end ?cited ?cs ?reason WHERE {
    ?c slx:citingWork ?w ; slx:citingSubdivision ?sub ; slx:surface ?surface .
    OPTIONAL { ?c slx:start ?start } OPTIONAL { ?c slx:end ?end }
    OPTIONAL { ?c slx:cited ?cited } OPTIONAL { ?c slx:citedSubdivision ?cs }
    OPTIONAL { ?c slx:reason ?reason } }"""


def _parts(store, version_uri: str) -> dict[str, dict]:
    """The subdivisions of a version that have a text, each row by its node's URI."""
    rows = _rows(store, """SELECT ?c ?parent ?text ?order ?number ?kind ?real WHERE {
        ?v eli:has_part+ ?c . ?c slx:text ?text ; eli:is_part_of ?parent .
        OPTIONAL { ?c slx:order ?order } OPTIONAL { ?c eli:number ?number }
        OPTIONAL { ?c slx:kind ?kind } OPTIONAL { ?c eli:realizes ?real } }""", v=ox.NamedNode(version_uri))
    return {r["c"].value: r for r in rows}


def _citations(store, w: ox.NamedNode, nodes: list[str]) -> list[dict]:
    """The citations of article ``w`` made in these nodes (a version and its subdivisions), node
    by node, each node's in the store's order.

    The embedded store reads them from the nodes, each citation's triples in one scan
    (``_SCAN``); a SPARQL server, or a citation with two values of a property, gets the plain
    query on the article (one row per combination of values), its rows kept for these nodes.
    """
    rows = _scanned(store, nodes) if isinstance(store, LocalStore) else None
    if rows is None:
        at = {n: i for i, n in enumerate(nodes)}
        rows = sorted((r for r in _plain(store, w) if r[0] in at), key=lambda r: at[r[0]])
    out = []
    for node, surface, start, end, cited, sub, reason in rows:
        if node is None or surface is None:
            continue
        out.append({"node": node, "surface": surface, "start": int(start) if start else 0,
                    "end": int(end) if end else 0, "cited": cited, "sub": sub, "reason": reason})
    return out


def _plain(store, w: ox.NamedNode) -> list[list[str | None]]:
    """``_PLAIN``'s rows: the values of ``_PROPS``, in that order."""
    return [[_v(t) for t in r] for r in _rows(store, _PLAIN, w=w)]


def _scanned(store, nodes: list[str]) -> list[list[str | None]] | None:
    """``_SCAN``'s rows as one list of the values of ``_PROPS`` per citation, node by node (None
    when a citation has two values of one property)."""
    if not nodes:
        return []
    values = " ".join(f"({ox.NamedNode(n)} {i})" for i, n in enumerate(nodes))
    rows = [(int(r[0].value), int(r[1].value), r[2]) for r in store.query(P + _SCAN.format(values=values))]
    if not rows:
        return []
    marks = [at for at, (_, k, _) in enumerate(rows) if k < 0]
    if rows[0][1] < 0:  # the row -1 opens each citation's rows
        spans = zip(marks, marks[1:] + [len(rows)])
    elif marks and marks[-1] == len(rows) - 1:  # or closes them
        spans = zip([-1] + marks[:-1], marks)
    else:
        return None
    out = []
    for a, b in spans:
        i = rows[a if rows[0][1] < 0 else b][0]  # the node of the row -1
        found: list[str | None] = [nodes[i]] + [None] * (len(_PROPS) - 1)
        for j, k, o in rows[a + 1:b]:
            if found[k] is not None or j != i:
                return None
            found[k] = o.value
        out.append((i, found))
    out.sort(key=lambda iv: iv[0])  # node by node, each node's citations in the order read
    return [found for _, found in out]


def _tree(store, work: str, version: Version, parts: dict[str, dict], cites: list[dict], present: set[str],
          target: str | None, names: Labels | None = None) -> tuple[list[Sub], bool]:
    names = Labels() if names is None else names
    by_node: dict[str, list[dict]] = {}
    for c in cites:
        by_node.setdefault(c["node"], []).append(c)
    children: dict[str, list[str]] = {}
    for node, r in parts.items():
        children.setdefault(r["parent"].value, []).append(node)

    def order(node):
        o = parts[node]["order"]
        return (int(o.value) if o is not None else 0, node)

    subs: list[Sub] = []
    found = target is None

    def walk(parent: str, depth: int):
        nonlocal found
        for node in sorted(children.get(parent, []), key=order):
            r = parts[node]
            real = _v(r["real"]) or node
            anchor = real[len(work) + 1:] if real.startswith(work + "/") else node[len(version.uri) + 1:]
            hit = target is not None and anchor == target
            found = found or hit
            subs.append(Sub(anchor=anchor, number=_v(r["number"]) or "", kind=_v(r["kind"]) or "",
                            depth=depth, runs=_runs(r["text"].value, by_node.get(node, []), present, names), cited=hit))
            walk(node, depth + 1)

    walk(version.uri, 0)
    if not subs:  # a version without subdivisions: its paragraphs as they are
        text = _rows(store, "SELECT ?t WHERE { ?v slx:text ?t }", v=ox.NamedNode(version.uri))
        body = text[0]["t"].value if text else ""
        for n, para in enumerate(body.split("\n"), start=1):
            subs.append(Sub(anchor=f"alinea-{n}", number="", kind="alinea", depth=0,
                            runs=_runs(para, [], present)))
    return subs, found


def article_page(store, work: str, version_key: str | None = None, target: str | None = None) -> ArticlePage:
    """Everything the article page shows of ``work`` (a code article or an article of a JO text)."""
    w = ox.NamedNode(work)
    p = uris.parse(work)
    if p is not None and p.code is not None and p.number is not None:
        number, title, code_label = p.number, f"Article {uris.number_label(p.number)}", codes.title(p.code)
    else:
        number, title, code_label = work.rsplit("/", 1)[-1], label(work), None
    page = ArticlePage(uri=work, title=title, code=code_label, number=number, in_store=False, target=target)
    page.versions = _versions(store, w)
    page.in_store = bool(page.versions)
    if p is not None and p.text is not None and p.number is not None:
        text_uri = uris.JORF + p.text
        page.part_of = (label(text_uri), page_url(text_uri))
    if page.in_store:
        page.plan = _plan(store, work)
        chosen = [v for v in page.versions if v.key == version_key] if version_key else []
        page.shown = chosen[0] if chosen else next((v for v in reversed(page.versions) if v.in_force), page.versions[-1])
        parts = _parts(store, page.shown.uri)
        cites = _citations(store, w, [page.shown.uri, *parts])
        present = in_store(store, [c["cited"] for c in cites if c["cited"]])
        names = Labels()
        page.subs, page.target_found = _tree(store, work, page.shown, parts, cites, present, target, names)
        nodes = {page.shown.uri}
        page.other_refs = [_ref_run(c["surface"], c, present, names) for c in cites if c["node"] in nodes]
        nota = _rows(store, "SELECT ?n WHERE { ?v slx:nota ?n }", v=ox.NamedNode(page.shown.uri))
        page.nota = nota[0]["n"].value if nota else None
        page.changes = _changes(store, w)
        page.amendments = _amendments(store, w)
    page.cited_by = cited_by(store, work)
    page.concepts, page.see_also = concepts(work)
    return page


def cited_by(store, work: str) -> list[CitedBy]:
    rows = _rows(store, """SELECT DISTINCT ?c ?citing ?sub ?real ?surface ?pin ?cs ?key ?start WHERE {
        ?c slx:cited ?w ; slx:citingWork ?citing ; slx:citingSubdivision ?sub ; slx:surface ?surface .
        OPTIONAL { ?c slx:start ?start } OPTIONAL { ?sub eli:realizes ?real }
        OPTIONAL { ?c slx:pinpoint ?pin } OPTIONAL { ?c slx:citedSubdivision ?cs }
        OPTIONAL { ?citing eli:is_realized_by ?cv . ?cv slx:versionKey ?key .
                   FILTER(STRSTARTS(STR(?c), CONCAT(STR(?cv), "/"))) } }
        ORDER BY ?citing ?sub ?start""", w=ox.NamedNode(work))
    out = []
    for r in rows:
        citing = r["citing"].value
        at = _v(r["real"])
        href_target = at if at and _work_of(at) == citing else citing
        out.append(CitedBy(citing=citing, citing_label=label(href_target),
                           href=page_url(href_target, _v(r["key"])), surface=r["surface"].value,
                           pinpoint=_v(r["pin"]), target_label=label(r["cs"].value) if r["cs"] else None))
    return out


def _changes(store, w) -> list[Change]:
    rows = _rows(store, """SELECT DISTINCT ?t ?date ?title WHERE { ?w eli:changed_by ?t .
        OPTIONAL { ?t eli:date_document ?date } OPTIONAL { ?t eli:title ?title } } ORDER BY ?date ?t""", w=w)
    return [Change(label=label(r["t"].value), href=page_url(r["t"].value), date=_v(r["date"]),
                   title=_v(r["title"])) for r in rows]


def _amendments(store, w) -> list[AmendmentView]:
    rows = _rows(store, """SELECT ?a ?kind ?by ?cond ?in WHERE { ?a slx:target ?w ; slx:amendmentKind ?kind ;
        slx:byArticle ?by . OPTIONAL { ?a slx:condition ?cond } OPTIONAL { ?a eli:first_date_entry_in_force ?in } }
        ORDER BY ?by ?a""", w=w)
    return [AmendmentView(kind=AMENDMENT_KINDS.get(r["kind"].value, r["kind"].value), by_label=label(r["by"].value),
                          href=page_url(r["by"].value), condition=_v(r["cond"]), in_force=_v(r["in"]))
            for r in rows]


# ----------------------------------------------------------------------------- the ontology

@lru_cache(maxsize=1)
def _ontology():
    import rdflib

    g = rdflib.Graph()
    for f in paths.files_of(paths.ONTOLOGY, "**/*.ttl", "the ontology"):
        g.parse(f, format="turtle")
    return g


def concepts(work: str) -> tuple[list[Concept], list[Concept]]:
    """The ontology's terms defined by this article (rdfs:isDefinedBy), and those that refer to it
    (rdfs:seeAlso)."""
    from rdflib import OWL, RDF, RDFS, SKOS, URIRef

    g = _ontology()

    def pick(predicate) -> list[Concept]:
        found = []
        for s, o in g.subject_objects(predicate):
            o = str(o)
            if not isinstance(s, URIRef) or not (o == work or o.startswith(work + "/")):
                continue
            types = set(g.objects(s, RDF.type))
            kind = ("concept" if SKOS.Concept in types else "schéma de concepts" if SKOS.ConceptScheme in types
                    else "classe" if (OWL.Class in types or RDFS.Class in types)
                    else "propriété" if (types & {OWL.ObjectProperty, OWL.DatatypeProperty, RDF.Property})
                    else "terme")
            name = _fr(g, s, (SKOS.prefLabel, RDFS.label)) or str(s).rsplit("/", 1)[-1].rsplit("#", 1)[-1]
            scheme = g.value(s, SKOS.inScheme)
            notation = g.value(s, SKOS.notation)
            parts = uris.parse(o)  # a subdivision of one version has its place in the article too
            anchor = parts.sub if parts is not None else ""
            found.append(Concept(uri=str(s), label=name, notation=str(notation) if notation else None, kind=kind,
                                 scheme=_fr(g, scheme, (SKOS.prefLabel, RDFS.label)) if scheme else None,
                                 note=_fr(g, s, (SKOS.definition, SKOS.scopeNote, RDFS.comment)),
                                 anchor=anchor, anchor_label=sub_label(anchor) if anchor else "l'article entier"))
        return sorted(found, key=lambda c: (c.kind != "schéma de concepts", c.kind, c.label))

    return pick(RDFS.isDefinedBy), pick(RDFS.seeAlso)


def _fr(g, s, predicates) -> str | None:
    for p in predicates:
        values = list(g.objects(s, p))
        for v in values:
            if getattr(v, "language", None) == "fr":
                return str(v)
        if values:
            return str(values[0])
    return None


# ----------------------------------------------------------------------------- JO texts

@dataclass
class TextPage:
    uri: str
    title: str
    label: str
    in_store: bool
    facts: list[tuple[str, str]] = field(default_factory=list)
    visas: list[str] = field(default_factory=list)
    signatories: list[str] = field(default_factory=list)
    articles: list[tuple[str, str | None]] = field(default_factory=list)
    changes: list[tuple[str, str | None]] = field(default_factory=list)
    cites: list[tuple[str, str | None]] = field(default_factory=list)
    cited_by: list[CitedBy] = field(default_factory=list)
    eli: str | None = None


def text_page(store, uri: str) -> TextPage:
    t = ox.NamedNode(uri)
    rows = _rows(store, """SELECT ?p ?o WHERE { ?t ?p ?o }""", t=t)
    values: dict[str, list] = {}
    for r in rows:
        values.setdefault(r["p"].value, []).append(r["o"])
    E, S = vocab.ELI, vocab.SLX

    def one(p):
        v = values.get(p)
        return v[0].value if v else None

    page = TextPage(uri=uri, title=one(E + "title") or label(uri), label=label(uri),
                    in_store=(E + "title") in values)
    for name, p in (("Date", E + "date_document"), ("NOR", S + "nor"), ("Publication", E + "published_in")):
        if one(p):
            page.facts.append((name, one(p)))
    same = one(vocab.OWL + "sameAs")
    page.eli = same if same and same.startswith("https://www.legifrance.gouv.fr/") else None
    page.visas = sorted(v.value for v in values.get(S + "visa", []))
    page.signatories = [v.value for v in values.get(S + "signatory", [])]
    arts = [v.value for v in values.get(E + "has_part", [])]

    page.articles = [(label(a), page_url(a)) for a in sorted(arts, key=lambda u: sort_key(u.rsplit("/", 1)[-1]))]
    changed = sorted(v.value for v in values.get(E + "changes", []))
    page.changes = [(label(c), page_url(c)) for c in changed]
    cites = sorted({v.value for v in values.get(E + "cites", [])})
    page.cites = [(label(c), page_url(c)) for c in cites]
    page.cited_by = cited_by(store, uri)
    return page


def find(store, text: str) -> str:
    """The work a user's words name: an article the store has or one only cited there, or a
    URI (santelex/lookup.py); UsageError listing the nearest numbers."""
    return lookup.known_article(store, text.strip())
