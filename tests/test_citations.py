"""Citations (issue 6): find and resolve every reference, on real sentences of the seeds and
the corpus (each quoted from the article named beside it), and link them to Legifrance's."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from santelex.ingest import corpus_index
from santelex.ingest.citations.find import find
from santelex.ingest.citations.link import article_references, merge
from santelex.ingest.citations.pinpoint import chain_before, key
from santelex.ingest.citations.resolve import exists, resolve_text
from santelex.ingest.html_text import parse_fragment
from santelex.model import CSP

CSS = "code-de-la-securite-sociale"
CASF = "code-de-laction-sociale-et-des-familles"


def refs(text, code=CSP, ctx=None):
    found = resolve_text(text, code, ctx if ctx is not None else {"article": "X"})
    for r in found:
        assert text[r.start:r.end] == r.text
    return found


def one(text, code=CSP, ctx=None):
    found = refs(text, code, ctx)
    assert len(found) == 1, found
    return found[0]


# -- the seeds -----------------------------------------------------------------------------

R1434_4_TARIFS = ("Il détermine les objectifs retenus pour assurer une offre de soins suffisante aux tarifs "
                  "des honoraires prévus au 1° du I de l'article L. 162-14-1 du code de la sécurité sociale.")


def test_r1434_4_pinpoint_and_code_named_after():
    r = one(R1434_4_TARIFS)
    assert (r.target, r.pinpoint, r.provenance) == (f"{CSS}/L162-14-1", ("I", "1°"), "text")
    assert r.text == "1° du I de l'article L. 162-14-1 du code de la sécurité sociale"


def test_r1434_4_alinea_pinpoint_and_inherited_code(r1434_4):
    r = one(r1434_4.paragraphs[-1])
    assert (r.target, r.pinpoint, r.text) == (f"{CSP}/L1434-7", ("alinéa 5",),
                                              "cinquième alinéa de l'article L. 1434-7")
    assert key("alinéa 5") == "alinea-5" and key("1°") == "1" and key("I") == "I"


def test_r1434_4_links_stay_and_text_adds_nothing_new(r1434_4):
    """Every reference of R1434-4 is linked by Legifrance: the links stay, none is doubled."""
    refs_ = r1434_4.all_references
    assert [(r.target, r.provenance) for r in refs_] == [
        (f"{CSP}/L1434-9", "legifrance-link"), (f"{CSS}/L162-14-1", "legifrance-link"),
        (f"{CSP}/L1434-7", "legifrance-link")]


def test_decree_visas(decree):
    visa_code, visa_ordinance = decree.visas
    r = one(visa_code, None, {})
    assert (r.target, r.text) == (f"{CSP}/L6121-1", "article L. 6121-1")  # "notamment son article"
    found = refs(visa_ordinance, None, {})
    assert [(r.target, r.target_article, r.text) for r in found] == [
        ("jorf/ordonnance-2003-850", None, "ordonnance no 2003-850 du 4 septembre 2003"),
        ("jorf/ordonnance-2003-850", "12", "article 12")]


def _article_3(decree):
    return [r for _, sub in decree.articles[2].walk() for r in sub.references]


def test_decree_article_3_back_references(decree):
    found = _article_3(decree)
    by_text = {}
    for r in found:
        by_text.setdefault(r.text, []).append(r)
    [susvisee] = by_text["article 12 de l'ordonnance du 4 septembre 2003 susvisée"]
    assert (susvisee.target, susvisee.target_article) == ("jorf/ordonnance-2003-850", "12")
    precitee = by_text["deuxième alinéa de l'article 12 de l'ordonnance précitée"]
    assert {(r.target, r.target_article, r.pinpoint) for r in precitee} == {
        ("jorf/ordonnance-2003-850", "12", ("alinéa 2",))}
    [meme_code] = by_text["article L. 6121-1 du même code"]
    assert meme_code.target == f"{CSP}/L6121-1"
    [decret] = by_text["présent décret"]
    assert decret.target == "jorf/decret-2005-76"
    [self_ref] = by_text["I du présent article"]
    assert (self_ref.target, self_ref.target_article, self_ref.pinpoint) == ("jorf/decret-2005-76", "3", ("I",))


def test_decree_article_3_ranges_keep_the_articles_the_text_writes(decree):
    found = _article_3(decree)
    short = [r.target_article for r in found if r.text.startswith("articles D. 712-1 à D. 712-3 ")]
    assert short == ["D712-1", "D712-2", "D712-3"]  # not in today's code: written by the decree itself
    long = [r.target_article for r in found if r.text.startswith("articles D. 712-1 à D. 712-13 ")]
    assert long == ["D712-1", "D712-2", "D712-3", "D712-13"]  # the endpoints, and what the text knows
    assert all(exists(r) is False for r in found if r.target_article and r.target_article.startswith("D712"))


def test_decree_structural_reference(decree):
    [r] = [r for _, sub in decree.articles[0].walk() for r in sub.references]
    assert r.text == "section 1 du chapitre II du titre Ier du livre VII du code de la santé publique"
    assert (r.target_code, r.target_article, r.pinpoint) == (CSP, None,
                                                             ("livre VII", "titre Ier", "chapitre II", "section 1"))
    two = [r for _, sub in decree.articles[1].walk() for r in sub.references]
    assert [r.pinpoint[-1] for r in two] == ["sous-section 1", "sous-section 2"]


def test_inserted_articles_cite_the_code(decree):
    d2 = decree.inserted[1]
    assert {r.target for r in d2.all_references} == {f"{CSP}/R712-37-1"}


# -- the corpus ------------------------------------------------------------------------------

def test_every_single_article_style():
    # D1411-45-3 ("art."), L4061-3 (no space), L3323-2 ("1er"), R1434-4, D. 712-2 (seed)
    assert one("prévu à l'art. D. 1411-43, issus de tous les collèges").target == f"{CSP}/D1411-43"
    assert one("mentionné à l'article L.4143-1 du code de la défense ;").target == "code-de-la-defense/L4143-1"
    assert one("définie à l'article R. 712-37-1 ;").target_article == "R712-37-1"
    r = one("définies au premier alinéa de l'article 1er de la loi n° 49-956 du 16 juillet 1949 sur les "
            "publications destinées à la jeunesse ;")
    assert (r.target, r.target_article, r.pinpoint) == ("jorf/loi-49-956", "1", ("alinéa 1",))
    # L3515-7: a list, the code named after it
    found = refs("les associations familiales mentionnées aux articles L. 211-1 et L. 211-2 du code de "
                 "l'action sociale et des familles.")
    assert [(r.target, r.text) for r in found] == [
        (f"{CASF}/L211-1", "articles L. 211-1"), (f"{CASF}/L211-2", "L. 211-2 du code de l'action sociale et des familles")]


def test_present_code_and_another_code():
    # L4122-3
    found = refs("IV. – Sont inéligibles les praticiens ayant été sanctionnés en application des dispositions de "
                 "l'article L. 4124-6 du présent code et des articles L. 145-2 et L. 145-2-1 du code de la sécurité sociale.")
    assert [r.target for r in found] == [f"{CSP}/L4124-6", f"{CSS}/L145-2", f"{CSS}/L145-2-1"]


def test_same_code_and_the_code_named_last():
    # L1133-5-like: the code pénal named, then its articles without a code
    found = refs("l'article 131-38 du code pénal, ainsi que les peines prévues aux 2° à 4° de l'article "
                 "433-25 du même code.")
    assert [(r.target, r.pinpoint) for r in found] == [
        ("code-penal/131-38", ()), ("code-penal/433-25", ("2°",)), ("code-penal/433-25", ("3°",)),
        ("code-penal/433-25", ("4°",))]


def test_code_named_later_in_the_sentence():
    # R4126-11: the code comes at the end of a long list
    found = refs("Les dispositions des articles R. 411-4 et R. 411-5, du deuxième alinéa de l'article R. 411-6, de "
                 "la première phrase de l'article R. 412-2 et de l'article R. 413-5 du code de justice administrative "
                 "sont applicables.")
    assert {r.target_code for r in found} == {"code-de-justice-administrative"}
    assert [r.pinpoint for r in found if r.target_article == "R412-2"] == [("phrase 1",)]


def test_sentence_pinpoints():
    # L3844-1
    r = one("13° A la seconde phrase du premier alinéa de l'article L. 3213-5-1, les mots : \" après avis \" "
            "sont supprimés ;")
    assert r.pinpoint == ("alinéa 1", "phrase 2") and r.target == f"{CSP}/L3213-5-1"
    pins, start = chain_before("au a du 3° du I de l'article", len("au a du 3° du I de l'"))
    assert pins == [("I", "3°", "a")] and start == 3


def test_ranges_are_expanded_with_the_index():
    found = refs("dans les conditions prévues aux articles R. 1123-54 à R. 1123-58.")
    assert [r.target_article for r in found] == ["R1123-54", "R1123-55", "R1123-56", "R1123-57", "R1123-58"]
    assert all(exists(r) for r in found)


def test_texts_of_the_journal_officiel():
    found = refs("la loi n° 2009-879 du 21 juillet 2009 portant réforme de l'hôpital ; le décret n° 2005-76 ;"
                 " l'arrêté du 12 mars 2004", None, {})
    assert [(r.target, r.resolved) for r in found] == [
        ("jorf/loi-2009-879", True), ("jorf/decret-2005-76", True), (None, False)]
    assert "date only" in found[2].reason
    # L4231-8: a text named with its number and "précitée"
    r = one("selon les procédures prévues à l'article 42 de l'ordonnance n° 2015-899 du 23 juillet 2015 précitée.")
    assert (r.target, r.target_article) == ("jorf/ordonnance-2015-899", "42")


def test_structure_of_a_law_and_present_article():
    # L1461-3
    found = refs("II.-Les traitements de données concernant la santé mentionnés au 1° du I du présent article sont "
                 "autorisés selon les procédures définies à la section 3 du chapitre III du titre II de la loi n° "
                 "78-17 du 6 janvier 1978 précitée.", CSP, {"article": "L1461-3"})
    assert [(r.target, r.pinpoint) for r in found] == [
        (f"{CSP}/L1461-3", ("I", "1°")),
        ("jorf/loi-78-17", ("titre II", "chapitre III", "section 3"))]


def test_same_article_follows_the_last_article():
    # L6111-6: a quoted article of the CGCT, "du même article" after it
    ctx = {"article": "L6111-6"}
    refs("Comme il est dit à l'article L. 2223-43 du code général des collectivités territoriales ci-après reproduit :",
         CSP, ctx)
    found = refs("doivent être titulaires de l'habilitation prévue à l'article L. 2223-23 au seul vu de la capacité "
                 "professionnelle des agents et de la conformité des véhicules aux prescriptions fixées par les décrets "
                 "visés aux 2° et 5° du même article.", CSP, ctx)
    cgct = "code-general-des-collectivites-territoriales/L2223-23"
    assert [(r.target, r.pinpoint) for r in found] == [(cgct, ()), (cgct, ("2°",)), (cgct, ("5°",))]


def test_unresolvable_references_are_kept_with_a_reason():
    eu = refs("les droits d'accès et de rectification prévus aux articles 15 et 16 du règlement (UE) n° 2016/679 "
              "du 27 avril 2016 s'exercent auprès de l'établissement")
    assert len(eu) == 2 and not any(r.resolved for r in eu)
    assert all("European Union" in r.reason for r in eu)
    r = one("prévu à l'article 12 de la présente ordonnance", CSP)
    assert not r.resolved and r.reason
    bare = one("dans les conditions fixées à l'article 12.")
    assert not bare.resolved and "without a code" in bare.reason


def test_dangling_target_is_resolved_and_flagged():
    # L6161-1: "L. 2325-5 du même code" after the code du travail, which no longer has it
    found = refs("selon des modalités prévues aux articles L. 2323-62 à L. 2323-66 du code du travail, dans le "
                 "respect des obligations imposées par les articles L. 2143-21 et L. 2325-5 du même code.")
    last = found[-1]
    assert (last.target, last.resolved) == ("code-du-travail/L2325-5", True)
    assert exists(last) is False


def test_code_names_of_the_index():
    index = corpus_index.default()
    assert index.code_for_name("code de l'action sociale et des familles, et") == (CASF,)
    assert index.code_for_name("Code général des impôts") == ("code-general-des-impots-cgi",)
    assert index.code_for_name("code de la sécurité sociale") == (CSS,)
    assert index.code_for_name("code des marchés") == ()
    assert index.code_for_legitext("LEGITEXT000006074069") == CASF
    assert index.lookup("code-de-commerce", "R712-8") == "R* 712-8"


# -- merging with Legifrance's links ----------------------------------------------------------

def test_link_covers_only_its_article():
    """R3354-x style: a link over "articles R. 3354-13 et R. 3354-14" points at R3354-13 only."""
    html = ("<p>les mesures prévues aux <a href='/code-de-la-sante-publique/partie-reglementaire/x/"
            "r3354-13.md'>articles R. 3354-13 et R. 3354-14 </a>du présent code.</p>")
    paragraphs, links, _ = parse_fragment(html)
    [merged] = article_references(paragraphs, links, CSP, "R3354-1")
    assert [(r.target_article, r.provenance) for r in merged] == [
        ("R3354-13", "legifrance-link"), ("R3354-14", "text")]


def test_link_is_enriched_not_doubled():
    text = "prévue au 2° du I de l'article L. 1434-2."
    link = resolve_text(text, CSP, {})[0].__class__(
        text="L. 1434-2", start=text.index("L. 1434-2"), end=text.index("L. 1434-2") + 9,
        target_code=CSP, target_article=None, provenance="legifrance-link", resolved=False,
        reason="link names no article number", link="/affichCodeArticle.do?idArticle=LEGIARTI0000")
    [r] = merge([link], resolve_text(text, CSP, {}))
    assert (r.provenance, r.target_article, r.pinpoint, r.resolved) == ("legifrance-link", "L1434-2", ("I", "2°"), True)


# -- any text --------------------------------------------------------------------------------

_PIECES = ["article", "articles ", "art. ", "L. 1434-2", "R.712-37-1", " et ", " à ", ", ", "1°", " du I de l'",
           "du code de la santé publique", "du même code", "du présent code", "loi n° 2009-879", " du 4 ",
           "septembre 2003", " susvisée", "précitée", "la section 1 du chapitre II du titre Ier du livre VII ",
           "deuxième alinéa de l'", "annexe 13-7", "code", "Décret", "12", "1er", " bis", "«", "\u00a0", "'", "’",
           "-", ".", ";", "\n", "présent article", "même article", "son article", "ordonnance"]


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_any_text_never_crashes(text):
    for r in resolve_text(text, CSP, {"article": "L1"}):
        assert text[r.start:r.end] == r.text
        assert r.resolved or r.reason
    for c in find(text):
        assert 0 <= c.start <= c.end <= len(text)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=25).map("".join))
def test_legal_looking_text_never_crashes(text):
    ctx = {"code": CSP, "text": "jorf/decret-2005-76", "article": "3", "articles": ("D712-2",)}
    for code in (CSP, None):
        for r in resolve_text(text, code, ctx):
            assert text[r.start:r.end] == r.text
            assert r.start < r.end
            assert r.resolved or r.reason


@pytest.mark.parametrize("text", ["", "article", "articles L.", "du même article", "L. 1-", "au I du présent article"])
def test_degenerate_inputs(text):
    for r in resolve_text(text, None, {}):
        assert text[r.start:r.end] == r.text
