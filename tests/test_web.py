"""The web pages of `santelex serve`, over HTTP (httpx): article, search, neighbourhood,
JO text, annex validation (uploads and their safety), SPARQL box, escaping, read-only store.

The server is the real command (`santelex serve`) on a free loopback port, on a store built
here from the two seeds, two CSP articles taken from the bundled archive (L. 1434-7 and
L. 1434-9, which the seed of R1434-4 cites) and one made-up article whose text holds
`<script>` and `<img onerror>` (it must show as text).  tests/test_browser.py drives the
same server in Chromium.
"""
from __future__ import annotations

import io
import json
import shutil
import socket
import subprocess
import sys
import tarfile
import time
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

import httpx
import pytest
import rdflib
from bs4 import BeautifulSoup

from santelex import builder, paths
from santelex.store import open_store

SANTELEX = str(Path(sys.executable).with_name("santelex"))
CSP = "https://data.santelex.fr/code/code-de-la-sante-publique/article/"
CSP_FILES = {"l1434-7.md", "l1434-9.md", "r1173-8.md"}
ERREURS = paths.EXAMPLES / "annexe-erreurs"
ANNEXE_2006 = paths.EXAMPLES / "annexe-2006"
SVG = "{http://www.w3.org/2000/svg}"
MAX_UPLOAD_MB = 1


def expected_report(folder: Path):
    """The validator's own report on a folder: what the page must show."""
    from santelex import validation as validate

    return validate.validate(folder)


#: a made-up article whose text holds markup: it must reach the page as text
SCRIPT_ARTICLE = (
    "# Article R9999-1\n\n"
    "<p>Le texte &lt;script&gt;alert(\"x\")&lt;/script&gt; est cité.</p>"
    "<p>1° Un point &lt;img src=x onerror=alert(1)&gt; ;</p>\n")


@dataclass
class WebServer:
    url: str
    store: Path
    process: subprocess.Popen

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


WEB_KEY = pytest.StashKey[WebServer]()


def build_web_store(folder: Path) -> Path:
    """Seeds + L1434-7, L1434-9 and R*1173-8 from the CSP archive + the made-up article, in ``folder``."""
    tree = folder / "csp"
    wanted = set(CSP_FILES)
    with tarfile.open(paths.CSP_ARCHIVE, "r|*") as tar:
        for member in tar:
            if member.isfile() and member.name.rsplit("/", 1)[-1] in wanted:
                dest = tree / member.name.removeprefix("./")
                dest.parent.mkdir(parents=True, exist_ok=True)
                dest.write_bytes(tar.extractfile(member).read())
                wanted.discard(member.name.rsplit("/", 1)[-1])
                if not wanted:
                    break
    fake = tree / "code-de-la-sante-publique" / "partie-reglementaire" / "essai" / "r9999-1.md"
    fake.parent.mkdir(parents=True)
    fake.write_text(SCRIPT_ARTICLE, encoding="utf-8")
    store = folder / "store"
    builder.build([paths.SEEDS / "r1434-4-sros-version.md", paths.SEEDS / "decret-2005-76-jo.txt",
               tree / "code-de-la-sante-publique"], store, workers=1)
    return store


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(store: Path) -> WebServer:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen([SANTELEX, "serve", "--store", str(store), "--port", str(port), "--workers", "1",
                             "--timeout", "10", "--max-upload", str(MAX_UPLOAD_MB)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"santelex serve exited: {proc.stderr.read()}")
        try:
            if httpx.get(url + "/", timeout=2).status_code == 200:
                return WebServer(url, store, proc)
        except httpx.TransportError:
            time.sleep(0.2)
    proc.kill()
    raise AssertionError("santelex serve did not start")


@pytest.fixture(scope="session")
def web(request, tmp_path_factory) -> WebServer:
    """One server for the session (shared with tests/test_browser.py through the config stash)."""
    server = request.config.stash.get(WEB_KEY, None)
    if server is None:
        store = build_web_store(tmp_path_factory.mktemp("web"))
        server = start_server(store)
        request.config.stash[WEB_KEY] = server
        request.addfinalizer(server.stop)  # at the session's end, before the check that nothing outlives it
    return server


@pytest.fixture(scope="session")
def client(web):
    with httpx.Client(base_url=web.url, timeout=30) as c:
        yield c


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.text, "lxml")


