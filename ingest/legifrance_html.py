"""Reader for pages of legifrance.gouv.fr saved as HTML (parsed with beautifulsoup4 + lxml).

The current site's code pages (``/codes/article_lc/LEGIARTI…``, ``/codes/section_lc/LEGITEXT…/
LEGISCTA…``) -> one Article per article on the page.  What the parser relies on:
    p.name-article[data-anchor=LEGIARTI…]   one article; data-anchor is the version's LEGIARTI id,
                                            the text "Article R421-1" its number
    button[data-articlecid][data-num]       the article's Versions button: cid and number
    div.content (after the name)            the article's text (Legifrance's HTML paragraphs)
    p.date (beside the name)                "Modifié par / Création / Abrogé par / Transféré par
                                            <text> … date d'entrée en vigueur <date>": status, end
                                            date, and the text as Article.changed_by
    h2.vigor-title                          "Version en vigueur depuis le …" / "du … au …" /
                                            "abrogée depuis le …" (a one-article page's dates);
                                            "… en vigueur au <date>" is only the date consulted
    nav#filAriane li                        breadcrumbs: the code (its title, slugged as the corpus
                                            does; its LEGITEXT id from the link) and the page's section
    #liste-sommaire-noeud li.item-current   the section's ancestors in the code's plan, and
    #liste-article-noeud li > label.title-link  the sub-sections the articles sit in -> hierarchy
    link[rel=canonical]                     the page's address (LEGITEXT id of the code)
Links in the text (``/codes/article_lc/LEGIARTI…``, ``/jorf/id/JORFTEXT…`` and the old
``affichCodeArticle.do`` forms) become references with provenance ``legifrance-link``.

The pre-2020 site's ``affichTexte.do`` page of a JO text (div.enteteTexte: JO issue, title, NOR,
ELI; div.article: the articles, named by the JORFARTI anchor before them; the visas and the
signatures before the "end visas" / "end signataires" comments) -> one LegalText.

Broken markup (unclosed tags, as in the real pages) is repaired by lxml.  A truncated page (no
closing ``</html>``) is refused: the last article may be cut and others lost without a trace.
"""
from __future__ import annotations

import re
import warnings

from bs4 import BeautifulSoup, Comment, MarkupResemblesLocatorWarning

from santelex.errors import ReadError
from santelex.ingest import legi_xml, official
from santelex.ingest.html_text import clean, parse_fragment
from santelex.ingest.structure import build_tree
from santelex.model import Article, Heading, Reference, Source

FORMAT = "legifrance-html"


