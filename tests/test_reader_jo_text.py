"""The JO-text reader (ingest/jo_text.py) under hypothesis.

- Round trip: a decree, arrêté, ordonnance or décision written as a plain-text copy of the Journal
  officiel (banner, title, NOR, authority, visas, articles, place and date, signatories) reads
  back with each of them; the ELI is made from nature, date and NOR.
- Code articles the text inserts (``« Art. D. 712-1. - …`` after "la section N du chapitre … du
  code …") become Articles of that code, with their paragraphs and an amendment naming them.
- The subdivision trees of the text's own articles and of the inserted ones obey the numbering
  rules (``check_outline``, shared with the Markdown reader's tests).
- Arbitrary bytes and mutated copies of the real décret 2005-76 give a LegalText or a ReadError,
  never another exception (an impossible date such as "31 février" included).
"""
from __future__ import annotations

import re
from datetime import date

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from test_reader_markdown_export import check_outline, outline, plain, sibling_keys_unique

from santelex import paths
from santelex.errors import ReadError
from santelex.ingest import jo_text
from santelex.ingest.html_text import clean
from santelex.model import LegalText

DECREE = paths.SEEDS / "decret-2005-76-jo.txt"
SLOW = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow])
MONTHS = list(jo_text.MONTHS)
NATURES = {"Décret": ("decret", "Décrète :"), "Arrêté": ("arrete", "Arrête :"),
           "Ordonnance": ("ordonnance", "Ordonne :"), "Décision": ("decision", "Décide :")}
ROMANS = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII"]

def no_furniture(paragraphs: list[str]) -> bool:
    """A line holding the words of the JO site's banner ("Alerte par mail"…) is dropped as furniture."""
    return not any(f in clean(p) for p in paragraphs for f in jo_text._FURNITURE)


def jo_outline():
    return outline().filter(no_furniture)


dates = st.dates(min_value=date(1945, 1, 1), max_value=date(2040, 12, 31))


def written(d: date, first: bool) -> str:
    day = "1er" if d.day == 1 and first else str(d.day)
    return f"{day} {MONTHS[d.month - 1]} {d.year}"


_CAP = st.tuples(st.sampled_from("ABCDEFGHJLMNPRSTVÉ"), st.text(st.sampled_from("aeiouyéèëïîçbcdfghlmnprstv"),
                                                                min_size=2, max_size=8)).map("".join)
names = st.tuples(st.lists(_CAP, min_size=1, max_size=2).map("-".join), st.lists(_CAP, min_size=1, max_size=2)
                  .map("-".join)).map(" ".join)


@st.composite
def jo_copy(draw):
    """A JO text as santelex's plain-text copies have it, and what the reader must find in it."""
    nature_word = draw(st.sampled_from(sorted(NATURES)))
    nature, verb = NATURES[nature_word]
    number = draw(st.none() | st.from_regex(r"\A(19|20)\d\d-\d{1,4}\Z"))
    when, signed = draw(dates), draw(dates)
    jo = draw(st.none() | st.tuples(st.integers(1, 300), dates))
    nor = draw(st.none() | st.from_regex(r"\A[A-Z]{4}\d{7}[A-Z]\Z"))
    rest = " " + draw(plain().filter(lambda p: no_furniture([p])))
    title = f"{nature_word}{f' n° {number}' if number else ''} du {written(when, draw(st.booleans()))}{rest}"
    visas = ["Vu " + draw(plain().filter(lambda p: no_furniture([p]))) for _ in range(draw(st.integers(0, 4)))]
    articles = draw(st.lists(jo_outline(), min_size=1, max_size=5))
    signatories = draw(st.lists(names, min_size=0, max_size=3))
    lines = []
    if jo:
        lines += [f"J.O. {jo[0]} du {written(jo[1], True)}       J.O. disponibles       Alerte par mail", "",
                  "Ce document peut également être consulté sur le site officiel Legifrance", ""]
    lines += [title, ""]
    if nor:
        lines += [f"NOR : {nor}", ""]
    lines += ["Le Premier ministre,", "", "Sur le rapport du ministre de la santé,", ""]
    for v in visas:
        lines += [v, ""]
    lines += [verb, ""]
    for i, paragraphs in enumerate(articles, start=1):
        lines += [f"Article {'1er' if i == 1 and draw(st.booleans()) else i}", ""]
        for p in paragraphs:
            lines += [p, draw(st.sampled_from(["", "\u00a0", " \t"]))]
    lines += [f"Fait à Paris, le {written(signed, True)}.", ""]
    for i, name in enumerate(signatories):
        lines += [name + ("," if i == 0 and draw(st.booleans()) else ""), ""]
        if i == 0:
            lines += ["Par le Premier ministre :", "", "Le ministre des solidarités,",
                      "de la santé et de la famille,", ""]
    expect = dict(nature=nature, number=number, date=when, title=clean(title), nor=nor,
                  jo_number=str(jo[0]) if jo else None, jo_date=jo[1] if jo else None,
                  visas=tuple(clean(v) for v in visas), signatories=tuple(signatories),
                  articles=[tuple(clean(p) for p in a) for a in articles])
    return "\n".join(lines) + "\n", expect


