"""Link: the references found in the text, beside those Legifrance's own links give.

Legifrance links part of the references it prints (a sentence often links ``L. 6213-2`` and
not ``R. 6213-17`` beside it).  For one article, ``article_references`` resolves the plain
text of every paragraph (one context for the whole article: ``du même code`` may look back
a paragraph) and merges, paragraph by paragraph:

* a text reference that a link already gives — the link's span overlaps it and the link
  points at the same article number (or at a JO text, for a JO text) — is not added; the
  link stays, enriched with what the text says and the link does not: its pinpoint, the
  article number of a link that only names a LEGIARTI id, the ``jorf/<nature>-<number>``
  of a text the link names by its JORFTEXT id;
* every other text reference is added, with provenance ``text``.

Where the link and the text disagree on the code of the same number, the link wins.
"""
from __future__ import annotations

from dataclasses import replace

from santelex.ingest.citations.resolve import resolve_paragraphs
from santelex.ingest.numbers import key
from santelex.model import Reference


def _same_number(a: str | None, b: str | None) -> bool:
    if not a or not b:
        return False
    return key(a) == key(b)


def _covers(link: Reference, ref: Reference) -> bool:
    """Does ``link`` give ``ref``: overlapping spans, same target?"""
    if link.start >= ref.end or ref.start >= link.end:
        return False
    if ref.target_code and ref.target_article:
        if link.target_article:
            return _same_number(link.target_article, ref.target_article)
        # a link naming no article number (LEGIARTI only) to the same code, or to no code
        return not link.resolved and link.target_code in (None, ref.target_code)
    if ref.target_text:
        return bool(link.target_text) or (not link.resolved and link.target_code is None)
    return False


def _enrich(link: Reference, ref: Reference) -> Reference:
    changes = {}
    if ref.pinpoint and not link.pinpoint:
        changes["pinpoint"] = ref.pinpoint
    if not link.resolved and ref.resolved:
        changes.update(target_code=ref.target_code or link.target_code, target_article=ref.target_article,
                       target_text=ref.target_text, resolved=True, reason=None)
    elif (link.target_text and ref.target_text and link.target_text.startswith("jorf/JORFTEXT")
          and not ref.target_text.startswith("jorf/JORFTEXT")):
        changes["target_text"] = ref.target_text
        if ref.target_article and not link.target_article:
            changes["target_article"] = ref.target_article
    return replace(link, **changes) if changes else link


def merge(links: list[Reference], found: list[Reference]) -> list[Reference]:
    """The references of one paragraph: its links (enriched) and the text references they lack."""
    if not found:
        return list(links)
    if not links:
        return list(found)
    out = list(links)
    added = []
    for ref in found:
        for i, link in enumerate(out):
            if _covers(link, ref):
                out[i] = _enrich(link, ref)
                break
        else:
            if any(link.start < ref.end and ref.start < link.end and link.target_code
                   and _same_number(link.target_article, ref.target_article) for link in links):
                continue  # same number, another code: the link wins
            added.append(ref)
    out.extend(added)
    out.sort(key=lambda r: (r.start, r.end))
    return out


def article_references(paragraphs, links, code: str | None, number: str | None,
                       context: dict | None = None) -> list[list[Reference]]:
    """Per paragraph: Legifrance's link references merged with the references of the text."""
    ctx = context if context is not None else {}
    if number is not None:
        ctx.setdefault("article", number)
    out = []
    for i, found in enumerate(resolve_paragraphs(paragraphs, code, ctx)):
        own = links[i] if links and i < len(links) else []
        out.append(merge(own, found))
    return out
