"""Resolve: what each candidate found in a paragraph points at.

``resolve_text(text, source_code, text_context)`` returns the references of one paragraph
(``santelex.model.Reference``, provenance ``text``), in text order, each resolved to a code
article (``target_code`` + ``target_article``, the number as the corpus writes it), to a
text of the Journal officiel (``target_text`` = ``jorf/<nature>-<number>``, with
``target_article`` when an article of it is named), or to a division of a code (a
structural reference: ``target_code`` and the levels as ``pinpoint``) — or kept with
``resolved=False`` and the ``reason``; nothing found is dropped or guessed.

The code of an article comes from, in this order: the code named after it (``du code de la
sécurité sociale``), ``du présent code`` (the source's code), ``du même code`` / ``dudit
code`` (the code named last before it), else the source's code (or, in a JO text, the code
its title names) for an L/R/D number.  Ranges (``D. 712-1 à D. 712-3``) are expanded to the
articles the code has today (``ingest/corpus_index.py``), plus the endpoints and the
articles the text itself writes when the code no longer has them.

``text_context`` is a dict for one document, read by every paragraph in turn and updated by
them, so that later paragraphs can refer back: give it ``code`` (default code), ``text``
(``jorf/decret-2005-76`` for a JO text's own articles: "le présent décret"), ``article``
(the number of the article being read: "au I du présent article") and ``articles`` (numbers
of code articles the text itself writes); the resolver adds the codes and texts it has seen
(``susvisée``, ``précitée``, ``du même code``, ``du même article``).
"""
from __future__ import annotations

import re

from santelex.ingest import corpus_index, numbers
from santelex.ingest.citations.find import Candidate, Group, Number, Qualifier, TextName, find, split_triggers, triggers
from santelex.model import Reference

_UNRESOLVED_BARE = "article number without a code or a text named, and none to inherit"


class _State:
    """What one document has said so far; kept in the caller's ``text_context`` dict."""

    __slots__ = ("source", "code", "text", "article", "articles", "last_code", "named", "texts", "last_article")

    def __init__(self, ctx: dict, source_code: str | None):
        self.source = source_code
        self.code = source_code or ctx.get("code")
        self.text = ctx.get("text")
        self.article = ctx.get("article")
        self.articles = ctx.get("articles") or ()
        self.last_code = None
        self.named = []  # the codes named so far, the last named last
        self.texts = []  # (nature, number, ISO date, target) of the texts named so far
        self.last_article = None  # (code, text, number) of the article named last

    def name(self, code: str):
        """A code is named (``du code X``, ``du présent code``): it becomes ``du même code``."""
        self.last_code = code
        if code in self.named:
            self.named.remove(code)
        self.named.append(code)

    def recent(self) -> list[str]:
        """The codes named so far, the last named first."""
        return self.named[::-1]

    @classmethod
    def of(cls, ctx: dict, source_code: str | None) -> "_State":
        st = ctx.get("_state")
        if st is None or st.source != source_code:
            st = ctx["_state"] = cls(ctx, source_code)
            return st
        # the caller may have moved on to another article of the same text
        st.article = ctx.get("article")
        st.articles = ctx.get("articles") or ()
        return st


def _index():
    return corpus_index.default()


def text_target(t: TextName) -> str:
    return f"jorf/{t.nature}-{t.number}"


def _resolve_text_name(t: TextName, st: _State) -> tuple[str | None, str | None]:
    """(target, reason) of a JO text as written, remembering it for later back-references."""
    if t.number:
        target = text_target(t)
        st.texts.append((t.nature, t.number, t.date, target))
        return target, None
    if t.relative == "présent":
        if st.text and st.text.startswith(f"jorf/{t.nature}-"):
            return st.text, None
        return None, f"'présent {t.nature}' outside a {t.nature}"
    for nature, _, date, target in reversed(st.texts):
        if nature == t.nature and (t.date is None or date == t.date):
            if t.date or t.relative:
                return target, None
    if t.relative:
        return None, f"'{t.relative}' but no {t.nature} named before in this text"
    return None, f"{t.nature} named by its date only ({t.date}), without a number"


