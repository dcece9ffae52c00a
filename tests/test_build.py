"""Building the store: idempotent, all or nothing, graph shape (issue 2)."""
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from pyoxigraph import NamedNode

from santelex import builder, paths
from santelex.builder import engine, files
from santelex.cli import main
from santelex.errors import ReadError
from santelex.store import open_store

SEEDS = [paths.SEEDS / "r1434-4-sros-version.md", paths.SEEDS / "decret-2005-76-jo.txt"]
CSP = "https://data.santelex.fr/code/code-de-la-sante-publique/article/"
ELI = "http://data.europa.eu/eli/ontology#"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
SOURCE = "https://data.santelex.fr/source/"


def triples(store):
    return sorted(str(t) for t in store.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"))


def quads(path) -> set[str]:
    """Every quad of the store at ``path``, named graph included."""
    store = open_store(path, read_only=True)
    try:
        return {str(q) for q in store.oxigraph.quads_for_pattern(None, None, None, None)}
    finally:
        store.close()


def triples_by_source_file(path) -> set[str]:
    """The store's triples with each source node named by its file's name alone (its label is
    the file's path): what must not depend on where the input files lie."""
    store = open_store(path, read_only=True)
    try:
        names = {str(r["s"]): f"<source:{Path(r['label'].value).name}>" for r in store.query(
            f"SELECT ?s ?label WHERE {{ ?s <{RDFS_LABEL}> ?label FILTER(STRSTARTS(STR(?s), '{SOURCE}')) }}")}
        out = set()
        for t in store.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"):
            if str(t.subject) in names and str(t.predicate) == f"<{RDFS_LABEL}>":
                continue
            line = str(t)
            for node, name in names.items():
                line = line.replace(node, name)
            out.add(line)
        return out
    finally:
        store.close()


def test_second_build_adds_nothing(tmp_path):
    path = tmp_path / "store"
    first = builder.build(SEEDS, path)
    store = open_store(path)
    before = triples(store)
    store.close()
    second = builder.build(SEEDS, path)
    store = open_store(path)
    assert triples(store) == before
    assert second.triples == first.triples and second.quads == first.quads


def test_build_from_another_directory_gives_same_graph(tmp_path, monkeypatch):
    """The same files named from two working directories: the same quads, graph names included."""
    monkeypatch.chdir(paths.SEEDS)
    a = builder.build([Path(s.name) for s in SEEDS], tmp_path / "a")
    monkeypatch.chdir(paths.SEEDS.parent)
    b = builder.build([Path(paths.SEEDS.name) / s.name for s in SEEDS], tmp_path / "b")
    assert a.quads == b.quads > 1000
    assert quads(tmp_path / "a") == quads(tmp_path / "b")


def test_the_same_files_copied_elsewhere_give_the_same_triples(tmp_path):
    """Copies of the seeds in another folder: the same triples but for their provenance, which
    names the file read (its path, in the source node's label)."""
    copy = tmp_path / "elsewhere"
    copy.mkdir()
    for s in SEEDS:
        shutil.copy(s, copy / s.name)
    builder.build(SEEDS, tmp_path / "a")
    builder.build([copy / s.name for s in SEEDS], tmp_path / "b")
    a, b = triples_by_source_file(tmp_path / "a"), triples_by_source_file(tmp_path / "b")
    assert a == b and len(a) > 1000
    assert any("<source:decret-2005-76-jo.txt>" in t and "wasDerivedFrom" in t for t in a)


def test_failed_build_leaves_store_untouched(tmp_path):
    path = tmp_path / "store"
    builder.build(SEEDS[:1], path)
    store = open_store(path)
    before = triples(store)
    store.close()
    bad = tmp_path / "bad.txt"
    bad.write_bytes("Décret n° 2099-1 du 1 janvier 2099\nNOR : XXXX0000000X\n".encode())
    with pytest.raises(ReadError):
        builder.build([SEEDS[1], bad], path)
    store = open_store(path)
    assert triples(store) == before
    # no staging copy, no journal, no lock file (a build removes it as it ends)
    assert sorted(f.name for f in tmp_path.iterdir()) == ["bad.txt", "store"]


def test_interrupted_build_leaves_store_untouched(tmp_path):
    path = tmp_path / "store"
    builder.build(SEEDS[:1], path)
    store = open_store(path)
    before = triples(store)
    store.close()

    def interrupt(name, total):
        if not name.startswith("start:"):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        builder.build(SEEDS, path, progress=interrupt)
    store = open_store(path)
    assert triples(store) == before
    # the staging copy and its journal stay beside the store, for the next build to resume from
    assert [re.sub(r"-[0-9a-f]{16}$", "-<job>", f.name) for f in sorted(tmp_path.iterdir())] == [
        ".store.journal-<job>", ".store.staging-<job>", "store"]  # named after the job: no two share them


def test_graph_uses_eli(seed_store):
    d2 = NamedNode(CSP + "D712-2")
    q = f"""PREFIX eli: <{ELI}>
    SELECT ?v WHERE {{ ?a a eli:LegalResourceSubdivision ; eli:is_realized_by ?v ; eli:number "D712-2" .
                       ?v eli:has_part/eli:has_part/eli:has_part ?sub . ?sub eli:realizes ?abstract .
                       FILTER(?a = ?art) }}"""
    rows = list(seed_store.query(q, {"art": d2}))
    assert rows
    ask = f"""PREFIX eli: <{ELI}> ASK {{ <{CSP}D712-2/I/3/a> eli:is_part_of <{CSP}D712-2> .
        ?v eli:realizes <{CSP}D712-2/I/3/a> . ?v <https://data.santelex.fr/ontology#text> ?t .
        FILTER(STRSTARTS(?t, "a) Activité de médecine")) }}"""
    assert seed_store.query(ask)


def test_citation_with_pinpoint_points_at_subdivision(seed_store):
    ask = f"""PREFIX eli: <{ELI}> ASK {{
        <{CSP}R1434-4> eli:cites <https://data.santelex.fr/code/code-de-la-securite-sociale/article/L162-14-1> .
        ?sub eli:cites <https://data.santelex.fr/code/code-de-la-securite-sociale/article/L162-14-1/I/1> .
        ?c <https://data.santelex.fr/ontology#provenance> "legifrance-link" ;
           <http://www.w3.org/ns/prov#wasDerivedFrom> ?file .
        ?file <http://www.w3.org/2000/01/rdf-schema#label> "seeds/r1434-4-sros-version.md" }}"""
    assert seed_store.query(ask)


def test_decree_amends_code(seed_store):
    ask = f"""PREFIX eli: <{ELI}> ASK {{
        <https://data.santelex.fr/jorf/decret/2005-76> eli:changes <{CSP}D712-2> ;
            eli:date_document "2005-01-31"^^<http://www.w3.org/2001/XMLSchema#date> ;
            eli:id_local "SANH0424194D" .
        <{CSP}D712-2> eli:changed_by <https://data.santelex.fr/jorf/decret/2005-76/article/2> }}"""
    assert seed_store.query(ask)


def test_cli_build_show_export(tmp_path):
    runner = CliRunner()
    store = str(tmp_path / "store")
    res = runner.invoke(main, ["build", "--store", store, "--quiet", *map(str, SEEDS)])
    assert res.exit_code == 0, res.output
    res = runner.invoke(main, ["show", "--store", store, "D. 712-2"])
    assert res.exit_code == 0
    assert "Sous-section 1 : Objectifs quantifiés de l'offre de soins" in res.output
    assert "      a) Activité de médecine" in res.output
    res = runner.invoke(main, ["show", "--store", store, "CSP R1434-4"])
    assert "[I, 1°]" in res.output and "[alinéa 5]" in res.output
    res = runner.invoke(main, ["export", "--store", store, "--format", "nquads"])
    assert res.exit_code == 0 and "<http://data.europa.eu/eli/ontology#cites>" in res.output
    res = runner.invoke(main, ["show", "--store", store, "D. 712-9"])
    assert res.exit_code == 2 and "nearest: D712-3" in res.output


@pytest.fixture(scope="module")
def csp_sample(tmp_path_factory):
    """A .tar.xz of the first 700 articles of the bundled CSP archive."""
    import io
    import tarfile
    out = tmp_path_factory.mktemp("sample") / "csp-sample.tar.xz"
    with tarfile.open(paths.CSP_ARCHIVE, "r|xz") as src, tarfile.open(out, "w:xz") as dst:
        n = 0
        for member in src:
            if member.isfile() and member.name.endswith(".md"):
                data = src.extractfile(member).read()
                info = tarfile.TarInfo(member.name)
                info.size = len(data)
                dst.addfile(info, io.BytesIO(data))
                n += 1
                if n == 700:
                    break
    return out


def test_parallel_build_equals_serial(tmp_path, csp_sample):
    a = builder.build([csp_sample], tmp_path / "serial", workers=1)
    b = builder.build([csp_sample], tmp_path / "parallel", workers=2)
    assert a.files == b.files == 700
    sa, sb = open_store(tmp_path / "serial"), open_store(tmp_path / "parallel")
    assert triples(sa) == triples(sb)


def test_interrupted_build_resumes(tmp_path, csp_sample, monkeypatch):
    from santelex.store.local import Loader
    monkeypatch.setattr(Loader, "BULK_BYTES", 1)  # write (and journal) every batch
    monkeypatch.setattr(engine, "CHUNK", 1)
    path = tmp_path / "store"
    builder.build(SEEDS[:1], path)
    seen = []

    def interrupt_after_first_batch(name, total):
        if not name.startswith("start:"):
            seen.append(name)
            if len(seen) == engine.BATCH + 1:
                raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        builder.build([csp_sample], path, progress=interrupt_after_first_batch, workers=2)
    store = open_store(path)
    assert len(triples(store)) > 0
    assert not store.query("ASK { ?s <http://www.w3.org/ns/prov#wasDerivedFrom> ?f . "
                           "FILTER(CONTAINS(STR(?f), 'csp-sample')) }")
    store.close()
    resumed = builder.build([csp_sample], path, workers=2)
    assert resumed.resumed and resumed.skipped >= engine.BATCH
    assert resumed.files + resumed.skipped == 700
    fresh = tmp_path / "fresh"
    builder.build(SEEDS[:1], fresh)
    builder.build([csp_sample], fresh)
    assert triples(open_store(path)) == triples(open_store(fresh))


def test_vocabularies_load_into_the_store(tmp_path):
    path = tmp_path / "store"
    stats = builder.build(SEEDS + files.vocabularies(), path)
    assert stats.files == 2 + len(files.vocabularies())
    store = open_store(path)
    ask = """PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
        ASK { ?c skos:notation ?n . FILTER(STR(?n) = "sejours") }"""
    assert store.query(ask)
    grounded = """PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
        PREFIX eli: <http://data.europa.eu/eli/ontology#>
        ASK { ?c skos:notation ?n ; ?link ?sub . FILTER(STR(?n) = "sejours")
              ?version eli:realizes? ?sub . ?version <https://data.santelex.fr/ontology#text> ?t }"""
    assert store.query(grounded)


def test_broken_turtle_is_refused_with_its_line(tmp_path):
    bad = tmp_path / "bad.ttl"
    bad.write_text("@prefix ex: <http://example.org/> .\nex:a ex:b ex:c .\nex:a ex:b \"open .\n")
    res = CliRunner().invoke(main, ["build", "--quiet", "--store", str(tmp_path / "s"), str(bad)])
    assert res.exit_code == 2
    assert "bad.ttl" in res.output and "Traceback" not in res.output
