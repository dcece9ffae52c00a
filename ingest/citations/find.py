"""Find: every candidate reference in one paragraph of French legal text, with offsets.

``find(text)`` reads the text once, left to right, and returns ``Candidate`` values in text
order.  It knows nothing of the index, of the source article or of the rest of the
document: it says *what is written* (``articles L. 1434-2 et L. 1434-3 du même code``),
and ``resolve`` decides *what it points at*.

What is recognised (the shapes of the codes and of the Journal officiel):

* an article expression: ``[pinpoint] article(s)|art. <numbers> [qualifier] [, <numbers>
  qualifier]…``, numbers in every style (``L. 1434-9``, ``R.712-37-1``, ``R.* 123``, ``L.O.
  123``, ``12``, ``1er``, ``premier``, ``2 bis``), joined by ``,``/``et``/``ou`` (a list)
  or ``à`` (a range); relative forms (``du même article``, ``du présent article``,
  ``dudit article``, ``de l'article précité``, ``notamment son article 12``);
* a pinpoint before it, read backwards: ``1° du I de l'``, ``au cinquième alinéa de l'``,
  ``au a du 3° du I de l'``, ``à la deuxième phrase du premier alinéa de l'``,
  ``aux 1°, 2° et 3° de l'``;
* a qualifier after it: a code (``du code de la sécurité sociale``, ``du présent code``,
  ``du même code``, ``dudit code``, ``de l'annexe III au code général des impôts``), a JO
  text (``de la loi n° 2009-879 du 21 juillet 2009``, ``de l'ordonnance du 4 septembre 2003
  susvisée``, ``du présent décret``), a text of the European Union or a treaty;
* a JO text on its own: ``l'ordonnance n° 2003-850 du 4 septembre 2003``, ``décret n°
  2005-76``, ``l'arrêté du 12 mars 2004``, ``la loi précitée``;
* a code named on its own (not a reference: it sets the code ``du même code`` means);
* a structural reference: ``la section 1 du chapitre II du titre Ier du livre VII du code
  de la santé publique``.

Speed matters (the whole CSP is read at every build): one scan with a regular expression
whose first character is a small set, then short anchored matches at each hit.
"""
from __future__ import annotations

import re
from typing import NamedTuple

from ahocorasick_rs import AhoCorasick, MatchKind

from santelex.ingest import corpus_index
from santelex.ingest.citations.pinpoint import ORDINALS, chain_before

# -- building blocks ------------------------------------------------------------------------
_SP = r"[ \u00a0\u202f]"
_DASH = r"[-‐‑–]"
_SUFFIX = r"(?:bis|ter|quater|quinquies|sexies|septies|octies|nonies|decies)"
#: a code-style article number: L. 1434-9, R.712-37-1, R.* 4127-1, L.O. 1, D 712-2, A. 12-3
_CODE_NUM = (rf"(?:L{_SP}?\.?{_SP}?O\.?|[LRDA])(?:{_SP}?\.)?{_SP}?\*?{_SP}?\d+"
             rf"(?:{_SP}?{_DASH}{_SP}?\d+)*(?:{_SP}{_SUFFIX}\b|{_SP}[A-H](?![\w'’]))?")
#: a plain article number: 12, 1er, 2 bis, 12-1, premier, unique
_PLAIN_NUM = (rf"\d+(?:er|ème|e)?(?:{_DASH}\d+)*(?:{_SP}{_SUFFIX}\b|{_SP}[A-H](?![\w'’]))?(?=(?:et|ou|du|de|sont)\b|[^\w°/]|$)"
              r"|premier\b|unique\b|liminaire\b|préliminaire\b")