def _decode(name: str, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        declared = re.search(rb"<meta[^>]+charset=[\"']?([\w-]+)", data[:4096], re.I)
        if declared and declared.group(1).lower() not in (b"utf-8", b"utf8"):
            try:
                return data.decode(declared.group(1).decode("ascii"))
            except (LookupError, UnicodeDecodeError):
                pass
        raise ReadError(f"not UTF-8 (byte 0x{data[e.start]:02x}) and no other charset declared",
                        name, data.count(b"\n", 0, e.start) + 1) from None


def read(name: str, data: bytes):
    """Yield the articles (code page) or the text (affichTexte page) of one saved page."""
    text = _decode(name, data)
    if not re.search(r"</html\s*>", text[-4096:], re.I):
        raise ReadError("truncated page: no closing </html>; save the whole page again",
                        name, text.count("\n") + 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        soup = BeautifulSoup(text, "lxml")
    names = soup.select("p.name-article[data-anchor]")
    lines = _Lines(text)
    if names:
        return iter(_code_page(name, soup, names, lines))
    if soup.select("div.article") and soup.select_one("div.enteteTexte"):
        return iter([_old_text_page(name, soup, lines)])
    raise ReadError("no article on this page: expected p.name-article[data-anchor] (a code page of "
                    "legifrance.gouv.fr) or div.article (an affichTexte.do page)", name, 1)


# --- the current site's code pages ----------------------------------------------------------

class _Lines:
    """Line numbers of a page's landmarks (bs4's lxml tree keeps none): found in the raw text."""

    def __init__(self, text: str):
        self.text = text

    def of(self, needle: str | None) -> int | None:
        i = self.text.find(needle) if needle else -1
        return self.text.count("\n", 0, i) + 1 if i >= 0 else None


def _code(soup, canonical: str) -> tuple[str | None, str | None]:
    """(code slug, LEGITEXT id) from the breadcrumbs, the canonical URL, the Versions buttons."""
    legitext = None
    title = None
    for a in soup.select("nav#filAriane li a[href]"):
        m = re.search(r"/codes/(?:texte_lc|id)/(LEGITEXT\d+)", a["href"])
        if m:
            legitext, title = m.group(1), clean(a.get_text())
    if legitext is None:
        m = re.search(r"(LEGITEXT\d+)", canonical)
        button = soup.select_one("button[data-textecid]")
        legitext = m.group(1) if m else (button["data-textecid"] if button else None)
    return official.code_slug([title or ""], legitext), legitext


def _page_sections(soup) -> list[Heading]:
    """The page's place in the code: the plan's current branch, else the breadcrumbs after the code."""
    current = soup.select_one("#liste-sommaire-noeud li.item-current, #liste-sommaire-noeud li#listeSectionCourante")
    if current is not None:
        chain = []
        for li in [current] + list(current.find_parents("li")):
            span = li.select_one("a.title-link span.print-title-summary")
            if span is not None and clean(span.get_text()):
                chain.append(clean(span.get_text()))
        return [official.heading(t) for t in reversed(chain)]
    items = soup.select("nav#filAriane li")
    out, after_code = [], False
    for li in items:
        a = li.find("a", href=True)
        if a is not None and re.search(r"/codes/(?:texte_lc|id)/LEGITEXT", a["href"]):
            after_code = True
            continue
        label = clean(li.get_text())
        if after_code and label and not re.match(r"^Article\s", label):
            out.append(official.heading(label))
    return out


def _article_sections(p) -> list[Heading]:
    """The sub-sections an article sits in, on a section page (#liste-article-noeud)."""
    chain = []
    for li in p.find_parents("li"):
        if li.find_parent(id="liste-article-noeud") is None:
            break
        label = li.find("label", class_="title-link", recursive=False)
        if label is not None and clean(label.get_text()):
            chain.append(clean(label.get_text()))
    return [official.heading(t) for t in reversed(chain)]


_VIGOR = [
    (re.compile(r"en vigueur depuis le (.+?\d{4})", re.I), "since"),
    (re.compile(r"en vigueur du (.+?\d{4}) au (.+?\d{4})", re.I), "between"),
    (re.compile(r"abrogée? depuis le (.+?\d{4})", re.I), "repealed"),
]
_EVENT = re.compile(r"^(?P<what>Modifié par|Créé par|Création|Abrogé par|Transféré par|Annulé par|"
                    r"Disjoint par)\s*(?P<label>.*?)(?:\s+date d'entrée en vigueur\s+(?P<date>.+))?$", re.I)
_EVENT_STATUS = {"abrogé par": "ABROGE", "transféré par": "TRANSFERE", "annulé par": "ANNULE",
                 "disjoint par": "DISJOINT"}


def _vigor(text: str) -> dict:
    for pattern, kind in _VIGOR:
        m = pattern.search(text)
        if not m:
            continue
        if kind == "since":
            return {"start": official.french_date(m.group(1)), "status": "VIGUEUR"}
        if kind == "between":
            return {"start": official.french_date(m.group(1)), "end": official.french_date(m.group(2))}
        return {"end": official.french_date(m.group(1)), "status": "ABROGE"}
    return {}


def _segments(p) -> list[tuple[str, str]]:
    """A p.date block's lines: (text, href) for each link, (text, '') for text between <br>s."""
    out, buf = [], []

    def flush():
        if clean(" ".join(buf)):
            out.append((clean(" ".join(buf)), ""))
        buf.clear()

    for child in p.children:
        name = getattr(child, "name", None)
        if name == "a":
            flush()
            out.append((clean(child.get_text(" ")), child.get("href", "")))
        elif name == "br":
            flush()
        else:
            buf.append(child.get_text(" ") if name else str(child))
    flush()
    return out


def _events(date_ps) -> tuple[dict, list[Reference]]:
    """p.date blocks -> (status/start/end found there, changed_by references)."""
    found: dict = {}
    changes: list[Reference] = []
    for p in date_ps:
        found.update(_vigor(clean(p.get_text(" "))))
        for label, href in _segments(p):
            m = _EVENT.match(label)
            if not m:
                continue
            what = m.group("what").lower()
            if what in _EVENT_STATUS:
                found["status"] = _EVENT_STATUS[what]
                if m.group("date"):
                    found["end"] = official.french_date(m.group("date"))
            elif m.group("date"):
                found["start"] = official.french_date(m.group("date"))
            cid = re.search(r"(JORFTEXT\d+)", href)
            ref = official.modification(m.group("label"), cid.group(1) if cid else None, None, None, None)
            if ref and ref not in changes:
                changes.append(ref)
    return found, changes


_SITE_ARTICLE = re.compile(r"/codes/(?:article_lc|id)/(LEGIARTI\d+)")
_SITE_TEXT = re.compile(r"/(?:jorf|loda)/(?:id|article_jo)/(JORF(?:TEXT|ARTI)\d+)")
_SURFACE_NUMBER = re.compile(r"\b([LRDA]{1,2})\s*\.?\s*(\*?)\s*(\d+(?:-\d+)*)")
_SURFACE_CODE = re.compile(r"\b(?:du|de ce)\s+(code\s.+)$", re.I)


def _site_link(ref: Reference, page_code: str | None) -> Reference:
    """Links of the current site (/codes/article_lc/…, /jorf/id/…), which the shared resolver
    does not know: the target is read in the link's words and the page's code."""
    if ref.resolved or not ref.link:
        return ref
    fields = {"target_code": None, "target_article": None, "target_text": None}
    if _SITE_ARTICLE.search(ref.link):
        m = _SURFACE_NUMBER.search(ref.text)
        code_m = _SURFACE_CODE.search(ref.text)
        code = official.code_slug([code_m.group(1)]) if code_m else page_code
        if m and code:
            number = m.group(1) + m.group(2) + m.group(3)
            return Reference(**{**ref.__dict__, **fields, "target_code": code, "target_article": number,
                                "resolved": True, "reason": None})
    m = _SITE_TEXT.search(ref.link)
    if m:
        nature, number, _ = official.parse_title(ref.text)
        target = official.text_target(nature, number, m.group(1) if m.group(1).startswith("JORFTEXT") else None)
        if target:
            return Reference(**{**ref.__dict__, **fields, "target_text": target, "resolved": True, "reason": None})
    return ref


def _number(p, container) -> str | None:
    button = container.select_one("button[data-articlecid][data-num]") if container is not None else None
    if button is not None and button.get("data-num", "").strip():
        return button["data-num"].strip()
    text = clean(p.get_text(" "))
    m = re.match(r"^Article\s+(.+)$", text)
    return official.article_number(m.group(1) if m else text)


def _code_page(name: str, soup, names, lines: _Lines) -> list[Article]:
    canonical_el = soup.select_one("link[rel=canonical]")
    canonical = canonical_el.get("href", "") if canonical_el is not None else ""
    code, _ = _code(soup, canonical)
    if not code:
        raise ReadError("code page without the code's name (nav#filAriane) or LEGITEXT id", name, 1)
    page_sections = _page_sections(soup)
    vigor_el = soup.select_one("h2.vigor-title")
    page_vigor = _vigor(clean(vigor_el.get_text(" "))) if vigor_el is not None and len(names) == 1 else {}
    out = []
    for p in names:
        anchor = p.get("data-anchor", "").strip()
        line = lines.of(f'data-anchor="{anchor}"') if anchor else None
        container = p.find_parent("article") or p.parent.parent
        content = container.select_one("div.content") if container is not None else None
        if content is None:
            content = p.find_next("div", class_="content")
        if content is None:
            raise ReadError(f"article {anchor}: no div.content after its name", name, line)
        number = _number(p, container)
        if not number:
            raise ReadError(f"article {anchor}: no number", name, line)
        dates = list(container.select("p.date")) if container is not None else []
        found, changes = _events(dates)
        found = {**page_vigor, **found}
        paragraphs, refs, nota = parse_fragment(content.decode_contents())
        refs = [[_site_link(r, code) for r in rs] for rs in refs]
        out.append(Article(
            number=number, code=code, paragraphs=tuple(paragraphs), subdivisions=build_tree(paragraphs, refs),
            source=Source(name, line, FORMAT), hierarchy=tuple(page_sections + _article_sections(p)),
            version=anchor or None, legiarti=anchor if anchor.startswith("LEGIARTI") else None,
            status=found.get("status"), start=found.get("start"), end=found.get("end"),
            nota=nota, changed_by=tuple(changes)))
    return out


# --- the old site's affichTexte.do page of a JO text -----------------------------------------

def _before_comment(soup, marker: str):
    """The element just before the HTML comment ``marker`` (the old site's 'end visas' …)."""
    comment = soup.find(string=lambda s: isinstance(s, Comment) and s.strip() == marker)
    if comment is None:
        return None
    return comment.find_previous_sibling()


def _old_text_page(name: str, soup, lines: _Lines):
    head = soup.select_one("div.enteteTexte")
    head_text = clean(head.get_text(" "))
    title_el = head.find("strong") or soup.select_one("h2.title")
    title = clean(title_el.get_text(" ")) if title_el is not None else ""
    if not title:
        raise ReadError("affichTexte page without a title (div.enteteTexte strong)", name,
                        lines.of('class="enteteTexte"'))
    nature, number, day = official.parse_title(title)
    nature = nature or official.nature_of(title.split(" ")[0])
    canonical_el = soup.select_one("link[rel=canonical]")
    canonical = canonical_el.get("href", "") if canonical_el is not None else ""
    cid = re.search(r"cidTexte=(JORFTEXT\d+)", canonical)
    cid = cid.group(1) if cid else None
    nor = re.search(r"NOR\s*:\s*([A-Z]{4}\d{7}[A-Z])", head_text)
    jo = re.search(r"JORF\s+n\s*°\s*0*(\d+)\s+du\s+(\d{1,2}(?:er)?\s+\w+\s+\d{4})", head_text)
    eli = re.search(r"ELI\s*:\s*(https?://\S+)", head_text)
    target = official.text_target(nature, number, cid)
    articles = []
    unnumbered = 0
    for div in soup.select("div.article"):
        titre = div.select_one(".titreArt")
        num = None
        if titre is not None:
            m = re.match(r"^Article\s+(\S+(?:\s+(?:bis|ter|quater))?)", clean(titre.get_text(" ")))
            num = official.article_number(m.group(1)) if m else None
            titre.decompose()
        if not num:
            unnumbered += 1
            num = f"snum{unnumbered}"
        anchor = div.find_previous("a", attrs={"name": re.compile(r"^JORFARTI")})
        paragraphs, refs, nota = parse_fragment(div.decode_contents())
        refs = official.add_text_references(paragraphs, refs, {"code": None, "text": target})
        articles.append(Article(
            number=num, code=None, paragraphs=tuple(paragraphs), subdivisions=build_tree(paragraphs, refs),
            source=Source(name, lines.of(f'name="{anchor["name"]}"') if anchor is not None else None, FORMAT),
            version=f"{nature}-{number}" if number and nature in official.NUMBERED else (
                anchor["name"] if anchor is not None else None),
            nota=nota, text_id=target[5:] if target else (cid or name)))
    visas_el = _before_comment(soup, "end visas")
    signs_el = _before_comment(soup, "end signataires")
    return legi_xml.legal_text(
        name, lines.of('class="enteteTexte"'), FORMAT, nature=nature, number=number, day=day, title=title,
        nor=nor.group(1) if nor else None, cid=cid, articles=articles,
        jo_number=jo.group(1) if jo else None, jo_date=official.french_date(jo.group(2)) if jo else None,
        eli=eli.group(1) if eli else None,
        visa_paragraphs=parse_fragment(visas_el.decode_contents())[0] if visas_el is not None else (),
        signature_paragraphs=parse_fragment(signs_el.decode_contents())[0] if signs_el is not None else ())


