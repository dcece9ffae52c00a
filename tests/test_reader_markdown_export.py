"""The Markdown-export reader (ingest/markdown_export.py) under hypothesis.

- Round trip: an article written as the export writes it (``# Article N``, Legifrance's ``<p>``
  paragraphs, escaped text, whitespace between them, the export's folder tree) reads back with its
  number, its paragraphs, its code and its place in the code.
- Its subdivision tree obeys the numbering rules whatever the paragraphs (``check_outline``), and a
  well-formed outline (I, 1°, a), dashes, with no numbering that restarts) gets one key per
  subdivision among its siblings: one URI per subdivision.
- Arbitrary bytes, arbitrary text under a heading and mutated real files give an Article or a
  ReadError, never another exception; references always point into their paragraph.
"""
from __future__ import annotations

import html
import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from santelex import paths
from santelex.errors import ReadError
from santelex.ingest import markdown_export
from santelex.ingest.html_text import clean
from santelex.ingest.structure import RANK
from santelex.model import Article, Subdivision

FIXTURES = Path(__file__).parent / "fixtures"
R1434_4 = paths.SEEDS / "r1434-4-sros-version.md"
L822_2 = next((FIXTURES / "corpus").rglob("l822-2.md"))
SLOW = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --- invariants of a subdivision tree (shared with tests/test_reader_jo_text.py) -------------------

def check_outline(paragraphs: tuple[str, ...], subdivisions: tuple[Subdivision, ...]) -> None:
    """What every subdivision tree must satisfy, whatever the text."""
    walked = [(path, sub) for top in subdivisions for path, sub in top.walk()]
    # every paragraph once, in the order of the text, numbered as Legifrance counts alinéas
    assert [sub.text for _, sub in walked] == list(paragraphs)
    assert [sub.alinea for _, sub in walked] == list(range(1, len(paragraphs) + 1))

    def visit(parent: Subdivision | None, children: tuple[Subdivision, ...]):
        dashes = [c.key for c in children if c.kind == "tiret"]
        assert dashes == [f"tiret-{i}" for i in range(1, len(dashes) + 1)]
        for c in children:
            assert c.kind in RANK
            if c.kind == "alinea":
                assert c.key == f"alinea-{c.alinea}" and c.label is None
                # a plain alinéa ends dashes, lettered items and other alinéas
                assert parent is None or parent.kind in ("roman", "numero")
                if parent is not None and parent.kind == "numero":
                    assert any(s.kind == "lettre" for s in parent.children)
            elif c.kind == "tiret":
                assert c.label == "-" and (parent is None or parent.kind != "tiret")
            else:  # I, 1°, a): inside a subdivision of a higher rank only
                assert parent is None or parent.kind == "alinea" or RANK[parent.kind] < RANK[c.kind]
                assert parent is None or parent.kind != "alinea"
                assert c.label and c.key and "/" not in c.key
            visit(c, c.children)

    visit(None, subdivisions)


def sibling_keys_unique(subdivisions: tuple[Subdivision, ...]) -> bool:
    keys = [s.key for s in subdivisions]
    return len(keys) == len(set(keys)) and all(sibling_keys_unique(s.children) for s in subdivisions)


# --- generators ----------------------------------------------------------------------------------

#: text of a paragraph: letters (accented too), digits, punctuation, the characters HTML escapes
_CHARS = st.sampled_from(list("abcdefghijklmnopqrstuvwxyzéèàçôœ ABCDELRVXÉ0123456789,;:.'’°()«»-–&<>\"")
                         + ["\u00a0", "\t"])
_WORDS = st.text(st.sampled_from(list("abcdefghijklmnopqrstuvwxyzéèàç")), min_size=2, max_size=10)


@st.composite
def plain(draw) -> str:
    """A paragraph with no subdivision marker: it starts with a lower-case word of two letters or more."""
    return draw(_WORDS) + " " + draw(st.text(_CHARS, max_size=60))


ROMANS = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X"]
LETTERS = "abcdefghij"