_NUM_END = r"(?=(?:et|ou|du|de|sont)\b|[^\w°/]|$)"
NUMBER = re.compile(rf"(?P<code>{_CODE_NUM}){_NUM_END}|(?P<plain>{_PLAIN_NUM})")
#: between two numbers of a list: ", ", " et ", " ou ", ", et ", " à " (range), "et/ou"
SEPARATOR = re.compile(rf"(?:{_SP}*,{_SP}*(?:(?:et|ou){_SP}+)?|{_SP}*(?:et/ou|et|ou){_SP}+|{_SP}+(?P<range>à|au){_SP}+)")

MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
          "octobre", "novembre", "décembre")
_DATE = rf"(?P<day>1er|\d{{1,2}}){_SP}+(?P<month>{'|'.join(MONTHS)}){_SP}+(?P<year>\d{{4}})"
_REL = r"(?:susvisée?s?|précitée?s?|modifiée?s?|susmentionnée?s?|mentionnée?s? ci-dessus)"
#: a text of the Journal officiel, from its nature word on
TEXT = re.compile(
    rf"(?P<nature>[Ll]oi(?:{_SP}+organique|{_SP}+constitutionnelle)?|[Oo]rdonnance|[Dd]écret(?:-loi)?"
    rf"|[Aa]rrêté(?:{_SP}+(?:ministériel|interministériel|conjoint|préfectoral))?)"
    rf"(?:{_SP}+(?P<rel0>{_REL}))?"
    rf"(?:{_SP}*(?:n[°o]|no\.?|numéro){_SP}*(?P<number>\d{{1,4}}{_DASH}\d+(?:{_DASH}\d+)?))?"
    rf"(?:{_SP}+du{_SP}+{_DATE})?"
    rf"(?:,?{_SP}*(?P<rel>{_REL}))?")
_NATURES = {"loi": "loi", "ordonnance": "ordonnance", "décret": "decret", "décret-loi": "decret-loi",
            "arrêté": "arrete"}

#: what may follow a list of numbers: the link word, then the thing qualified
QUALIFIER = re.compile(
    rf"{_SP}*,?{_SP}*(?P<link>dudit|de{_SP}+ladite|du|de{_SP}+la|de{_SP}+l['’]|de{_SP}+ce(?:tte)?|des|de|au|à{_SP}+la|à{_SP}+l['’])"
    rf"{_SP}*(?P<head>même{_SP}+|présente?{_SP}+|ce{_SP}+même{_SP}+)?"
    rf"(?P<word>[Cc]ode|[Ll]ivre{_SP}+des{_SP}+procédures{_SP}+fiscales|annexe|[Ll]oi|[Oo]rdonnance|[Dd]écret|[Aa]rrêté"
    rf"|règlement|[Dd]irective|[Cc]onvention|[Cc]onstitution|[Tt]raité|[Aa]ccord|[Pp]rotocole)")
_CODE_TAIL = re.compile(rf"{_SP}*(?P<rel>précité|susvisé|susmentionné|modifié)?")
_ANNEX = re.compile(rf"{_SP}+(?P<num>[IV]+|\d){_SP}+(?:au|du){_SP}+code{_SP}+général{_SP}+des{_SP}+impôts")
_WORDS = re.compile(r"[\w'’-]+")
_NAME_END = re.compile(r"[;:,.()«»\"“”\[\]]")

