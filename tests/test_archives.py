"""DILA bulk archives (issue 8): real LEGI and JORF files packed as DILA packs them, a full dump
then two daily increments (a repeal, a new article, a suppression list), streamed into the store.

The "before" state of the repealed article is the real file with the repeal taken out (ETAT
VIGUEUR, open end, no ABROGATION link): that is what the base held before the increment that
rewrote it, and the increment then brings the real file.
"""
import io
import re
import shutil
import tarfile
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from santelex import builder, uris
from santelex.builder import archives, changes, engine
from santelex.cli import main
from santelex.errors import ReadError, UsageError
from santelex.store import open_store

OFFICIAL = Path(__file__).parent / "fixtures" / "official"
LEGI = {p.name: p.read_bytes() for p in sorted((OFFICIAL / "legi").glob("*.xml"))}
REPEALED = "legi-php_LEGIARTI000006398122.xml"  # Code des instruments monétaires, art. 1 (ABROGE)
ANNEX = "legi-php_cas-extremes_LEGIARTI000019325262.xml"  # CASF annexe 2-4, a 149 KB table
D215_16 = "legigo_article_LEGIARTI000006291810.xml"  # Code de la consommation, D215-16
CSP = "https://data.santelex.fr/code/"


def _split(ident: str) -> str:
    digits = re.search(r"\d{12}", ident).group(0)
    return "/".join(digits[i:i + 2] for i in range(0, 10, 2))


def base_path(data: bytes) -> str:
    """Where a LEGI file sits in DILA's base: under its text's folder, by kind."""
    ident = re.search(rb"<ID>((?:LEGI|JORF)(?:ARTI|SCTA|TEXT)\d{12})</ID>", data).group(1).decode()
    cid = re.search(rb'<TEXTE [^>]*cid="(\w+)"', data)
    cid = cid.group(1).decode() if cid else ident
    code = b'nature="CODE"' in data or b"<NATURE>CODE</NATURE>" in data
    folder = "code_en_vigueur" if code else "TNC_en_vigueur"
    text = f"legi/global/code_et_TNC_en_vigueur/{folder}/LEGI/TEXT/{_split(cid)}/{cid}"
    if ident.startswith("LEGIARTI"):
        return f"{text}/article/LEGI/ARTI/{_split(ident)}/{ident}.xml"
    if ident.startswith("LEGISCTA"):
        return f"{text}/section_ta/LEGI/SCTA/{_split(ident)}/{ident}.xml"
    kind = "struct" if b"<TEXTELR" in data[:200] else "version"
    return f"{text}/texte/{kind}/LEGI/TEXT/{_split(ident)}/{ident}.xml"


def pack(out: Path, files, prefix: str = "") -> Path:
    with tarfile.open(out, "w:gz") as tar:
        for path, data in files:
            info = tarfile.TarInfo(prefix + path)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out


def before_repeal(data: bytes) -> bytes:
    data = data.replace(b"<ETAT>ABROGE</ETAT>", b"<ETAT>VIGUEUR</ETAT>")
    data = data.replace(b"<DATE_FIN>2001-01-01</DATE_FIN>", b"<DATE_FIN>2999-01-01</DATE_FIN>")
    return re.sub(rb'<LIEN [^>]*typelien="ABROGATION"[^>]*>[^<]*</LIEN>', b"", data)


@pytest.fixture(scope="module")
def dumps(tmp_path_factory):
    """The full dump of 2023-12-06, increments of the 7th and 8th, and the final state of the 8th."""
    d = tmp_path_factory.mktemp("dila")
    common = {base_path(data): data for name, data in LEGI.items() if name not in (REPEALED, ANNEX)}
    full = dict(common)
    full[base_path(LEGI[REPEALED])] = before_repeal(LEGI[REPEALED])
    inc1 = {base_path(LEGI[REPEALED]): LEGI[REPEALED], base_path(LEGI[ANNEX]): LEGI[ANNEX]}
    section = next(p for p in common if "LEGISCTA000029502487" in p)
    gone = (base_path(LEGI[D215_16])[:-4] + "\n" + section[:-4] + " D\n").encode()
    final = dict(common)
    final.update(inc1)
    del final[base_path(LEGI[D215_16])], final[section]
    return {
        "full": pack(d / "Freemium_legi_global_20231206-100000.tar.gz", full.items()),
        "inc1": pack(d / "LEGI_20231207-213025.tar.gz", inc1.items(), prefix="20231207-213025/"),
        "inc2": pack(d / "LEGI_20231208-212958.tar.gz", [("liste_suppression_legi.dat", gone)],
                     prefix="20231208-212958/"),
        "final": pack(d / "Freemium_legi_global_20231208-100000.tar.gz", final.items()),
        "folder": d,
    }


