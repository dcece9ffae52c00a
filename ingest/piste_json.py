"""Reader for answers of the Legifrance API (PISTE), saved as JSON.

``POST /consult/getArticle`` -> ``{"article": {…}}``: one version of one article.
    id (LEGIARTI… / JORFARTI…) -> legiarti and version; num; etat -> status;
    dateDebut / dateFin (epoch ms, 32472144000000 = 2999-01-01 = open) -> start / end;
    texteHtml (else texte) -> paragraphs, subdivisions and the links in the text
    (ingest/html_text, ingest/structure: the same as the Markdown corpus's copy);
    notaHtml -> nota; context.titreTxt / textTitles -> the code (slug of its title, as the corpus)
    or the text; context.titresTM -> hierarchy (at each level, the title in force at dateDebut);
    lienCitations (orientation "source") -> references not already linked in the text, anchored
    on the first mention of their target; lienModifications ("CREE"/"MODIFIE"/… "cible",
    "CREATION"/"MODIFICATION"/… "source") -> Article.changed_by.
    articleVersions lists the other versions (ids and dates, no text): fetching each is the
    client's job, reading this answer gives this version only.
    An article of a code is yielded as an Article, an article of a JO text as that text's
    LegalText holding it.
``POST /consult/jorf`` -> a JO text with nested ``sections``/``articles`` -> one LegalText.
``/consult/lastNJo`` (a list of issues) and case-law answers (``{"text": …}`` of CETAT, JURI …)
hold no legislation: they yield nothing.  Any other JSON is refused.
"""
from __future__ import annotations

import json
import re

from santelex.errors import ReadError
from santelex.ingest import legi_xml, official
from santelex.ingest.html_text import clean, parse_fragment
from santelex.ingest.structure import build_tree
from santelex.model import Article, Heading, Source

FORMAT = "piste-json"