#: the words that start a candidate; found all at once by an Aho-Corasick automaton (one
#: pass in compiled code), then each hit is read with the anchored expressions below
_TRIGGERS = {
    "article": "art", "Article": "art", "ARTICLE": "art", "art.": "art", "Art.": "art",
    "L.": "num", "R.": "num", "D.": "num",
    "loi": "txt", "Loi": "txt", "ordonnance": "txt", "Ordonnance": "txt", "décret": "txt",
    "Décret": "txt", "arrêté": "txt", "Arrêté": "txt",
    "code": "code", "Code": "code", "annexe": "annex", "Annexe": "annex",
    "section": "struct", "Section": "struct", "sous-section": "struct", "Sous-section": "struct",
    "chapitre": "struct", "Chapitre": "struct", "titre": "struct", "Titre": "struct",
    "livre": "struct", "Livre": "struct", "paragraphe": "struct", "Paragraphe": "struct",
}
_WORDS_LIST = list(_TRIGGERS)
_KINDS = [_TRIGGERS[w] for w in _WORDS_LIST]
_AUTOMATON = AhoCorasick(_WORDS_LIST, matchkind=MatchKind.LeftmostLongest)
_ART_WORD = re.compile(r"(?:[Aa]rticles?|ARTICLES?|[Aa]rt\.)(?![\w-])")
_BARE_NUM = re.compile(rf"(?:L{_SP}?\.{_SP}?O\.?|[LRD])\.{_SP}?\*?{_SP}?\d+(?:{_DASH}\d+)+")
_TXT_WORD = re.compile(r"(?:[Ll]oi|[Oo]rdonnance|[Dd]écret|[Aa]rrêté)(?![\w-])")
_STRUCT_WORD = re.compile(rf"(?:[Ss]ous-)?(?:[Ss]ection|[Cc]hapitre|[Tt]itre|[Ll]ivre|[Pp]aragraphe)s?{_SP}+(?:[IVXL]+\b|\d+\b|[Ii]er\b)")

_STRUCT_LEVEL = re.compile(
    rf"(?P<level>(?:[Ss]ous-)?(?:[Ss]ection|[Cc]hapitre|[Tt]itre|[Ll]ivre|[Pp]aragraphe))s?{_SP}+"
    rf"(?P<num>(?:[IVXL]+|\d+)(?:er)?(?:{_SP}+{_SUFFIX})?(?:{_SP}*(?:,|et|à){_SP}*(?:[IVXL]+|\d+)(?:er)?)*)\b")
_STRUCT_LINK = re.compile(rf"{_SP}+(?:du|de{_SP}+la|de{_SP}+l['’]){_SP}*")
_PARTIE = re.compile(rf"(?P<ord>{'|'.join(sorted((o for o in ORDINALS if o.endswith('e') or o == 'premier'), key=len, reverse=True))}){_SP}+partie\b|présente{_SP}+partie\b")


class Number(NamedTuple):
    """One number of an article list as written: ``first`` alone, or a range ``first``..``last``."""

    start: int
    end: int
    first: str
    last: str | None = None
    style: str = "code"  # "code" (L. 1434-9) or "plain" (12)


class TextName(NamedTuple):
    """A text of the Journal officiel as written: nature, number, date, back-reference word."""

    start: int
    end: int
    nature: str  # loi, ordonnance, decret, decret-loi, arrete
    number: str | None = None
    date: str | None = None  # ISO
    relative: str | None = None  # "susvisé", "précité", "présent", "même"


class Qualifier(NamedTuple):
    """What a group of numbers belongs to: a code, a JO text, or something outside both."""

    start: int
    end: int
    kind: str  # "code", "code-present", "code-same", "text", "eu", "other"
    code: str | None = None  # the code's name as written ("code de la sécurité sociale")
    text: TextName | None = None


class Group(NamedTuple):
    numbers: tuple[Number, ...]
    qualifier: Qualifier | None


class Candidate(NamedTuple):
    """One thing found in the text.

    ``kind`` is ``articles`` (an article expression: ``groups`` of numbers, each with its
    qualifier; ``pinpoints`` the alternatives read before it, each outermost first;
    ``relative`` for ``même``/``présent``/``précité``/``son`` articles without number),
    ``text`` (a JO text on its own), ``code`` (a code named on its own, ``name``), or
    ``structure`` (``levels`` outermost first, with an optional qualifier).
    """

    kind: str
    start: int
    end: int
    groups: tuple[Group, ...] = ()
    pinpoints: tuple[tuple[str, ...], ...] = ()
    relative: str | None = None
    text: TextName | None = None
    name: str | None = None
    levels: tuple[str, ...] = ()
    qualifier: Qualifier | None = None


