"""One home for each fact: the codes (santelex/codes.py), a user's name for an article
(santelex/lookup.py), URIs read back (santelex/uris.py), article numbers (ingest/numbers.py).
The cases where two former homes disagreed are named in each test."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from santelex import codes, lookup, uris
from santelex.errors import UsageError
from santelex.ingest import corpus_index, numbers
from santelex.services import query as q

CSP_ART = "https://data.santelex.fr/code/code-de-la-sante-publique/article/"
CSS_ART = "https://data.santelex.fr/code/code-de-la-securite-sociale/article/"
CGI = "code-general-des-impots-cgi"


# -- the codes -------------------------------------------------------------------------------

def test_one_table_of_codes():
    assert codes.slug("CSP") == codes.slug("csp") == "code-de-la-sante-publique"
    assert codes.slug("cgi") == CGI  # initials, derived from the slugs
    assert codes.slug("code-civil") == codes.slug("civ") == "code-civil"
    assert codes.slug("xyz") is None
    assert codes.legitext("code-de-la-sante-publique") == "LEGITEXT000006072665"
    assert sorted(codes.legitexts()["code-de-la-route"]) == ["LEGITEXT000006074228", "LEGITEXT000006074947"]
    assert codes.resolve_codes(["csp", "LEGITEXT000006073189"]) == {
        "LEGITEXT000006072665": "code-de-la-sante-publique", "LEGITEXT000006073189": "code-de-la-securite-sociale"}
    assert codes.resolve_codes(None) is None
    with pytest.raises(UsageError, match="unknown code 'code-de-la-sante'; nearest: .*code-de-la-sante-publique"):
        codes.resolve_codes(["code-de-la-sante"])
    assert codes.title("code-de-la-securite-sociale") == "code de la sécurité sociale"
    assert codes.title("code-minier") == "code minier"  # no title in the table: the slug's words
    assert codes.short("code-de-la-securite-sociale") == "CSS" and codes.short("code-civil") == "CC"
    # the readers see the same rows (through the index of the corpus)
    assert corpus_index.default().code_for_legitext("LEGITEXT000006072665") == "code-de-la-sante-publique"
    assert set(corpus_index.legitext_codes().values()) == set(codes.legitexts())


# -- a user's name for an article ------------------------------------------------------------

@pytest.mark.parametrize("text,expected", [
    ("CSP R1434-4", ("code-de-la-sante-publique", "R1434-4")),
    ("R1434-4", (None, "R1434-4")),
    ("D. 712-2", (None, "D712-2")),
    ("art. R. 6122-25", (None, "R6122-25")),
    ("code-de-la-sante-publique/L1434-7", ("code-de-la-sante-publique", "L1434-7")),
    ("csp/l1434-7", ("code-de-la-sante-publique", "L1434-7")),
    ("code-civil 1240", ("code-civil", "1240")),
    ("CGI 13", (CGI, "13")),
    ("cgi/13", (CGI, "13")),
])
def test_split(text, expected):
    assert lookup.split(text) == expected


def test_every_command_reads_a_code_s_initials(seed_store):
    # was: only `fetch` knew initials (legifrance.split_code); show, cite, query and the web
    # read "CGI 13" as the CSP's article "CGI13"
    assert lookup.article("CGI 13") == uris.article(CGI, "13")
    assert q.term(q.Param("a", "article"), "CGI 13") == q.ox.NamedNode(uris.article(CGI, "13"))
    assert q.term(q.Param("c", "code"), "cgi") == q.ox.NamedNode(uris.code(CGI))


def test_a_number_alone(seed_store):
    assert lookup.article("R1434-4", seed_store) == CSP_ART + "R1434-4"
    assert lookup.article("https://example.org/x ") == "https://example.org/x"
    with pytest.raises(UsageError, match="names no article"):
        lookup.article("csp/")
    # only cited in the store: the article cited (was, for `query --param`: the CSP's L162-14-1,
    # which no text has; `cite` already answered the cited one)
    assert lookup.article("L162-14-1", seed_store) == CSS_ART + "L162-14-1"
    assert q.term(q.Param("a", "article"), "L162-14-1", seed_store) == q.ox.NamedNode(CSS_ART + "L162-14-1")
    assert lookup.known_article(seed_store, "L162-14-1") == CSS_ART + "L162-14-1"
    with pytest.raises(UsageError, match="no article 'L162-14-1' in the store"):
        lookup.known_article(seed_store, "L162-14-1", cited=False)
    with pytest.raises(UsageError, match=r"no article 'R1434-5' in the store; nearest: R1434-4"):
        lookup.known_article(seed_store, "R1434-5")


# -- URIs read back --------------------------------------------------------------------------

def test_parse_and_label():
    w = CSP_ART + "R1434-4"
    assert uris.parse(w) == uris.Parts(code="code-de-la-sante-publique", number="R1434-4")
    p = uris.parse(w + "/version/LEGIARTI000038814944/I/3/a")
    assert (p.version, p.sub, p.work) == ("LEGIARTI000038814944", "I/3/a", w)
    assert uris.parse(w + "/version/k/citation/2") is None
    assert uris.parse("https://example.org/x") is None
    assert uris.label(w) == "R. 1434-4"
    assert uris.label(CSS_ART + "L162-14-1/I/1") == "L. 162-14-1 (CSS), I, 1°"
    assert uris.label(uris.code("code-de-la-securite-sociale")) == "code de la sécurité sociale"
    decree = uris.text("decret", "2005-76")
    assert uris.label(uris.text_article(decree, "3")) == "décret n° 2005-76, art. 3"
    assert uris.label(decree, {decree: "Décret du 4 février 2005"}) == "Décret du 4 février 2005"
    assert uris.name(w) == "code-de-la-sante-publique/R1434-4"
    assert uris.name(decree) == "jorf/decret/2005-76"


def test_labels_that_two_homes_wrote_differently():
    # the web wrote "decret-loi n° …", the update report "décret-loi n° …"
    assert uris.label(uris.text("decret-loi", "39-123")) == "décret-loi n° 39-123"
    # the update report wrote a text without a number as its bare id, the web as "texte …"
    text = uris.text(None, None, "JORFTEXT000000574488")
    assert uris.label(uris.text_article(text, "4")) == "texte JORFTEXT000000574488, art. 4"


@given(st.sampled_from(["code-de-la-sante-publique", "code-civil", "code-de-lurbanisme"]),
       st.text(alphabet="LRDA*. -0123456789bistereé/", min_size=1, max_size=14),
       st.lists(st.sampled_from(["I", "3", "a", "alinea-2", "tiret-1"]), max_size=3))
def test_minted_uris_parse_back(slug, number, sub):
    w = uris.article(slug, number)
    p = uris.parse(uris.subdivision(uris.version(w, "k/1"), tuple(sub)))
    assert p is not None and (p.code, p.number, p.version, p.sub, p.work) == (slug, number, "k/1", "/".join(sub), w)


#: a code and JO texts, with and without a number
TEXTS = [uris.code("code-de-la-sante-publique"), uris.code("code-civil"), uris.text("decret", "2005-76"),
         uris.text("decret-loi", "39-123"), uris.text(None, None, "JORFTEXT000000574488")]


@given(st.sampled_from(TEXTS), st.text(alphabet="LRDA*. -0123456789bistereé/", min_size=1, max_size=14),
       st.lists(st.sampled_from(["I", "3", "a", "alinea-2", "tiret-1"]), max_size=3), st.booleans())
def test_the_text_a_minted_uri_belongs_to(text, number, sub, versioned):
    # builder/changes.py and builder/archives.py took the amending text off an article's URI with
    # a regex of their own; uris.text_of reads it with parse
    p = uris.parse(text)
    art = uris.article(p.code, number) if p.code is not None else uris.text_article(text, number)
    node = uris.subdivision(uris.version(art, "k/1") if versioned else art, tuple(sub))
    assert uris.text_of(node) == uris.text_of(art) == uris.text_of(text) == text
    # what santelex did not mint, and what is not in a text, stay as they are
    for other in ("https://example.org/jorf/article/2", uris.section("code-civil", ("livre-i",)),
                  uris.version(art, "k") + "/citation/2"):
        assert uris.text_of(other) == other


# -- article numbers -------------------------------------------------------------------------

def test_number_keys_and_order():
    assert numbers.key("R* 712-8") == numbers.key("R. 712-8") == "R712-8"
    # a no-break space: the update's key dropped it, the index's kept it
    assert numbers.key("R.\u00a0712-8") == "R712-8"
    assert sorted(["R712-10", "R712-9", "R712-1"], key=numbers.sort_key) == ["R712-1", "R712-9", "R712-10"]
    # the articles of a JO text: 7-1 and 7 bis after 7 (the text page put every number that is
    # not all digits after the last one that is)
    assert sorted(["10", "7-1", "8", "7 bis", "7"], key=numbers.sort_key) == ["7", "7 bis", "7-1", "8", "10"]
    assert numbers.order("R* 712-8") < numbers.order("R712-10")


@given(st.text(max_size=20))
def test_key_is_idempotent_and_drops_only_spaces_dots_stars(text):
    k = numbers.key(text)
    assert numbers.key(k) == k
    assert not any(c.isspace() or c in ".*" for c in k)
    assert k == "".join(c for c in text if not (c.isspace() or c in ".*"))


def test_show_names_articles_as_cite_does(seed_store):
    # was: show printed "code-de-la-securite-sociale/article/L162-14-1" and "decret/2005-76/article/3"
    # (cut out of the URI in three ways), cite "code-de-la-securite-sociale/L162-14-1": the
    # name a user types back
    from santelex.services.show import render
    out = render(seed_store, "CSP R1434-4")
    assert "Article R1434-4 — code-de-la-sante-publique" in out
    assert "→ code-de-la-securite-sociale/L162-14-1 [I, 1°]" in out
    out = render(seed_store, "D. 712-2")
    assert "replace by jorf/decret/2005-76/article/2" in out
    assert "← jorf/decret/2005-76/article/3  «articles D. 712-1 à D. 712-13" in out


@given(st.sampled_from(sorted(codes.legitexts())),
       st.from_regex(r"[LRDA]{1,2}[0-9]{1,5}(-[0-9]{1,3}){0,3}", fullmatch=True))
def test_names_read_back(slug, number):
    # the name santelex prints for an article is one that lookup reads back to the same article
    w = uris.article(slug, number)
    assert lookup.article(uris.name(w)) == w
    written = f"{number[0]}. {number[1:]}" if number[1].isdigit() else number  # "R. 1434-4"
    assert lookup.split(f"{slug} {written}") == lookup.split(f"{slug}/{number.lower()}") == (slug, number)


def test_a_starred_number_read_as_the_corpus_writes_it(tmp_path):
    # the CSP's R*1173-8 (a decree in Conseil d'État): "R1173-8", "CSP R*1173-8" and the name
    # santelex prints all found it nowhere (the star was dropped from what users typed, kept by
    # the reader)
    import tarfile

    import santelex
    from santelex import paths
    with tarfile.open(paths.CSP_ARCHIVE, "r|xz") as tf:
        member = next(m for m in tf if m.name.endswith("/r1173-8.md"))
        data = tf.extractfile(member).read()
    f = tmp_path / "code-de-la-sante-publique" / "r1173-8.md"
    f.parent.mkdir()
    f.write_bytes(data)
    santelex.build([f], tmp_path / "store")
    with santelex.open_store(tmp_path / "store", read_only=True) as store:
        w = CSP_ART + "R%2A1173-8"
        for name in ("R1173-8", "R*1173-8", "CSP R. 1173-8", "csp/R*1173-8", uris.name(w)):
            assert lookup.known_article(store, name) == w, name