def read(text: str | bytes, name: str = "texte.txt") -> LegalText:
    [doc] = jo_text.read(name, text.encode() if isinstance(text, str) else text)
    assert isinstance(doc, LegalText)
    return doc


@settings(max_examples=120, **SLOW)
@given(jo_copy())
def test_a_jo_copy_reads_back(copy):
    text, expect = copy
    doc = read(text)
    got = {k: getattr(doc, k) for k in expect if k != "articles"}
    assert got == {k: v for k, v in expect.items() if k != "articles"}
    assert [a.number for a in doc.articles] == [str(i) for i in range(1, len(expect["articles"]) + 1)]
    assert [a.paragraphs for a in doc.articles] == expect["articles"]
    for a in doc.articles:
        assert a.code is None and a.text_id == (f"{doc.nature}-{doc.number}" if doc.number else doc.nor or "texte.txt")
        check_outline(a.paragraphs, a.subdivisions)
        assert sibling_keys_unique(a.subdivisions)
    eli_natures = ("decret", "arrete", "ordonnance", "loi")
    if doc.nor and doc.nature in eli_natures:
        d = doc.date
        assert doc.eli == f"https://www.legifrance.gouv.fr/eli/{doc.nature}/{d.year}/{d.month}/{d.day}/{doc.nor}/jo/texte"
    else:
        assert doc.eli is None
    assert not doc.inserted and not doc.amendments


@st.composite
def insertion(draw):
    """An article of a decree inserting code articles, as décret 2005-76's article 2 does."""
    section, chapitre, titre, livre = (draw(st.integers(1, 9)), draw(st.sampled_from(ROMANS)),
                                       draw(st.sampled_from(ROMANS)), draw(st.sampled_from(ROMANS)))
    head = f"D. {draw(st.integers(100, 9999))}"
    count = draw(st.integers(1, 4))
    numbers = [f"{head}-{i}" for i in range(1, count + 1)]
    # a quoted line ending in » ends the quotation: no paragraph of the body ends so
    bodies = [draw(jo_outline().filter(lambda b: not any(clean(p).endswith("»") for p in b))) for _ in numbers]
    verb = draw(st.sampled_from(["est complétée par les dispositions suivantes :",
                                 "est remplacée par les dispositions suivantes :"]))
    intro = (f"La section {section} du chapitre {chapitre} du titre {titre} du livre {livre} du code de la santé "
             f"publique (troisième partie : Décrets) {verb}")
    quoted = [f"« Art. {number}. - {p}" if i == 0 else f"« {p}"
              for number, body in zip(numbers, bodies) for i, p in enumerate(body)]
    quoted[-1] += " »"
    return [intro, "", *quoted], numbers, bodies, verb