def _code_of(q: Qualifier | None, style: str, st: _State, source_code: str | None
             ) -> tuple[tuple[str, ...] | None, str | None]:
    """The candidate codes of a group of numbers, or (None, reason)."""
    if q is None:
        if style == "plain":
            return None, _UNRESOLVED_BARE
        code = st.code or st.last_code
        if code is None:
            return None, "no code named and none to inherit"
        return (code,), None
    if q.kind == "code":
        codes = _index().code_for_name(q.code or "")
        if not codes:
            return None, f"unknown code: {q.code!r}"
        st.name(codes[0])
        return codes, None
    if q.kind == "code-present":
        code = source_code or st.code
        if code is None:
            return None, "'du présent code' outside a code"
        st.name(code)
        return (code,), None
    if q.kind == "code-same":
        if st.last_code is None:
            return None, "'du même code' but no code named before"
        # the code named last; if it lacks the number, an earlier named one that has it
        # ("du code de la santé publique et … du code de l'éducation ; … D. 4311-45 du même code")
        return (st.last_code, *(c for c in st.recent() if c != st.last_code)), None
    return None, None


def _lookup(code: str, number: str) -> str | None:
    index = _index()
    hit = index.lookup(code, number)
    if hit is None and " " in number:
        if number[-2:-1] == " " and number[-1].isupper():
            hit = index.lookup(code, number[:-2])  # "L. 1 A compter…": not a letter suffix
        if hit is None:
            hit = index.lookup(code, number.replace(" ", "-"))  # "285 quater" is "285-quater"
    return hit


def _articles_in(codes: tuple[str, ...], number: Number, st: _State) -> tuple[str, list[str]]:
    """The code and the article numbers a written number or range means in it."""
    index = _index()
    code = codes[0]
    if len(codes) > 1:  # "code minier": the code of the family that has the article
        for c in codes:
            if _lookup(c, number.first) is not None:
                code = c
                break
    if number.last is None:
        return code, [_lookup(code, number.first) or number.first]
    found = index.expand_range(code, number.first, number.last)
    known = [n for n in st.articles
             if corpus_index._prefix(n) == corpus_index._prefix(number.first)
             and numbers.sort_key(n) >= numbers.sort_key(number.first)
             and numbers.sort_key(n) <= numbers.sort_key(number.last)] if st.articles else ()
    first = index.lookup(code, number.first) or number.first
    last = index.lookup(code, number.last) or number.last
    if known:
        merged = {n: None for n in (first, *found, *known, last)}
        return code, sorted(merged, key=lambda n: numbers.order(n))
    if not found:
        return code, [first, last]
    # the endpoints are named in the text: kept even where the code no longer has them
    return code, ([first] if found[0] != first else []) + found + ([last] if found[-1] != last else [])


def _spans(cand: Candidate) -> list[list[tuple[int, int]]]:
    """Offsets of each number of each group, as described in the module's README section.

    One number alone takes the whole expression; in a list, the first number starts where
    the expression starts (pinpoint, "article"), the last of a group ends with its qualifier.
    """
    out = []
    groups = cand.groups
    for gi, g in enumerate(groups):
        spans = []
        for ni, n in enumerate(g.numbers):
            s = cand.start if gi == 0 and ni == 0 else n.start
            e = n.end
            if ni == len(g.numbers) - 1:
                e = g.qualifier.end if g.qualifier is not None else n.end
                if gi == len(groups) - 1:
                    e = cand.end
            spans.append((s, e))
        out.append(spans)
    return out


def _ref(text: str, s: int, e: int, target_code=None, target_article=None, target_text=None, pinpoint=(),
         resolved=True, reason=None) -> Reference:
    return Reference(text[s:e], s, e, target_code, target_article, target_text, pinpoint, "text", resolved, reason)


