"""Reader for a plain-text copy of a Journal officiel text (décret, arrêté, ordonnance, loi).

Understands the parts of a French regulatory text: the JO banner (dropped, but the issue
number and date kept), the title (nature, number, date), the NOR, the authority, the
visas, the articles, the place and date of signature and the signatories.  Text quoted
with « » in an article is text the article writes into a code: ``« Art. D. 712-1. - …``
starts an inserted code article, which becomes an Article of that code in its own right,
and the article's words ("sont remplacées par", "est ainsi intitulée", "sont applicables",
"demeurent applicables") become Amendments.
"""
from __future__ import annotations

import re
from datetime import date

from santelex.errors import ReadError
from santelex.ingest.citations.resolve import resolve_text
from santelex.ingest.html_text import clean, slugify
from santelex.ingest.structure import build_tree
from santelex.model import Amendment, Article, Heading, LegalText, Reference, Source

MONTHS = {m: i for i, m in enumerate(
    ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
     "octobre", "novembre", "décembre"], start=1)}
_DATE = r"(?P<day>\d{1,2})(?:er)? (?P<month>%s) (?P<year>\d{4})" % "|".join(MONTHS)
_FURNITURE = ("J.O. disponibles", "Alerte par mail", "Ce document peut également être consulté")
_BANNER = re.compile(r"J\.O\.\s*(?:n°\s*)?(?P<num>\d+) du " + _DATE)
_TITLE = re.compile(r"^(?P<nature>Décret|Arrêté|Ordonnance|Loi|Décision)(?: (?:n[°o]|no) ?(?P<number>[\d-]+))?"
                    r" du " + _DATE + r"(?P<rest>.*)$")
_NOR = re.compile(r"^NOR\s*:\s*(?P<nor>[A-Z]{4}\d{7}[A-Z])")
_ARTICLE = re.compile(r"^Article (?P<num>\d+(?:er)?(?: bis| ter)?)\s*$")
_INSERTED = re.compile(r"^Art\.\s*(?P<num>[A-Z]{1,2}\.?\s*\*?\s*\d[\d-]*(?:\s*(?:bis|ter))?)\.?\s*[-–—]\s*")
_SIGNED = re.compile(r"^Fait à (?P<place>[^,]+), le " + _DATE)
_PLACE = re.compile(
    r"(?i:(?:(?P<what>sous-sections?) (?P<which>[\d, et]+) de )?la section) (?P<section>\d+) du chapitre "
    r"(?P<chapitre>[IVXL]+) du titre (?P<titre>[IVXL]+(?:er)?) du livre (?P<livre>[IVXL]+) du "
    r"(?P<code>code [^(.,]+?)\s*\((?P<partie>[^)]*)\)")
_NATURES = {"Décret": "decret", "Arrêté": "arrete", "Ordonnance": "ordonnance", "Loi": "loi",
            "Décision": "decision"}
_NAME = re.compile(r"^[A-ZÉ][a-zéèëïîç]+(?:[- ][A-ZÉ][a-zéèëïîç]+)*(?: [A-ZÉ][\w'-]+)+$")


def to_date(m, name: str | None = None, line: int | None = None) -> date:
    try:
        return date(int(m.group("year")), MONTHS[m.group("month")], int(m.group("day")))
    except ValueError:  # "31 février", "0 janvier 2005", year 0
        raise ReadError(f"no such date: {m.group(0)!r}", name, line) from None


def _lines(text: str) -> list[tuple[int, str]]:
    out = []
    for n, raw in enumerate(text.splitlines(), start=1):
        line = clean(raw)
        if line:
            out.append((n, line))
    return out


def _unquote(line: str) -> tuple[bool, str]:
    if line.startswith("«"):
        body = line[1:].strip()
        if body.endswith("»"):
            body = body[:-1].rstrip()
        return True, body
    return False, line


def _place_hierarchy(intro: str, titles: dict[str, str]) -> tuple[str | None, list[Heading]]:
    m = _PLACE.search(intro)
    if not m:
        return None, []
    code = slugify(m.group("code"))
    partie = m.group("partie")
    heads = [Heading("partie", partie[:1].upper() + partie[1:], slugify(partie)),
             Heading("livre", f"Livre {m.group('livre')}", f"livre-{m.group('livre').lower()}"),
             Heading("titre", f"Titre {m.group('titre')}", f"titre-{m.group('titre').lower()}"),
             Heading("chapitre", f"Chapitre {m.group('chapitre')}", f"chapitre-{m.group('chapitre').lower()}")]
    section = f"Section {m.group('section')}"
    title = titles.get("section")
    heads.append(Heading("section", f"{section} : {title}" if title else section,
                         slugify(f"{section} {title or ''}")))
    return code, heads


