"""Legifrance's article HTML (``<p>…</p>`` with ``<a>`` links) -> paragraphs and link references.

Shared by the Markdown-export, LEGI XML, API and saved-page readers: all of them carry the
article body as the same small HTML dialect.  Parsed with lxml, which recovers from the
unclosed and mis-nested tags the sources contain.
"""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import lxml.html
from lxml import etree

from santelex.ingest import corpus_index
from santelex.ingest.citations.pinpoint import pinpoint_before
from santelex.ingest.text import slugify
from santelex.model import Reference

_SPACES = re.compile(r"[ \t\r\n\u00a0\u202f\u2009]+")
#: the runs of _SPACES that are not already one plain space (most are: between two words); the
#: same text after ``sub(" ", …)``, without replacing every space of the text by a space
_RUNS = re.compile(r"[ \t\r\n\u00a0\u202f\u2009]{2,}|[\t\r\n\u00a0\u202f\u2009]")
_BLOCKS = {"p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table",
           "ul", "ol", "center", "br"}


def clean(text: str) -> str:
    """Collapse whitespace (non-breaking spaces included) and strip."""
    return _RUNS.sub(" ", text).strip()


_CODE_TITLE = re.compile(r"^(?P<code>Code .+?) - art\. (?P<num>[^ ]+)")


def _index():
    return corpus_index.default()


def link_target(href: str, title: str | None) -> dict:
    """Resolve a Legifrance link to a target (code + article, or a JORF text)."""
    if not href:
        return {"resolved": False, "reason": "empty link"}
    if href.endswith(".md"):
        parts = href.strip("/").split("/")
        code = parts[0]
        number = _index().number_for_path("/".join(parts))
        if number is None:
            stem = parts[-1][:-3]
            m = re.match(r"([a-z]*)(.*)", stem)
            number = m.group(1).upper() + m.group(2)
        return {"target_code": code, "target_article": number}
    url = urlsplit(href)
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    if "affichCodeArticle" in url.path or "idArticle" in query:
        m = _CODE_TITLE.match(title or "")
        if m:
            return {"target_code": slugify(m.group("code")), "target_article": m.group("num")}
        code = _index().code_for_legitext(query.get("cidTexte", ""))
        return {"target_code": code, "resolved": False,
                "reason": f"link to {query.get('idArticle', '?')} names no article number"}
    if "cidTexte" in query and query["cidTexte"].startswith("JORFTEXT"):
        return {"target_text": "jorf/" + query["cidTexte"]}
    return {"resolved": False, "reason": f"unrecognised link {href[:80]}"}


def link_pinpoint(text: str, start: int, end: int) -> tuple[str, ...]:
    """The pinpoint of a linked reference, read in the link text or just before it."""
    inside = text.rfind("article", start, end)
    if inside >= 0:
        pin, _ = pinpoint_before(text, inside)
        if pin:
            return pin
    before = text[max(0, start - 12):start]
    i = before.rfind("article")
    if i >= 0 and not before[i + 7:].strip(" s"):
        pin, _ = pinpoint_before(text, max(0, start - 12) + i)
        return pin
    return ()


class _Collector:
    def __init__(self):
        self.paragraphs: list[str] = []
        self.references: list[list[Reference]] = []
        self._buf: list[str] = []
        self._refs: list[tuple[int, int, str, str | None]] = []

    def text(self, s: str | None):
        if s:
            self._buf.append(s)

    def link(self, text: str, href: str, title: str | None):
        start = sum(len(b) for b in self._buf)
        self._buf.append(text)
        self._refs.append((start, start + len(text), href, title))

    def flush(self):
        raw = "".join(self._buf)
        self._buf = []
        refs, self._refs = self._refs, []
        text = clean(raw)
        if not text:
            return
        found = []
        for start, end, href, title in refs:
            # offsets in the cleaned text: the cleaned length of what precedes
            s = len(_RUNS.sub(" ", raw[:start]).lstrip())
            e = len(_RUNS.sub(" ", raw[:end]).lstrip())
            s, e = min(s, len(text)), min(e, len(text))
            while s < e and text[s] == " ":
                s += 1
            while e > s and text[e - 1] == " ":
                e -= 1
            target = link_target(href, title)
            found.append(Reference(text=text[s:e], start=s, end=e, provenance="legifrance-link",
                                   link=href, pinpoint=link_pinpoint(text, s, e), **target))
        self.paragraphs.append(text)
        self.references.append(found)


def _walk(el, out: _Collector, skip_nota: bool):
    tag = el.tag if isinstance(el.tag, str) else ""
    if tag == "a":
        out.link(el.text_content(), el.get("href", ""), el.get("title"))
        out.text(el.tail)
        return
    block = tag in _BLOCKS
    if block:
        out.flush()
    if tag in ("td", "th"):
        out.text(" ")
    out.text(el.text)
    for child in el:
        _walk(child, out, skip_nota)
    if block:
        out.flush()
    out.text(el.tail)


#: libxml2 drops a text node over 10 MB (and what follows it) unless told the tree may be huge;
#: inputs are bounded anyway (ingest/registry.py: MAX_INPUT_BYTES)
_PARSER = lxml.html.HTMLParser(huge_tree=True)

#: where the NOTA begins: ``<br/>``s then ``<i>NOTA``.  Written with the ``<`` first (the same
#: language as ``(?:<br\s*/?>\s*)*<i>\s*NOTA``) so that the engine scans for it rather than
#: trying the group at every character (a tenth of a millisecond per article)
_NOTA = re.compile(r"<(?:br\s*/?>\s*<)*i>\s*NOTA\s*:?")


def parse_fragment(html: str) -> tuple[list[str], list[list[Reference]], str | None]:
    """Paragraphs, per-paragraph link references, and the NOTA text (if any) of an article body."""
    nota = None
    m = _NOTA.search(html) if "NOTA" in html else None
    if m:
        nota_html = html[m.start():]
        html = html[:m.start()]
        nota_el = lxml.html.fragment_fromstring(nota_html, create_parent="div", parser=_PARSER)
        nota = clean(nota_el.text_content())
        nota = re.sub(r"^NOTA\s*:?\s*", "", nota)
    out = _Collector()
    if html.strip():
        try:
            root = lxml.html.fragment_fromstring(html, create_parent="div", parser=_PARSER)
        except (etree.ParserError, ValueError):
            return [], [], nota
        _walk(root, out, True)
        out.flush()
    return out.paragraphs, out.references, nota
