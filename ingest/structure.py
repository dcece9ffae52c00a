"""Turn an article's paragraphs into its subdivision tree (I, 1°, a), dashes, alinéas).

French drafting marks subdivisions by a leading marker: ``I. -`` (roman), ``1°`` (numéro),
``a)`` (lettre), ``-`` (tiret).  A paragraph with no marker is a plain alinéa.  The rules
that decide where a plain alinéa belongs (see ``build_tree``) follow the usage of the
codes: paragraphs after ``I. -`` stay in I until ``II. -``; a plain paragraph after a list
of lettered items stays in the enclosing numéro (D. 712-2, I, 3°); a plain paragraph after a
numéro with no inner structure ends that numéro (R. 1434-4).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from santelex.model import Reference, Subdivision

RANK = {"roman": 1, "numero": 2, "lettre": 3, "tiret": 4, "alinea": 5}

_ROMAN = re.compile(r"^(?P<label>[IVXL]+(?:\s+(?:bis|ter|quater|quinquies))?)\s*\.\s*[-–—]\s*")
_NUMERO = re.compile(r"^(?P<label>\d+)\s*°\s*(?P<suffix>bis|ter|quater|quinquies|sexies)?\s*[-–—:]?\s*")
_LETTRE = re.compile(r"^(?P<label>[a-z])(?:\s+(?P<suffix>bis|ter|quater))?\s*\)\s*")
_TIRET = re.compile(r"^[-–—]\s*")


def classify(paragraph: str) -> tuple[str, str | None, str]:
    """Return (kind, label as printed, key) for one paragraph."""
    m = _ROMAN.match(paragraph)
    if m:
        label = m.group("label")
        return "roman", label, label.replace(" ", "")
    m = _NUMERO.match(paragraph)
    if m:
        suffix = m.group("suffix") or ""
        label = m.group("label") + "°" + (" " + suffix if suffix else "")
        return "numero", label, m.group("label") + suffix
    m = _LETTRE.match(paragraph)
    if m:
        suffix = m.group("suffix") or ""
        label = m.group("label") + (" " + suffix if suffix else "") + ")"
        return "lettre", label, m.group("label") + suffix
    if _TIRET.match(paragraph) and len(paragraph) > 1:
        return "tiret", "-", ""
    return "alinea", None, ""


@dataclass
class _Node:
    kind: str
    label: str | None
    key: str
    text: str
    alinea: int
    references: tuple[Reference, ...] = ()
    children: list["_Node"] = field(default_factory=list)

    def freeze(self) -> Subdivision:
        return Subdivision(self.kind, self.key, self.label, self.text, self.alinea,
                           tuple(c.freeze() for c in self.children), self.references)


def build_tree(paragraphs, references=None) -> tuple[Subdivision, ...]:
    """Build the subdivision tree of one article.

    ``references`` is an optional list, parallel to ``paragraphs``, of the references found
    in each paragraph; they are attached to the subdivision of that paragraph.
    """
    root = _Node("article", None, "", "", 0)
    stack: list[_Node] = [root]
    dash_counts: dict[int, int] = {}
    for index, text in enumerate(paragraphs, start=1):
        kind, label, key = classify(text)
        refs = tuple(references[index - 1]) if references else ()
        if kind == "alinea":
            # plain paragraphs end dashes, lettered items and other plain paragraphs
            while stack[-1].kind in ("tiret", "alinea", "lettre"):
                stack.pop()
            top = stack[-1]
            if top.kind == "numero" and not any(c.kind == "lettre" for c in top.children):
                stack.pop()
            key = f"alinea-{index}"
        elif kind == "tiret":
            while stack[-1].kind == "tiret":
                stack.pop()
        else:
            rank = RANK[kind]
            while stack[-1] is not root and RANK.get(stack[-1].kind, 0) >= rank:
                stack.pop()
        parent = stack[-1]
        if kind == "tiret":
            n = dash_counts.get(id(parent), 0) + 1
            dash_counts[id(parent)] = n
            key = f"tiret-{n}"
        node = _Node(kind, label, key, text, index, refs)
        parent.children.append(node)
        stack.append(node)
    return tuple(c.freeze() for c in root.children)