_ODD = re.compile(r"[\u00a0\u202f‐‑–]")
_SUFFIX_END = re.compile(rf" ({_SUFFIX})$")


def normalise_number(raw: str, style: str) -> str:
    """``L. 162-14-1`` -> ``L162-14-1``; ``R.* 12`` -> ``R*12``; ``1er`` -> ``1``; ``2 bis`` -> ``2 bis``."""
    n = raw
    if _ODD.search(n):
        n = n.replace("\u00a0", " ").replace("\u202f", " ").replace("‐", "-").replace("‑", "-").replace("–", "-")
    suffix = ""
    if n[-1].isalpha():
        m = _SUFFIX_END.search(n)
        if m:
            suffix = " " + m.group(1)
            n = n[:m.start()]
    if n[-1].isupper() and n[-2] == " ":
        suffix, n = n[-2:], n[:-2]  # "L. 5125-1-1 A", "1585 A": the corpus keeps the space
    if style == "code":
        return n.replace(" ", "").replace(".", "") + suffix
    n = n.replace(" ", "")
    if n in ("premier", "1er"):
        return "1" + suffix
    if n[-1].isalpha() and n[0].isdigit():
        n = n.rstrip("eèmr")
    return n + suffix


#: the usual number, "L. 1434-9" followed by a space or a stop: read without the general expression
_USUAL = re.compile(r"([LRD])\. (\d+(?:-\d+)*)(?=[ ,;.:)]|$)(?! (?:bis|ter|quater|[A-H])\b)")


def _number_at(text: str, pos: int, prefix: str | None = None) -> tuple[Number | None, int]:
    m = _USUAL.match(text, pos)
    if m:
        return Number(pos, m.end(), m.group(1) + m.group(2), None, "code"), m.end()
    m = NUMBER.match(text, pos)
    if not m:
        return None, pos
    style = m.lastgroup
    if style == "plain" and m.group(0)[0].isalpha() and prefix is not None:
        return None, pos  # "premier" continues no list of code numbers
    first = normalise_number(m.group(0), style)
    if style == "plain" and prefix:
        first = prefix + first  # "R. 5-1 à 5-9": the prefix of the range's start
    return Number(m.start(), m.end(), first, None, style), m.end()


_SPACES = " \u00a0\u202f"
_GOES_ON = ("et", "ou", "à", "au ")


def _numbers(text: str, pos: int) -> tuple[list[Number], int]:
    """A list of numbers (with ranges) starting at ``pos``."""
    first, end = _number_at(text, pos)
    if first is None:
        return [], pos
    out = [first]
    while True:
        c = text[end:end + 1]
        if c != "," and not (c in _SPACES and text.startswith(_GOES_ON, end + 1)) and c not in "eo" or not c:
            break  # quick: "L. 1434-9 du code", "L. 1434-9."
        s = SEPARATOR.match(text, end)
        if not s:
            break
        if s.group("range"):
            prefix = re.match(r"[A-Z]*\*?", out[-1].first).group(0) if out[-1].style == "code" else None
            nxt, nend = _number_at(text, s.end(), prefix)
            if nxt is None or nxt.style != out[-1].style and not prefix:
                break
            prev = out[-1]
            out[-1] = Number(prev.start, nxt.end, prev.first, nxt.first, prev.style)
            end = nend
            continue
        nxt, nend = _number_at(text, s.end())
        # a list goes on with numbers of the same style only ("L. 1 et L. 2", "15 et 16")
        if nxt is None or nxt.style != first.style:
            break
        out.append(nxt)
        end = nend
    return out, end