@settings(max_examples=80, **SLOW)
@given(insertion())
def test_inserted_code_articles_read_back(ins):
    lines, numbers, bodies, verb = ins
    text = "\n".join(["Décret n° 2005-76 du 31 janvier 2005 relatif aux objectifs", "", "Décrète :", "",
                      "Article 1", "", *lines, "", "Fait à Paris, le 31 janvier 2005.", ""])
    doc = read(text)
    compact = [re.sub(r"[\s.]", "", n) for n in numbers]
    assert [a.number for a in doc.inserted] == compact
    assert all(a.code == "code-de-la-sante-publique" and a.version == "decret-2005-76" for a in doc.inserted)
    assert [a.paragraphs for a in doc.inserted] == [tuple(clean(p) for p in b) for b in bodies]
    assert [h.level for h in doc.inserted[0].hierarchy] == ["partie", "livre", "titre", "chapitre", "section"]
    for a in doc.inserted:
        check_outline(a.paragraphs, a.subdivisions)
        assert sibling_keys_unique(a.subdivisions)
    [amendment] = doc.amendments
    assert amendment.kind == ("replace" if "remplacée" in verb else "insert")
    assert amendment.targets == tuple(compact) and amendment.by_article == "1"


def check_text_article(article) -> None:
    """An article of the text itself: its own paragraphs make its subdivisions; the text it quotes
    (what it writes into a code) follows them in its paragraphs."""
    own = sum(1 for top in article.subdivisions for _ in top.walk())
    check_outline(article.paragraphs[:own], article.subdivisions)


def test_the_real_decree_outlines_hold():
    doc = read(DECREE.read_bytes(), str(DECREE))
    for a in doc.articles:
        check_text_article(a)
        assert sibling_keys_unique(a.subdivisions)
    # article 2 quotes the three code articles it writes: their text follows its own
    assert {p for a in doc.inserted for p in a.paragraphs[1:]} <= set(doc.articles[1].paragraphs)
    for a in doc.inserted:
        check_outline(a.paragraphs, a.subdivisions)
        assert sibling_keys_unique(a.subdivisions)


def test_an_inserted_article_without_text_is_refused():
    text = DECREE.read_text(encoding="utf-8")
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("« Art. D. 712-3."))
    split = lines[:at] + ["« Art. D. 712-3. -", "« " + lines[at].split(" - ", 1)[1]] + lines[at + 1:]
    doc = read("\n".join(split))  # the text on the next line: the same article
    assert doc.inserted[2].paragraphs == read(text).inserted[2].paragraphs
    try:
        read("\n".join(lines[:at] + ["« Art. D. 712-3. - »"] + lines[at + 1:]), "vide.txt")
    except ReadError as e:
        assert (e.file, e.line) == ("vide.txt", at + 1) and "D712-3" in str(e) and "no text" in str(e)
    else:
        raise AssertionError("an inserted article with no text was read")


def test_a_range_of_articles_reversed_or_too_long_is_kept_as_written():
    """"les articles D. 712-1 à D. 712-13 … demeurent applicables": every article between is a target;
    a typo of a few digits must not make the reader write millions of them (bounded memory): a
    reversed or overlong range is a misprint, kept as the two numbers the text writes."""
    text = DECREE.read_text(encoding="utf-8")
    good = read(text, "decret.txt")
    spans = {a.targets for a in good.amendments if a.kind == "transitional"}
    assert ("D712-1", "D712-2", "D712-3", "D712-4", "D712-5", "D712-6", "D712-7", "D712-8", "D712-9",
            "D712-10", "D712-11", "D712-12", "D712-13") in spans
    for bad in ("D. 712-9999999", "D. 712-0"):
        doc = read(text.replace("D. 712-1 à D. 712-13", "D. 712-1 à " + bad), "plage.txt")
        spans = {a.targets for a in doc.amendments if a.kind == "transitional"}
        assert ("D712-1", bad.replace(". ", "")) in spans, spans


