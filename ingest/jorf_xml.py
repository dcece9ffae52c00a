"""Reader for DILA's JORF XML (texts of the Journal officiel, as published).

``<TEXTE>`` (the daily JORFSIMPLE dumps) -> one LegalText:
    ID (JORFTEXT…) -> jorf_id; ID_ELI -> eli; NATURE, NUM -> nature, number; NOR; DATE_TEXTE -> date;
    DATE_PUBLI, NUM_PARUTION / ORIGINE_PUBLI -> jo_date, jo_number; TITREFULL -> title;
    VISAS/CONTENU -> visas (each 'Vu …' clause) and their references; SIGNATAIRES -> signatories;
    STRUCT/ARTICLE (also inside STRUCT/SECTION_TA, e.g. annexes) -> articles: NUM (an unnumbered
    article takes the ELI's name, ``snum1`` …), BLOC_TEXTUEL/CONTENU -> paragraphs, subdivisions
    and references (Legifrance's links and, as for the JO-text reader, those found in the words).
``<TEXTE_VERSION>`` of origin JORF (the full JORF dumps, articles in files of their own) -> the
text's metadata; a JORF ``<ARTICLE>`` file -> its text holding that article (ingest/legi_xml).
``<JO>`` (JORFCONT…: one issue's table of contents) -> one LegalText per text listed (nature,
number and date read from its title, JORFTEXT id, the issue's number and date), no articles:
enough to know what an issue published, and the same URIs as when the full text is read.
"""
from __future__ import annotations

import re

from lxml import etree

from santelex.errors import ReadError
from santelex.ingest import legi_xml, official, safe_xml
from santelex.ingest.html_text import clean, parse_fragment
from santelex.model import Article, Document, Heading, Source

FORMAT = "jorf-xml"


def read(name: str, data: bytes):
    """Yield the LegalText(s) of one JORF XML file."""
    return iter(read_tree(name, safe_xml.parse(name, data)))


def read_tree(name: str, root: etree._Element) -> list[Document]:
    tag = root.tag if isinstance(root.tag, str) else ""
    if tag == "TEXTE":
        return [texte(name, root)]
    if tag == "JO":
        return sommaire(name, root)
    if tag in ("ARTICLE", "TEXTE_VERSION", "SECTION_TA", "TEXTELR"):
        return legi_xml.read_tree(name, root, FORMAT)
    raise ReadError(f"not a JORF XML document: root element <{tag[:40]}> (expected TEXTE, JO, "
                    "TEXTE_VERSION or ARTICLE)", name, root.sourceline)


def _jo_number(value: str | None) -> str | None:
    m = re.search(r"(\d+)", value or "")
    return str(int(m.group(1))) if m else None


def _articles(name: str, struct: etree._Element | None, nature: str, number: str | None,
              target: str | None):
    out: list[Article] = []
    if struct is None:
        return out
    unnumbered = 0
    text_id = target[5:] if target else None
    for el in struct.iter("ARTICLE"):
        line = el.sourceline
        ident = safe_xml.text(el, "ID")
        num = official.article_number(safe_xml.text(el, "NUM"))
        if not num:
            unnumbered += 1
            eli = safe_xml.text(el, "ID_ELI")
            m = re.search(r"/article_([\w-]+)$", eli)
            num = m.group(1) if m else f"snum{unnumbered}"
        heads = tuple(Heading("annexe" if t.lower().startswith("annexe") else "section", t)
                      for t in (clean(safe_xml.text(s, "TITRE_TA")) for s in el.iterancestors("SECTION_TA"))
                      if t)[::-1]
        citations, changes = legi_xml.links(name, el.find("LIENS"))
        paragraphs, subdivisions, unplaced, nota = legi_xml.body(
            name, el.find("BLOC_TEXTUEL/CONTENU"), citations,
            text_refs={"code": None, "text": target})
        out.append(Article(
            number=num, code=None, paragraphs=tuple(paragraphs), subdivisions=subdivisions,
            source=Source(name, line, FORMAT), hierarchy=heads, references=tuple(unplaced),
            version=f"{nature}-{number}" if number else (ident or None),
            start=safe_xml.iso_date(safe_xml.text(el, "DATE_DEBUT"), name, line, "DATE_DEBUT"),
            end=safe_xml.iso_date(safe_xml.text(el, "DATE_FIN"), name, line, "DATE_FIN"),
            nota=nota, text_id=text_id or ident, changed_by=tuple(changes)))
    return out


def texte(name: str, root: etree._Element):
    """<TEXTE> (JORFSIMPLE): the whole text with its articles."""
    line = root.sourceline
    ident = safe_xml.text(root, "ID")
    title = clean(safe_xml.text(root, "TITREFULL") or safe_xml.text(root, "TITRE"))
    nature_raw = safe_xml.text(root, "NATURE")
    nature = official.nature_of(nature_raw) if nature_raw else (official.parse_title(title)[0] or "texte")
    number = safe_xml.text(root, "NUM") or None
    if not ident and not title:
        raise ReadError("<TEXTE> without ID or TITRE: not a JORF text", name, line)
    if number and not official.is_text_number(number):
        number = None
    target = official.text_target(nature, number, ident)
    articles = _articles(name, root.find("STRUCT"), nature, number, target)
    jo_number = _jo_number(safe_xml.text(root, "NUM_PARUTION")) or _jo_number(
        re.sub(r"du .*", "", safe_xml.text(root, "ORIGINE_PUBLI")))
    return legi_xml.legal_text(
        name, line, FORMAT, nature=nature, number=number,
        day=safe_xml.iso_date(safe_xml.text(root, "DATE_TEXTE"), name, line, "DATE_TEXTE"),
        title=title, nor=safe_xml.text(root, "NOR") or None, cid=ident or None, articles=articles,
        jo_number=jo_number,
        jo_date=safe_xml.iso_date(safe_xml.text(root, "DATE_PUBLI"), name, line, "DATE_PUBLI"),
        eli=safe_xml.text(root, "ID_ELI") or None,
        visa_paragraphs=parse_fragment(safe_xml.inner_html(root.find("VISAS/CONTENU")))[0],
        signature_paragraphs=parse_fragment(safe_xml.inner_html(root.find(".//SIGNATAIRES/CONTENU")))[0])


def sommaire(name: str, root: etree._Element):
    """<JO> (JORFCONT…): one LegalText per text the issue published."""
    line = root.sourceline
    jo_number = _jo_number(safe_xml.text(root, "NUM"))
    jo_date = safe_xml.iso_date(safe_xml.text(root, "DATE_PUBLI"), name, line, "DATE_PUBLI")
    out = []
    seen = set()
    for lien in root.iter("LIEN_TXT"):
        ident = (lien.get("idtxt") or "").strip()
        title = clean(lien.get("titretxt") or "")
        if not ident or ident in seen or not title:
            continue
        seen.add(ident)
        nature, number, day = official.parse_title(title)
        out.append(legi_xml.legal_text(
            name, lien.sourceline, FORMAT, nature=nature or official.nature_of(title.split(" ")[0]),
            number=number, day=day, title=title, nor=None, cid=ident, jo_number=jo_number,
            jo_date=jo_date))
    return out