def text_at(text: str, pos: int) -> TextName | None:
    """A JO text whose nature word starts at ``pos`` (``loi n° 2009-879 du 21 juillet 2009``)."""
    m = TEXT.match(text, pos)
    if not m:
        return None
    nature = _NATURES.get(m.group("nature").split()[0].lower(), m.group("nature").lower())
    date = None
    if m.group("year"):
        day = 1 if m.group("day") == "1er" else int(m.group("day"))
        date = f"{m.group('year')}-{MONTHS.index(m.group('month')) + 1:02d}-{day:02d}"
    rel = m.group("rel") or m.group("rel0")
    relative = None
    if rel:
        relative = "précité" if rel.startswith(("précit", "mentionn", "susmentionn")) else (
            "susvisé" if rel.startswith("susvis") else None)
    end = m.end()
    if not (rel or "").startswith(("susvis", "précit", "susmentionn", "mentionn")) and m.group("rel"):
        end = m.start("rel")  # "modifiée" is not part of the name
        end = len(text[:end].rstrip(" ,\u00a0"))
    number = m.group("number")
    if number:
        number = re.sub(r"[‐‑–]", "-", number)
    return TextName(m.start(), end, nature, number, date, relative)


_STOP = {"sont", "est", "et", "ou", "qui", "que", "dans", "pour", "en", "à", "au", "aux", "par", "sur",
         "lorsque", "relatif", "relative", "relatifs", "relatives", "applicable", "applicables", "ainsi",
         "ne", "se", "peut", "peuvent", "doit", "sous", "avant", "après", "le", "la", "les", "un", "une"}


def code_name_at(text: str, pos: int) -> tuple[str, int]:
    """The name of a code written from ``pos`` (at "code") and where it ends.

    The longest name the index knows (``code de la santé publique``), else the words up to
    the first that cannot belong to a name (at most eight).
    """
    stop = _NAME_END.search(text, pos, pos + 160)
    limit = stop.start() if stop else min(len(text), pos + 160)
    words = list(_WORDS.finditer(text, pos, limit))[:14]
    if not words:
        return "", pos
    _, taken = corpus_index.default().match_code_name([w.group(0) for w in words])
    if not taken:
        taken = 1
        for i, w in enumerate(words[1:8], start=1):
            if w.group(0).lower() in _STOP:
                break
            taken = i + 1
    return text[pos:words[taken - 1].end()], words[taken - 1].end()


_QUALIFIER_START = frozenset("dDaà,")


def _qualifier(text: str, pos: int) -> Qualifier | None:
    c = text[pos:pos + 1]
    if c == " " or c == "\u00a0":
        c = text[pos + 1:pos + 2]
    if c not in _QUALIFIER_START or not c:
        return None  # quick: "L. 1434-9 ;", "L. 1 et", "L. 2 est"
    m = QUALIFIER.match(text, pos)
    if not m:
        return None
    word = m.group("word")
    head = (m.group("head") or "").strip()
    link = m.group("link")
    w = word.lower()
    start = m.start("link")
    if w == "code":
        t = _CODE_TAIL.match(text, m.end())
        rel = t.group("rel")
        if head.startswith("présent"):
            return Qualifier(start, m.end(), "code-present")
        if head or link in ("dudit", "de ce") or rel in ("précité", "susvisé", "susmentionné"):
            return Qualifier(start, t.end() if rel else m.end(), "code-same")
        name, end = code_name_at(text, m.start("word"))
        return Qualifier(start, end, "code", code=name)
    if w.startswith("livre"):
        return Qualifier(start, m.end(), "code", code="livre des procédures fiscales")
    if w == "annexe":
        a = _ANNEX.match(text, m.end())
        if not a:
            return None
        return Qualifier(start, a.end(), "code", code=f"code général des impôts annexe {a.group('num')}")
    if w in ("loi", "ordonnance", "décret", "arrêté"):
        t = text_at(text, m.start("word"))
        if t is None:
            return None
        if head.startswith("présent"):
            t = TextName(t.start, t.end, t.nature, t.number, t.date, "présent")
        elif head or link in ("dudit", "de ladite"):
            t = TextName(t.start, t.end, t.nature, t.number, t.date, "même")
        elif not (t.number or t.date or t.relative):
            return None  # "de la loi" alone qualifies nothing we can name
        return Qualifier(start, t.end, "text", text=t)
    if w in ("règlement", "directive"):
        end = _eu_end(text, m.end())
        return Qualifier(start, end, "eu", code=text[m.start("word"):end])
    end = _eu_end(text, m.end())
    return Qualifier(start, end, "other", code=text[m.start("word"):end])