def read(name: str, data: bytes):
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line_no = data[:e.start].count(b"\n") + 1
        raise ReadError(f"not UTF-8 (byte 0x{data[e.start]:02x}); convert the file to UTF-8",
                        name, line_no) from None
    lines = _lines(text)
    jo_number = jo_date = None
    nature = number = title = nor = None
    doc_date = None
    authority: list[str] = []
    visas: list[tuple[int, str]] = []
    articles: list[tuple[str, int, list[tuple[int, str]]]] = []
    signature: list[str] = []
    state = "head"
    for n, line in lines:
        if any(f in line for f in _FURNITURE):
            m = _BANNER.search(line)
            if m:
                jo_number, jo_date = m.group("num"), to_date(m, name, n)
            continue
        if state == "head":
            m = _TITLE.match(line)
            if m and title is None:
                nature = _NATURES[m.group("nature")]
                number = m.group("number")
                doc_date = to_date(m, name, n)
                title = line
                continue
            m = _NOR.match(line)
            if m:
                nor = m.group("nor")
                continue
            if line.startswith("Vu "):
                visas.append((n, line))
                continue
            if re.match(r"^(Décrète|Arrête|Ordonne|Décide)\s*:", line):
                state = "body"
                continue
            if title:
                authority.append(line)
            continue
        m = _ARTICLE.match(line)
        if m and state in ("body", "article"):
            articles.append((m.group("num").replace("er", ""), n, []))
            state = "article"
            continue
        m = _SIGNED.match(line)
        if m:
            to_date(m, name, n)  # the date of signature must be a date (ReadError otherwise)
            state = "signature"
            continue
        if state == "article":
            articles[-1][2].append((n, line))
        elif state == "signature":
            signature.append(line)
    if title is None or nature is None:
        raise ReadError("no 'Décret n° … du …' (or Arrêté, Loi, Ordonnance) title line: not a JO text",
                        name, lines[0][0] if lines else 1)
    if not articles:
        raise ReadError("no 'Article 1' found after the visas: truncated JO text?", name,
                        lines[-1][0] if lines else 1)
    code_slug = slugify(re.search(r"(code [a-zé' ]+)", title).group(1)) if re.search(
        r"(code [a-zé' ]+)", title) else None
    context = {"code": code_slug, "text": f"jorf/{nature}-{number}" if number else None}

    visa_refs: list[Reference] = []
    for _, visa in visas:
        visa_refs.extend(resolve_text(visa, source_code=None, text_context=context))
    titles: dict[str, str] = {}
    decree_articles: list[Article] = []
    inserted: list[Article] = []
    amendments: list[Amendment] = []
    text_id = f"{nature}-{number}" if number else (nor or name)
    for num, line_no, body in articles:
        own: list[str] = []
        quoted: list[tuple[int, str]] = []
        for n, line in body:
            is_quote, content = _unquote(line)
            if is_quote:
                if content:  # a lone « (or « ») quotes nothing
                    quoted.append((n, content))
            else:
                own.append(line)
        intro = " ".join(own[:1])
        if "est ainsi intitulée" in intro and quoted:
            heading = [c for _, c in quoted if not re.match(r"^(Section|Sous-section|Chapitre) ", c)]
            if heading:
                titles["section"] = heading[-1]
            amendments.append(Amendment("rename", num, _place_hierarchy(intro, {})[0], (),
                                        place=_place_text(intro), condition=heading[-1] if heading else None))
        new_articles = _inserted_articles(name, quoted, intro, titles, nature, number)
        if new_articles:
            inserted.extend(new_articles)
            kind = "replace" if "remplacé" in intro else "insert"
            amendments.append(Amendment(kind, num, new_articles[0].code,
                                        tuple(a.number for a in new_articles),
                                        place=_place_text(intro)))
        paragraphs = own + [c for _, c in quoted]
        context["article"] = num  # "au I du présent article"
        context["articles"] = tuple(a.number for a in inserted)  # "articles D. 712-1 à D. 712-3"
        refs = [resolve_text(p, source_code=None, text_context=context) for p in own]
        decree_articles.append(Article(
            number=num, code=None, paragraphs=tuple(paragraphs),
            subdivisions=build_tree(own, refs),
            source=Source(name, line_no, "jo-text"), text_id=text_id,
            version=f"{nature}-{number}" if number else None))
        amendments.extend(_application_rules(num, own, context, name, line_no))
    signatories = tuple(s for s in (s.rstrip(",.") for s in signature) if _NAME.match(s))
    eli = None
    if nor and doc_date and nature in ("decret", "arrete", "ordonnance", "loi"):
        eli = (f"https://www.legifrance.gouv.fr/eli/{nature}/{doc_date.year}/{doc_date.month}/"
               f"{doc_date.day}/{nor}/jo/texte")
    title_clean = re.sub(r"\s+", " ", title)
    return iter([LegalText(
        nature=nature, number=number, date=doc_date, title=title_clean,
        source=Source(name, 1, "jo-text"), nor=nor, jo_number=jo_number, jo_date=jo_date,
        eli=eli, signatories=signatories, visas=tuple(v for _, v in visas),
        visa_references=tuple(visa_refs), articles=tuple(decree_articles),
        amendments=tuple(amendments), inserted=tuple(inserted))])


