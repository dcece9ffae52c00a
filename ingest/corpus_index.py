"""The index of every article of every code in the corpus (``articles-index.tsv.xz``).

Answers: which article is at this corpus path, which articles a code has (for ranges such
as ``D. 712-1 à D. 712-3`` and for "does this article exist"), how the corpus writes an
article number (``R712-8`` is ``R* 712-8`` in the code de commerce), which code a Legifrance
``LEGITEXT`` identifier names, and which code a name written in a text means (``code de la
sécurité sociale``, ``code général des impôts``, ``code rural``: every code of the index plus
the names texts use for them).
"""
from __future__ import annotations

import lzma
import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from functools import lru_cache

from santelex.ingest.numbers import key as _key
from santelex.ingest.numbers import order, sort_key
from santelex.ingest.text import slugify as _slugify
from santelex.paths import ARTICLES_INDEX, CODES, require


@lru_cache(maxsize=1 << 16)
def slugify(text: str) -> str:
    """The corpus slug of a word or name (cached: code names are made of few words)."""
    return _slugify(text)

@dataclass(frozen=True)
class Code:
    """One row of the table of codes (``data/corpus/codes.tsv``): a LEGITEXT identifier of a
    code, its corpus slug, its title as the law writes it (when the table has it) and the short
    names users type for it (``csp``).  A code recast under the same name has two rows."""

    legitext: str
    slug: str
    title: str
    aliases: tuple[str, ...]


@lru_cache(maxsize=1)
def code_table(path=CODES) -> tuple[Code, ...]:
    """The table of codes, read once.  Its LEGITEXT identifiers were mined from the corpus:
    every ``affichCodeArticle.do?cidTexte=LEGITEXT…`` link whose ``title`` names the code
    ("Code de la santé publique - art. …") or which is followed by "du code …"."""
    require(path, "the table of codes")
    rows = []
    with open(path, encoding="utf-8") as f:
        next(f)
        for line in f:
            legitext, slug, title, aliases = line.rstrip("\n").split("\t")
            rows.append(Code(legitext, slug, title, tuple(a for a in aliases.split(",") if a)))
    return tuple(rows)


@lru_cache(maxsize=1)
def legitext_codes() -> dict[str, str]:
    """LEGITEXT identifier -> code slug, for every code of the table."""
    return {c.legitext: c.slug for c in code_table()}


#: names a text gives a code (slugged) that are not, or not only, its corpus folder name:
#: the candidates in order of preference; the first that has the article wins
CODE_NAMES = {
    "code-general-des-impots": ("code-general-des-impots-cgi",),
    "code-general-des-impots-annexe-i": ("code-general-des-impots-annexe-i-cgiani",),
    "code-general-des-impots-annexe-ii": ("code-general-des-impots-annexe-ii-cgianii",),
    "code-general-des-impots-annexe-iii": ("code-general-des-impots-annexe-iii-cgianiii",),
    "code-general-des-impots-annexe-iv": ("code-general-des-impots-annexe-iv-cgianiv",),
    "code-general-des-impots-annexe-1": ("code-general-des-impots-annexe-i-cgiani",),
    "code-general-des-impots-annexe-2": ("code-general-des-impots-annexe-ii-cgianii",),
    "code-general-des-impots-annexe-3": ("code-general-des-impots-annexe-iii-cgianiii",),
    "code-general-des-impots-annexe-4": ("code-general-des-impots-annexe-iv-cgianiv",),
    "code-forestier": ("code-forestier-nouveau",),
    "code-de-sante-publique": ("code-de-la-sante-publique",),
    "code-la-securite-sociale": ("code-de-la-securite-sociale",),
    "code-minier": ("code-minier-nouveau", "code-minier"),
    "code-rural": ("code-rural-et-de-la-peche-maritime", "code-rural-ancien"),
    "code-rural-et-de-la-peche-maritime": ("code-rural-et-de-la-peche-maritime", "code-rural-ancien"),
    "code-du-commerce": ("code-de-commerce",),
    "code-des-postes-et-communications-electroniques": ("code-des-postes-et-des-communications-electroniques",),
    "code-des-postes-et-telecommunications": ("code-des-postes-et-des-communications-electroniques",),
    "code-de-la-legion-dhonneur": (
        "code-de-la-legion-dhonneur-de-la-medaille-militaire-et-de-lordre-national-du-merite",),
    "code-des-pensions-civiles-et-militaires": ("code-des-pensions-civiles-et-militaires-de-retraite",),
    "code-des-pensions-militaires-dinvalidite-et-des-victimes-de-guerre": (
        "code-des-pensions-militaires-dinvalidite-et-des-victimes-de-guerre",
        "code-des-pensions-militaires-dinvalidite-et-des-victimes-de-la-guerre"),
    "code-des-pensions-militaires-dinvalidite-et-des-victimes-de-la-guerre": (
        "code-des-pensions-militaires-dinvalidite-et-des-victimes-de-la-guerre",
        "code-des-pensions-militaires-dinvalidite-et-des-victimes-de-guerre"),
    "code-de-lentree-et-du-sejour-des-etrangers": (
        "code-de-lentree-et-du-sejour-des-etrangers-et-du-droit-dasile",),
    "code-des-relations-entre-le-public-et-les-administrations": (
        "code-des-relations-entre-le-public-et-ladministration",),
    "livre-des-procedures-fiscales": ("livre-des-procedures-fiscales",),
}