_EU = re.compile(rf"(?:{_SP}+(?:\((?:UE|CE|CEE|Euratom)\)|n°|du|d'exécution|délégué(?:e)?|"
                 rf"européenne?|de{_SP}+la{_SP}+Commission|du{_SP}+Conseil|du{_SP}+Parlement{_SP}+européen|"
                 rf"et|\d+(?:/\d+)*(?:/\w+)?\b|1er|{'|'.join(MONTHS)}))+")


def _eu_end(text: str, pos: int) -> int:
    m = _EU.match(text, pos)
    return m.end() if m else pos


_REL_BEFORE = re.compile(r"(?<![\w])(même|dudit|audit|ledit|cet|présent|son|ses)\s*$", re.I)
_REL_KIND = {"même": "même", "dudit": "même", "audit": "même", "ledit": "même", "cet": "même",
             "présent": "présent", "son": "son", "ses": "son"}


def _relative_before(text: str, kw: int) -> str | None:
    """``même article``, ``présent article``, ``dudit article``, ``son article``, ``cet article``."""
    if kw < 4 or text[kw - 1] not in " \u00a0" or text[kw - 2] not in "eEtTnNsS":
        return None  # quick: "l'article", "aux articles"
    m = _REL_BEFORE.search(text, max(0, kw - 10), kw)
    return _REL_KIND[m.group(1).lower()] if m else None


_PAREN_PIN = re.compile(rf"{_SP}*\((?P<pin>\d+°(?:{_SP}*{_SUFFIX})?|[IVX]+|alinéa{_SP}+\d+|[\w-]+{_SP}+alinéa)\)")


def _paren_component(pin: str) -> str:
    """``9°`` -> ``9°``; ``alinéa 2`` -> ``alinéa 2``; ``premier alinéa`` -> ``alinéa 1``."""
    words = pin.split()
    if len(words) == 2 and words[1] == "alinéa" and words[0] in ORDINALS:
        return f"alinéa {ORDINALS[words[0]]}"
    return " ".join(words).replace(" °", "°")


_FOLLOWING = re.compile(rf"{_SP}+et{_SP}+(?:suivants|s\.)(?![\w])")
_AFTER_REL = re.compile(rf"{_SP}*(?P<rel>précité|susvisé|susmentionné|suivant|précédent|ci-dessus|ci-après)")