def test_an_impossible_date_is_refused_with_its_line():
    text = DECREE.read_text(encoding="utf-8").replace("Décret n° 2005-76 du 31 janvier 2005",
                                                      "Décret n° 2005-76 du 31 février 2005")
    try:
        read(text, "fevrier.txt")
    except ReadError as e:
        assert (e.file, e.line) == ("fevrier.txt", 6) and "31 février 2005" in str(e)
    else:
        raise AssertionError("31 février read as a date")


# --- hostile input -------------------------------------------------------------------------------

def read_or_refuse(name: str, data: bytes) -> None:
    try:
        docs = list(jo_text.read(name, data))
    except ReadError as e:
        assert e.file == name and isinstance(e.line, int) and e.line >= 1
        return
    [doc] = docs
    assert isinstance(doc, LegalText) and doc.articles
    for a in doc.articles + doc.inserted:
        assert all(p == clean(p) and p for p in a.paragraphs)
    for a in doc.articles:
        check_text_article(a)
    for a in doc.inserted:
        check_outline(a.paragraphs, a.subdivisions)


@settings(max_examples=150, **SLOW)
@given(st.binary(max_size=400) | st.text(max_size=400).map(str.encode))
def test_arbitrary_bytes(data):
    read_or_refuse("fuzz.txt", data)


JUNK_LINES = ["Article 7", "Article 1er", "Décrète :", "Arrête :", "« Art. D. 1-1. - texte", "« Art. R. 2. -", "»",
              "« Section 2", "Fait à Paris, le 1er janvier 2000.", "Fait à Paris, le 31 février 2005.",
              "NOR : ABCD1234567X", "Vu le code civil ;", "J.O. 1 du 31 février 2005 J.O. disponibles",
              "Décret n° 2005-76 du 30 février 2005 relatif", "Décret du 1er janvier 0 relatif",
              "I. - texte", "1° texte", "a) texte", "- texte", "Jean Dupont",
              "La section 1 du chapitre II du titre Ier du livre VII du code de la santé publique (x) est ainsi "
              "intitulée :",
              "les articles D. 712-1 à D. 712-99999999 du code de la santé publique demeurent applicables",
              "les articles D. 712-13 à D. 712-1 du code de la santé publique sont applicables"]


@settings(max_examples=200, **SLOW)
@given(st.data())
def test_mutated_copies_of_the_real_decree(data):
    lines = DECREE.read_text(encoding="utf-8").splitlines()
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(lines)))
        j = data.draw(st.integers(i, min(len(lines), i + 30)))
        new = data.draw(st.lists(st.sampled_from(JUNK_LINES) | st.text(max_size=40) | st.sampled_from(lines),
                                 max_size=3))
        lines[i:j] = new
    read_or_refuse("mutant.txt", "\n".join(lines).encode())


@settings(max_examples=100, **SLOW)
@given(st.data())
def test_mutated_bytes_of_the_real_decree(data):
    source = DECREE.read_bytes()
    start = data.draw(st.integers(0, len(source)))
    end = data.draw(st.integers(start, min(len(source), start + 100)))
    junk = data.draw(st.binary(max_size=20) | st.sampled_from([b"", b"\xc3", b"\n", b"\xc2\xab "]))
    assume(junk or end > start)
    read_or_refuse("mutant.txt", source[:start] + junk + source[end:])


def test_a_lone_opening_quote_makes_no_empty_paragraph():
    """Found by test_mutated_bytes_of_the_real_decree: a line holding only « before "Article 2"."""
    src = DECREE.read_bytes()
    at = src.index("\nArticle 2".encode()) + 1
    doc = jo_text.read("m.txt", src[:at] + "«\n".encode() + src[at:])
    (text,) = list(doc)
    for a in list(text.articles) + list(text.inserted):
        assert all(p == clean(p) and p for p in a.paragraphs), (a.number, a.paragraphs)