@dataclass
class Index:
    by_path: dict[str, tuple[str, str]] = field(default_factory=dict)
    by_code: dict[str, list[str]] = field(default_factory=dict)
    _sets: dict[str, set] = field(default_factory=dict)
    _sorted: set = field(default_factory=set)
    _keys: dict[str, dict[str, str]] = field(default_factory=dict)
    _ordered: dict[str, dict] = field(default_factory=dict)
    _names: dict[str, tuple[str, ...]] | None = None
    _prefixes: set | None = None

    def number_for_path(self, path: str) -> str | None:
        hit = self.by_path.get(path)
        return hit[1] if hit else None

    def code_for_legitext(self, legitext: str) -> str | None:
        return legitext_codes().get(legitext)

    def codes(self) -> list[str]:
        return sorted(self.by_code)

    def exists(self, code: str, number: str) -> bool | None:
        """Whether ``code`` has article ``number`` today; None when the index knows no such code."""
        if code not in self.by_code:
            return None
        return self.lookup(code, number) is not None

    def lookup(self, code: str, number: str) -> str | None:
        """The number as the corpus writes it (``R712-8`` -> ``R* 712-8``), or None if absent."""
        s = self._sets.get(code)
        if s is None:
            s = self._sets[code] = set(self.by_code.get(code, ()))
        if number in s:
            return number
        keys = self._keys.get(code)
        if keys is None:
            keys = {}
            for n in s:
                keys.setdefault(_key(n), n)
            self._keys[code] = keys
        return keys.get(_key(number))

    def articles(self, code: str) -> list[str]:
        """The articles of ``code`` in code order (sorted on first use)."""
        numbers = self.by_code.get(code, [])
        if code not in self._sorted:
            numbers.sort(key=sort_key)
            self._sorted.add(code)
        return numbers

    def expand_range(self, code: str, first: str, last: str) -> list[str]:
        """Articles of ``code`` from ``first`` to ``last`` inclusive, in code order, same prefix.

        Numbers are grouped by prefix and first number (``R`` 1123) once per code, and a
        group is sorted the first time a range needs it: a range costs a few bisections.
        """
        buckets = self._ordered.get(code)
        if buckets is None:
            buckets = {}
            for n in self.by_code.get(code, ()):
                head = _key(n.partition("-")[0])
                prefix = head.rstrip("0123456789")
                if len(prefix) < len(head) and prefix.isalpha() or not prefix and head.isdigit():
                    buckets.setdefault((prefix, int(head[len(prefix):])), []).append(n)
            self._ordered[code] = buckets
        a, b = _HEAD.match(_key(first)), _HEAD.match(_key(last))
        if not a or not b or a.group(1) != b.group(1):
            return []
        prefix, lo_root, hi_root = a.group(1), int(a.group(2)), int(b.group(2))
        if hi_root < lo_root:
            return []
        if hi_root - lo_root > 100:
            return []  # "R. 1161-4 à R. 61161-7": a misprint, not a range of thousands of articles
        lo, hi = order(first), order(last)
        roots = range(lo_root, hi_root + 1)
        found = []
        for r in roots:
            bucket = buckets.get((prefix, r))
            if not bucket:
                continue
            if isinstance(bucket, list):
                bucket = buckets[(prefix, r)] = _sorted_bucket(bucket)
            keys, numbers, by_rest = bucket
            if r != lo_root and r != hi_root:
                found.extend(numbers)
                continue
            if by_rest:  # plain "1123-54-1" numbers: compare what follows the root, as ints
                lo_k = _rest_key(_key(first)) if r == lo_root else ()
                hi_k = _rest_key(_key(last)) if r == hi_root else None
                if lo_k is not None and (hi_k is not None or r != hi_root):
                    i = bisect_left(keys, lo_k)
                    j = bisect_right(keys, hi_k) if hi_k is not None else len(keys)
                    found.extend(numbers[i:j])
                    continue
                keys = [order(n) for n in numbers]
            found.extend(numbers[bisect_left(keys, lo if r == lo_root else ()):
                                 bisect_right(keys, hi) if r == hi_root else len(keys)])
        return found

    def code_for_name(self, name: str) -> tuple[str, ...]:
        """The codes a name in a text may mean (the longest known name it starts with).

        ``code de la sécurité sociale et …`` -> (``code-de-la-securite-sociale``,);
        ``code minier`` -> (``code-minier-nouveau``, ``code-minier``); () if none is known.
        """
        return self.match_code_name(_WORD.findall(name))[0]

    def match_code_name(self, words) -> tuple[tuple[str, ...], int]:
        """(codes, how many of ``words`` the longest known code name takes) — ((), 0) if none."""
        if self._names is None:
            self._build_names()
        slug, best, taken = "", (), 0
        for i, w in enumerate(words):
            w = slugify(w)
            if not w:
                break
            slug = f"{slug}-{w}" if slug else w
            if slug in self._names:
                best, taken = self._names[slug], i + 1
            if slug not in self._prefixes:
                break
        return best, taken

    def _build_names(self):
        names = {c: (c,) for c in self.by_code}
        for slug in set(legitext_codes().values()):
            names.setdefault(slug, (slug,))
        names.update(CODE_NAMES)
        prefixes = set()
        for name in names:
            parts = name.split("-")
            for i in range(1, len(parts) + 1):
                prefixes.add("-".join(parts[:i]))
        self._names, self._prefixes = names, prefixes


