"""Reader for DILA's LEGI XML (the consolidated-law open data: one document per file).

``<ARTICLE>``: one version of one article.
    META/META_COMMUN/ID               -> Article.legiarti and .version (the version's LEGIARTI id)
    META/META_SPEC/META_ARTICLE       -> NUM (number), ETAT (status), DATE_DEBUT / DATE_FIN
                                         (start / end; 2999-01-01 means open)
    CONTEXTE/TEXTE                    -> the code (TITRE_TXT slugged as the corpus does, else the
                                         LEGITEXT id) or, when its nature is not CODE, the text
                                         the article belongs to; nested TM/TITRE_TM -> hierarchy
                                         (at each level, the title in force at DATE_DEBUT)
    BLOC_TEXTUEL/CONTENU              -> paragraphs and subdivisions (the same HTML dialect as the
                                         Markdown export: ingest/html_text, ingest/structure)
    NOTA/CONTENU                      -> nota
    LIENS/LIEN typelien=CITATION sens=source
                                      -> references, provenance "legifrance-link", anchored on the
                                         first mention of their target (ingest/official.place_links)
    LIENS/LIEN CREATION/MODIFICATION/ABROGATION/TRANSFERT (sens=source), CREE/MODIFIE/… (cible)
                                      -> Article.changed_by (eli:changed_by)
An article of a code is yielded as an Article; an article of another text (a decree's
consolidated article) as a LegalText holding that one article, so it gets the text's URI.

``<TEXTE_VERSION>`` of a text that is not a code -> a LegalText with its metadata (nature,
number, date, title, NOR, visas, signatories), no articles (they are files of their own).
``<SECTION_TA>``, ``<TEXTELR>`` and a code's ``<TEXTE_VERSION>`` hold only structure, which
every article repeats in its CONTEXTE: they yield nothing.  JORF roots (``<TEXTE>``, ``<JO>``)
are handed to ingest/jorf_xml.
"""
from __future__ import annotations

import re
from datetime import date

from lxml import etree

from santelex.errors import ReadError
from santelex.ingest import official, safe_xml
from santelex.ingest.html_text import clean, parse_fragment
from santelex.ingest.structure import build_tree
from santelex.model import Article, Document, LegalText, Source

FORMAT = "legi-xml"
_STRUCTURE_ONLY = ("SECTION_TA", "TEXTELR")


def read(name: str, data: bytes):
    """Yield the Article or LegalText of one LEGI XML file (nothing for structure files)."""
    return iter(read_tree(name, safe_xml.parse(name, data), FORMAT))


def read_tree(name: str, root: etree._Element, fmt: str = FORMAT) -> list[Document]:
    tag = root.tag if isinstance(root.tag, str) else ""
    if tag == "ARTICLE":
        return [article_document(name, root, fmt)]
    if tag in _STRUCTURE_ONLY:
        return []
    if tag == "TEXTE_VERSION":
        return text_version(name, root, fmt)
    if tag in ("TEXTE", "JO"):
        raise ReadError(f"<{tag}> is DILA JORF XML, not LEGI: read it with --format jorf-xml",
                        name, root.sourceline)
    raise ReadError(f"not a LEGI XML document: root element <{tag[:40]}> (expected ARTICLE, "
                    "SECTION_TA, TEXTELR or TEXTE_VERSION)", name, root.sourceline)


def _in_force_at(elements: list[etree._Element], at: date | None) -> etree._Element | None:
    """Of several versions of one title (debut/fin attributes), the one in force at ``at``."""
    if not elements:
        return None
    if at is not None:
        for el in elements:
            start, end = el.get("debut", ""), el.get("fin", "")
            if start <= at.isoformat() and (not end or at.isoformat() < end):
                return el
    open_ended = [el for el in elements if el.get("fin", safe_xml.OPEN_DATE) == safe_xml.OPEN_DATE]
    return (open_ended or elements)[-1]


def hierarchy(texte: etree._Element | None, at: date | None):
    """CONTEXTE/TEXTE/TM/TM/… -> headings, outermost first."""
    heads = []
    level = texte.find("TM") if texte is not None else None
    while level is not None:
        chosen = _in_force_at(level.findall("TITRE_TM"), at)
        title = clean("".join(chosen.itertext())) if chosen is not None else ""
        if title:
            heads.append(official.heading(title))
        level = level.find("TM")
    return tuple(heads)


