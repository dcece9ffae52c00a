"""Rule sets: which law an annex is validated against, chosen by date.

A rule set is a folder of SHACL shapes, ``shapes/<name>/*.ttl``, with the SKOS vocabularies
of the same law, ``ontology/<name>/*.ttl``; the annex classes shared by every rule set are
``ontology/*.ttl``.  Its manifest, in ``shapes/<name>/regles.ttl``, is one ``slx:RuleSet``
node: ``dcterms:identifier`` (the folder's name), ``rdfs:label``, ``slx:applicableFrom`` and
``slx:applicableUntil`` (``xsd:date``, both inclusive; no end: still in force), the article
versions it encodes (``slx:encodes``, expression URIs) and what establishes its period
(``slx:periodBasis``).

    rulesets.available()                 # every rule set, by start
    rulesets.in_force(date(2006, 4, 1))  # the one in force that day, or RuleSetError
    rs = rulesets.get("oqos-2005")
    rs.shape_triples(), rs.vocabulary_triples()   # terms.Graph: canonical N-Triples triples
    rs.shapes(), rs.vocabulary()         # the same in rdflib (built on demand; do not modify)
    rs.notations().concept("cible", "medecine")   # -> concept IRI, or None

The Turtle files are read by Oxigraph (lexical forms as written) into canonical N-Triples
triples, once per process: validating an annex does not import rdflib.

The annex reader asks ``notations()`` for the concept a cell names: each ``skos:ConceptScheme``
of the rule set's vocabulary says which annex column it gives values to
(``slx:annexColumn "cible"``); a cell matches a concept's ``skos:notation`` (case aside) and,
in a scheme marked ``slx:matchLabels true``, also its pref/alt/hidden labels, accents, case
and spacing aside.
A scheme marked ``slx:scopedBy "cible"`` (oqos-2023's modalities and mentions) is read per
target: a cell is looked up only among the concepts whose ``slx:modaliteDe`` is the row's
target ("mention A" is radiologie interventionnelle's for one row, médecine nucléaire's for
another), and a key two concepts of one target share ("mention A" of cancer's three
modalities) names neither.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

from santelex import paths, vocab
from santelex.errors import RuleSetError
from santelex.validation import terms
from santelex.validation.errors import DataError

__all__ = ["RuleSet", "Notations", "RuleSetError", "available", "get", "in_force", "fold", "periods"]

SLX = vocab.SLX
SKOS = vocab.SKOS
MANIFEST = "regles.ttl"


def fold(text: str) -> str:
    """Lower case, no accents, one kind of apostrophe, single spaces."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.replace("\u2019", "'").replace("\u00a0", " ").replace("\u202f", " ")
    return " ".join(text.casefold().split())


@dataclass(frozen=True)
class Notations:
    """Annex column -> {key: concept IRI}; keys are notations (case folded) and, for the
    columns in ``labels``, folded labels too."""

    columns: dict[str, dict[str, str]] = field(default_factory=dict)
    labels: frozenset[str] = frozenset()
    #: column -> {concept of the scope column: {key: concept}}, for schemes marked
    #: ``slx:scopedBy "cible"``: a modality is looked up among the target activity's own
    scoped: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)

    def concept(self, column: str, value: str, scope: str | None = None) -> str | None:
        if column in self.scoped:
            known = self.scoped[column].get(scope or "")
            if not known or not value:
                return None
            return known.get(value) or known.get(value.casefold()) or known.get(fold(value))
        known = self.columns.get(column)
        if not known or not value:
            return None
        found = known.get(value) or known.get(value.casefold())
        if found is None and column in self.labels:
            found = known.get(fold(value))
        return found

    def knows(self, column: str) -> bool:
        """Whether a scheme of the rule set gives values to this column."""
        return column in self.columns or column in self.scoped

    def notations(self, column: str) -> set[str]:
        """The notations of a column (not the labels)."""
        return {k for k, v in self.columns.get(column, {}).items() if v.rsplit("/", 1)[-1] == k}