def _article_refs(text: str, cand: Candidate, st: _State, source_code: str | None,
                  last_named, later: "_Later") -> list[Reference]:
    refs: list[Reference] = []
    pins = cand.pinpoints or ((),)
    groups = cand.groups
    if len(groups) == 1 and len(groups[0].numbers) == 1 and groups[0].qualifier is None:
        n = groups[0].numbers[0]
        code = st.code or st.last_code
        if n.last is None and n.style == "code" and code and cand.relative != "son":
            # the usual case, "l'article L. 1434-9": the inherited code
            hit = _lookup(code, n.first)
            if hit is None:
                code, hit = _inherit(code, n.first, cand.end, st, later)
            num = hit or n.first
            st.last_article = (code, None, num)
            sub = text[cand.start:cand.end]
            return [Reference(sub, cand.start, cand.end, code, num, None, pin) for pin in pins]
    if not groups or all(not g.numbers for g in groups):
        return _relative_refs(text, cand, st, source_code, last_named)
    spans = _spans(cand)
    for g, gspans in zip(cand.groups, spans):
        q = g.qualifier
        if q is None and cand.relative == "son" and last_named is not None:
            q = last_named
        style = g.numbers[0].style
        if q is not None and q.kind == "text":
            target, reason = _resolve_text_name(q.text, st)
            for n, (s, e) in zip(g.numbers, gspans):
                numbers = [n.first] if n.last is None else [n.first, n.last]
                for num in numbers:
                    for pin in pins:
                        refs.append(_ref(text, s, e, target_text=target, target_article=num, pinpoint=pin,
                                         resolved=target is not None, reason=reason))
                        if target:
                            st.last_article = (None, target, num)
            continue
        if q is not None and q.kind in ("eu", "other"):
            what = "a text of the European Union" if q.kind == "eu" else "neither a code nor a JO text"
            for s, e in gspans:
                refs.append(_ref(text, s, e, resolved=False, pinpoint=pins[0],
                                 reason=f"{what}: {q.code}"))
            continue
        if q is None and style == "plain":
            refs.extend(_plain_refs(text, g, gspans, pins, st, source_code, later))
            continue
        codes, reason = _code_of(q, style, st, source_code)
        if codes is None:
            for s, e in gspans:
                refs.append(_ref(text, s, e, resolved=False, reason=reason, pinpoint=pins[0]))
            continue
        for n, (s, e) in zip(g.numbers, gspans):
            if n.last is None:
                code = codes[0]
                hit = _lookup(code, n.first)
                if hit is None and len(codes) > 1:  # "code minier": the one that has it
                    code, hit = next(((c, h) for c in codes[1:] if (h := _lookup(c, n.first))), (code, None))
                if hit is None and q is None:
                    code, hit = _inherit(code, n.first, e, st, later)
                num = hit or n.first
                sub = text[s:e]
                for pin in pins:
                    refs.append(Reference(sub, s, e, code, num, None, pin))
                st.last_article = (code, None, num)
                continue
            code, numbers = _articles_in(codes, n, st)
            if q is None and not _lookup(code, numbers[0]) and not _lookup(code, numbers[-1]):
                for c in (*later.codes_after(e), *st.recent()):
                    if c and c != code and (other := _articles_in((c,), n, st)[1]) and _lookup(c, other[0]):
                        code, numbers = c, other
                        break
            for num in numbers:
                for pin in pins:
                    refs.append(_ref(text, s, e, target_code=code, target_article=num, pinpoint=pin))
                st.last_article = (code, None, num)
    return refs


