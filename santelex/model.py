"""The article model: the one contract between readers, the RDF mapping and the citer.

Every reader in ``ingest/`` turns its source format into these frozen values; nothing
here knows about RDF, stores or files on disk.  All classes are immutable: a reader
builds a value once, completely, and never fills it in later.

Numbers of code articles are written as in the corpus headings, without dot or space
(``R1434-4``, ``L162-14-1``, ``D712-2``); codes are named by the corpus slug
(``code-de-la-sante-publique``).
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass
from datetime import date
from typing import Union

CSP = "code-de-la-sante-publique"


@dataclass(frozen=True)
class Source:
    """Where a value was read: a file (or archive member) and a line in it."""

    file: str
    line: int | None = None
    format: str = ""


@dataclass(frozen=True)
class Reference:
    """One reference found in legal text, resolved or not.

    ``target_code``/``target_article`` name a code article; ``target_text`` names a text
    of the Journal officiel (``jorf/JORFTEXT…`` or ``jorf/ordonnance-2003-850``).
    ``pinpoint`` is the path inside the target, outermost first: ``("I", "1°")``,
    ``("alinea-5",)``.  Offsets are into the text of the paragraph the reference was found in.
    """

    text: str
    start: int
    end: int
    target_code: str | None = None
    target_article: str | None = None
    target_text: str | None = None
    pinpoint: tuple[str, ...] = ()
    provenance: str = "text"  # "legifrance-link" or "text"
    resolved: bool = True
    reason: str | None = None
    link: str | None = None  # the href of a Legifrance link, when it came from one

    @property
    def target(self) -> str | None:
        if self.target_article and self.target_code:
            return f"{self.target_code}/{self.target_article}"
        return self.target_text


@dataclass(frozen=True)
class Subdivision:
    """A numbered part of an article (I, 1°, a), a dash item) or a plain alinéa.

    ``kind`` is one of ``roman``, ``numero``, ``lettre``, ``tiret``, ``alinea``.
    ``label`` is the marker as printed (``I``, ``1°``, ``a)``, ``-``) or ``None`` for a plain
    alinéa; ``key`` is the URI path segment (``I``, ``1``, ``a``, ``tiret-2``, ``alinea-7``);
    ``alinea`` is the 1-based paragraph number in the article (Legifrance's counting).
    """

    kind: str
    key: str
    label: str | None
    text: str
    alinea: int
    children: tuple["Subdivision", ...] = ()
    references: tuple[Reference, ...] = ()

    def walk(self, path: tuple[str, ...] = ()):
        """Yield (path, subdivision) for this node and every descendant, depth first."""
        here = path + (self.key,)
        yield here, self
        for child in self.children:
            yield from child.walk(here)


@dataclass(frozen=True)
class Heading:
    """One level of an article's place in its code: ``("partie", "Partie réglementaire")``."""

    level: str
    title: str
    slug: str = ""


@dataclass(frozen=True)
class Article:
    """One version of one article, of a code or of a text of the Journal officiel.

    ``code`` is a corpus slug for code articles, ``None`` for an article of a text (then
    ``text_id`` names the text).  ``version`` distinguishes versions of the same article:
    a LEGIARTI identifier where known, else a short label given by the reader.
    """

    number: str
    code: str | None
    paragraphs: tuple[str, ...]
    subdivisions: tuple[Subdivision, ...]
    source: Source
    hierarchy: tuple[Heading, ...] = ()
    references: tuple[Reference, ...] = ()
    version: str | None = None
    legiarti: str | None = None
    status: str | None = None  # VIGUEUR, ABROGE, MODIFIE, ...
    start: date | None = None
    end: date | None = None
    title: str | None = None
    text_id: str | None = None
    nota: str | None = None
    #: texts (``target_text``, and ``target_article`` when the source names one) that created,
    #: modified, repealed or moved this article, from Legifrance's modification links
    changed_by: tuple[Reference, ...] = ()

    @property
    def text(self) -> str:
        return "\n".join(self.paragraphs)

    def walk(self):
        for sub in self.subdivisions:
            yield from sub.walk()

    @property
    def all_references(self) -> tuple[Reference, ...]:
        refs = list(self.references)
        for _, sub in self.walk():
            refs.extend(sub.references)
        return tuple(refs)


@dataclass(frozen=True)
class Amendment:
    """What one article of a text does to a code: replace, rename, insert, apply, keep.

    ``targets`` are article numbers of ``code`` (``D712-1`` …) or a structural place
    (``section-1/sous-section-1``); ``in_force`` the date the change applies from, when
    the text gives one; ``condition`` the text's own words when it applies on an event.
    """

    kind: str  # "replace", "rename", "insert", "applicability", "transitional"
    by_article: str
    code: str | None
    targets: tuple[str, ...]
    place: str | None = None
    in_force: date | None = None
    until: date | None = None
    condition: str | None = None


@dataclass(frozen=True)
class LegalText:
    """A text of the Journal officiel: a decree, an ordinance, a law, an arrêté."""

    nature: str  # "decret", "ordonnance", "loi", "arrete"
    number: str | None
    date: date | None
    title: str
    source: Source
    nor: str | None = None
    jorf_id: str | None = None
    jo_number: str | None = None
    jo_date: datetime.date | None = None  # (in this class body, ``date`` names the field above)
    eli: str | None = None
    signatories: tuple[str, ...] = ()
    visas: tuple[str, ...] = ()
    visa_references: tuple[Reference, ...] = ()
    articles: tuple[Article, ...] = ()
    amendments: tuple[Amendment, ...] = ()
    inserted: tuple[Article, ...] = ()  # code articles this text writes


Document = Union[Article, LegalText]