def links(name: str, el: etree._Element | None):
    """LIENS/LIEN -> (citation Links, changed_by References)."""
    citations, changes = [], []
    if el is None:
        return citations, changes
    for lien in el.iter("LIEN"):
        label = clean("".join(lien.itertext()))
        kind, sens = lien.get("typelien"), lien.get("sens")
        if kind == "CITATION" and sens == "source":
            link = official.citation_link(label, lien.get("cidtexte"), lien.get("naturetexte"),
                                          lien.get("num"), lien.get("numtexte"), lien.get("id"))
            if link:
                citations.append(link)
        elif official.is_modification(kind, sens):
            ref = official.modification(label, lien.get("cidtexte"), lien.get("naturetexte"),
                                        lien.get("numtexte"), lien.get("num"))
            if ref and ref not in changes:
                changes.append(ref)
    return citations, changes


def body(name: str, contenu: etree._Element | None, links, text_refs: dict | None = None):
    """BLOC_TEXTUEL/CONTENU -> (paragraphs, subdivisions, article-level refs, inline nota).

    ``text_refs``: for texts of the Journal officiel, also the references found in the words
    (as the JO-text reader does), given this context (``{"code": …, "text": …}``).
    """
    paragraphs, refs, nota = parse_fragment(safe_xml.inner_html(contenu))
    refs, unplaced = official.place_links(paragraphs, refs, links)
    if text_refs is not None:
        refs = official.add_text_references(paragraphs, refs, text_refs)
    return paragraphs, build_tree(paragraphs, refs), unplaced, nota


def html_text(contenu: etree._Element | None) -> str | None:
    """A CONTENU as one line of text (nota, visas), None when empty."""
    paragraphs, _, nota = parse_fragment(safe_xml.inner_html(contenu))
    text = " ".join(paragraphs + ([nota] if nota else []))
    return text or None


def text_of_context(name: str, texte: etree._Element, at: date | None, line: int | None) -> dict:
    """CONTEXTE/TEXTE -> the fields of the text an article belongs to."""
    titles = texte.findall("TITRE_TXT")
    chosen = _in_force_at(titles, at)
    title = clean("".join(chosen.itertext())) if chosen is not None else ""
    short = chosen.get("c_titre_court", "") if chosen is not None else ""
    nature = (texte.get("nature") or "").strip()
    return {"cid": (texte.get("cid") or "").strip(), "nature": nature, "title": title, "short": short,
            "number": (texte.get("num") or "").strip() or None,
            "nor": (texte.get("nor") or "").strip() or None,
            "date": safe_xml.iso_date(texte.get("date_signature"), name, line, "CONTEXTE/TEXTE@date_signature"),
            "jo_date": safe_xml.iso_date(texte.get("date_publi"), name, line, "CONTEXTE/TEXTE@date_publi")}


def is_code(ctx: dict) -> bool:
    from santelex.ingest.corpus_index import legitext_codes
    return ctx["nature"].upper() == "CODE" or (not ctx["nature"] and ctx["cid"] in legitext_codes())


def article_document(name: str, el: etree._Element, fmt: str = FORMAT) -> Document:
    line = el.sourceline
    ident = safe_xml.text(el, "META/META_COMMUN/ID")
    meta = el.find("META/META_SPEC/META_ARTICLE")
    if meta is None:
        raise ReadError("<ARTICLE> without META/META_SPEC/META_ARTICLE: not a LEGI article", name, line)
    start = safe_xml.iso_date(safe_xml.text(meta, "DATE_DEBUT"), name, line, "DATE_DEBUT")
    end = safe_xml.iso_date(safe_xml.text(meta, "DATE_FIN"), name, line, "DATE_FIN")
    texte = el.find("CONTEXTE/TEXTE")
    if texte is None:
        raise ReadError("<ARTICLE> without CONTEXTE/TEXTE: cannot tell which code or text it is of",
                        name, line)
    ctx = text_of_context(name, texte, start, line)
    number = official.article_number(safe_xml.text(meta, "NUM"))
    citations, changes = links(name, el.find("LIENS"))
    code = official.code_slug([ctx["short"], ctx["title"]], ctx["cid"]) if is_code(ctx) else None
    nature = official.nature_of(ctx["nature"])
    target = official.text_target(nature, ctx["number"], ctx["cid"])
    jorf = ident.startswith("JORFARTI")
    paragraphs, subdivisions, unplaced, inline_nota = body(
        name, el.find("BLOC_TEXTUEL/CONTENU"), citations,
        text_refs={"code": None, "text": target} if jorf else None)
    nota = html_text(el.find("NOTA/CONTENU")) or inline_nota
    status = safe_xml.text(meta, "ETAT") or None
    if code is not None:
        if not number:
            raise ReadError("<ARTICLE> of a code without NUM", name, line)
        if not code:
            raise ReadError("<ARTICLE> whose CONTEXTE names no code", name, line)
        return Article(
            number=number, code=code, paragraphs=tuple(paragraphs), subdivisions=subdivisions,
            source=Source(name, line, fmt), hierarchy=hierarchy(texte, start),
            references=tuple(unplaced), version=ident or None,
            legiarti=ident if ident.startswith("LEGIARTI") else None, status=status,
            start=start, end=end, nota=nota, changed_by=tuple(changes))
    number = number or ident or "snum1"
    version = ident or None
    if jorf and nature in official.NUMBERED and ctx["number"]:
        version = f"{nature}-{ctx['number']}"  # the JO version: same key as the JO-text reader
    text_id = target[5:] if target else (ctx["cid"] or ctx["nor"] or name)
    art = Article(
        number=number, code=None, paragraphs=tuple(paragraphs), subdivisions=subdivisions,
        source=Source(name, line, fmt), hierarchy=hierarchy(texte, start),
        references=tuple(unplaced), version=version,
        legiarti=ident if ident.startswith("LEGIARTI") else None, status=status,
        start=start, end=end, nota=nota, text_id=text_id, changed_by=tuple(changes))
    return legal_text(name, line, fmt, nature=nature, number=ctx["number"], day=ctx["date"],
                      title=ctx["title"], nor=ctx["nor"], cid=ctx["cid"], jo_date=ctx["jo_date"],
                      articles=(art,))