def _inherit(code: str | None, number: str, at: int, st: _State, later: "_Later"
             ) -> tuple[str | None, str | None]:
    """A number written with no code, that the inherited code lacks: the code named later in
    the same sentence if it has it (``des articles R. 411-4 et R. 411-5, … et de l'article
    R. 413-5 du code de justice administrative``), else the code named last before it if it
    has it (a quoted article of another code); else it stays in the inherited code."""
    for c in (*later.codes_after(at), *st.recent()):
        if c and c != code and (hit := _lookup(c, number)) is not None:
            return c, hit
    return code, None


class _Later:
    """The codes named after a position, in the same sentence (computed when first asked)."""

    __slots__ = ("text", "cands", "named")

    def __init__(self, text: str, cands):
        self.text, self.cands, self.named = text, cands, None

    def codes_after(self, at: int) -> list[str]:
        if self.named is None:
            self.named = []
            for c in self.cands:
                qs = [g.qualifier for g in c.groups] if c.kind == "articles" else [c.qualifier]
                for q in qs:
                    if q is not None and q.kind == "code":
                        self.named.append((q.start, _index().code_for_name(q.code or "")))
        out = []
        for start, codes in self.named:
            if start < at:
                continue
            if _SENTENCE_END.search(self.text, at, start):
                break
            out.extend(codes)
        return out


_SENTENCE_END = re.compile(r";|\.\s+[A-ZÉÈÀÂ]|\.$")


def _plain_refs(text, g: Group, gspans, pins, st: _State, source_code, later: _Later) -> list[Reference]:
    """``l'article 12`` with nothing after it: the source's code if it has it (code civil), a
    code named later in the sentence or the code named last if it has it (``… du code pénal ;
    l'article 131-38``), else, in a JO text, an article of the text itself."""
    code = source_code or st.code
    refs = []
    for n, (s, e) in zip(g.numbers, gspans):
        numbers = [n.first] if n.last is None else [n.first, n.last]
        for num in numbers:
            where, hit = None, None
            for c in (code, *later.codes_after(e), *st.recent()):
                if c and (hit := _lookup(c, num)) is not None:
                    where = c
                    break
            for pin in pins:
                if hit is not None:
                    refs.append(_ref(text, s, e, target_code=where, target_article=hit, pinpoint=pin))
                elif st.text and not source_code:
                    refs.append(_ref(text, s, e, target_text=st.text, target_article=num, pinpoint=pin))
                else:
                    refs.append(_ref(text, s, e, resolved=False, reason=_UNRESOLVED_BARE, pinpoint=pin))
            if hit is not None:
                st.last_article = (where, None, hit)
            elif st.text and not source_code:
                st.last_article = (None, st.text, num)
    return refs


def _relative_refs(text, cand: Candidate, st: _State, source_code, last_named) -> list[Reference]:
    """``du présent article``, ``du même article``, ``de l'article précité``: no number written."""
    pins = cand.pinpoints or ((),)
    s, e = cand.start, cand.end
    q = cand.groups[0].qualifier if cand.groups else None
    if cand.relative == "relatif":
        return [_ref(text, s, e, resolved=False, pinpoint=pins[0],
                     reason="article named by its position (précédent, suivant), not its number")]
    if cand.relative == "présent":
        if not cand.pinpoints:
            return []  # "le présent article" alone: the article itself, not a reference
        if st.article is None:
            return [_ref(text, s, e, resolved=False, pinpoint=p, reason="'présent article' with no article being read")
                    for p in pins]
        if source_code:
            return [_ref(text, s, e, target_code=source_code, target_article=st.article, pinpoint=p) for p in pins]
        if st.text:
            return [_ref(text, s, e, target_text=st.text, target_article=st.article, pinpoint=p) for p in pins]
        return [_ref(text, s, e, resolved=False, pinpoint=p, reason="'présent article' outside a code or text")
                for p in pins]
    # "même", "dudit", "précité", "cet article"
    if q is not None and q.kind == "text":
        target, reason = _resolve_text_name(q.text, st)
        last = st.last_article
        if target and last and last[1] == target:
            return [_ref(text, s, e, target_text=target, target_article=last[2], pinpoint=p) for p in pins]
        return [_ref(text, s, e, resolved=False, pinpoint=p,
                     reason=reason or "article of a text named without its number") for p in pins]
    last = st.last_article
    if last is None:
        return [_ref(text, s, e, resolved=False, pinpoint=p,
                     reason="'même article' but no article named before") for p in pins]
    code, target, num = last
    if code:
        return [_ref(text, s, e, target_code=code, target_article=num, pinpoint=p) for p in pins]
    return [_ref(text, s, e, target_text=target, target_article=num, pinpoint=p) for p in pins]


