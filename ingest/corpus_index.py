"""The index of every article of every code in the corpus (``articles-index.tsv.xz``).

Answers: which article is at this corpus path, which articles a code has (for ranges such
as ``D. 712-1 à D. 712-3`` and for "does this article exist"), and which code a Legifrance
``LEGITEXT`` identifier names.
"""
from __future__ import annotations

import lzma
import re
from dataclasses import dataclass, field

from santelex.paths import ARTICLES_INDEX

#: LEGITEXT identifiers of codes, as they appear in Legifrance's links
LEGITEXT = {
    "LEGITEXT000006072665": "code-de-la-sante-publique",
    "LEGITEXT000006073189": "code-de-la-securite-sociale",
    "LEGITEXT000006074069": "code-de-laction-sociale-et-des-familles",
    "LEGITEXT000006070721": "code-civil",
    "LEGITEXT000006070719": "code-penal",
    "LEGITEXT000006071154": "code-de-procedure-penale",
    "LEGITEXT000006072050": "code-du-travail",
    "LEGITEXT000006070633": "code-general-des-collectivites-territoriales",
    "LEGITEXT000006074220": "code-de-lenvironnement",
    "LEGITEXT000006074075": "code-de-lurbanisme",
    "LEGITEXT000006071191": "code-de-leducation",
    "LEGITEXT000005634379": "code-de-commerce",
    "LEGITEXT000006069577": "code-general-des-impots",
    "LEGITEXT000006072026": "code-monetaire-et-financier",
    "LEGITEXT000006069565": "code-de-la-consommation",
    "LEGITEXT000006074096": "code-de-la-construction-et-de-lhabitation",
    "LEGITEXT000006071366": "code-de-la-mutualite",
    "LEGITEXT000006073984": "code-des-assurances",
    "LEGITEXT000006070158": "code-de-justice-administrative",
    "LEGITEXT000006070716": "code-de-procedure-civile",
    "LEGITEXT000006071164": "code-electoral",
    "LEGITEXT000006071029": "code-de-la-defense",
    "LEGITEXT000006070667": "code-rural-et-de-la-peche-maritime",
    "LEGITEXT000006071335": "code-des-communes",
    "LEGITEXT000006074224": "code-de-la-route",
    "LEGITEXT000006070162": "code-de-lentree-et-du-sejour-des-etrangers-et-du-droit-dasile",
    "LEGITEXT000006072052": "code-de-la-propriete-intellectuelle",
    "LEGITEXT000006070933": "code-des-juridictions-financieres",
}

_NUM = re.compile(r"(\d+|\D+)")


def sort_key(number: str):
    """Order article numbers as the code does: R712-9 before R712-10."""
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in _NUM.findall(number))


@dataclass
class Index:
    by_path: dict[str, tuple[str, str]] = field(default_factory=dict)
    by_code: dict[str, list[str]] = field(default_factory=dict)
    _sets: dict[str, set] = field(default_factory=dict)

    def number_for_path(self, path: str) -> str | None:
        hit = self.by_path.get(path)
        return hit[1] if hit else None

    def code_for_legitext(self, legitext: str) -> str | None:
        return LEGITEXT.get(legitext)

    def codes(self) -> list[str]:
        return sorted(self.by_code)

    def exists(self, code: str, number: str) -> bool | None:
        if code not in self.by_code:
            return None
        s = self._sets.get(code)
        if s is None:
            s = self._sets[code] = set(self.by_code[code])
        return number in s

    def articles(self, code: str) -> list[str]:
        return self.by_code.get(code, [])

    def expand_range(self, code: str, first: str, last: str) -> list[str]:
        """Articles of ``code`` from ``first`` to ``last`` inclusive, in code order, same prefix."""
        lo, hi = sort_key(first), sort_key(last)
        prefix = re.match(r"[A-Z]*", first).group(0)
        return [n for n in self.articles(code)
                if n.startswith(prefix) and re.match(r"[A-Z]*", n).group(0) == prefix
                and lo <= sort_key(n) <= hi]


def load(path=ARTICLES_INDEX) -> Index:
    index = Index()
    if not path.exists():
        return index
    with lzma.open(path, "rt", encoding="utf-8") as f:
        next(f)
        for line in f:
            code, number, rel = line.rstrip("\n").split("\t")
            index.by_path[rel] = (code, number)
            index.by_code.setdefault(code, []).append(number)
    for numbers in index.by_code.values():
        numbers.sort(key=sort_key)
    return index