def load(name: str, data: bytes):
    """Bytes -> JSON value; ReadError naming the file and line for bad UTF-8 or bad JSON."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ReadError(f"not UTF-8 (byte 0x{data[e.start]:02x}); the API answers in UTF-8",
                        name, data.count(b"\n", 0, e.start) + 1) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise ReadError(f"malformed JSON: {e.msg} (column {e.colno})", name, e.lineno) from None
    except (ValueError, RecursionError) as e:
        raise ReadError(f"malformed JSON: {str(e)[:80]}", name, 1) from None


class _Fields:
    """Typed access to one JSON object, with errors naming the JSON path."""

    def __init__(self, name: str, value, path: str):
        if value is None:
            value = {}
        if not isinstance(value, dict):
            raise ReadError(f"{path}: expected an object, found {type(value).__name__}", name)
        self.name, self.value, self.path = name, value, path

    def str(self, key: str) -> str:
        v = self.value.get(key)
        if v is None:
            return ""
        if isinstance(v, bool) or not isinstance(v, (str, int, float)):
            raise ReadError(f"{self.path}.{key}: expected a string, found {type(v).__name__}", self.name)
        return str(v).strip()

    def obj(self, key: str) -> "_Fields":
        return _Fields(self.name, self.value.get(key), f"{self.path}.{key}")

    def list(self, key: str) -> list["_Fields"]:
        v = self.value.get(key)
        if v is None:
            return []
        if not isinstance(v, list):
            raise ReadError(f"{self.path}.{key}: expected a list, found {type(v).__name__}", self.name)
        return [_Fields(self.name, item, f"{self.path}.{key}[{i}]") for i, item in enumerate(v)]

    def date(self, key: str):
        return official.epoch_date(self.value.get(key), self.name, f"{self.path}.{key}")


def read(name: str, data: bytes):
    """Yield the article or text of one saved API answer."""
    doc = load(name, data)
    if not isinstance(doc, dict):
        raise ReadError(f"not a Legifrance API answer: the JSON is a {type(doc).__name__}, not an object",
                        name, 1)
    answer = _Fields(name, doc, "$")
    if "article" in doc:
        if doc["article"] is None:
            raise ReadError("the API answer holds no article (unknown id?)", name)
        return iter([article(name, answer.obj("article"))])
    if isinstance(doc.get("text"), dict) or "containers" in doc:
        return iter([])  # case law, list of JO issues: no legislation
    if "sections" in doc or "articles" in doc:
        return iter([jorf_text(name, answer)])
    raise ReadError("not a Legifrance API answer santelex reads: expected 'article' (getArticle), "
                    "'sections'/'articles' (consult/jorf), 'containers' (lastNJo) or 'text' (case law)",
                    name, 1)


def _hierarchy(titles: list[_Fields], start) -> tuple[Heading, ...]:
    """context.titresTM: one entry per level and title version; keep the one in force at start."""
    levels: dict[str, list[_Fields]] = {}
    for t in titles:
        levels.setdefault(t.str("xPath") or str(len(levels)), []).append(t)
    heads = []
    for path in sorted(levels, key=lambda p: (p.count("/"), p)):
        versions = levels[path]
        chosen = versions[-1]
        if start is not None:
            day = start.isoformat()
            chosen = next((v for v in versions if v.str("debut") <= day
                           and (not v.str("fin") or day < v.str("fin"))), chosen)
        title = clean(chosen.str("titre"))
        if title:
            heads.append(official.heading(title))
    return tuple(heads)


def _citations(a: _Fields):
    links = []
    for lien in a.list("lienCitations"):
        if lien.str("linkType") != "CITATION" or lien.str("linkOrientation") != "source":
            continue
        link = official.citation_link(lien.str("textTitle"), lien.str("textCid"), lien.str("natureText"),
                                      lien.str("articleNum"), lien.str("numTexte"), lien.str("articleId"))
        if link:
            links.append(link)
    return links


def _changes(a: _Fields):
    out = []
    for lien in a.list("lienModifications"):
        if official.is_modification(lien.str("linkType"), lien.str("linkOrientation")):
            ref = official.modification(lien.str("textTitle"), lien.str("textCid"), lien.str("natureText"),
                                        lien.str("numTexte"), lien.str("articleNum"))
            if ref and ref not in out:
                out.append(ref)
    return tuple(out)


def _body(html: str, links):
    paragraphs, refs, nota = parse_fragment(html)
    refs, unplaced = official.place_links(paragraphs, refs, links)
    return paragraphs, build_tree(paragraphs, refs), tuple(unplaced), nota


def _html(a: _Fields, html_key: str, text_key: str) -> str:
    from html import escape
    return a.str(html_key) or escape(a.str(text_key))


def article(name: str, a: _Fields):
    ident = a.str("id")
    start, end = a.date("dateDebut"), a.date("dateFin")
    number = official.article_number(a.str("num"))
    context = a.obj("context")
    text_titles = context.list("titreTxt")
    documents = a.list("textTitles")
    natures = {d.str("nature").upper() for d in documents}
    cids = [t.str("cid") for t in text_titles] + [d.str("cid") for d in documents]
    paragraphs, subdivisions, unplaced, inline_nota = _body(_html(a, "texteHtml", "texte"), _citations(a))
    nota_html = _html(a, "notaHtml", "nota")
    nota = " ".join(parse_fragment(nota_html)[0]) or inline_nota if nota_html else inline_nota
    status = a.str("etat") or None
    legiarti = ident if ident.startswith("LEGIARTI") else None
    common = dict(paragraphs=tuple(paragraphs), subdivisions=subdivisions,
                  source=Source(name, None, FORMAT), hierarchy=_hierarchy(context.list("titresTM"), start),
                  references=unplaced, legiarti=legiarti, status=status, start=start, end=end,
                  nota=nota or None, changed_by=_changes(a))
    if "CODE" in natures or (not natures and any(c.startswith("LEGITEXT") for c in cids)):
        titles = [t.str("titre") for t in text_titles] + [d.str("titre") for d in documents]
        legitext = next((c for c in cids if c.startswith("LEGITEXT")), None)
        code = official.code_slug(titles, legitext)
        if not code or not number:
            raise ReadError("article of a code without a code title or a number (article.num)", name)
        return Article(number=number, code=code, version=ident or None, **common)
    # an article of a JO text: the text, holding this article
    doc = next((d for d in documents if d.str("id").startswith("JORFTEXT")), documents[0] if documents else None)
    if doc is None:
        raise ReadError("article of neither a code nor a text (no article.textTitles)", name)
    nature = official.nature_of(doc.str("nature"))
    text_number = doc.str("num") or None
    full_title = next((clean(t.str("titre")) for t in text_titles if t.str("titre")), clean(doc.str("titre")))
    cid = doc.str("cid") or doc.str("id")
    target = official.text_target(nature, text_number, cid)
    version = ident or None
    if ident.startswith("JORFARTI") and nature in official.NUMBERED and text_number:
        version = f"{nature}-{text_number}"  # the JO version: same key as the JO readers
    eli = None
    m = re.match(r"^(/eli/.+/jo)/article_[\w-]+$", a.str("idEli"))
    if m:
        eli = official.LEGIFRANCE + m.group(1) + "/texte"
    art = Article(number=number or ident, code=None, version=version,
                  text_id=target[5:] if target else cid, **common)
    return legi_xml.legal_text(
        name, None, FORMAT, nature=nature, number=text_number, day=doc.date("dateTexte"),
        title=full_title, nor=doc.str("nor") or None, cid=cid, articles=(art,),
        jo_number=str(int(doc.str("numParution"))) if doc.str("numParution").isdigit() else None,
        jo_date=doc.date("datePubli"), eli=eli)


def jorf_text(name: str, t: _Fields):
    """/consult/jorf: a whole JO text (sections nested, articles in them)."""
    title = clean(t.str("title"))
    cid = t.str("cid") or t.str("id").split("_")[0]
    if not title and not cid:
        raise ReadError("not a JO text: no 'title' or 'cid'", name, 1)
    nature, number, day = official.parse_title(title)
    nature = official.nature_of(t.str("nature")) if t.str("nature") else (nature or "texte")
    target = official.text_target(nature, number, cid)
    articles: list[Article] = []
    unnumbered = [0]

    def walk(node: _Fields, heads: tuple[Heading, ...]):
        for art in node.list("articles"):
            num = official.article_number(art.str("num"))
            if not num:
                unnumbered[0] += 1
                num = f"snum{unnumbered[0]}"
            citations = []
            for lien in art.list("lstLienCitation"):
                link = official.citation_link(lien.str("textTitle"), lien.str("textCid"), lien.str("natureText"),
                                              lien.str("articleNum"), lien.str("numTexte"), lien.str("articleId"))
                if link and lien.str("linkOrientation") in ("", "source"):
                    citations.append(link)
            paragraphs, subdivisions, unplaced, nota = _body(art.str("content"), citations)
            articles.append(Article(
                number=num, code=None, paragraphs=tuple(paragraphs), subdivisions=subdivisions,
                source=Source(name, None, FORMAT), hierarchy=heads, references=unplaced,
                version=f"{nature}-{number}" if number and nature in official.NUMBERED else (art.str("id") or None),
                status=art.str("etat") or None, nota=(clean(art.str("nota")) or nota) or None,
                text_id=target[5:] if target else cid))
        for section in node.list("sections"):
            title_ = clean(section.str("title"))
            walk(section, heads + ((official.heading(title_),) if title_ else ()))

    walk(t, ())
    jo = re.search(r"n\s*°\s*0*(\d+)", t.str("jorfText"))
    eli = t.str("eli")
    return legi_xml.legal_text(
        name, None, FORMAT, nature=nature, number=number, day=day, title=title, nor=t.str("nor") or None,
        cid=cid, articles=articles, jo_number=jo.group(1) if jo else None,
        jo_date=t.date("dateParution") if isinstance(t.value.get("dateParution"), (int, float)) else None,
        eli=official.LEGIFRANCE + eli if eli.startswith("/eli/") else None,
        visa_paragraphs=parse_fragment(t.str("visa"))[0],
        signature_paragraphs=parse_fragment(t.str("signers"))[0])
