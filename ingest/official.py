"""What the readers of Legifrance's official formats share (LEGI/JORF XML, API JSON, saved pages).

- ``code_slug``: a code's corpus slug from its title (and LEGITEXT id), so that an article read
  from any format lands on the same URI as the Markdown corpus's copy;
- ``heading``: one level of a code's plan, slugged like the corpus's folders;
- ``nature_of``, ``parse_title``, ``text_target``: the nature, number and date of a JO text, and
  the reference target a link to it gets (``jorf/decret-2007-1480``, the URI the JO readers mint
  for that text; ``jorf/JORFTEXT…`` when the link gives no number);
- ``Link`` and ``place_links``: Legifrance's own links (LEGI ``<LIEN typelien="CITATION">``, the
  API's ``lienCitations``) are not anchored in the text; they are placed on the first mention of
  their target (``L. 215-1``, ``décret n° 62-1587``) and become references with provenance
  ``legifrance-link``; a link whose target is never mentioned stays an article-level reference;
- ``modification``: a "created / modified / repealed / moved by" link -> ``Article.changed_by``;
- ``epoch_date``: the API's dates (epoch milliseconds; 32472144000000 = 2999-01-01 = open).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime, timezone
from functools import lru_cache

from santelex.errors import ReadError
from santelex.ingest.corpus_index import legitext_codes
from santelex.ingest.html_text import link_pinpoint, slugify
from santelex.ingest.markdown_export import level_of
from santelex.model import Heading, Reference

OPEN_END = date(2999, 1, 1)
LEGIFRANCE = "https://www.legifrance.gouv.fr"

_MONTHS = {m: i for i, m in enumerate(
    ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
     "octobre", "novembre", "décembre"], start=1)}
_MONTHS.update({"fevrier": 2, "aout": 8, "decembre": 12})


@lru_cache(maxsize=1)
def _corpus_codes() -> frozenset:
    from santelex.ingest.html_text import _index
    return frozenset(_index().codes())


def code_slug(titles: str | list | tuple | None, legitext: str | None = None) -> str | None:
    """The corpus slug of a code: the first of its titles (short title, full title …) that the
    corpus knows, slugged ('Code général des impôts, CGI.' -> 'code-general-des-impots-cgi');
    else the slug of its LEGITEXT id; else the first title slugged."""
    if isinstance(titles, str) or titles is None:
        titles = [titles or ""]
    slugs = [slugify(re.sub(r"\s*\(.*\)\s*$", "", t or "").strip().rstrip(".")) for t in titles]
    for slug in slugs:
        if slug and slug in _corpus_codes():
            return slug
    if legitext and legitext in legitext_codes():
        return legitext_codes()[legitext]
    return next((s for s in slugs if s), None)


_ARTICLES_RANGE = re.compile(r"\s*\((?:Articles?|Art\.)\s[^)]*\)\s*$")


def heading(title: str) -> Heading:
    """One level of a code's plan: 'Livre VIII : AIDES …' -> Heading('livre', title, 'livre-viii-aides-…')."""
    title = _ARTICLES_RANGE.sub("", re.sub(r"\s+", " ", title)).strip()
    slug = slugify(title)
    return Heading(level_of(slug), title, slug)


_NATURES = {"loi organique": "loi", "loi_organique": "loi", "loi": "loi", "lo": "loi",
            "décret": "decret", "decret": "decret", "décret-loi": "decret-loi", "decret_loi": "decret-loi",
            "ordonnance": "ordonnance", "arrêté": "arrete", "arrete": "arrete",
            "décision": "decision", "decision": "decision", "délibération": "deliberation",
            "deliberation": "deliberation"}
#: natures whose number names a text (the URI is .../jorf/<nature>/<number>)
NUMBERED = {"loi", "decret", "decret-loi", "ordonnance", "arrete", "decision", "deliberation"}


def nature_of(raw: str | None) -> str:
    """'ARRETE', 'LOI_ORGANIQUE', 'Décret' -> 'arrete', 'loi', 'decret' (else a slug, or 'texte')."""
    key = (raw or "").strip().lower()
    return _NATURES.get(key) or slugify(key) or "texte"


_NUMBER = re.compile(r"^\d{1,4}-\d+$")


def is_text_number(number: str | None) -> bool:
    """Whether ``number`` is a JO text's number ('2005-76'), the part of its URI."""
    return bool(number and _NUMBER.match(number.strip()))