def _place_text(intro: str) -> str | None:
    m = _PLACE.search(intro)
    return m.group(0) if m else None


def _inserted_articles(name, quoted, intro, titles, nature, number) -> list[Article]:
    code, heads = _place_hierarchy(intro, titles)
    groups: list[tuple[str, int, list[str]]] = []
    extra_heads: list[Heading] = []
    pending_level = None
    for n, content in quoted:
        m = _INSERTED.match(content)
        if m:
            num = re.sub(r"[\s.*]", "", m.group("num"))
            first = content[m.end():].strip()  # the text may start on the next line
            groups.append((num, n, [first] if first else []))
            continue
        if groups:
            groups[-1][2].append(content)
            continue
        hm = re.match(r"^(Section|Sous-section|Paragraphe) (\w+)$", content)
        if hm:
            pending_level = (hm.group(1).lower(), content)
        elif pending_level:
            level, label = pending_level
            extra_heads.append(Heading(level, f"{label} : {content}", slugify(f"{label} {content}")))
            pending_level = None
    if not groups or code is None:
        return []
    hierarchy = tuple(heads + extra_heads)
    out = []
    for num, n, paragraphs in groups:
        if not paragraphs:
            raise ReadError(f"the article {num} this text writes into the {code} has no text", name, n)
        refs = [resolve_text(p, source_code=code, text_context={"code": code, "article": num})
                for p in paragraphs]
        out.append(Article(
            number=num, code=code, paragraphs=tuple(paragraphs),
            subdivisions=build_tree(paragraphs, refs),
            source=Source(name, n, "jo-text"), hierarchy=hierarchy,
            version=f"{nature}-{number}" if number else None,
            status="VIGUEUR_DIFF", title=None))
    return out


_RANGE = re.compile(r"articles? (?P<a>[A-Z]\. ?\d[\d-]*)(?: à (?P<b>[A-Z]\. ?\d[\d-]*))? du (?P<code>code [a-zé' ]+?)(?= |,|\.|$)")


def _application_rules(num: str, paragraphs: list[str], context, name: str, line: int) -> list[Amendment]:
    """Article 3-style rules: from when new articles apply, until when old ones remain."""
    out = []
    for p in paragraphs:
        kind = None
        if "demeurent applicables" in p:
            kind = "transitional"
        elif "sont applicables" in p or "entrent en vigueur" in p:
            kind = "applicability"
        if not kind:
            continue
        m = _RANGE.search(p)
        if not m:
            continue
        first = re.sub(r"[\s.]", "", m.group("a"))
        codes = [r.target_code for r in resolve_text(p, None, context) if r.target_article == first]
        code = codes[0] if codes else context.get("code")
        last = re.sub(r"[\s.]", "", m.group("b")) if m.group("b") else first
        out.append(Amendment(kind, num, code, tuple(_span(first, last, name, line)), condition=p))
    return out


#: more articles than any chapter of a code numbers under one head: a range beyond is a misprint
MAX_RANGE = 1000


def _span(first: str, last: str, name: str | None = None, line: int | None = None) -> list[str]:
    """D712-1 .. D712-13: every number between, by the last dash-separated component.

    A range that is reversed, or longer than MAX_RANGE articles ("D. 712-1 à D. 712-99999999"),
    is a misprint: it is kept as the two numbers the text writes, never expanded (as the
    citation resolver keeps such ranges)."""
    head_a, _, tail_a = first.rpartition("-")
    head_b, _, tail_b = last.rpartition("-")
    if head_a != head_b or not (tail_a.isdigit() and tail_b.isdigit()) or not (
            0 <= int(tail_b) - int(tail_a) < MAX_RANGE):
        return [first, last] if first != last else [first]
    return [f"{head_a}-{i}" for i in range(int(tail_a), int(tail_b) + 1)]
