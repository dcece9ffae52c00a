"""The public API (``santelex.<verb>``), pinned as httpx pins its own: the exported names, that
importing a part of santelex loads nothing else, and each verb end to end on real texts."""
from __future__ import annotations

import subprocess
import sys

import pytest

import santelex
from santelex import paths

PINNED = ["build", "fetch", "update", "validate", "query", "cite", "show", "open_store",
          "SantelexError", "ReadError", "StoreError", "AnnexError", "QueryError", "FetchError",
          "UsageError", "RuleSetError"]
SEEDS = [paths.SEEDS / "r1434-4-sros-version.md", paths.SEEDS / "decret-2005-76-jo.txt"]


def test_the_exported_names_are_pinned():
    assert santelex.__all__ == PINNED
    for name in PINNED:
        assert getattr(santelex, name) is not None
        assert name in dir(santelex)
    with pytest.raises(AttributeError):
        santelex.no_such_verb  # noqa: B018


def test_the_errors_are_one_family():
    for name in PINNED[8:]:
        assert issubclass(getattr(santelex, name), santelex.SantelexError)


def _loaded(statement: str) -> list[str]:
    code = f"import sys; {statement}; print(sorted(m for m in sys.modules if m.startswith('santelex')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return eval(out)


def test_importing_a_part_loads_nothing_else():
    assert _loaded("import santelex") == ["santelex"]
    assert _loaded("import santelex.model") == ["santelex", "santelex.model"]
    assert _loaded("from santelex import errors") == ["santelex", "santelex.errors"]
    # a verb loads its own layer when first used, not before
    assert "santelex.validation" not in _loaded("import santelex; santelex.validate")
    assert "santelex.validation" in _loaded("import santelex; santelex.validate(" + repr(
        str(paths.EXAMPLES / "annexe-2006")) + ")")


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    path = tmp_path_factory.mktemp("api") / "store"
    stats = santelex.build(SEEDS, path)
    assert stats.articles > 0 and stats.citations > 0
    return path


def test_show_cite_and_query_answer_from_the_store(store):
    text = santelex.show("CSP R1434-4", store)
    assert "R1434-4" in text and "L1434-9" in text
    cited = santelex.cite("CSP R1434-4", store)
    assert any(c.target and c.target.endswith("code-de-la-securite-sociale/article/L162-14-1") and c.pinpoint == "I, 1°"
               for c in cited)
    citing = santelex.cite("D. 712-2", store, cited_by=True)
    assert any("2005-76" in c.source for c in citing)
    # the named query and the service agree
    result = santelex.query("cites", store, params={"article": "CSP R1434-4"})
    assert len(result) == len(cited)
    count = santelex.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", store)
    assert int(count.rows[0][0].value) > 100


def test_an_open_store_is_used_and_left_open(store):
    st = santelex.open_store(store, read_only=True)
    try:
        assert santelex.cite("CSP R1434-4", st) == santelex.cite("CSP R1434-4", store)
        assert st.count() > 0  # still open
    finally:
        st.close()


def test_errors_are_raised_not_printed(store):
    with pytest.raises(santelex.UsageError, match="R1434-"):
        santelex.show("CSP R1434-999", store)
    with pytest.raises(santelex.ReadError):
        santelex.build([paths.SEEDS / "no-such-file.md"], store)
    with pytest.raises(santelex.UsageError):
        santelex.fetch()


def test_validate_an_annex_at_its_date():
    ok = santelex.validate(paths.EXAMPLES / "annexe-2006")
    assert ok.conforms
    bad = santelex.validate(paths.EXAMPLES / "annexe-erreurs")
    assert not bad.conforms and len(bad.results) > 5


def test_open_store_is_a_context_manager(store):
    with santelex.open_store(store, read_only=True) as st:
        assert santelex.cite("D. 712-2", st, cited_by=True)
