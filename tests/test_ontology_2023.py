"""The rule set oqos-2023 is grounded in the law: its vocabularies equal the lists of the articles.

The articles are read from the bundled CSP (Legifrance export, snapshot 2023-12-06) through the
project's own reader (ingest/markdown_export.py) and their URIs minted by ingest/uris.py, as
``santelex build`` does.  For each list the rule set encodes (the activities of R. 6122-25, the
équipements matériels lourds of R. 6122-26, the ways of expressing objectives of D. 6121-7 and
D. 6121-9, the modalities and mentions of the R. 6123-x articles), the items the reader finds
are exactly the subdivisions the concepts are defined by, and each item's text names its
concept.  An amended article gets another version key (the SHA-1 of its text) and an amended
list other items: either fails here (see test_an_amended_list_fails).
"""
from __future__ import annotations

import lzma
import re
import tarfile
import unicodedata
from datetime import date

import pytest
from rdflib import RDF, RDFS, SKOS, Graph, Literal, Namespace, URIRef

from santelex import paths, uris
from santelex.ingest import markdown_export

SLX = Namespace("https://data.santelex.fr/ontology#")
SH = Namespace("http://www.w3.org/ns/shacl#")
OQ = Namespace("https://data.santelex.fr/oqos/2023/")
CSP = "code-de-la-sante-publique"
RULESET = "oqos-2023"

# Which subdivisions of each listing article are the items of its list.  The article names its
# list ("s'exerce selon les trois modalités suivantes :", "comprend les mentions suivantes :");
# what follows the list in the same article (pratiques thérapeutiques, acts of a mention,
# derogations) is not a modality or a mention.  Each entry: kinds of subdivision taken, and the
# path prefixes they sit under ("" = the article's first level).
LISTS = {
    "R6122-25": ({"numero"}, ("",)),
    "R6122-26": ({"numero", "lettre"}, ("",)),      # leaves not repealed: see equipment_items
    "R6123-1": ({"numero"}, ("",)),
    "R6123-34": ({"numero"}, ("",)),
    "R6123-34-1": ({"numero"}, ("",)),
    "R6123-34-2": ({"numero"}, ("",)),
    "R6123-54": ({"inline"}, ("alinea-1",)),          # one paragraph: "1° Hémodialyse en centre ;   2° …"
    "R6123-70": ({"numero"}, ("",)),
    "R6123-86-1": ({"numero"}, ("",)),
    "R6123-87-1": ({"roman", "numero"}, ("", "I", "II")),  # mentions A, B, C and A1-A7, B1-B5
    "R6123-88-1": ({"numero"}, ("",)),
    "R6123-89-1": ({"numero"}, ("",)),
    "R6123-107": ({"numero"}, ("",)),
    "R6123-121": ({"numero", "lettre"}, ("I", "I/10", "I/11")),
    "R6123-129": ({"numero"}, ("",)),
    "R6123-130": ({"numero"}, ("", "II")),           # rythmologie (first level), cardiopathies congénitales (II)
    "R6123-135": ({"numero"}, ("",)),
    "R6123-141": ({"numero"}, ("I",)),
    "R6123-166": ({"numero"}, ("",)),
    "R6123-175": ({"numero"}, ("",)),
    "R6123-202": ({"numero"}, ("I",)),
}
EXPRESSION = ("D6121-6", "D6121-7", "D6121-9", "D6121-10")
WANTED = set(LISTS) | set(EXPRESSION)