def _articles(text: str, kw_start: int, kw_end: int) -> Candidate | None:
    pos = kw_end
    while pos < len(text) and text[pos] in " \u00a0\u202f":
        pos += 1
    relative = _relative_before(text, kw_start)
    numbers, end = _numbers(text, pos)
    groups: list[Group] = []
    paren = None
    if not numbers:
        q = _qualifier(text, kw_end)
        if q is not None and q.kind == "code":
            p = q.end
            while p < len(text) and text[p] in " \u00a0\u202f":
                p += 1
            numbers, end = _numbers(text, p)
            if numbers and numbers[0].style == "code":
                pins, pin_start = chain_before(text, kw_start)
                return Candidate("articles", pin_start if pins else kw_start, end,
                                 (Group(tuple(numbers), q),), tuple(pins))
            numbers, end = [], pos
    if not numbers:
        a = _AFTER_REL.match(text, kw_end)
        if a:
            rel = a.group("rel")
            relative = "même" if rel in ("précité", "susvisé", "susmentionné", "ci-dessus") else "relatif"
            end = a.end()
        elif relative is None or relative == "son":
            return None
        else:
            end = kw_end
        q = _qualifier(text, end)
        if q is not None and q.kind in ("text", "code", "code-present", "code-same"):
            # "du même article du code X" does not occur; "de l'article précité de la loi": the law
            end = q.end
            groups.append(Group((), q))
    else:
        current = numbers
        paren = _PAREN_PIN.match(text, end) if text.startswith((" (", "("), end) else None
        if paren:
            end = paren.end()  # "l'article L. 2122-21 (9°) du code …"
        f = _FOLLOWING.match(text, end) if text.startswith(" et s", end) else None
        if f:
            end = f.end()  # "articles L. 225-57 et suivants du code de commerce": the first one
        while True:
            q = _qualifier(text, end)
            if q is not None:
                end = q.end
            groups.append(Group(tuple(current), q))
            if q is None:
                break
            # "articles L. 1 du code A et R. 2 du code B": another group after the qualifier
            s = SEPARATOR.match(text, end)
            if not s or s.group("range"):
                break
            more, more_end = _numbers(text, s.end())
            if not more or more[0].style != numbers[0].style:
                break
            f = _FOLLOWING.match(text, more_end)
            if f:
                more_end = f.end()
            current, end = more, more_end
    pins, pin_start = chain_before(text, kw_start)
    if numbers and not pins and paren and len(numbers) == 1:
        pins = [(_paren_component(paren.group("pin")),)]
        pin_start = kw_start
    start = kw_start
    if relative is not None and not numbers:
        m = _REL_BEFORE.search(text, max(0, kw_start - 10), kw_start)
        if m:
            start = m.start()  # "même article", "dudit article"
    if pins:
        start = min(start, pin_start)
    return Candidate("articles", start, end, tuple(groups), tuple(pins), relative)


_LEVEL_LIST = re.compile(rf"{_SP}*(?:,|et|à){_SP}*")


def _structure(text: str, pos: int) -> Candidate | None:
    """``la section 1 du chapitre II du titre Ier du livre VII du code …``; ``les sous-sections 1
    et 2 de la section 1 …`` (two references).  Kept when it names a code or a text, or has two
    levels at least (then it is a division of the source's code)."""
    levels: list[list[str]] = []
    end = pos
    p = pos
    while True:
        m = _STRUCT_LEVEL.match(text, p)
        if not m:
            break
        level = m.group("level").lower()
        levels.append([f"{level} {n}" for n in _LEVEL_LIST.split(m.group("num")) if n])
        end = m.end()
        link = _STRUCT_LINK.match(text, end)
        if not link:
            break
        p = link.end()
        pm = _PARTIE.match(text, p)
        if pm:
            levels.append(["partie " + (pm.group("ord") or "présente")])
            end = pm.end()
            break
    if not levels:
        return None
    q = _qualifier(text, end)
    if q is not None and (q.kind.startswith("code") or q.kind == "text"):
        end = q.end
    else:
        q = None
        if len(levels) < 2:
            return None
    outer = [lv[0] for lv in reversed(levels[1:])]
    pins = tuple(tuple(outer + [inner]) for inner in levels[0])
    return Candidate("structure", pos, end, levels=pins[0], pinpoints=pins, qualifier=q)


def _clip(cand: Candidate, after: int, trigger: int) -> Candidate | None:
    """A candidate whose pinpoint reaches back into the previous one: drop the pinpoint."""
    if cand.kind == "articles" and trigger >= after:
        return cand._replace(start=trigger, pinpoints=())
    return None


_TEXT_BEFORE = re.compile(r"(?:présente?|même|ledit|ladite|dudit|cette?)\s$")


def triggers(text: str) -> list[tuple[int, int, int]]:
    """(word index, start, end) of every trigger word in ``text``: one pass in compiled code."""
    return _AUTOMATON.find_matches_as_indexes(text)


