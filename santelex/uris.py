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
"""
from __future__ import annotations

import hashlib
import re
from urllib.parse import quote

from santelex import vocab

#: the namespaces, named as uris has always named them (their home is santelex/vocab.py)
BASE = vocab.BASE
ONTOLOGY = vocab.SLX
ELI = vocab.ELI

LEGIFRANCE_ELI = "https://www.legifrance.gouv.fr/eli/"

#: short names users type for a code
CODE_ALIASES = {
    "csp": "code-de-la-sante-publique",
    "css": "code-de-la-securite-sociale",
    "casf": "code-de-laction-sociale-et-des-familles",
    "cch": "code-de-la-construction-et-de-lhabitation",
    "cgct": "code-general-des-collectivites-territoriales",
    "cc": "code-civil",
    "civ": "code-civil",
    "ct": "code-du-travail",
    "cp": "code-penal",
    "cpp": "code-de-procedure-penale",
    "cu": "code-de-lurbanisme",
    "cconso": "code-de-la-consommation",
    "cenv": "code-de-lenvironnement",
}



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


def parse_article_id(text_: str) -> tuple[str | None, str]:
    """'CSP R1434-4', 'R1434-4', 'D. 712-2', 'code-de-la-sante-publique/L1434-7' -> (slug, NUM)."""
    t = text_.strip()
    if "/" in t and not t.startswith("http"):
        slug, _, num = t.partition("/")
        return CODE_ALIASES.get(slug.lower(), slug), normalise_number(num)
    parts = t.split(None, 1)
    if len(parts) == 2 and (parts[0].lower() in CODE_ALIASES or parts[0].startswith("code-")):
        return CODE_ALIASES.get(parts[0].lower(), parts[0]), normalise_number(parts[1])
    return None, normalise_number(t)


def normalise_number(num: str) -> str:
    """'D. 712-2' -> 'D712-2', 'l1434-7' -> 'L1434-7', 'art. R. 6122-25' -> 'R6122-25'."""
    n = re.sub(r"^(?:art(?:icle)?\.?\s+)", "", num.strip(), flags=re.I)
    m = re.match(r"^([A-Za-z]{1,2})\s*\.?\s*\*?\s*(\d.*)$", n)
    if m:
        return m.group(1).upper() + m.group(2).replace(" ", "")
    return n.replace(" ", "")