@st.composite
def outline(draw) -> list[str]:
    """A well-formed article: optional romans, each with numéros, each with letters, dashes under
    any of them, plain alinéas where the drafting rules keep them in place (at the head of the
    article or of a roman, after the lettered items of a numéro); no numbering restarts."""
    out: list[str] = [draw(plain()) for _ in range(draw(st.integers(0, 2)))]

    def dashes():
        out.extend("- " + draw(plain()) for _ in range(draw(st.integers(0, 3))))

    def numeros():
        for n in range(1, draw(st.integers(0, 4)) + 1):
            out.append(f"{n}° " + draw(plain()))
            letters = draw(st.integers(0, 3))
            if not letters:
                dashes()
            for letter in LETTERS[:letters]:
                out.append(f"{letter}) " + draw(plain()))
                dashes()
            if letters:
                out.extend(draw(plain()) for _ in range(draw(st.integers(0, 2))))

    romans = draw(st.integers(0, 4))
    if not romans:
        numeros()
    for roman in ROMANS[:romans]:
        out.append(f"{roman}. - " + draw(plain()))
        out.extend(draw(plain()) for _ in range(draw(st.integers(0, 2))))
        numeros()
    if not out:
        out.append(draw(plain()))
    return out


def as_export(number: str, paragraphs: list[str], ws: str = "") -> bytes:
    body = ws.join(f"<p>{html.escape(p, quote=False)}</p>" for p in paragraphs)
    return f"# Article {number}\n\n{body}\n".encode()


# --- round trips ---------------------------------------------------------------------------------

@settings(max_examples=150, **SLOW)
@given(outline(), st.sampled_from(["", "\n", " \n\t", "<br/>"]))
def test_paragraphs_read_back_and_the_outline_holds(paragraphs, ws):
    [art] = markdown_export.read("l1-1.md", as_export("L1-1", paragraphs, ws))
    assert isinstance(art, Article) and art.number == "L1-1"
    assert art.paragraphs == tuple(clean(p) for p in paragraphs)
    check_outline(art.paragraphs, art.subdivisions)
    assert sibling_keys_unique(art.subdivisions)
    top = [s for s in art.subdivisions if s.kind == "roman"]
    assert [s.label for s in top] == [p.split(".")[0] for p in paragraphs if re.match(r"[IVX]+\. - ", p)]


MARKERS = ["I. - ", "II. - ", "III.-", "1° ", "2° ", "3° bis ", "a) ", "b) ", "- ", "– "]


@settings(max_examples=150, **SLOW)
@given(st.lists(plain() | st.builds(lambda m, p: m + p, st.sampled_from(MARKERS), plain()), min_size=1, max_size=14))
def test_any_sequence_of_markers_gives_a_consistent_tree(paragraphs):
    """Markers in any order (numbering that restarts, letters without numéros…): the rules still hold."""
    [art] = markdown_export.read("l1-1.md", as_export("L1-1", paragraphs))
    assert art.paragraphs == tuple(clean(p) for p in paragraphs)
    check_outline(art.paragraphs, art.subdivisions)


@settings(max_examples=100, **SLOW)
@given(st.sampled_from("LRDA"), st.booleans(), st.integers(1, 9999), st.lists(st.integers(1, 99), max_size=3))
def test_article_numbers_lose_the_dot_and_space_of_the_heading(letter, dotted, head, tail):
    number = letter + str(head) + "".join(f"-{t}" for t in tail)
    written = f"{letter}. {str(head)}" + "".join(f"-{t}" for t in tail) if dotted else number
    [art] = markdown_export.read("x.md", as_export(written, ["texte de l'article"]))
    assert art.number == number


LEVELS = ["partie", "livre", "titre", "chapitre", "section", "sous-section", "paragraphe", "sous-paragraphe"]
_SLUG_WORD = st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789"), min_size=1, max_size=8).filter(
    lambda w: w != "partie")


@settings(max_examples=100, **SLOW)
@given(st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyz-"), min_size=1, max_size=30).map(lambda s: "code-" + s),
       st.lists(st.tuples(st.sampled_from(LEVELS), st.lists(_SLUG_WORD, max_size=4)), max_size=7))
def test_code_and_place_come_from_the_export_tree(code, levels):
    parts = [level + "".join("-" + w for w in words) for level, words in levels]
    name = "/".join(["corpus", code, *parts, "r1-1.md"])
    [art] = markdown_export.read(name, as_export("R1-1", ["texte"]))
    assert art.code == code
    assert [h.slug for h in art.hierarchy] == parts
    assert [h.level for h in art.hierarchy] == [level for level, _ in levels]
    assert all(h.title.lower().replace(" ", "-") == h.slug for h in art.hierarchy)
    assert art.source.file == name and art.source.line == 1