def text_target(nature: str | None, number: str | None, text_id: str | None) -> str | None:
    """Reference target of a JO text: 'jorf/decret-2007-1480', else 'jorf/JORFTEXT…', else None."""
    number = (number or "").strip()
    if nature in NUMBERED and _NUMBER.match(number):
        return f"jorf/{nature}-{number}"
    if text_id and text_id.startswith("JORFTEXT"):
        return f"jorf/{text_id}"
    return None


def french_date(text: str) -> date | None:
    """'1er avril 1984', '7 JANVIER 1984', '01/09/2019' -> date (None when not a date)."""
    m = re.search(r"(\d{1,2})(?:er)?\s+([A-Za-zéûÉÛ]+)\s+(\d{4})", text)
    if m and m.group(2).lower() in _MONTHS:
        try:
            return date(int(m.group(3)), _MONTHS[m.group(2).lower()], int(m.group(1)))
        except ValueError:
            return None
    m = re.search(r"(\d{1,2})/(\d{1,2})/(\d{4})", text)
    if m:
        try:
            return date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        except ValueError:
            return None
    return None


_TITLE = re.compile(
    r"^\s*(?P<nature>loi organique|loi|décret-loi|décret|decret|ordonnance|arrêté|arrete|décision|"
    r"délibération)\b\.?(?:\s+(?:n\s*[°o]\.?\s*)?(?P<number>\d{1,4}-\d+)\b)?"
    r"(?:\s+(?:du\s+)?(?P<date>\d{1,2}(?:er)?\s+[a-zéû]+\s+\d{4}|\d{4}-\d{2}-\d{2}))?", re.I)
_LABEL_ARTICLE = re.compile(r"\b(?:art(?:icle)?\.?|ART\.)\s+(?P<art>[LRDA]?\*?\d+(?:er)?(?:[-.]\d+)*"
                            r"(?:\s(?:bis|ter|quater|quinquies))?)", re.I)


def parse_title(title: str) -> tuple[str | None, str | None, date | None]:
    """'Décret n° 2005-76 du 31 janvier 2005 …' -> ('decret', '2005-76', date(2005, 1, 31))."""
    m = _TITLE.match(title or "")
    if not m:
        return None, None, None
    when = m.group("date")
    day = None
    if when:
        day = date.fromisoformat(when) if re.match(r"\d{4}-", when) else french_date(when)
    return nature_of(m.group("nature")), m.group("number"), day


def article_number(num: str | None) -> str | None:
    """An article number as the readers write it: '1er' -> '1', 'L. 822-2' stays as given."""
    num = re.sub(r"\s+", " ", num or "").strip()
    if not num:
        return None
    return num[:-2] if re.fullmatch(r"\d+er", num) else num