def legal_text(name: str, line: int | None, fmt: str, *, nature: str, number: str | None,
               day: date | None, title: str, nor: str | None, cid: str | None, articles=(),
               jo_number: str | None = None, jo_date: date | None = None, eli: str | None = None,
               visa_paragraphs=(), signature_paragraphs=()) -> LegalText:
    """A LegalText named the way the JO-text reader names it (nature and number, else an id)."""
    if number and not (nature in official.NUMBERED and official.is_text_number(number)):
        number = None
    jorf_id = cid if cid and cid.startswith("JORFTEXT") else None
    if jorf_id is None and not number and not nor and cid:
        jorf_id = cid  # a text known only by its LEGITEXT id: that id names it
    target = official.text_target(nature, number, jorf_id)
    visa_list = official.visas(visa_paragraphs)
    refs = []
    if visa_list:
        from santelex.ingest.citations.resolve import resolve_text
        for v in visa_list:
            refs.extend(resolve_text(v, source_code=None, text_context={"code": None, "text": target}))
    return LegalText(nature=nature, number=number, date=day, title=title or (cid or name),
                     source=Source(name, line, fmt), nor=nor, jorf_id=jorf_id, jo_number=jo_number,
                     jo_date=jo_date, eli=eli, signatories=tuple(official.signatories(signature_paragraphs)),
                     visas=tuple(visa_list), visa_references=tuple(refs), articles=tuple(articles))


def text_version(name: str, root: etree._Element, fmt: str = FORMAT) -> list[Document]:
    """<TEXTE_VERSION>: a text's metadata as a LegalText (nothing for a code)."""
    line = root.sourceline
    nature_raw = safe_xml.text(root, "META/META_COMMUN/NATURE")
    if nature_raw.upper() == "CODE":
        return []
    chron = root.find("META/META_SPEC/META_TEXTE_CHRONICLE")
    version = root.find("META/META_SPEC/META_TEXTE_VERSION")
    if chron is None and version is None:
        raise ReadError("<TEXTE_VERSION> without META_TEXTE_CHRONICLE or META_TEXTE_VERSION", name, line)
    cid = safe_xml.text(chron, "CID") or safe_xml.text(root, "META/META_COMMUN/ID")
    title = safe_xml.text(version, "TITREFULL") or safe_xml.text(version, "TITRE")
    nature = official.nature_of(nature_raw) if nature_raw else (official.parse_title(title)[0] or "texte")
    jo_number = None
    origin = root.find("META/META_SPEC/META_TEXTE_CHRONICLE/ORIGINE_PUBLI")
    if origin is not None and origin.text:
        m = re.search(r"n\s*°\s*0*(\d+)", origin.text)
        jo_number = m.group(1) if m else None
    visa_pars = parse_fragment(safe_xml.inner_html(root.find("VISAS/CONTENU")))[0]
    sign_pars = parse_fragment(safe_xml.inner_html(root.find("SIGNATAIRES/CONTENU")))[0]
    return [legal_text(
        name, line, fmt, nature=nature, number=safe_xml.text(chron, "NUM") or None,
        day=safe_xml.iso_date(safe_xml.text(chron, "DATE_TEXTE"), name, line, "DATE_TEXTE"),
        title=clean(title), nor=safe_xml.text(chron, "NOR") or None, cid=cid, jo_number=jo_number,
        jo_date=safe_xml.iso_date(safe_xml.text(chron, "DATE_PUBLI"), name, line, "DATE_PUBLI"),
        visa_paragraphs=visa_pars, signature_paragraphs=sign_pars)]
