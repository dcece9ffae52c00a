"""Every URI santelex mints, in one place.  Same input, same URIs.

    https://data.santelex.fr/code/<code-slug>                          a code
    https://data.santelex.fr/code/<code-slug>/<section-slug>/…         a part of a code's plan
    https://data.santelex.fr/code/<code-slug>/article/<NUM>            an article (the work)
    …/article/<NUM>/I/3/a, …/article/<NUM>/alinea-5                    a subdivision of the work
    …/article/<NUM>/version/<key>                                      one version (expression)
    …/article/<NUM>/version/<key>/I/3/a                                its subdivisions
    https://data.santelex.fr/jorf/<nature>/<number>                    a JO text with a number
    https://data.santelex.fr/jorf/text/<JORFTEXT…|NOR>                 a JO text without one
    …/article/<n>                                                      an article of a JO text
    https://data.santelex.fr/source/<sha1 of path, 16 hex>             a source file (PROV-O)
    https://data.santelex.fr/graph/<sha1 of path, 16 hex>              the named graph of a source file

``key`` is the LEGIARTI identifier when the source gives one, else the reader's version
label, else the first 12 hex digits of the SHA-1 of the text.

And read back: :func:`parse` (a URI -> code, text, number, version, subdivision), :func:`text_of`
(the code or JO text a URI belongs to), :func:`label`
(a short French name: ``R. 1434-4``, ``L. 162-14-1 (CSS)``, ``décret n° 2005-76, art. 3``) and
:func:`name` (the name a user types back: ``code-de-la-sante-publique/L1434-7``).
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import quote, unquote

from santelex.model import CSP
from santelex.vocab import BASE, SLX

CODES = BASE + "code/"
JORF = BASE + "jorf/"
ONTOLOGY = SLX
LEGIFRANCE_ELI = "https://www.legifrance.gouv.fr/eli/"

_PLAIN = re.compile(r"[A-Za-z0-9_.~-]*")


def seg(s: str) -> str:
    """One path segment, percent-encoded where needed (most are plain: skip the encoder)."""
    if _PLAIN.fullmatch(s):
        return s
    return quote(s, safe="-_.~")


def code(slug: str) -> str:
    return f"{BASE}code/{seg(slug)}"


def section(slug: str, path: tuple[str, ...]) -> str:
    return code(slug) + "/" + "/".join(seg(p) for p in path)


def article(code_slug: str, number: str) -> str:
    return f"{code(code_slug)}/article/{seg(number)}"


def text(nature: str | None, number: str | None, ident: str | None = None) -> str:
    if nature and number:
        return f"{BASE}jorf/{seg(nature)}/{seg(number)}"
    return f"{BASE}jorf/text/{seg(ident or 'unknown')}"


def text_article(text_uri: str, number: str) -> str:
    return f"{text_uri}/article/{seg(number)}"


def version_key(legiarti: str | None, label: str | None, body: str) -> str:
    if legiarti:
        return legiarti
    if label:
        return label
    return hashlib.sha1(body.encode("utf-8")).hexdigest()[:12]


def version(work: str, key: str) -> str:
    return f"{work}/version/{seg(key)}"


def subdivision(parent: str, path: tuple[str, ...]) -> str:
    return parent + "".join("/" + seg(p) for p in path)


def _digest(name: str) -> str:
    return hashlib.sha1(name.replace("\\", "/").lstrip("/").encode("utf-8")).hexdigest()[:16]


def source(name: str) -> str:
    """A source file (its path is the node's rdfs:label); short, as it is repeated often."""
    return BASE + "source/" + _digest(name)


def graph(name: str) -> str:
    """The named graph of one source file; ``plan/<code>`` for a code's plan."""
    if name.startswith("plan/"):
        return BASE + "graph/" + quote(name, safe="/-_.~")
    return BASE + "graph/" + _digest(name)


def target_of(ref_target: str) -> str | None:
    """URI of a reference target written as 'code-slug/NUM' or 'jorf/nature-number'."""
    if ref_target.startswith("jorf/"):
        rest = ref_target[5:]
        if rest.startswith(("JORFTEXT", "LEGITEXT")) or re.fullmatch(r"[A-Z]{4}\d{7}[A-Z]", rest):
            return text(None, None, rest)
        m = re.fullmatch(r"([a-z-]+?)-(\d[\w-]*)", rest)
        if m:
            return text(m.group(1), m.group(2))
        return text(None, None, rest)
    slug, _, number = ref_target.partition("/")
    return article(slug, number) if number else code(slug)




# --- reading them back -------------------------------------------------------------------------

#: the natures of JO texts as their names say them (the URI has the slug: .../jorf/decret/…)
NATURES = {"decret": "décret", "decret-loi": "décret-loi", "arrete": "arrêté", "ordonnance": "ordonnance",
           "loi": "loi"}


@dataclass(frozen=True)
class Parts:
    """What a URI santelex minted names: a code, one of its articles, a JO text or one of its
    articles; a version of an article; a subdivision of either (``sub``, its path in the work)."""

    code: str | None = None     # the code's slug
    text: str | None = None     # a JO text: its path after jorf/, as in the URI ("decret/2005-76")
    number: str | None = None   # the article's number
    version: str | None = None  # the version's key
    sub: str = ""               # "I/3/a", "alinea-26/tiret-1"; "" for the work or version itself

    @property
    def work(self) -> str:
        """The work: the article (or the code, the text) without version nor subdivision."""
        if self.code is not None:
            return article(self.code, self.number) if self.number is not None else code(self.code)
        base = JORF + (self.text or "")
        return text_article(base, self.number) if self.number is not None else base


def _tail(tail: str) -> tuple[str, str | None] | None:
    """'/I/3/a' -> ('I/3/a', None); '/version/KEY/alinea-9' -> ('alinea-9', 'KEY'); a citation: None.

    A version's subdivisions have the same path under the version as the work's under the
    work, so a version subdivision has the same ``sub``.
    """
    parts = [p for p in tail.split("/") if p]
    key = None
    if parts[:1] == ["version"]:
        if len(parts) < 2:
            return None
        key, parts = unquote(parts[1]), parts[2:]
    if "citation" in parts or "version" in parts:
        return None
    return "/".join(parts), key


_CODE_ARTICLE = re.compile(r"([^/]+)/article/([^/]+)((?:/[^/]+)*)")
_JORF_TEXT = re.compile(r"([^/]+/[^/]+)(?:/article/([^/]+))?((?:/[^/]+)*)")


@lru_cache(maxsize=1 << 16)  # pure, and asked for again and again on a page
def parse(uri: str) -> Parts | None:
    """The parts of a code, a code article, a JO text, an article of one, or a version or a
    subdivision of these; None for anything else (a section of a plan, a citation node, a URI
    santelex did not mint)."""
    if uri.startswith(CODES):
        rest = uri[len(CODES):]
        if rest and "/" not in rest:
            return Parts(code=unquote(rest))
        m = _CODE_ARTICLE.fullmatch(rest)
        tail = _tail(m.group(3)) if m else None
        if tail is None:
            return None
        return Parts(code=unquote(m.group(1)), number=unquote(m.group(2)), sub=tail[0], version=tail[1])
    if uri.startswith(JORF):
        m = _JORF_TEXT.fullmatch(uri[len(JORF):])
        tail = _tail(m.group(3)) if m else None
        if tail is None:
            return None
        number = unquote(m.group(2)) if m.group(2) else None
        return Parts(text=m.group(1), number=number, sub=tail[0], version=tail[1])
    return None


def code_slug(code_uri: str) -> str:
    """The slug of a code from its URI (``slx:code``'s value): ``…/code/code-civil`` -> ``code-civil``."""
    return unquote(code_uri[len(CODES):]) if code_uri.startswith(CODES) else code_uri.rsplit("/", 1)[-1]


@lru_cache(maxsize=1 << 16)  # pure, and asked for again and again on a page
def name(uri: str) -> str:
    """The name a user types back (santelex.lookup reads it): ``…/code/code-de-la-sante-publique/article/L1434-7``
    -> ``code-de-la-sante-publique/L1434-7``; ``…/jorf/decret/2005-76`` -> ``jorf/decret/2005-76``."""
    if uri.startswith(CODES) and "/article/" in uri:
        slug, _, rest = uri[len(CODES):].partition("/article/")
        return f"{unquote(slug)}/{unquote(rest)}"
    if uri.startswith(JORF):
        return "jorf/" + unquote(uri[len(JORF):])
    return uri


def text_of(uri: str) -> str:
    """The code or the JO text that a URI santelex minted belongs to (an article, a version or a
    subdivision of one, or the text itself): ``…/jorf/decret/2005-76/article/2`` ->
    ``…/jorf/decret/2005-76``, ``…/code/code-civil/article/1240`` -> ``…/code/code-civil``.
    Any other URI (a section of a plan, a citation node, a URI santelex did not mint): itself."""
    p = parse(uri)
    if p is None:
        return uri
    return code(p.code) if p.code is not None else JORF + (p.text or "")


@lru_cache(maxsize=1 << 16)  # pure, and asked for again and again on a page
def number_label(number: str) -> str:
    """'R1434-4' -> 'R. 1434-4' (as the law writes article numbers); others unchanged."""
    m = re.fullmatch(r"([A-Z]{1,2})\*?(\d[\w-]*)", number)
    return f"{m.group(1)}. {m.group(2)}" if m else number


@lru_cache(maxsize=1 << 16)  # pure, and asked for again and again on a page
def sub_label(path: str) -> str:
    """'I/3/a' -> 'I, 3°, a)'; 'alinea-5' -> 'alinéa 5'; 'alinea-26/tiret-1' -> 'alinéa 26, tiret 1'."""
    out = []
    for part in unquote(path).split("/"):
        if re.fullmatch(r"alinea-(\d+)", part):
            out.append("alinéa " + part[7:])
        elif re.fullmatch(r"tiret-(\d+)", part):
            out.append("tiret " + part[6:])
        elif part.isdigit():
            out.append(part + "°")
        elif re.fullmatch(r"[a-z]{1,2}", part):
            out.append(part + ")")
        else:
            out.append(part)
    return ", ".join(out)


def text_name(text_path: str) -> str:
    """The name of a JO text from its path after jorf/: 'decret/2005-76' -> 'décret n° 2005-76';
    'text/JORFTEXT000000574488' -> 'texte JORFTEXT000000574488'."""
    nature, _, number = text_path.partition("/")
    if nature == "text":
        return f"texte {unquote(number)}"
    return f"{NATURES.get(nature, nature)} n° {unquote(number)}"


def label(uri: str, titles: dict[str, str] | None = None) -> str:
    """A short French name for a code, an article, a JO text, or a version or subdivision of
    these: 'R. 1434-4' (the CSP's articles go unnamed), 'L. 162-14-1 (CSS)', 'décret n° 2005-76,
    art. 3', 'code de la santé publique'.  ``titles``: JO text URI -> its title, when known.
    Anything else: the URI itself."""
    from santelex import codes  # the table of codes is read by labels only: minting stays light

    p = parse(uri)
    if p is None:
        return uri
    if p.code is not None:
        if p.number is None:
            return codes.title(p.code)
        out = number_label(p.number)
        if p.code != CSP:
            out += f" ({codes.short(p.code) or codes.title(p.code)})"
    else:
        out = (titles or {}).get(JORF + (p.text or "")) or text_name(p.text or "")
        if p.number is not None:
            out += f", art. {p.number}"
    if p.version:
        out += f" (version {p.version})"
    if p.sub:
        out += ", " + sub_label(p.sub)
    return out