@dataclass(frozen=True)
class RuleSet:
    name: str
    iri: str
    label: str
    start: date | None
    end: date | None
    encodes: tuple[str, ...]
    basis: tuple[str, ...]
    shapes_dir: Path
    ontology_dir: Path

    def covers(self, day: date) -> bool:
        return (self.start is None or self.start <= day) and (self.end is None or day <= self.end)

    def period(self) -> str:
        start = self.start.isoformat() if self.start else "…"
        end = self.end.isoformat() if self.end else "…"
        return f"{start} to {end}"

    def shape_triples(self) -> terms.Graph:
        """The shapes graph: shapes/<name>/*.ttl, manifest included (read once)."""
        return _parse((str(self.shapes_dir),))

    def vocabulary_triples(self) -> terms.Graph:
        """The vocabulary graph: ontology/*.ttl (shared classes) and ontology/<name>/*.ttl (read once)."""
        return _parse((str(paths.ONTOLOGY), str(self.ontology_dir)))

    def shapes(self):
        """The shapes graph in rdflib (built once from :meth:`shape_triples`; do not modify)."""
        return self.shape_triples().rdflib()

    def vocabulary(self):
        """The vocabulary graph in rdflib (built once from :meth:`vocabulary_triples`; do not modify)."""
        return self.vocabulary_triples().rdflib()

    def files(self) -> list[Path]:
        """Every Turtle file of the rule set (its vocabulary, then its shapes)."""
        return (paths.files_of(self.ontology_dir, "*.ttl", f"the vocabulary of {self.name}")
                + paths.files_of(self.shapes_dir, "*.ttl", f"the shapes of {self.name}"))

    def notations(self) -> Notations:
        return _notations((str(paths.ONTOLOGY), str(self.ontology_dir)))


def _triples(f: Path) -> list:
    """A bundled Turtle file's triples; RuleSetError naming the file and line if it is not valid."""
    try:
        return terms.file_triples(f)
    except DataError as e:
        raise RuleSetError(e.message.replace("not valid RDF", "not valid Turtle"), e.file, e.line) from None


@lru_cache(maxsize=None)
def _parse(folders: tuple[str, ...]) -> terms.Graph:
    return terms.Graph(t for folder in folders
                       for f in paths.files_of(Path(folder), "*.ttl", f"the Turtle files of {Path(folder).name}/")
                       for t in _triples(f))


def _iri(name: str) -> str:
    return f"<{name}>"


_SKOS_IN_SCHEME, _SKOS_NOTATION = _iri(SKOS + "inScheme"), _iri(SKOS + "notation")
_SKOS_LABELS = tuple(_iri(SKOS + p) for p in ("prefLabel", "altLabel", "hiddenLabel"))
_TRUE = f'"true"^^<{vocab.XSD}boolean>'


@lru_cache(maxsize=None)
def _notations(folders: tuple[str, ...]) -> Notations:
    g = _parse(folders)
    plain = terms.plain
    columns: dict[str, dict[str, str]] = {}
    scoped: dict[str, dict[str, dict[str, str]]] = {}
    labels = set()
    for scheme, column in g.subject_objects(_iri(SLX + "annexColumn")):
        col = plain(column)
        by_scope = g.value(scheme, _iri(SLX + "scopedBy")) is not None
        known = columns.setdefault(col, {})
        with_labels = g.value(scheme, _iri(SLX + "matchLabels")) == _TRUE
        if with_labels:
            labels.add(col)
        for concept in sorted((c for c in g.subjects(_SKOS_IN_SCHEME, scheme) if c[0] == "<"), key=plain):
            iri = plain(concept)
            if by_scope:  # keys are unique within the scope (the activity), not across it
                scope = g.value(concept, _iri(SLX + "modaliteDe"))
                known = scoped.setdefault(col, {}).setdefault(plain(scope) if scope else "", {})
            for n in map(plain, g.objects(concept, _SKOS_NOTATION)):
                known[n] = iri
                known.setdefault(n.casefold(), iri)
                if with_labels:
                    known.setdefault(fold(n), iri)
            if with_labels:
                for p in _SKOS_LABELS:
                    for label in g.objects(concept, p):
                        known.setdefault(fold(plain(label)), iri)
    for col, scopes in scoped.items():
        for scope, known in scopes.items():  # a key two concepts of one scope share names neither
            named: dict[str, set[str]] = {}
            for concept in set(known.values()):
                for p in (_SKOS_NOTATION, *_SKOS_LABELS):
                    for label in g.objects(_iri(concept), p):
                        named.setdefault(fold(plain(label)), set()).add(concept)
            for key in [k for k in known if len(named.get(fold(k), ())) > 1]:
                del known[key]
    return Notations(columns={c: k for c, k in columns.items() if c not in scoped}, labels=frozenset(labels),
                     scoped=scoped)