def test_the_real_files_outlines_hold():
    for path in (R1434_4, L822_2):
        [art] = markdown_export.read(str(path), path.read_bytes())
        check_outline(art.paragraphs, art.subdivisions)
        assert sibling_keys_unique(art.subdivisions)


# --- hostile input -------------------------------------------------------------------------------

def read_or_refuse(name: str, data: bytes) -> None:
    try:
        docs = list(markdown_export.read(name, data))
    except ReadError as e:
        assert e.file == name and isinstance(e.line, int) and e.line >= 1
        return
    [art] = docs
    assert isinstance(art, Article)
    assert all(p == clean(p) and p for p in art.paragraphs)
    check_outline(art.paragraphs, art.subdivisions)
    for _, sub in art.walk():
        for ref in sub.references:
            assert 0 <= ref.start <= ref.end <= len(sub.text) and sub.text[ref.start:ref.end] == ref.text


@settings(max_examples=150, **SLOW)
@given(st.binary(max_size=400) | st.text(max_size=300).map(str.encode))
def test_arbitrary_bytes(data):
    read_or_refuse("fuzz.md", data)


_HTML = st.sampled_from(["<p>", "</p>", "<br/>", "<i>NOTA : ", "</i>", "<a href='/code-de-la-sante-publique/"
                         "partie-legislative/l1434-7.md'>", "<a href='x'>", "</a>", "<table><tr><td>", "</td>",
                         "&amp;", "&", "&#0;", "<!--", "<![CDATA[", "<script>", "\n# Article 2\n", "I. - ", "1° ",
                         "a) ", "- ", "article L. 1434-7", "articles R. 1-1 à R. 1-3", " du code civil", "\x00"])


@settings(max_examples=200, **SLOW)
@given(st.lists(_HTML | st.text(max_size=20), max_size=30).map("".join))
def test_arbitrary_text_under_a_heading(body):
    read_or_refuse("code-de-la-sante-publique/partie-legislative/l1-1.md", ("# Article L1-1\n\n" + body).encode())


@settings(max_examples=150, **SLOW)
@given(st.data())
def test_mutated_real_files(data):
    source = data.draw(st.sampled_from([R1434_4, L822_2])).read_bytes()
    start = data.draw(st.integers(0, len(source)))
    end = data.draw(st.integers(start, min(len(source), start + 200)))
    junk = data.draw(st.binary(max_size=30) | _HTML.map(str.encode) | st.just(b""))
    read_or_refuse("mutant.md", source[:start] + junk + source[end:])


_NOTA_PIECES = st.sampled_from(["<br/>", "<br>", "<br />", "<br\t/>", "<b", "<br", "<i>", "<i> NOTA", "<i>NOTA",
                                "NOTA", " ", "\n", "\u00a0", "<", ">", "i>", "/", ":", "x", "<p>", "</i>"])


@settings(max_examples=300, **SLOW)
@given(st.lists(_NOTA_PIECES | st.text(max_size=5), max_size=25).map("".join))
def test_nota_starts_where_the_plain_pattern_says(html):
    """The NOTA pattern is written to be scanned fast (html_text._NOTA): it starts where the plain
    one, ``(?:<br\\s*/?>\\s*)*<i>\\s*NOTA``, starts."""
    from santelex.ingest.html_text import _NOTA
    plain = re.search(r"(?:<br\s*/?>\s*)*<i>\s*NOTA\s*:?", html)
    fast = _NOTA.search(html) if "NOTA" in html else None
    assert (plain and plain.start()) == (fast and fast.start())


@settings(max_examples=300, **SLOW)
@given(st.lists(st.sampled_from([" ", "  ", "\t", "\r\n", "\u00a0", "\u202f", "\u2009", "\u2003", "a", "é", "x y"])
                | st.text(max_size=4), max_size=30).map("".join))
def test_whitespace_runs_collapse_as_the_plain_pattern_says(text):
    """html_text collapses only the runs that are not already one space (_RUNS): the same text as
    replacing every run of _SPACES by one space."""
    from santelex.ingest.html_text import _RUNS, _SPACES
    assert _RUNS.sub(" ", text) == _SPACES.sub(" ", text)
