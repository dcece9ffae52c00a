"""Resolve references found in plain legal text (first version: articles and JO texts).

``resolve_text(text, source_code, text_context)`` returns the references of one paragraph,
with offsets, each resolved to a code article or a JO text, or kept unresolved with a reason.
"""
from __future__ import annotations

import re

from ingest.citations.pinpoint import pinpoint_before
from ingest.html_text import slugify
from santelex.model import Reference

_NUM = r"(?:[LRDA]\.?\s?O?\.?\s?\*?\s?\d+(?:-\d+)*(?: ?bis| ?ter)?|\d+(?:er)?)"
_CODE = r"(?:du|au|de ce) (?P<code>code (?:de la |de l'|de l’|des |du |d')?[a-zéèêàçôûî'’ -]+?)(?=[ ,;.)]|$)"
_ARTICLE = re.compile(
    rf"(?P<word>articles?|art\.)\s+(?P<first>{_NUM})(?:\s+(?P<sep>à|et)\s+(?P<second>{_NUM}))?"
    rf"(?:\s+(?:{_CODE}|(?P<same>du même code)|(?P<present>du présent code)))?")
_TEXT = re.compile(
    r"(?P<nature>loi|ordonnance|décret|arrêté)(?: organique)? (?:n[°o]|no) ?(?P<number>\d{2,4}-\d+)"
    r"(?: du (?P<date>\d{1,2}(?:er)? \w+ \d{4}))?(?:[^;]*?notamment (?:son|ses) article (?P<art>\d+(?:er)?))?")
_NATURE = {"loi": "loi", "ordonnance": "ordonnance", "décret": "decret", "arrêté": "arrete"}
_CODE_SLUGS_FIX = {"code de la santé publique": "code-de-la-sante-publique"}


def code_slug(name: str) -> str:
    name = name.strip().rstrip(",;.")
    return _CODE_SLUGS_FIX.get(name, slugify(name))


def normalise(num: str) -> str:
    n = re.sub(r"[\s.*]", "", num)
    return n[:-2] if n.endswith("er") and n[:-2].isdigit() else n


def resolve_text(text: str, source_code: str | None, text_context: dict | None = None) -> list[Reference]:
    ctx = text_context or {}
    refs: list[Reference] = []
    last_code = None
    for m in _TEXT.finditer(text):
        nature = _NATURE[m.group("nature").lower()]
        target_text = f"jorf/{nature}-{m.group('number')}"
        refs.append(Reference(text=m.group(0), start=m.start(), end=m.end(), target_text=target_text,
                              target_article=normalise(m.group("art")) if m.group("art") else None))
    for m in _ARTICLE.finditer(text):
        if any(r.start <= m.start() < r.end for r in refs):
            continue
        first = normalise(m.group("first"))
        code = None
        reason = None
        if m.group("code"):
            code = code_slug(m.group("code"))
            last_code = code
        elif m.group("same"):
            code = last_code or ctx.get("code")
        elif m.group("present"):
            code = source_code or ctx.get("code")
        elif re.match(r"^[LRDA]", first):
            code = source_code or ctx.get("code")
        code_match = re.search(r"le (code [a-zé' ]+?), notamment (?:son|ses) article", text[:m.start()])
        if code is None and code_match:
            code = code_slug(code_match.group(1))
        numbers = [first]
        if m.group("second"):
            numbers.append(normalise(m.group("second")))
        pin, start = pinpoint_before(text, m.start())
        for i, num in enumerate(numbers):
            if code is None:
                reason = "no code named and none to inherit"
            refs.append(Reference(
                text=text[start if i == 0 else m.start():m.end()], start=start if i == 0 else m.start(),
                end=m.end(), target_code=code if code else None,
                target_article=num if code else None, pinpoint=pin if i == 0 else (),
                resolved=code is not None, reason=reason))
    refs.sort(key=lambda r: (r.start, r.end))
    return refs