def _structure_refs(text, cand: Candidate, st: _State, source_code) -> list[Reference]:
    """``la section 1 du chapitre II du titre Ier du livre VII du code …``: a division of a code
    (or of a JO text), its levels as the pinpoint, outermost first."""
    q = cand.qualifier
    s, e = cand.start, cand.end
    if q is not None and q.kind == "text":
        target, reason = _resolve_text_name(q.text, st)
        return [_ref(text, s, e, target_text=target, pinpoint=p, resolved=target is not None, reason=reason)
                for p in cand.pinpoints]
    if q is not None:
        codes, reason = _code_of(q, "code", st, source_code)
    else:
        code = source_code or st.code
        codes, reason = ((code,), None) if code else (None, "a division of a code, with no code named")
    code = codes[0] if codes else None
    return [_ref(text, s, e, target_code=code, pinpoint=p, resolved=code is not None,
                 reason=None if code else reason) for p in cand.pinpoints]


def resolve_paragraphs(paragraphs, source_code: str | None, text_context: dict | None = None
                       ) -> list[list[Reference]]:
    """``resolve_text`` of each paragraph in turn (one context), the trigger words of all of them
    found in one pass: most paragraphs of a code have none and cost nothing more."""
    paragraphs = list(paragraphs)
    ctx = text_context if text_context is not None else {}
    per = split_triggers(paragraphs, triggers("\n".join(paragraphs)))
    return [resolve_text(p, source_code, ctx, hits) if hits else [] for p, hits in zip(paragraphs, per)]


def resolve_text(text: str, source_code: str | None, text_context: dict | None = None,
                 hits=None) -> list[Reference]:
    """The references of one paragraph, resolved, in text order (see the module docstring)."""
    cands = find(text, hits)
    if not cands:
        return []
    ctx = text_context if text_context is not None else {}
    st = _State.of(ctx, source_code)
    refs: list[Reference] = []
    last_named: Qualifier | None = None  # the code or text named last ("notamment son article")
    later = _Later(text, cands)
    for cand in cands:
        kind = cand.kind
        if kind == "articles":
            refs.extend(_article_refs(text, cand, st, source_code, last_named, later))
            last_q = next((g.qualifier for g in reversed(cand.groups) if g.qualifier), None)
            if last_q is not None:
                last_named = last_q
        elif kind == "code":
            codes = _index().code_for_name(cand.name or "")
            if codes:
                st.name(codes[0])
                last_named = Qualifier(cand.start, cand.end, "code", code=cand.name)
        elif kind == "text":
            target, reason = _resolve_text_name(cand.text, st)
            refs.append(_ref(text, cand.start, cand.end, target_text=target, resolved=target is not None,
                             reason=reason))
            last_named = Qualifier(cand.start, cand.end, "text", text=cand.text)
        elif kind == "structure":
            refs.extend(_structure_refs(text, cand, st, source_code))
    refs.sort(key=lambda r: (r.start, r.end))
    return refs


def exists(ref: Reference, index=None) -> bool | None:
    """Whether the article a reference targets is in its code today; None for texts, unknown codes."""
    if not ref.resolved or not ref.target_code or not ref.target_article:
        return None
    return (index or _index()).exists(ref.target_code, ref.target_article)