def fold(text: str) -> str:
    """Lower case, no accents or quotes, one kind of apostrophe and space."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.replace("\u2019", "'").replace("\u00a0", " ").replace("\u202f", " ")
    text = re.sub("[\"\u201c\u201d\u00ab\u00bb]", " ", text)
    return " ".join(text.casefold().split())


def read_articles(sources: dict[str, bytes]):
    """number -> (expression URI, {path: (kind, text)}), as santelex build mints them."""
    found = {}
    for name, data in sources.items():
        for art in markdown_export.read(name, data):
            work = uris.article(art.code, art.number)
            expr = uris.version(work, uris.version_key(art.legiarti, art.version, art.text))
            subs: dict[str, tuple[str, str]] = {}

            def walk(nodes, prefix):
                for s in nodes:
                    path = (s.key,) if s.kind == "alinea" else prefix + (s.key,)
                    subs["/".join(path)] = (s.kind, s.text)
                    walk(s.children, path)
            walk(art.subdivisions, ())
            found[art.number] = (expr, subs, art)
    return found


@pytest.fixture(scope="module")
def sources() -> dict[str, bytes]:
    with lzma.open(paths.ARTICLES_INDEX, "rt", encoding="utf-8") as f:
        wanted = {line.split("\t")[2].strip() for line in f
                  if line.startswith(CSP + "\t") and line.split("\t")[1] in WANTED}
    assert len(wanted) == len(WANTED)
    out = {}
    with tarfile.open(paths.CSP_ARCHIVE, "r:xz") as tar:
        for member in tar:
            name = member.name.removeprefix("./")
            if member.isfile() and name in wanted:
                with tar.extractfile(member) as f:
                    out[name] = f.read()
    assert len(out) == len(WANTED)
    return out


@pytest.fixture(scope="module")
def law(sources):
    return read_articles(sources)


@pytest.fixture(scope="module")
def vocab() -> Graph:
    g = Graph()
    for f in sorted((paths.ONTOLOGY / RULESET).glob("*.ttl")):
        g.parse(f, format="turtle")
    return g


@pytest.fixture(scope="module")
def shapes() -> Graph:
    g = Graph()
    for f in sorted((paths.SHAPES / RULESET).glob("*.ttl")):
        g.parse(f, format="turtle")
    return g


def items(law, number: str) -> dict[str, str]:
    """URI -> text of the items of the list of ``number``, as the reader gives them."""
    expr, subs, _ = law[number]
    kinds, prefixes = LISTS[number]
    out = {}
    if kinds == {"inline"}:  # the reader keeps "1° … ;   2° …" in one paragraph: split it here
        text = subs[prefixes[0]][1]
        for m in re.finditer(r"(\d+)°\s*(.+?)(?=\s+\d+°|\s*$)", text):
            out[f"{expr}/{prefixes[0]}#{m.group(1)}"] = m.group(2)
        return out
    for path, (kind, text) in subs.items():
        parent = path.rpartition("/")[0]
        if kind in kinds and parent in prefixes:
            out[uris.subdivision(expr, tuple(path.split("/")))] = text
    return out


def labels(g: Graph, c) -> list[str]:
    return [str(o) for p in (SKOS.prefLabel, SKOS.altLabel, SKOS.hiddenLabel) for o in g.objects(c, p)]


def defined_by(g: Graph, concepts) -> dict[str, list]:
    out: dict[str, list] = {}
    for c in concepts:
        for sub in g.objects(c, RDFS.isDefinedBy):
            out.setdefault(str(sub), []).append(c)
    return out


def in_scheme(g: Graph, scheme) -> set:
    return set(g.subjects(SKOS.inScheme, scheme))


def assert_same_list(g: Graph, concepts, wanted: dict[str, str], article: str, inline: bool = False):
    """The concepts are defined by exactly the items, one concept per item (inline: by the
    paragraph, one concept per item's text), and each item's text names its concept."""
    by_sub = defined_by(g, concepts)
    if inline:
        paragraph = {k.split("#")[0] for k in wanted}
        assert set(by_sub) == paragraph, article
        assert len(concepts) == len(wanted), article
        for c in concepts:
            names = [fold(n) for n in labels(g, c)]
            hits = [t for t in wanted.values() if any(fold(t).startswith(n) for n in names)]
            assert len(hits) == 1, (c, names)
        return
    assert set(by_sub) == set(wanted), (article, sorted(set(by_sub) ^ set(wanted)))
    for sub, cs in by_sub.items():
        assert len(cs) == 1, (sub, cs)
        names = [fold(n) for n in labels(g, cs[0])]
        assert any(n in fold(wanted[sub]) for n in names), (cs[0], names, wanted[sub])


# ---------------------------------------------------------------- the lists

def test_activities_are_the_items_of_r6122_25(law, vocab):
    wanted = items(law, "R6122-25")
    assert len(wanted) == 21
    assert_same_list(vocab, in_scheme(vocab, OQ.activites), wanted, "R6122-25")


def test_equipment_is_the_items_of_r6122_26_not_repealed(law, vocab):
    expr, subs, _ = law["R6122-26"]
    listed = items(law, "R6122-26") | {uris.subdivision(expr, tuple(p.split("/"))): t
                                        for p, (k, t) in subs.items() if k == "lettre" and p.startswith("2/")}
    leaves = {u: t for u, t in listed.items()
              if not any(o.startswith(u + "/") for o in listed) and "(Abrogé)" not in t}
    assert len(leaves) == 4  # 2° a) and b), 4°, 5°
    assert_same_list(vocab, in_scheme(vocab, OQ.equipements), leaves, "R6122-26")


def test_indicators_are_the_tirets_of_d6121_7_and_d6121_9(law, vocab):
    wanted = {}
    for number in ("D6121-7", "D6121-9"):
        expr, subs, _ = law[number]
        wanted |= {uris.subdivision(expr, tuple(p.split("/"))): t for p, (k, t) in subs.items() if k == "tiret"}
    assert len(wanted) == 7
    indicators = in_scheme(vocab, OQ.indicateurs)
    by_sub = defined_by(vocab, indicators)
    assert set(by_sub) == set(wanted)
    for sub, cs in by_sub.items():
        assert len(cs) == 1
        assert any(fold(n) in fold(wanted[sub]) for n in labels(vocab, cs[0])), (cs[0], wanted[sub])
    assert {str(vocab.value(c, SKOS.notation)) for c in indicators} == {
        "implantations", "implantations_psychiatrie", "temps_acces", "appareils", "temps_attente"}


@pytest.mark.parametrize("article", sorted(set(LISTS) - {"R6122-25", "R6122-26"}))
def test_modalities_and_mentions_are_the_items_of_each_article(law, vocab, article):
    expr = law[article][0]
    concepts = {c for c in in_scheme(vocab, OQ.modalites)
                if any(str(s).split("#")[0].startswith(expr + "/") for s in vocab.objects(c, RDFS.isDefinedBy))}
    assert concepts, article
    wanted = items(law, article)
    assert len(wanted) >= 2
    assert_same_list(vocab, concepts, wanted, article, inline=LISTS[article][0] == {"inline"})


def test_every_modality_points_into_a_listed_article(law, vocab):
    listed = {law[a][0] for a in LISTS}
    for c in in_scheme(vocab, OQ.modalites):
        (sub,) = vocab.objects(c, RDFS.isDefinedBy)
        assert any(str(sub).startswith(e + "/") for e in listed), c
        assert (c, SLX.modaliteDe, None) in vocab
        assert str(c).endswith("/" + str(vocab.value(c, SKOS.notation)))


def test_an_amended_list_fails(sources, vocab):
    """A new mention in R. 6123-175 (the text changed, as an amending decree would change it):
    the version key changes and the items no longer match the vocabulary."""
    name = next(n for n in sources if n.endswith("/r6123-175.md"))
    amended = sources[name].decode().replace(
        "</p><br/><br/><i>NOTA", "</p><p>5° Mention “ psychiatrie du sujet âgé ” ;</p><br/><br/><i>NOTA").encode()
    assert amended != sources[name]
    law2 = read_articles({name: amended})
    concepts = {c for c in in_scheme(vocab, OQ.modalites) if "/psychiatrie/" in str(c)}
    with pytest.raises(AssertionError):
        assert_same_list(vocab, concepts, items(law2, "R6123-175"), "R6123-175")
    # the original text passes; the amended one has an item no concept is defined by
    original = read_articles({name: sources[name]})
    assert_same_list(vocab, concepts, items(original, "R6123-175"), "R6123-175")
    assert len(items(law2, "R6123-175")) == len(concepts) + 1 == 5


# ---------------------------------------------------------------- the shapes and the manifest

def expression_uris(law) -> set[str]:
    out = set()
    for expr, subs, _ in law.values():
        out.add(expr)
        out |= {uris.subdivision(expr, tuple(p.split("/"))) for p in subs}
    return out


def test_every_link_to_the_law_is_a_subdivision_of_a_version_in_the_corpus(law, vocab, shapes):
    known = expression_uris(law)
    links = [(s, o) for g in (vocab, shapes) for p in (RDFS.isDefinedBy, SLX.law, SLX.encodes, SLX.periodBasis)
             for s, o in g.subject_objects(p)]
    assert len(links) > 150
    missing = sorted({str(o) for s, o in links if str(o) not in known})
    assert not missing


def test_every_shape_cites_the_law(shapes):
    named = [s for s in shapes.subjects(SH.message, None) if isinstance(s, URIRef)]
    assert len(named) >= 30
    for s in named:
        assert list(shapes.objects(s, SLX.law)), s
        assert shapes.value(s, SLX.lawLabel) is not None, s
        assert all(o.language == "fr" for o in shapes.objects(s, SH.message)), s


def test_the_manifest_encodes_every_version_cited(law, vocab, shapes):
    (node,) = shapes.subjects(RDF.type, SLX.RuleSet)
    encoded = {str(o) for o in shapes.objects(node, SLX.encodes)}
    assert encoded == {law[n][0] for n in law}
    cited = {str(o) for g in (vocab, shapes) for p in (RDFS.isDefinedBy, SLX.law) for o in g.objects(None, p)}
    assert all(any(c == e or c.startswith(e + "/") for e in encoded) for c in cited)


def test_the_period_starts_as_the_nota_of_d6121_9_says(law, shapes):
    nota = law["D6121-9"][2].nota
    assert "décret n° 2022-1766 du 29 décembre 2022" in nota
    m = re.search(r"entrent en vigueur à compter du 1\s*(?:<sup>)?er(?:</sup>)? juin 2023", nota)
    assert m, nota
    (node,) = shapes.subjects(RDF.type, SLX.RuleSet)
    assert shapes.value(node, SLX.applicableFrom) == Literal(date(2023, 6, 1))
    assert shapes.value(node, SLX.applicableUntil) is None
    for number in ("R6122-25", "R6122-26", "R6123-175", "R6123-202", "R6123-121"):
        assert "1er juin 2023" in (law[number][2].nota or ""), number


def test_the_modality_rules_list_each_activity_s_own(vocab, shapes):
    """One rule per activity that has modalities or mentions; its sh:in is exactly them."""
    from rdflib.collection import Collection
    ruled = {}
    for shape in shapes.subjects(SLX.lawLabel, None):
        if not str(shape).split("#")[-1].startswith("modalite-"):
            continue
        (alternatives,) = shapes.objects(shape, SH["or"])
        first, second = Collection(shapes, alternatives)
        not_in = shapes.value(shapes.value(shapes.value(first, SH.property), SH["not"]), SH["in"])
        (activity,) = list(Collection(shapes, not_in))
        allowed = set(Collection(shapes, shapes.value(shapes.value(second, SH.property), SH["in"])))
        ruled[activity] = allowed
    by_activity: dict = {}
    for c in in_scheme(vocab, OQ.modalites):
        by_activity.setdefault(vocab.value(c, SLX.modaliteDe), set()).add(c)
    assert ruled == by_activity
    assert len(ruled) == 13


def test_every_link_is_a_node_of_the_graph_santelex_build_makes(sources, vocab, shapes, tmp_path):
    """The same articles built into a real store: every subdivision the rule set cites is there,
    with its text, as a part of the version the manifest says it encodes."""
    from santelex import builder
    from santelex.store import open_store

    tree = tmp_path / "csp"
    for name, data in sources.items():
        (tree / name).parent.mkdir(parents=True, exist_ok=True)
        (tree / name).write_bytes(data)
    builder.build([tree], tmp_path / "store")
    store = open_store(tmp_path / "store", read_only=True)
    try:
        texts = {r["s"].value: r["t"].value for r in store.query(
            "PREFIX slx: <https://data.santelex.fr/ontology#> SELECT ?s ?t WHERE { ?s slx:text ?t }")}
        versions = {r["e"].value for r in store.query(
            "PREFIX eli: <http://data.europa.eu/eli/ontology#> SELECT ?e WHERE { ?e a eli:LegalExpression }")}
    finally:
        store.close()
    cited = {str(o) for g in (vocab, shapes) for p in (RDFS.isDefinedBy, SLX.law) for o in g.objects(None, p)}
    assert len(cited) > 100
    assert not sorted(c for c in cited if c not in texts and c not in versions)
    (node,) = shapes.subjects(RDF.type, SLX.RuleSet)
    assert {str(o) for o in shapes.objects(node, SLX.encodes)} <= versions
    assert "psychiatrie de l'adulte" in texts[
        "https://data.santelex.fr/code/code-de-la-sante-publique/article/R6123-175/version/80e1969b84ce/1"]