@pytest.fixture(scope="module")
def built(tmp_path_factory, dumps):
    """A store built from the full dump, to copy."""
    path = tmp_path_factory.mktemp("built") / "store"
    archives.build([dumps["full"]], path, workers=1)
    return path


def copy_of(built: Path, tmp_path: Path) -> Path:
    path = tmp_path / "store"
    shutil.copytree(built, path)
    return path


def quads(path: Path) -> list[str]:
    """Every quad of a store but the bookkeeping of which archives it applied."""
    store = ox.Store.read_only(str(path))
    state = ox.NamedNode(uris.graph(archives.STATE))
    return sorted(str(q) for q in store if q.graph_name != state)


def ask(path: Path, query: str) -> bool:
    store = ox.Store.read_only(str(path))
    return bool(store.query(changes.P + query, use_default_graph_as_union=True))


def test_full_dump_then_increments_equals_final_state(tmp_path, dumps):
    one = archives.build([dumps["full"], dumps["inc1"], dumps["inc2"]], tmp_path / "one" / "store")
    assert one.archives == [dumps[k].name for k in ("full", "inc1", "inc2")]
    assert one.deleted == 1  # D215-16 (the section file was never read: structure only)
    for k in ("full", "inc1", "inc2"):  # the same, one command a day, serial
        archives.build([dumps[k]], tmp_path / "daily" / "store", workers=1)
    archives.build([dumps["final"]], tmp_path / "final" / "store")
    final = quads(tmp_path / "final" / "store")
    assert quads(tmp_path / "one" / "store") == final
    assert quads(tmp_path / "daily" / "store") == final
    store = tmp_path / "final" / "store"
    assert ask(store, f"""ASK {{ <{CSP}code-des-instruments-monetaires-et-des-medailles/article/1>
        eli:is_realized_by ?v . ?v slx:status "ABROGE" ;
        eli:date_no_longer_in_force "2001-01-01"^^<http://www.w3.org/2001/XMLSchema#date> }}""")
    assert ask(store, f"ASK {{ <{CSP}code-de-laction-sociale-et-des-familles/article/Annexe%202-4> eli:is_realized_by ?v }}")
    assert not ask(store, f"ASK {{ <{CSP}code-de-la-consommation/article/D215-16> ?p ?o }}")
    # the plan of the Code de la consommation went with its only article
    assert not ask(store, f"ASK {{ GRAPH ?g {{ <{CSP}code-de-la-consommation> ?p ?o }} }}")


def test_report_of_what_changed(tmp_path, dumps, built):
    path = copy_of(built, tmp_path)
    stats = archives.build([dumps["inc1"], dumps["inc2"]], path, report=True)
    got = {(c.kind, c.code, c.number, str(c.date), c.by) for c in stats.changes}
    assert got == {
        ("added", "code-de-laction-sociale-et-des-familles", "Annexe 2-4", "2004-10-26",
         ("décret n° 2007-1574, art. 1",)),
        ("repealed", "code-des-instruments-monetaires-et-des-medailles", "1", "2001-01-01",
         ("texte JORFTEXT000000574488, art. 4",)),
        ("removed", "code-de-la-consommation", "D215-16", "None", ()),
    }
    again = archives.build([dumps["inc1"], dumps["inc2"]], path, report=True)
    assert again.skipped_archives == [dumps["inc1"].name, dumps["inc2"].name] and not again.changes


