"""``santelex cite`` lookups on the seed store, and ``santelex cite extract`` (issue 6)."""
from __future__ import annotations

import json

from click.testing import CliRunner

from santelex import paths
from santelex.cli import main
from santelex.services import cite

FIELDS = ["source", "start", "end", "text", "target", "pinpoint", "resolved", "exists", "reason"]
R1434_4 = paths.SEEDS / "r1434-4-sros-version.md"
DECREE = paths.SEEDS / "decret-2005-76-jo.txt"


def run(*args):
    return CliRunner().invoke(main, list(map(str, args)))


def test_cite_prints_both_ways_with_pinpoints(seed_store):
    res = run("cite", "CSP R1434-4", "--store", seed_store.path)
    assert res.exit_code == 0, res.output
    assert "code-de-la-securite-sociale/L162-14-1 [I, 1°]" in res.output
    assert "«1° du I de l'article L. 162-14-1 du code de la sécurité sociale»" in res.output
    res = run("cite", "D. 712-2", "--store", seed_store.path)
    assert "← jorf/decret/2005-76/article/3" in res.output
    assert "«articles D. 712-1 à D. 712-3 du code de la santé publique»" in res.output


def test_cite_depth_and_path(seed_store):
    res = run("cite", "D712-1", "--depth", "2", "--store", seed_store.path)
    assert res.exit_code == 0, res.output
    assert "→1 code-de-la-sante-publique/L6121-2" in res.output
    assert "←1 jorf/decret/2005-76/article/3" in res.output
    res = run("cite", "--path", "D. 712-2", "R712-37-1", "--store", seed_store.path)
    assert res.exit_code == 0, res.output
    assert "code-de-la-sante-publique/D712-2 → code-de-la-sante-publique/R712-37-1" in res.output


def test_dangling_lists_articles_no_longer_in_the_code(seed_store):
    res = run("cite", "--dangling", "--store", seed_store.path)
    assert res.exit_code == 1
    assert "jorf/decret/2005-76/article/3 → code-de-la-sante-publique/D712-13" in res.output
    assert "L1434-9" not in res.output  # still in the code


def test_unknown_article_names_the_nearest(seed_store):
    res = run("cite", "R1434-44", "--store", seed_store.path)
    assert res.exit_code == 2
    assert "R1434-4" in res.output and "Traceback" not in res.output


def test_graph_from_the_store(seed_store):
    g = cite.graph(seed_store)
    d712_2 = "https://data.santelex.fr/code/code-de-la-sante-publique/article/D712-2"
    assert g.has_edge("https://data.santelex.fr/jorf/decret/2005-76/article/3", d712_2)


def test_extract_jsonl_fields_and_offsets():
    res = run("cite", "extract", DECREE)
    assert res.exit_code == 0, res.output
    lines = [json.loads(line) for line in res.output.splitlines()]
    assert all(list(rec) == FIELDS for rec in lines)
    d712 = [rec for rec in lines if rec["target"] == "code-de-la-sante-publique/D712-2"]
    assert d712 and all(rec["exists"] is False and rec["source"] == "jorf/decret-2005-76/3" for rec in d712)
    visa = next(rec for rec in lines if rec["source"] == "jorf/decret-2005-76/visas")
    assert visa["target"] == "code-de-la-sante-publique/L6121-1"


def test_extract_markdown_ignores_links_and_slices(r1434_4):
    res = run("cite", "extract", R1434_4, "--format", "jsonl")
    lines = [json.loads(line) for line in res.output.splitlines()]
    assert [(rec["source"], rec["target"], rec["pinpoint"]) for rec in lines] == [
        ("code-de-la-sante-publique/R1434-4", "code-de-la-sante-publique/L1434-9", None),
        ("code-de-la-sante-publique/R1434-4", "code-de-la-securite-sociale/L162-14-1", "I, 1°"),
        ("code-de-la-sante-publique/R1434-4", "code-de-la-sante-publique/L1434-7", "alinéa 5")]
    text = r1434_4.text
    assert all(text[rec["start"]:rec["end"]] == rec["text"] for rec in lines)
    assert "<a" not in res.output


def test_extract_text_format_and_bad_path(tmp_path):
    res = run("cite", "extract", DECREE, "--format", "text")
    assert res.exit_code == 0
    assert "«I du présent article»\t→ jorf/decret-2005-76 [article 3, I]" in res.output
    res = run("cite", "extract", tmp_path / "missing.md")
    assert res.exit_code == 2 and "no such file" in res.output
