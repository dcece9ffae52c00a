"""An article's citations on its page: read in one scan per citation from the embedded store,
by the plain query from a SPARQL server, the same page either way.

The store: the two seeds and four CSP articles from the bundled archive: L. 6163-1 (a range
of the code de commerce, 765 citations), L. 1525-7 (unresolved references sharing their
words, with different reasons: the order of the citations shows), L. 1434-7 and L. 1434-9.
The server is the real Oxigraph server (``oxigraph serve-read-only``) on the same folder.
"""
from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
from bs4 import BeautifulSoup
from conftest import SEEDS, csp_files
from test_remote import oxigraph_binary, oxigraph_server

from santelex import builder
from santelex.store import open_store
from santelex.store.local import Store as LocalStore
from santelex.web import law
from santelex.web.app import _article_context, render

CSP = "https://data.santelex.fr/code/code-de-la-sante-publique/article/"
FILES = {"l6163-1.md", "l1525-7.md", "l1434-7.md", "l1434-9.md"}


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("web-citations")
    code = csp_files(root / "csp", FILES)
    assert {p.name for p in code.rglob("*.md")} == FILES
    store = root / "store"
    builder.build([*SEEDS, code], store, workers=1)
    return store


@pytest.fixture(scope="module")
def local(folder):
    store = open_store(folder, read_only=True)
    assert isinstance(store, LocalStore)
    yield store
    store.close()


@pytest.fixture(scope="module")
def remote(folder):
    if oxigraph_binary() is None:
        pytest.skip("the oxigraph server (pip package 'oxigraph', test extra) is not installed")
    with oxigraph_server(folder, "serve-read-only") as url:
        store = open_store(url, read_only=True)
        yield store
        store.close()


def citing_works(store) -> list[str]:
    return sorted(r["w"].value for r in store.query(law.P + "SELECT DISTINCT ?w WHERE { ?c slx:citingWork ?w }"))


def test_one_scan_per_citation_reads_what_the_plain_query_reads(local, remote):
    works = citing_works(local)
    assert CSP + "L6163-1" in works and len(works) >= 6
    seen = 0
    for work in works:
        w = ox.NamedNode(work)
        for version in law._versions(local, w):
            nodes = [version.uri, *law._parts(local, version.uri)]
            scanned = law._scanned(local, nodes)
            assert scanned is not None
            # the same citations in the same order as the plain query, from the server
            assert law._citations(local, w, nodes) == law._citations(remote, w, nodes), work
            seen += len(scanned)
    # every citation of an article is read once (a JO text's visas are no article's)
    assert seen == len(list(local.query(law.P + """SELECT ?c WHERE { ?c slx:citingWork ?w ; slx:citingSubdivision ?s .
        FILTER EXISTS { ?w eli:is_realized_by ?v } }""")))
    version = law._versions(local, ox.NamedNode(CSP + "L6163-1"))[0].uri
    assert len(law._scanned(local, [version, *law._parts(local, version)])) == 765


@pytest.mark.parametrize("number, version, target", [
    ("L6163-1", None, None), ("L1525-7", None, None), ("L1434-9", None, None), ("D712-2", None, "I/3/a"),
    ("R1434-4", None, None), ("R1434-4", None, "I"),
])
def test_a_page_is_the_same_from_the_embedded_store_and_a_sparql_server(local, remote, number, version, target):
    pages = [render("article.html", **_article_context(store, CSP + number, version, target)).body
             for store in (local, remote)]
    assert pages[0] == pages[1]
    assert b'class="ref' in pages[0]


def test_a_range_links_every_article_it_names(local):
    """L. 6163-1 cites articles L. 210-1 à L. 247-9 du code de commerce: one link on the words,
    a small link to each other article of the range."""
    work = CSP + "L6163-1"
    targets = {r["t"].value for r in local.query(law.P + """SELECT ?t WHERE { ?c slx:citingWork ?w .
        OPTIONAL { ?c slx:citedSubdivision ?s } ?c slx:cited ?cited BIND(COALESCE(?s, ?cited) AS ?t) }""",
                                                   {"w": ox.NamedNode(work)})}
    assert len(targets) > 700
    html = render("article.html", **_article_context(local, work, None, None)).body
    text = BeautifulSoup(html, "lxml").select_one("section.texte")
    links = {a["href"] for a in text.select("a.ref")}
    assert links == {law.page_url(t) for t in targets}
    assert all("absent" in a["class"] for a in text.select("a.ref") if "code-de-commerce" in a["href"])