def test_code_filter_and_cli_dispatch(tmp_path, dumps):
    store = tmp_path / "store"
    res = CliRunner().invoke(main, ["build", "--store", str(store), "--quiet", "--code", "cconso", str(dumps["full"])])
    assert res.exit_code == 0, res.output
    works = ox.Store.read_only(str(store)).query(
        changes.P + "SELECT DISTINCT ?w WHERE { ?w eli:is_realized_by ?v }", use_default_graph_as_union=True)
    assert [r["w"].value for r in works] == [CSP + "code-de-la-consommation/article/D215-16"]
    assert archives.read_state(open_store(store))["codes"] == {"code-de-la-consommation"}
    # an increment follows the codes the store follows: the CASF annex is not taken
    stats = builder.build([dumps["inc1"]], store)
    assert stats.files == 0 and stats.archives == [dumps["inc1"].name]
    with pytest.raises(UsageError, match="not a DILA"):
        builder.build([dumps["inc2"], Path(__file__)], tmp_path / "other")
    with pytest.raises(UsageError, match="unknown code"):
        archives.build([dumps["full"]], tmp_path / "other", codes=["code-de-la-sante-publiqu"])


def test_truncated_archive_leaves_the_store_as_it_was(tmp_path, dumps, built):
    path = copy_of(built, tmp_path)
    before = quads(path)
    data = dumps["inc1"].read_bytes()
    cut = tmp_path / "LEGI_20231207-213025.tar.gz"
    cut.write_bytes(data[: len(data) * 2 // 3])
    res = CliRunner().invoke(main, ["build", "--store", str(path), "--quiet", str(cut)])
    assert res.exit_code == 2 and "truncated archive" in res.output and "Traceback" not in res.output
    assert quads(path) == before
    assert not list(tmp_path.glob(".store.staging*"))


@pytest.mark.parametrize("fraction", [0.2, 0.5, 0.8, 0.97])
def test_archive_cut_anywhere_is_refused(tmp_path, dumps, built, fraction):
    """Wherever the gzip stream is cut (between members too), the archive is refused."""
    path = copy_of(built, tmp_path)
    before = quads(path)
    data = dumps["inc1"].read_bytes()
    cut = tmp_path / "LEGI_20231207-213025.tar.gz"
    cut.write_bytes(data[: int(len(data) * fraction)])
    res = CliRunner().invoke(main, ["build", "--store", str(path), "--quiet", str(cut)])
    assert res.exit_code == 2 and "truncated archive" in res.output, res.output
    assert len(res.output.strip().splitlines()) == 1 and str(cut) in res.output
    assert quads(path) == before


@pytest.mark.parametrize("member", ["20231207-213025/../../etc/cron.d/x.xml", "/etc/passwd",
                                    "20231207-213025/legi/../../../x.xml"])
def test_unsafe_member_paths_are_refused(tmp_path, dumps, built, member):
    path = copy_of(built, tmp_path)
    before = quads(path)
    bad = pack(tmp_path / "LEGI_20231209-000000.tar.gz",
               [(base_path(LEGI[ANNEX]), LEGI[ANNEX])], prefix="20231209-000000/")
    with tarfile.open(bad, "w:gz") as tar:
        for name, data in [(member, LEGI[ANNEX])]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    with pytest.raises(ReadError, match="unsafe path"):
        archives.build([bad], path)
    assert quads(path) == before


@pytest.mark.parametrize("doctype", [
    b'<!DOCTYPE ARTICLE [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
    b'<!DOCTYPE ARTICLE [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>',
])
def test_xml_with_entities_is_refused(tmp_path, dumps, built, doctype):
    path = copy_of(built, tmp_path)
    before = quads(path)
    evil = LEGI[D215_16].replace(b"?>\n", b"?>\n" + doctype + b"\n", 1).replace(
        b"<NUM>D215-16</NUM>", b"<NUM>D215-16 &c;</NUM>" if b"&b;" in doctype else b"<NUM>&xxe;</NUM>")
    bad = pack(tmp_path / "LEGI_20231209-000000.tar.gz", [(base_path(LEGI[D215_16]), evil)],
               prefix="20231209-000000/")
    with pytest.raises(ReadError, match="entities") as e:
        archives.build([bad], path)
    assert "LEGIARTI000006291810.xml" in str(e.value)
    assert quads(path) == before


def test_jorf_archives_give_the_amending_texts(tmp_path):
    jorf = sorted((OFFICIAL / "jorf").glob("*.xml"))
    files = []
    for p in jorf:
        ident = re.search(r"(JORF(?:TEXT|CONT)\d{12})", p.name).group(1)
        folder = "CONT" if "CONT" in ident else "TEXT"
        files.append((f"jorf/global/JORF/{folder}/{_split(ident)}/{ident}.xml", p.read_bytes()))
    archive = pack(tmp_path / "JORF_20260613-013501.tar.gz", files, prefix="20260613-013501/")
    everything = archives.build([archive], tmp_path / "all" / "store", jorf_texts="all")
    assert everything.texts >= 3
    assert ask(tmp_path / "all" / "store", 'ASK { ?t eli:id_local "INTE2601369A" ; eli:title ?title }')
    # by default only the texts that changed an article of the store: none of these
    amending = archives.build([archive], tmp_path / "amending" / "store")
    assert amending.texts == 0 and amending.files == len(files)
    assert archives.amended_texts(ox.Store.read_only(str(tmp_path / "amending" / "store"))) == frozenset()


def test_describe_and_order(tmp_path, dumps):
    full = archives.describe(dumps["full"])
    assert (full.base, full.stamp, full.full) == ("legi", "20231206-100000", True)
    inc = archives.describe(dumps["inc2"])
    assert (inc.base, inc.stamp, inc.full) == ("legi", "20231208-212958", False)
    renamed = tmp_path / "daily.tar.gz"
    shutil.copy(dumps["inc1"], renamed)
    assert archives.describe(renamed).stamp == "20231207-213025"
    assert archives.describe(Path(__file__)) is None
    jorf = archives.ArchiveInfo(Path("JORF_20231207-010101.tar.gz"), "jorf", "20231207-010101", False)
    order = archives.order([archives.describe(dumps["inc2"]), jorf, archives.describe(dumps["inc1"]), full])
    assert [i.stamp for i in order] == ["20231206-100000", "20231207-213025", "20231207-010101", "20231208-212958"]


def test_suppression_lists():
    assert archives.suppressions(b"legi/global/a/LEGIARTI000000000001\nlegi/global/b D\n\n", "x") == [
        "legi/global/a/LEGIARTI000000000001", "legi/global/b"]
    for bad in (b"/etc/passwd\n", b"legi/../../x\n"):
        with pytest.raises(ReadError):
            archives.suppressions(bad, "x")


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_suppression_list_never_crashes(data):
    try:
        out = archives.suppressions(data, "liste_suppression_legi.dat")
    except ReadError:
        return
    assert all(not p.startswith("/") and ".." not in p.split("/") for p in out)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_classify_any_path(path):
    m = archives.classify(path)
    assert m.part in ("article", "section_ta", "version", "struct", "cont", "other")


def test_an_interrupted_build_resumes_where_it_stopped(tmp_path, dumps, monkeypatch):
    monkeypatch.setattr(engine, "BATCH", 1)  # one file a batch, each written as it comes
    monkeypatch.setattr(engine, "CHUNK", 1)
    path = tmp_path / "store"
    seen = []

    def interrupt(name, total):
        if not name.startswith("start:"):
            seen.append(name)
            if len(seen) == 2:
                raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        archives.build([dumps["full"], dumps["inc1"]], path, progress=interrupt, workers=1)
    assert not path.exists()  # nothing swapped in
    resumed = archives.build([dumps["full"], dumps["inc1"]], path, workers=1)
    assert resumed.resumed and resumed.skipped == 2
    archives.build([dumps["full"], dumps["inc1"]], tmp_path / "fresh" / "store", workers=1)
    assert quads(path) == quads(tmp_path / "fresh" / "store")