def zip_folder(folder: Path, prefix: str | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for f in sorted(folder.iterdir()):
            z.write(f, f"{prefix or folder.name}/{f.name}")
    return buf.getvalue()


def upload(client, data: bytes, name: str = "annexe.zip"):
    return client.post("/validation", files={"annexe": (name, data, "application/zip")})


def triple_count(client) -> int:
    r = client.get("/sparql", params={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"})
    return int(r.json()["results"]["bindings"][0]["n"]["value"])


# ----------------------------------------------------------------------------- search box

@pytest.mark.parametrize("typed, page", [
    ("R1434-4", "/article/code-de-la-sante-publique/R1434-4"),
    ("D. 712-2", "/article/code-de-la-sante-publique/D712-2"),
    ("CSP L1434-7", "/article/code-de-la-sante-publique/L1434-7"),
    ("code-de-la-sante-publique/l1434-9", "/article/code-de-la-sante-publique/L1434-9"),
    ("CSS L162-14-1", "/article/code-de-la-securite-sociale/L162-14-1"),  # only cited: its page says so
])
def test_search_box_leads_to_the_article(client, typed, page):
    r = client.get("/chercher", params={"q": typed})
    assert r.status_code == 303
    assert r.headers["location"] == page


def test_search_for_a_missing_article_lists_the_nearest(client):
    r = client.get("/chercher", params={"q": "R1434-9"})
    assert r.status_code == 404
    near = [a.get_text() for a in soup(r).select("ul.proches a")]
    assert "R1434-4" in near


def test_every_page_has_the_search_box(client):
    for path in ("/", "/article/code-de-la-sante-publique/D712-2", "/validation", "/requete",
                 "/texte/decret/2005-76"):
        form = soup(client.get(path)).select_one("header form[action='/chercher']")
        assert form is not None and form.select_one("input[name=q]") is not None, path


def test_short_article_addresses_redirect_to_the_canonical_page(client):
    r = client.get("/article/csp/d.%20712-2")
    assert r.status_code == 301
    assert r.headers["location"] == "/article/code-de-la-sante-publique/D712-2"


def test_a_starred_article_has_its_page(client):
    # the address of R*1173-8 (a decree in Conseil d'État) was redirected to R1173-8, a page of
    # nothing; its page is read through santelex/lookup.py like every other name
    r = client.get("/article/code-de-la-sante-publique/R%2A1173-8")
    assert r.status_code == 200 and "habilitation vaut rejet" in r.text
    for other in ("R1173-8", "R.%201173-8"):
        r = client.get("/article/csp/" + other)
        assert r.status_code == 301, other
        assert r.headers["location"] == "/article/code-de-la-sante-publique/R%2A1173-8"


# ----------------------------------------------------------------------------- article page

def test_r1434_4_text_links_each_reference_to_its_target(client):
    r = client.get("/article/code-de-la-sante-publique/R1434-4")
    assert r.status_code == 200
    page = soup(r)
    assert page.h1.get_text(" ", strip=True).startswith("Article R. 1434-4")
    links = {a.get_text(): a for a in page.select("section.texte a.ref")}
    assert set(links) == {"L. 1434-9", "L. 1434-7",
                          "1° du I de l'article L. 162-14-1 du code de la sécurité sociale"}
    assert links["L. 1434-9"]["href"] == "/article/code-de-la-sante-publique/L1434-9"
    # the pinpoint "cinquième alinéa de l'article L. 1434-7" scrolls to that alinéa
    assert links["L. 1434-7"]["href"] == "/article/code-de-la-sante-publique/L1434-7?cible=alinea-5#alinea-5"
    css = links["1° du I de l'article L. 162-14-1 du code de la sécurité sociale"]
    assert css["href"] == "/article/code-de-la-securite-sociale/L162-14-1?cible=I/1#I/1"
    assert "absent" in css["class"]  # cited, but not in this store
    # each subdivision has its anchor, as the work's pinpoint URIs name it
    anchors = [p["id"] for p in page.select("section.texte p.sub")]
    assert anchors == ["alinea-1", "1", "2"] + [f"alinea-{n}" for n in range(4, 10)]


def test_d712_2_subdivisions_are_indented_as_in_the_law(client):
    page = soup(client.get("/article/code-de-la-sante-publique/D712-2"))

    def level(anchor):
        p = page.find("p", id=anchor)
        return next(c for c in p["class"] if c.startswith("niveau-"))

    assert level("alinea-1") == "niveau-0"
    assert level("I") == "niveau-0"
    assert level("I/1") == "niveau-1"
    assert level("I/1/tiret-1") == "niveau-2"
    assert level("I/3/a") == "niveau-2"
    assert level("I/3/a/tiret-1") == "niveau-3"
    assert level("alinea-26") == "niveau-2"          # under I, 3°, although its URI restarts
    assert level("alinea-26/tiret-14") == "niveau-3"
    assert level("II/3/tiret-1") == "niveau-2"
    texts = [p.get_text() for p in page.select("section.texte p.sub")]
    assert texts[0] == "Ces objectifs sont exprimés de la manière suivante :"
    assert len(texts) == 49


def test_d712_2_shows_its_versions_amending_text_and_concepts(client):
    page = soup(client.get("/article/code-de-la-sante-publique/D712-2"))
    versions = page.select("#versions tbody tr")
    assert [tr.td.a.get_text() for tr in versions] == ["decret-2005-76"]
    changes = {a.get_text(): a["href"] for a in page.select("#versions ul a")}
    assert changes["décret n° 2005-76"] == "/texte/decret/2005-76"
    assert changes["décret n° 2005-76, art. 2"] == "/texte/decret/2005-76/article/2"
    kinds = {li.strong.get_text() for li in page.select("#versions ul li") if li.strong}
    assert {"rédaction nouvelle", "conditions d'application", "disposition transitoire"} <= kinds
    # the concepts: every ontology term whose rdfs:isDefinedBy is D. 712-2 or one of its subdivisions
    g = rdflib.Graph()
    for f in paths.ONTOLOGY.rglob("*.ttl"):
        g.parse(f)
    work = CSP + "D712-2"
    def place(o):  # a subdivision of the work or of one version: its place in the article
        rest = str(o)[len(work):].lstrip("/")
        return "/".join(rest.split("/")[2:]) if rest.startswith("version/") else rest
    expected = {place(o) for s, o in g.subject_objects(rdflib.RDFS.isDefinedBy)
                if str(o) == work or str(o).startswith(work + "/")}
    shown = page.select("#concepts ul.concepts")[0].select("li")      # the second list: rdfs:seeAlso
    see_also = page.select("#concepts ul.concepts")[1].select("li")
    assert [li.get_text(" ", strip=True) for li in see_also] == ["psychiatrie psychiatrie → I, 1°, tiret 2"]
    assert len(shown) == sum(1 for _, o in g.subject_objects(rdflib.RDFS.isDefinedBy)
                             if str(o) == work or str(o).startswith(work + "/"))
    targets = {unquote(li.a["href"].split("#", 1)[1]) for li in shown if li.a}
    assert targets == expected - {""}
    assert sum(1 for li in shown if not li.a) == sum(1 for _, o in g.subject_objects(rdflib.RDFS.isDefinedBy)
                                                     if str(o).startswith(work) and not place(o))
    medecine = next(li for li in shown if li.strong.get_text() == "médecine")
    assert medecine.code.get_text() == "medecine"
    assert medecine.a["href"].endswith("#I/3/a")
    assert page.find("p", id="I/3/a") is not None  # the concept's anchor exists on the page


def test_cited_by_panel_links_to_the_citing_subdivision(client):
    page = soup(client.get("/article/code-de-la-sante-publique/L1434-7"))
    items = page.select("#cite-par li")
    assert len(items) == 1
    a = items[0].a
    assert a.get_text() == "R. 1434-4, alinéa 9"
    # the citing version is named, so the link lands on the text that holds the citation
    assert a["href"].startswith("/article/code-de-la-sante-publique/R1434-4?version=")
    assert a["href"].endswith("&cible=alinea-9#alinea-9")
    assert items[0].q.get_text() == "L. 1434-7"
    assert "alinéa 5" in items[0].get_text()


def test_a_pinpoint_missing_from_the_version_shown_is_said(client):
    # L. 1434-7 in the corpus (2023) has one alinéa; R1434-4 (SROS version) cites its fifth
    page = soup(client.get("/article/code-de-la-sante-publique/L1434-7", params={"cible": "alinea-5"}))
    assert "alinéa 5, qui n'existe pas dans la version affichée" in page.get_text()
    page = soup(client.get("/article/code-de-la-sante-publique/D712-2", params={"cible": "I/3/a"}))
    assert page.find("p", id="I/3/a")["class"][-1] == "cible"


def test_an_article_only_cited_is_a_404_page_with_what_cites_it(client):
    r = client.get("/article/code-de-la-securite-sociale/L162-14-1")
    assert r.status_code == 404
    page = soup(r)
    assert "n'est pas dans le graphe" in page.get_text()
    assert [a.get_text() for a in page.select("#cite-par li a")] == ["R. 1434-4, alinéa 6"]


def test_neighbourhood_is_the_citation_graph_two_steps_out(client, web):
    uri = CSP + "R1434-4"
    r = client.get("/voisinage.svg", params={"uri": uri})
    assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml")
    svg = ET.fromstring(r.content)
    nodes = {}
    for a in svg.iter(f"{SVG}a"):
        distance = next(c for c in a.get("class").split() if c.startswith("distance-"))
        nodes[a.get("href").split("?")[0]] = distance
    # the same walk, by a plain SPARQL query on the store
    store = open_store(web.store, read_only=True)
    try:
        def around(works):
            out = set()
            for w in works:
                q = f"""PREFIX slx: <https://data.santelex.fr/ontology#>
                SELECT ?x WHERE {{ {{ ?c slx:citingWork <{w}> ; slx:cited ?x }}
                UNION {{ ?c slx:cited <{w}> ; slx:citingWork ?x }} }}"""
                out |= {row["x"].value for row in store.query(q)}
            return out - {w for w in works}
        one = around([uri])
        two = around(sorted(one)) - one - {uri}
    finally:
        store.close()

    def page(u):
        ref = u[len("https://data.santelex.fr/"):]
        if ref.startswith("code/"):
            code, _, number = ref[5:].partition("/article/")
            return f"/article/{code}/{number}"
        return "/texte/" + ref[5:]

    assert nodes[page(uri)] == "distance-0"
    assert {p for p, d in nodes.items() if d == "distance-1"} == {page(u) for u in one}
    assert {p for p, d in nodes.items() if d == "distance-2"} == {page(u) for u in two}
    assert len(two) > 0
    # the article page carries the same picture inline
    inline = soup(client.get("/article/code-de-la-sante-publique/R1434-4")).select("figure svg a")
    assert {a["href"].split("?")[0] for a in inline} == set(nodes)


def test_jo_text_page_and_jo_article_page(client):
    page = soup(client.get("/texte/decret/2005-76"))
    assert page.h1.get_text().startswith("Décret n° 2005-76 du 31 janvier 2005")
    assert [a.get_text() for a in page.select("main section ul a") if "art." in a.get_text()][:4] == [
        f"décret n° 2005-76, art. {n}" for n in (1, 2, 3, 4)]
    assert "SANH0424194D" in page.get_text()
    changed = {a["href"] for a in page.select("aside a")}
    assert {f"/article/code-de-la-sante-publique/D712-{n}" for n in (1, 2, 3)} <= changed
    art3 = client.get("/texte/decret/2005-76/article/3")
    assert art3.status_code == 200
    refs = {a["href"] for a in soup(art3).select("section.texte a.ref")}
    assert "/article/code-de-la-sante-publique/D712-1" in refs


# ----------------------------------------------------------------------------- escaping and headers

def test_an_article_holding_markup_shows_it_as_text(client):
    r = client.get("/article/code-de-la-sante-publique/R9999-1")
    assert r.status_code == 200
    assert "<script>alert" not in r.text and "<img src=x" not in r.text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in r.text
    assert "&lt;img src=x onerror=alert(1)&gt;" in r.text
    texts = [p.get_text() for p in soup(r).select("section.texte p.sub")]
    assert texts[0].startswith('Le texte <script>alert("x")</script> est cité')
    assert soup(r).select("script") == []


def test_what_the_user_types_is_escaped(client):
    r = client.get("/chercher", params={"q": "<script>alert(1)</script>"})
    assert r.status_code == 404
    assert "<script>alert(1)" not in r.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text
    r = client.get("/requete", params={"requete": "SELECT * WHERE { ?s ?p '<script>x</script>' }"})
    assert "<script>x" not in r.text
    r = client.get("/article/code-de-la-sante-publique/D712-2", params={"cible": '"><script>alert(1)</script>',
                                                                         "version": "<b>x</b>"})
    assert r.status_code == 200
    assert "<script>alert" not in r.text and "<b>x" not in r.text
    assert "&#34;&gt;&lt;script&gt;" in r.text


def test_pages_forbid_scripts_and_sniffing(client):
    r = client.get("/article/code-de-la-sante-publique/D712-2")
    assert "default-src 'none'" in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff"
    assert client.get("/static/style.css").status_code == 200


# ----------------------------------------------------------------------------- validation

def test_annexe_erreurs_report_shows_every_rule_and_row(client):
    expected = expected_report(ERREURS)
    r = upload(client, zip_folder(ERREURS), "annexe-erreurs.zip")
    assert r.status_code == 200
    page = soup(r)
    assert "Non conforme" in page.select_one("p.bilan").get_text()
    rules = {tr["data-regle"]: int(tr.select_one("td.nombre").get_text()) for tr in page.select("#regles tr[data-regle]")}
    from collections import Counter
    assert rules == dict(Counter(res.rule for res in expected.results))
    # each offending objective row is highlighted in its territory's table, nothing else is
    offending = {res.row for res in expected.results if res.file.endswith("objectifs.csv")}
    highlighted = {int(tr["id"].removeprefix("ligne-")) for tr in page.select("table.objectifs tr.fautive")}
    clean = {int(tr["id"].removeprefix("ligne-")) for tr in page.select("table.objectifs tr[id]:not(.fautive)")}
    assert highlighted == offending
    assert clean and not clean & offending
    # every objective has a row, under its territory
    assert len(page.select("table.objectifs tbody tr")) == expected.objectives
    titles = [h.get_text(" ", strip=True) for h in page.select("section.territoire h3")]
    assert "Territoire 5301 — Brest - Morlaix" in titles
    assert "Territoire 5399 non déclaré" in titles
    assert "Objectifs sans territoire" in titles
    # each violation links to the article subdivision it cites
    row = page.select_one("tr#ligne-44")
    assert [a["href"] for a in row.select("a")] == [
        "/article/code-de-la-sante-publique/D712-2?version=decret-2005-76&cible=I/3/a#I/3/a"]
    territory_rows = [tr.find_all("td")[1].get_text() for tr in page.select("#annexe-territoires tbody tr")]
    assert sorted(int(x) for x in territory_rows) == sorted(
        res.row for res in expected.results if res.file.endswith("territoires.csv"))


def test_a_folder_chosen_in_the_browser_is_validated(client):
    expected = expected_report(ERREURS)
    files = [("dossier", (f"annexe-erreurs/{f.name}", f.read_bytes(), "text/csv")) for f in sorted(ERREURS.iterdir())]
    files.append(("dossier", ("annexe-erreurs/.DS_Store", b"\0\0", "application/octet-stream")))
    r = client.post("/validation", files=files)
    assert r.status_code == 200
    page = soup(r)
    assert page.h1.get_text() == "Rapport de validation — annexe-erreurs"
    assert {tr["data-regle"] for tr in page.select("#regles tr[data-regle]")} == {x.rule for x in expected.results}
    r = client.post("/validation", files=[("dossier", ("autre/lisez-moi.txt", b"rien", "text/plain"))])
    assert r.status_code == 400 and "no annex in this folder" in soup(r).select_one("p.alerte").get_text()
    r = client.post("/validation", files=[("dossier", ("", b"", "application/octet-stream"))])
    assert r.status_code == 400 and "Choisissez" in soup(r).select_one("p.alerte").get_text()


def test_report_downloads_as_json_and_turtle(client):
    expected = expected_report(ERREURS)
    page = soup(upload(client, zip_folder(ERREURS), "annexe-erreurs.zip"))
    links = {a.get_text(): a["href"] for a in page.select("p.telechargements a")}
    r = client.get(links["JSON"])
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    assert "attachment" in r.headers["content-disposition"]
    got = json.loads(r.text)
    assert got["conforms"] is False
    assert sorted((x["file"].rsplit("/", 1)[-1], x["row"], x["rule"]) for x in got["results"]) == sorted(
        (Path(x.file).name, x.row, x.rule) for x in expected.results)
    assert all(x["file"].startswith("annexe-erreurs.zip/") for x in got["results"])  # no temporary path
    r = client.get(links["Turtle (rapport SHACL)"])
    g = rdflib.Graph().parse(data=r.text, format="turtle")
    SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    assert len(set(g.subjects(rdflib.RDF.type, SH.ValidationResult))) == len(expected.results)
    assert client.get("/validation/rapport/inconnu.json").status_code == 404


def test_an_xlsx_workbook_is_validated(client, tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for name in ("annexe", "territoires", "objectifs"):
        sheet = book.create_sheet(name)
        text = (ANNEXE_2006 / f"{name}.csv").read_text(encoding="utf-8-sig")
        sep = ";" if text.splitlines()[0].count(";") > text.splitlines()[0].count(",") else ","
        import csv
        for row in csv.reader(io.StringIO(text), delimiter=sep):
            sheet.append(row)
    path = tmp_path / "annexe-2006.xlsx"
    book.save(path)
    expected = expected_report(ANNEXE_2006)
    r = upload(client, path.read_bytes(), "annexe-2006.xlsx")
    assert r.status_code == 200
    page = soup(r)
    status = page.select_one("p.bilan")
    if expected.conforms:
        assert "conforme" in status["class"]
    assert len(page.select("table.objectifs tbody tr")) == expected.objectives


def test_an_annex_holding_markup_shows_it_as_text(client, tmp_path):
    folder = tmp_path / "piege"
    shutil.copytree(ANNEXE_2006, folder)
    (folder / "annexe.csv").write_text(
        (folder / "annexe.csv").read_text(encoding="utf-8-sig").replace(
            "titre,", "titre,<script>alert('titre')</script> ", 1), encoding="utf-8")
    objectifs = (folder / "objectifs.csv").read_text(encoding="utf-8-sig")
    sep = ";" if objectifs.splitlines()[0].count(";") > objectifs.splitlines()[0].count(",") else ","
    code = objectifs.splitlines()[1].split(sep)[0]
    cells = [code, "<script>alert(1)</script>", "implantations", "<img src=x onerror=alert(2)>", "1", "2", "", "", ""]
    width = len(objectifs.splitlines()[0].split(sep))          # the optional column « forme » too
    line = sep.join(cells + [""] * (width - len(cells)))
    (folder / "objectifs.csv").write_text(objectifs.rstrip("\n") + "\n" + line + "\n", encoding="utf-8")
    r = upload(client, zip_folder(folder))
    assert r.status_code == 200
    assert "<script>alert" not in r.text and "<img src=x" not in r.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text
    assert "&lt;img src=x onerror=alert(2)&gt;" in r.text
    assert soup(r).select("script") == []
    assert "objectif-cible-connue" in {tr["data-regle"] for tr in soup(r).select("#regles tr[data-regle]")}


def _zip(members: dict[str, bytes], attrs: dict[str, int] | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            if attrs and name in attrs:
                info.external_attr = attrs[name] << 16
            z.writestr(info, data)
    return buf.getvalue()


def _annex_members(prefix: str = "") -> dict[str, bytes]:
    return {prefix + f.name: f.read_bytes() for f in sorted(ERREURS.iterdir())}


@pytest.mark.parametrize("name, extra, attrs, words", [
    ("parent", {"../../x": b"boom"}, None, "a path leaving the folder"),
    ("absolute", {"/etc/cron.d/x": b"boom"}, None, "an absolute path"),
    ("drive", {"C:\\Windows\\x": b"boom"}, None, "an absolute path"),
    ("backslashes", {"a\\..\\..\\x": b"boom"}, None, "a path leaving the folder"),
    ("symlink", {"lien": b"/etc/passwd"}, {"lien": 0o120777}, "symbolic link"),
    ("no annex", None, None, "no annex in this zip"),
    ("two annexes", "a/ b/", None, "two annexe.csv"),
])
def test_unsafe_zips_are_refused(client, web, name, extra, attrs, words):
    if extra is None:
        members = {"lisez-moi.txt": b"rien"}
    elif isinstance(extra, str):
        members = {k: v for prefix in extra.split() for k, v in _annex_members(prefix).items()}
    else:
        members = {**_annex_members(), **extra}
    before = triple_count(client)
    r = upload(client, _zip(members, attrs), f"{name}.zip")
    assert r.status_code == 400
    message = soup(r).select_one("p.alerte").get_text()
    assert "Envoi refusé" in message and words in message
    assert triple_count(client) == before


def test_zip_bombs_are_refused_before_inflating(client):
    # 60 MB of zeros in 60 kB: past the budget (5 x the 1 MB upload cap) and 1000 times its size
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name in ("annexe.csv", "territoires.csv"):
            z.write(ERREURS / name, name)
        with z.open("objectifs.csv", "w", force_zip64=True) as f:
            chunk = b"0" * (1024 * 1024)
            for _ in range(60):
                f.write(chunk)
    data = buf.getvalue()
    assert len(data) < MAX_UPLOAD_MB * 1024 * 1024
    r = upload(client, data, "bombe.zip")
    assert r.status_code == 400
    assert "zip bomb" in soup(r).select_one("p.alerte").get_text()


def test_a_zip_whose_sizes_lie_is_refused(client):
    # a member declaring 10 bytes that inflates to 3 MB: caught while inflating
    real = b"territoire;cible\n" + b"5301;medecine\n" * 220_000
    data = bytearray(_zip({**_annex_members(), "objectifs.csv": real}))
    size = len(real).to_bytes(4, "little")
    assert data.count(size) == 2  # the local header and the central directory
    data = bytes(data).replace(size, (10).to_bytes(4, "little"))
    r = upload(client, data, "menteur.zip")
    assert r.status_code == 400
    assert "Envoi refusé" in soup(r).select_one("p.alerte").get_text()


def test_uploads_over_the_cap_are_refused(client):
    big = b"PK\x03\x04" + b"\0" * (MAX_UPLOAD_MB * 1024 * 1024 + 10)
    r = upload(client, big, "gros.zip")
    assert r.status_code == 413
    assert "au plus 1 Mo" in soup(r).select_one("p.alerte").get_text()


@pytest.mark.parametrize("name, data", [
    ("script.sh", b"#!/bin/sh\nrm -rf /\n"),
    ("annexe.csv", "territoire;cible\n5301;medecine\n".encode()),
    ("vide.zip", b""),
    ("casse.zip", b"PK\x03\x04 pas vraiment un zip"),
])
def test_what_is_not_a_zip_is_refused(client, name, data):
    r = upload(client, data, name)
    assert r.status_code == 400
    assert soup(r).select_one("p.alerte") is not None


def test_an_unreadable_annex_names_the_uploaded_file_and_row(client):
    members = _annex_members()
    members["objectifs.csv"] = members["objectifs.csv"].replace(b";27000;", b";vingt-sept mille;", 1)
    r = upload(client, _zip(members), "mal-ecrite.zip")
    assert r.status_code == 422
    message = soup(r).select_one("p.alerte").get_text()
    assert "mal-ecrite.zip/objectifs.csv:3" in message and "is not a number" in message
    assert "santelex-upload" not in message  # never the temporary folder


def test_validation_never_writes_the_store(client, web):
    before = triple_count(client)
    files = sorted((p.name, p.stat().st_mtime_ns) for p in web.store.iterdir())
    upload(client, zip_folder(ERREURS))
    assert triple_count(client) == before
    assert sorted((p.name, p.stat().st_mtime_ns) for p in web.store.iterdir()) == files
    for method in ("PUT", "DELETE", "PATCH"):
        assert client.request(method, "/validation").status_code == 403
    assert client.post("/article/code-de-la-sante-publique/D712-2").status_code == 403


# ----------------------------------------------------------------------------- SPARQL box

def test_named_queries_are_examples_that_run(client):
    page = soup(client.get("/requete"))
    names = [li.code.get_text() for li in page.select("ul.exemples li")]
    assert names == sorted(p.stem for p in paths.QUERIES.glob("*.rq"))
    r = client.get("/requete", params={"exemple": "cited-by"})
    page = soup(r)
    assert "VALUES ?article { <" + CSP + "L1434-7> }" in page.textarea.get_text()
    header = [th.get_text() for th in page.select("table.resultats thead th")]
    assert header[:3] == ["citing", "citingSubdivision", "surface"]
    first = page.select("table.resultats tbody tr")[0].find_all("td")
    assert first[0].a["href"] == "/article/code-de-la-sante-publique/R1434-4"
    # a version's subdivision leads to that version of the article, at that alinéa
    assert first[1].a["href"].startswith("/article/code-de-la-sante-publique/R1434-4?version=")
    assert first[1].a["href"].endswith("&cible=alinea-9#alinea-9")
    assert first[2].get_text() == "L. 1434-7"


def test_the_sparql_box_runs_reads_and_refuses_writes(client):
    before = triple_count(client)
    r = client.post("/requete", data={"requete": "ASK { ?s a <http://data.europa.eu/eli/ontology#LegalExpression> }"})
    assert soup(r).select_one("section.resultats h2").get_text() == "Réponse : oui"
    r = client.post("/requete", data={"requete": "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 3"})
    assert len(soup(r).select("table.resultats tbody tr")) == 3
    r = client.post("/requete", data={"requete": "DROP ALL"})
    assert r.status_code == 400 and "updates are not allowed" in soup(r).select_one("p.alerte").get_text()
    r = client.post("/requete", data={"requete": "SELECT ?s WHERE { ?s ?p }"})
    assert r.status_code == 400 and "requête:1:" in soup(r).select_one("p.alerte").get_text()
    r = client.post("/requete", data={"requete": "#" * (2 * 1024 * 1024)})
    assert r.status_code == 413 and "trop longue" in soup(r).select_one("p.alerte").get_text()
    assert triple_count(client) == before


def test_an_annex_no_rule_set_covers_is_refused_naming_the_rule_sets(client, tmp_path):
    folder = tmp_path / "ancienne"
    shutil.copytree(ANNEXE_2006, folder)
    (folder / "annexe.csv").write_text((folder / "annexe.csv").read_text(encoding="utf-8")
                                       .replace("2006-04-01", "1999-01-01").replace("2011-03-31", "2004-12-31"),
                                       encoding="utf-8")
    r = upload(client, zip_folder(folder))
    assert r.status_code == 422
    message = soup(r).get_text(" ", strip=True)
    assert "1999-01-01" in message and "oqos-2005 (2005-02-03 to 2023-05-31)" in message
    ok = upload(client, zip_folder(ANNEXE_2006))
    assert ok.status_code == 200 and "oqos-2005" in soup(ok).select_one("dd.regles").get_text()
