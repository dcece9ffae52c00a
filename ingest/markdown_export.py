"""Reader for the Markdown export of Legifrance codes (one ``.md`` file per article).

A file is ``# Article R1434-4`` followed by Legifrance's HTML paragraphs.  The code and
the hierarchy come from the file's path in the export tree
(``<code-slug>/<partie>/<livre>/…/<article>.md``); for a lone file outside such a tree they
are inferred from the paths of the Legifrance links it carries.
"""
from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

from santelex.errors import ReadError
from santelex.ingest.citations.link import article_references
from santelex.ingest.html_text import parse_fragment
from santelex.ingest.structure import build_tree
from santelex.model import Article, Heading, Source

_HEADING = re.compile(r"^#\s+Article\s+(?P<num>.+?)\s*$", re.M)
_LEVELS = ("partie", "livre", "titre", "chapitre", "section", "sous-section", "paragraphe",
           "sous-paragraphe", "annexe", "annexes")


@lru_cache(maxsize=8192)
def level_of(slug: str) -> str:
    if re.match(r"^[a-z]+-partie(-|$)", slug):  # premiere-partie-…, partie-legislative
        return "partie"
    for level in sorted(_LEVELS, key=len, reverse=True):
        if slug == level or slug.startswith(level + "-"):
            return "annexe" if level == "annexes" else level
    return "division"


def title_of(slug: str) -> str:
    words = slug.replace("-", " ")
    return words[:1].upper() + words[1:]


def hierarchy_from_path(parts: list[str]) -> tuple[Heading, ...]:
    return _hierarchy(tuple(parts))


@lru_cache(maxsize=8192)
def _hierarchy(parts: tuple[str, ...]) -> tuple[Heading, ...]:
    """(The articles of one section share it: read once per folder of the export.)"""
    return tuple(Heading(level_of(p), title_of(p), p) for p in parts)


def _infer_from_links(number: str, refs) -> tuple[str | None, tuple[Heading, ...]]:
    """A lone file: take the code, and the place in it, from its links to the same chapter."""
    links = [r for rs in refs for r in rs if r.link and r.link.endswith(".md")]
    if not links:
        return None, ()
    code = Counter(r.target_code for r in links).most_common(1)[0][0]
    root = re.sub(r"^[A-Z]+", "", number).split("-")[0]
    for r in links:
        target_root = re.sub(r"^[A-Z]+", "", r.target_article or "").split("-")[0]
        if r.target_code == code and target_root == root:
            parts = r.link.strip("/").split("/")[1:-1]
            if number.startswith(("R", "D")) and parts and parts[0] == "partie-legislative":
                parts[0] = "partie-reglementaire"
            return code, hierarchy_from_path(parts)
    return code, ()


def read(name: str, data: bytes, line: int | None = None):
    """Yield the one Article of a Markdown-export file."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line_no = data[:e.start].count(b"\n") + 1
        raise ReadError(f"not UTF-8 (byte 0x{data[e.start]:02x}); convert the file to UTF-8",
                        name, line_no) from None
    m = _HEADING.search(text)
    if not m:
        raise ReadError("no '# Article …' heading: not a Legifrance Markdown export", name, 1)
    number = m.group("num").replace(" ", "").replace(".", "") if re.match(
        r"^[A-Z]+\.?\s*\d", m.group("num")) else m.group("num")
    body = text[m.end():].strip()
    paragraphs, refs, nota = parse_fragment(body)
    parts = name.replace("\\", "/").split("/")
    code = None
    hierarchy: tuple[Heading, ...] = ()
    for i, part in enumerate(parts[:-1]):
        if part.startswith("code-") or part == "livre-des-procedures-fiscales":
            code = part
            hierarchy = hierarchy_from_path(parts[i + 1:-1])
            break
    if code is None:
        code, hierarchy = _infer_from_links(number, refs)
    refs = article_references(paragraphs, refs, code, number)  # + references found in the text
    return iter([Article(
        number=number, code=code, paragraphs=tuple(paragraphs),
        subdivisions=build_tree(paragraphs, refs),
        source=Source(name, text[:m.start()].count("\n") + 1, "markdown"),
        hierarchy=hierarchy, nota=nota,
    )])
