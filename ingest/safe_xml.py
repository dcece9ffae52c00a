"""Untrusted XML in, an lxml tree out: no entities, no DTD, no network, no huge trees.

DILA's LEGI and JORF files are plain XML without a DTD or entity declarations.  A file
that declares entities is refused before it is parsed (an external entity reads local
files or the network; nested internal entities, the "billion laughs", blow up memory),
and the parser itself runs with entity substitution, DTD loading and network access off
and libxml2's size limits on, so nothing is ever expanded even if the first check missed
a declaration (the tree is checked again after parsing).  Every failure is a ReadError
naming the file and line.
"""
from __future__ import annotations

import html
import re
from datetime import date

from lxml import etree

from santelex.errors import ReadError

_ENTITY_DECL = re.compile(rb"<!ENTITY", re.I)


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                           dtd_validation=False, huge_tree=False, recover=False,
                           remove_comments=True, remove_pis=True)


def _line_at(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


_REFUSED = ("XML declares entities (<!ENTITY …>): refused and not expanded "
            "(external entities and entity expansion are not allowed)")
_WIDE = ((b"\xff\xfe\x00\x00", "utf-32-le"), (b"\x00\x00\xfe\xff", "utf-32-be"),
         (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"),
         (b"<\x00", "utf-16-le"), (b"\x00<", "utf-16-be"))


def _entity_declaration(data: bytes) -> int | None:
    """Line of the first <!ENTITY declaration, in UTF-8/ASCII or a UTF-16/32 document."""
    m = _ENTITY_DECL.search(data)
    if m:
        return _line_at(data, m.start())
    for bom, codec in _WIDE:
        if data.startswith(bom):
            text = data.decode(codec, errors="ignore")
            i = text.upper().find("<!ENTITY")
            return text.count("\n", 0, i) + 1 if i >= 0 else None
    return None


def parse(name: str, data: bytes) -> etree._Element:
    """The root element of an XML document, parsed safely; ReadError (file, line) otherwise."""
    line = _entity_declaration(data)
    if line is not None:
        raise ReadError(_REFUSED, name, line)
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as e:
        line = e.lineno or (e.position[0] if e.position else None)
        message = re.sub(r",? line \d+, column \d+\s*(\(.*\))?$", "", str(e.msg or e)).strip()
        if "amplification" in message or "entity" in message.lower() and "loop" in message.lower():
            raise ReadError(_REFUSED, name, line) from None
        raise ReadError(f"malformed XML: {message}", name, line) from None
    except (etree.ParserError, ValueError) as e:
        raise ReadError(f"malformed XML: {e}", name, 1) from None
    if root is None:
        raise ReadError("malformed XML: no root element", name, 1)
    docinfo = root.getroottree().docinfo
    dtd = docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):
        # a declaration the byte scan missed: the document is in another encoding (UTF-16 …)
        try:
            decoded = data.decode(docinfo.encoding or "utf-8")
            line = decoded.count("\n", 0, max(0, decoded.find("<!ENTITY"))) + 1
        except (LookupError, UnicodeDecodeError):
            line = 1
        raise ReadError(_REFUSED, name, line)
    for el in root.iter(etree.Entity):
        raise ReadError(f"XML uses the entity &{el.name};: refused and not expanded",
                        name, el.sourceline)
    return root


def text(el: etree._Element | None, path: str | None = None) -> str:
    """The stripped text of ``el`` (or of its child at ``path``), '' when absent."""
    if el is None:
        return ""
    if path is not None:
        el = el.find(path)
        if el is None:
            return ""
    return (el.text or "").strip()


def inner_html(el: etree._Element | None) -> str:
    """The content of an element (a ``<CONTENU>``) as an HTML string, for ``parse_fragment``."""
    if el is None:
        return ""
    parts = [html.escape(el.text or "", quote=False)]
    for child in el:
        if isinstance(child.tag, str):
            parts.append(etree.tostring(child, encoding="unicode", method="xml", with_tail=False)
                         .replace(' xmlns="http://www.w3.org/1999/xhtml"', ""))
        parts.append(html.escape(child.tail or "", quote=False))
    return "".join(parts)


#: DILA's "no date": an open end, or a text that has no date of its own
OPEN_DATE = "2999-01-01"


def iso_date(value: str | None, name: str, line: int | None, what: str) -> date | None:
    """A DILA date (YYYY-MM-DD); 2999-01-01 and empty mean none; anything else is an error."""
    value = (value or "").strip()
    if not value or value == OPEN_DATE:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ReadError(f"{what}: {value[:40]!r} is not a date (YYYY-MM-DD)", name, line) from None