@lru_cache(maxsize=1)
def available() -> tuple[RuleSet, ...]:
    """Every rule set under shapes/, by start date."""
    found = []
    root = paths.require(paths.SHAPES, "the SHACL shapes")
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        if (folder / MANIFEST).is_file():
            found.append(_manifest(folder))
    return tuple(sorted(found, key=lambda r: (r.start or date.min, r.name)))


def _manifest(folder: Path) -> RuleSet:
    shown = str(folder / MANIFEST)
    g = terms.Graph(_triples(folder / MANIFEST))
    nodes = g.subjects(_iri(vocab.RDF + "type"), _iri(SLX + "RuleSet"))
    if len(nodes) != 1:
        raise RuleSetError(f"a manifest has one slx:RuleSet node ({len(nodes)} found)", shown)
    node = nodes[0]

    def text(p: str) -> str | None:
        v = g.value(node, _iri(p))
        return None if v is None else terms.plain(v)

    name = text(vocab.DCTERMS + "identifier") or ""
    if name != folder.name:
        raise RuleSetError(f"dcterms:identifier {name!r} is not the folder's name {folder.name!r}", shown)

    def day(p: str) -> date | None:
        v = text(p)
        if v is None:
            return None
        try:
            return date.fromisoformat(v)
        except ValueError:
            raise RuleSetError(f"{p.split('#')[-1]} {v!r} is not a date", shown) from None

    start, end = day(SLX + "applicableFrom"), day(SLX + "applicableUntil")
    if start is None:
        raise RuleSetError("a rule set says from when it applies (slx:applicableFrom)", shown)
    return RuleSet(name=name, iri=terms.plain(node), label=text(vocab.RDFS + "label") or name, start=start,
                   end=end, encodes=tuple(sorted(map(terms.plain, g.objects(node, _iri(SLX + "encodes"))))),
                   basis=tuple(sorted(map(terms.plain, g.objects(node, _iri(SLX + "periodBasis"))))),
                   shapes_dir=folder, ontology_dir=paths.ONTOLOGY / folder.name)


def periods() -> str:
    """'oqos-2005 (2005-02-03 to 2023-05-31), …' for messages."""
    return ", ".join(f"{r.name} ({r.period()})" for r in available())


def get(name: str) -> RuleSet:
    for r in available():
        if r.name == name:
            return r
    raise RuleSetError(f"no rule set {name!r}; rule sets: {periods() or 'none'}")


def in_force(day: date | None, what: str = "date") -> RuleSet:
    """The rule set in force on ``day``: the latest to start among those whose period covers it."""
    if not available():
        raise RuleSetError(f"no rule set under {paths.SHAPES} (each is a folder with {MANIFEST})")
    if day is None:
        raise RuleSetError(f"no {what} to choose the law by (give --law DATE); rule sets: {periods()}")
    covering = [r for r in available() if r.covers(day)]
    if not covering:
        raise RuleSetError(f"no rule set in force on {day.isoformat()} ({what}); rule sets: {periods()}")
    return covering[-1]