def epoch_date(value, name: str, what: str) -> date | None:
    """The API's dates: epoch milliseconds (UTC); 2999-01-01 and null mean none."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ReadError(f"{what}: {str(value)[:40]!r} is not a date in epoch milliseconds", name)
    try:
        day = datetime.fromtimestamp(value / 1000, tz=timezone.utc).date()
    except (OverflowError, OSError, ValueError):
        raise ReadError(f"{what}: {value!r} is out of range for a date", name) from None
    return None if day >= OPEN_END else day


# --- Legifrance's links ---------------------------------------------------------------------

@dataclass(frozen=True)
class Link:
    """One of Legifrance's links from an article to what it cites.

    ``target`` holds the Reference target fields; ``article`` is the cited code article's number
    (looked for as ``L. 215-1``), ``text_number`` the cited text's number (``62-1587``).
    """

    label: str
    target: dict
    article: str | None = None
    text_number: str | None = None
    url: str | None = None
    ident: str | None = None  # LEGIARTI / JORFTEXT id of the target, to match inline links


def link_url(ident: str | None) -> str | None:
    if not ident:
        return None
    if ident.startswith("LEGIARTI"):
        return f"{LEGIFRANCE}/codes/article_lc/{ident}"
    if ident.startswith("JORFARTI"):
        return f"{LEGIFRANCE}/jorf/article_jo/{ident}"
    if ident.startswith(("JORFTEXT", "LEGITEXT")):
        return f"{LEGIFRANCE}/loda/id/{ident}"
    return None


def citation_link(label: str, text_cid: str | None, nature: str | None, article: str | None,
                  text_number: str | None, ident: str | None) -> Link | None:
    """A citation link (LEGI LIEN CITATION, API lienCitations) -> Link, or None if it names nothing."""
    label = re.sub(r"\s+", " ", label or "").strip()
    article = article_number(article)
    is_code = (nature or "").upper() == "CODE" or (
        not nature and ((text_cid or "") in legitext_codes() or label.lower().startswith("code ")))
    if is_code:
        code_name = re.split(r"\s+-\s+art\.", label)[0]
        code = code_slug(code_name, text_cid)
        if not code or not article:
            return None
        return Link(label, {"target_code": code, "target_article": article}, article=article,
                    url=link_url(ident), ident=ident)
    n = nature_of(nature) if nature else parse_title(label)[0]
    number = (text_number or "").strip() or parse_title(label)[1]
    target = text_target(n, number, text_cid)
    if target is None:
        return None
    return Link(label, {"target_text": target}, text_number=number if number and _NUMBER.match(number) else None,
                url=link_url(text_cid if (text_cid or "").startswith("JORFTEXT") else ident),
                ident=ident or text_cid)


def _article_pattern(number: str) -> tuple[re.Pattern, bool]:
    """Regex for a mention of article ``number`` in running text; bool: needs 'article' before."""
    m = re.match(r"^([A-Z]{1,2})\*?\s*\.?\s*(\d.*)$", number)
    if m:
        return re.compile(rf"(?<![\w*]){m.group(1)}\s*\.?\s*\*?\s*{re.escape(m.group(2))}(?![\w*]|-\d)"), False
    return re.compile(rf"(?<![\w-]){re.escape(number)}(?![\w]|-\d)"), True


def _text_pattern(number: str) -> re.Pattern:
    return re.compile(
        r"(?:(?:loi|décret|ordonnance|arrêté|décision)(?:\s+organique)?\s+(?:n\s*[°o]\s*)?)?"
        rf"(?<![\d-]){re.escape(number)}(?![\d-])"
        r"(?:\s+du\s+\d{1,2}(?:er)?\s+[a-zéû]+\s+\d{4})?", re.I)


_BEFORE_ARTICLE = re.compile(r"\barticles?\s+$", re.I)
_DU_CODE = re.compile(r"^\s+(?:du|de ce)\s+(?=code\b)", re.I)


def _widen(text: str, s: int, e: int, code: str | None) -> tuple[int, int]:
    """'L. 512-2' -> 'article L. 512-2 du code de la sécurité sociale' when the text names the
    cited code right after the number (Legifrance links a citation of another code that way)."""
    if not code:
        return s, e
    m = _DU_CODE.match(text[e:])
    if not m:
        return s, e
    rest = text[e + m.end():e + m.end() + 160]
    for j in sorted({k.end() for k in re.finditer(r"[\w'’]+", rest)}):
        if slugify(rest[:j]) == code:
            b = _BEFORE_ARTICLE.search(text[:s])
            return (b.start() if b else s), e + m.end() + j
    return s, e


def _same_link(link: Link, ref: Reference) -> bool:
    return bool(link.ident and ref.link and re.search(rf"\b{re.escape(link.ident)}\b", ref.link))


def _covered(link: Link, refs) -> bool:
    return any(_same_link(link, r) or all(getattr(r, k) == v for k, v in link.target.items())
               for r in refs)


def _resolve_inline(link: Link, refs: list[Reference]) -> list[Reference]:
    """An inline link the href alone could not resolve (``affichTexteArticle.do?…``) takes the
    target Legifrance gives for the same id in its link list."""
    fields = {"target_code": None, "target_article": None, "target_text": None}
    return [replace(r, resolved=True, reason=None, **{**fields, **link.target})
            if not r.resolved and _same_link(link, r) else r for r in refs]


def place_links(paragraphs: list[str], refs: list[list[Reference]], links: list[Link]
                ) -> tuple[list[list[Reference]], list[Reference]]:
    """Anchor ``links`` on the first free mention of their target in ``paragraphs``.

    Returns the references per paragraph (inline ones kept, placed ones added, in text order)
    and the links never mentioned, as article-level references (offsets 0, 0; surface: the
    link's label).  A link whose target an inline link already cites is not added twice.
    """
    out = [list(r) for r in refs] + [[] for _ in range(len(paragraphs) - len(refs))]
    unplaced: list[Reference] = []
    for link in links:
        out = [_resolve_inline(link, rs) for rs in out]
        if _covered(link, [r for rs in out for r in rs] + unplaced):
            continue
        if link.article:
            pattern, needs_word = _article_pattern(link.article)
        elif link.text_number:
            pattern, needs_word = _text_pattern(link.text_number), False
        else:
            pattern = None
        placed = False
        for i, text in enumerate(paragraphs):
            if pattern is None:
                break
            for m in pattern.finditer(text):
                s, e = m.start(), m.end()
                if needs_word and "article" not in text[max(0, s - 60):s].lower():
                    continue
                if link.article:
                    s, e = _widen(text, s, e, link.target.get("target_code"))
                if any(r.start < e and s < r.end for r in out[i]):
                    continue
                out[i].append(Reference(text=text[s:e], start=s, end=e, provenance="legifrance-link",
                                        link=link.url, pinpoint=link_pinpoint(text, s, e),
                                        **link.target))
                out[i].sort(key=lambda r: (r.start, r.end))
                placed = True
                break
            if placed:
                break
        if not placed:
            unplaced.append(Reference(text=link.label, start=0, end=0, provenance="legifrance-link",
                                      link=link.url, **link.target))
    return out, unplaced


def add_text_references(paragraphs: list[str], refs: list[list[Reference]], context: dict
                        ) -> list[list[Reference]]:
    """For texts of the Journal officiel: add the references found in the words (the shared
    citation finder, as the JO-text reader does) where no link already is."""
    from santelex.ingest.citations.resolve import resolve_text
    out = []
    for i, p in enumerate(paragraphs):
        have = refs[i] if i < len(refs) else []
        found = [r for r in resolve_text(p, source_code=None, text_context=context)
                 if not any(r.start < o.end and o.start < r.end for o in have)]
        out.append(sorted(list(have) + found, key=lambda r: (r.start, r.end)))
    return out


# --- modification links ---------------------------------------------------------------------

#: link types saying another text acted on this article: the noun form is given with
#: sens/orientation "source", the verb form with "cible" (LEGI XML and the API use both)
_MODIFIED_BY = {("CREATION", "source"), ("MODIFICATION", "source"), ("ABROGATION", "source"),
                ("TRANSFERT", "source"), ("ANNULATION", "source"), ("DISJONCTION", "source"),
                ("CREE", "cible"), ("MODIFIE", "cible"), ("ABROGE", "cible"), ("TRANSFERE", "cible"),
                ("ANNULE", "cible"), ("DISJOINT", "cible")}


def is_modification(typelien: str | None, sens: str | None) -> bool:
    return ((typelien or "").upper(), (sens or "").lower()) in _MODIFIED_BY


def modification(label: str, text_cid: str | None, nature: str | None, text_number: str | None,
                 article: str | None) -> Reference | None:
    """A 'created / modified / repealed by' link -> a Reference for ``Article.changed_by``."""
    label = re.sub(r"\s+", " ", label or "").strip()
    t_nature, t_number, _ = parse_title(label)
    n = nature_of(nature) if nature else t_nature
    number = (text_number or "").strip() or t_number
    target = text_target(n, number, text_cid)
    if target is None:
        return None
    art = article_number(article)
    if not art:
        m = _LABEL_ARTICLE.search(label)
        art = article_number(m.group("art")) if m else None
    return Reference(text=label, start=0, end=0, target_text=target, target_article=art,
                     provenance="legifrance-link", link=link_url(text_cid))


# --- visas and signatures -------------------------------------------------------------------

_NOT_A_NAME = ("Fait ", "Le ", "La ", "Les ", "Pour ", "Par ", "L'", "L’", "Au nom", "A ", "À ",
               "Vu ", "Sur ", "Délibéré", "Ministère", "Madame", "Monsieur")


def visas(paragraphs) -> list[str]:
    """The 'Vu …' clauses of a text's preamble (one paragraph may hold the authority and a visa)."""
    out = []
    for p in paragraphs:
        for part in re.split(r"(?=\bVu )", p):
            part = part.strip()
            if part.startswith("Vu "):
                out.append(part)
    return out


def signatories(paragraphs) -> list[str]:
    """Names of the signatories among a signature block's lines ('Emmanuel Macron', 'J. Marion')."""
    out = []
    for p in paragraphs:
        p = p.strip().rstrip(".").strip()
        if not p or p.endswith((",", ":", ";")) or p.startswith(_NOT_A_NAME) or re.search(r"\d", p):
            continue
        words = p.split()
        if 1 < len(words) <= 6 and all(w[:1].isupper() for w in words if w not in ("de", "du", "d'", "le", "la")):
            out.append(p)
    return out