_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")


def _rest_key(number: str) -> tuple | None:
    """What follows the first number, as ints (``R1123-54-1`` -> (54, 1)); None if not plain."""
    rest = number.partition("-")[2]
    if not rest:
        return ()
    parts = rest.split("-")
    return tuple(map(int, parts)) if all(p.isdigit() for p in parts) else None


def _sorted_bucket(numbers: list[str]) -> tuple[list, list, bool]:
    """(keys, numbers, whether keys are rest keys) of one group, in code order."""
    rest = [_rest_key(_key(n)) for n in numbers]
    if None not in rest:
        pairs = sorted(zip(rest, numbers))
        return [k for k, _ in pairs], [n for _, n in pairs], True
    pairs = sorted((order(n), n) for n in numbers)
    return [k for k, _ in pairs], [n for _, n in pairs], False


_HEAD = re.compile(r"([A-Za-z]*)[\s.*]*(\d+)")


def _prefix(number: str) -> str:
    return re.match(r"[A-Za-z]*", _key(number)).group(0)


def load(path=ARTICLES_INDEX) -> Index:
    index = Index()
    require(path, "the index of the corpus's articles")
    with lzma.open(path, "rt", encoding="utf-8") as f:
        next(f)
        for line in f:
            code, number, rel = line.rstrip("\n").split("\t")
            index.by_path[rel] = (code, number)
            index.by_code.setdefault(code, []).append(number)
    return index


@lru_cache(maxsize=1)
def default() -> Index:
    """The bundled index, loaded once per process."""
    return load()