def split_triggers(paragraphs, hits) -> list[list[tuple[int, int, int]]]:
    """The triggers of ``"\n".join(paragraphs)`` given back to each paragraph, offsets shifted."""
    out: list[list] = [[] for _ in paragraphs]
    if not hits:
        return out
    i, start = 0, 0
    end = len(paragraphs[0]) if paragraphs else 0
    for index, s, e in hits:
        while s >= end + 1 and i + 1 < len(paragraphs):
            i += 1
            start = end + 1
            end = start + len(paragraphs[i])
        out[i].append((index, s - start, e - start))
    return out


def find(text: str, hits=None) -> list[Candidate]:
    """Every candidate in ``text``, in order, none overlapping another.

    ``hits`` are the text's triggers when the caller has them already (``split_triggers``).
    """
    out: list[Candidate] = []
    pos = 0
    for index, s, _ in (_AUTOMATON.find_matches_as_indexes(text) if hits is None else hits):
        if s < pos or (s > 0 and (text[s - 1].isalnum() or text[s - 1] in "_-")):
            continue
        kind = _KINDS[index]
        cand = None
        if kind == "art":
            m = _ART_WORD.match(text, s)
            if m:
                cand = _articles(text, s, m.end())
        elif kind == "num":
            m = _BARE_NUM.match(text, s)
            if m:
                cand = _bare_numbers(text, s)
        elif kind == "txt":
            if _TXT_WORD.match(text, s):
                cand = _text(text, s)
        elif kind == "code":
            name, end = code_name_at(text, s)
            cand = Candidate("code", s, end, name=name)
        elif kind == "annex":
            cand = _annexes(text, s)
        elif _STRUCT_WORD.match(text, s):
            cand = _structure(text, s)
        if cand is None:
            continue
        if out and cand.start < out[-1].end:
            cand = _clip(cand, out[-1].end, s)
            if cand is None:
                continue
        out.append(cand)
        pos = cand.end
    return out


_ANNEX_LIST = re.compile(rf"[Aa]nnexes?{_SP}+(?P<list>\d+-\d+(?:-\d+)*(?:(?:{_SP}*,{_SP}*|{_SP}+(?:et|ou){_SP}+)\d+-\d+(?:-\d+)*)*)\b")
_ANNEX_NUM = re.compile(r"\d+-\d+(?:-\d+)*")


def _annexes(text: str, s: int) -> Candidate | None:
    """``l'annexe 13-7``, ``annexes 13-7 et 13-8``: annexes of a code, numbered like its parts."""
    m = _ANNEX_LIST.match(text, s)
    if not m:
        return None
    base = m.start("list")
    nums = tuple(Number(base + n.start(), base + n.end(), "Annexe " + n.group(0), None, "code")
                 for n in _ANNEX_NUM.finditer(m.group("list")))
    end = m.end()
    q = _qualifier(text, end)
    if q is not None and q.kind.startswith("code"):
        end = q.end
    else:
        q = None
    return Candidate("articles", s, end, (Group(nums, q),))


def _bare_numbers(text: str, s: int) -> Candidate | None:
    nums, end = _numbers(text, s)
    if not nums:
        return None
    f = _FOLLOWING.match(text, end)
    if f:
        end = f.end()
    q = _qualifier(text, end)
    if q is not None:
        end = q.end
    pins, pin_start = chain_before(text, s)
    return Candidate("articles", pin_start if pins else s, end, (Group(tuple(nums), q),), tuple(pins))


def _text(text: str, s: int) -> Candidate | None:
    t = text_at(text, s)
    if t is None:
        return None
    before = text[max(0, s - 10):s]
    rel = _TEXT_BEFORE.search(before)
    if rel:
        kind = "présent" if rel.group(0).startswith("présent") else "même"
        t = TextName(s - len(before) + rel.start(), t.end, t.nature, t.number, t.date, kind)
    if t.number or t.date or t.relative:
        return Candidate("text", t.start, t.end, text=t)
    return None
