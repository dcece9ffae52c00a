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
    rs.shapes(), rs.vocabulary()         # rdflib graphs (parsed once; do not modify)
    rs.notations().concept("cible", "medecine")   # -> concept IRI, or None

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

__all__ = ["RuleSet", "Notations", "RuleSetError", "available", "get", "in_force", "fold", "periods"]

SLX = vocab.SLX
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

    def shapes(self):
        """The shapes graph: shapes/<name>/*.ttl, manifest included."""
        return _parse((str(self.shapes_dir),))

    def vocabulary(self):
        """The vocabulary graph: ontology/*.ttl (shared classes) and ontology/<name>/*.ttl."""
        return _parse((str(paths.ONTOLOGY), str(self.ontology_dir)))

    def files(self) -> list[Path]:
        """Every Turtle file of the rule set (its vocabulary, then its shapes)."""
        return (paths.files_of(self.ontology_dir, "*.ttl", f"the vocabulary of {self.name}")
                + paths.files_of(self.shapes_dir, "*.ttl", f"the shapes of {self.name}"))

    def notations(self) -> Notations:
        return _notations((str(paths.ONTOLOGY), str(self.ontology_dir)))


@lru_cache(maxsize=None)
def _parse(folders: tuple[str, ...]):
    import rdflib

    g = rdflib.Graph()
    for folder in folders:
        for f in paths.files_of(Path(folder), "*.ttl", f"the Turtle files of {Path(folder).name}/"):
            try:
                g.parse(f, format="turtle")
            except Exception as e:  # rdflib raises many kinds; name the file once
                raise RuleSetError(f"not valid Turtle: {e}", str(f)) from None
    return g


@lru_cache(maxsize=None)
def _notations(folders: tuple[str, ...]) -> Notations:
    from rdflib import Literal, Namespace, URIRef
    from rdflib.namespace import SKOS

    slx = Namespace(SLX)
    g = _parse(folders)
    columns: dict[str, dict[str, str]] = {}
    scoped: dict[str, dict[str, dict[str, str]]] = {}
    labels = set()
    for scheme, column in g.subject_objects(slx.annexColumn):
        col = str(column)
        by_scope = g.value(scheme, slx.scopedBy) is not None
        known = columns.setdefault(col, {})
        with_labels = g.value(scheme, slx.matchLabels) == Literal(True)
        if with_labels:
            labels.add(col)
        for concept in sorted(g.subjects(SKOS.inScheme, scheme)):
            if not isinstance(concept, URIRef):
                continue
            if by_scope:  # keys are unique within the scope (the activity), not across it
                known = scoped.setdefault(col, {}).setdefault(str(g.value(concept, slx.modaliteDe) or ""), {})
            for n in g.objects(concept, SKOS.notation):
                known[str(n)] = str(concept)
                known.setdefault(str(n).casefold(), str(concept))
                if with_labels:
                    known.setdefault(fold(str(n)), str(concept))
            if with_labels:
                for p in (SKOS.prefLabel, SKOS.altLabel, SKOS.hiddenLabel):
                    for label in g.objects(concept, p):
                        known.setdefault(fold(str(label)), str(concept))
    for col, scopes in scoped.items():
        for scope, known in scopes.items():  # a key two concepts of one scope share names neither
            named: dict[str, set[str]] = {}
            for concept in set(known.values()):
                for n in g.objects(URIRef(concept), SKOS.notation):
                    named.setdefault(fold(str(n)), set()).add(concept)
                for p in (SKOS.prefLabel, SKOS.altLabel, SKOS.hiddenLabel):
                    for label in g.objects(URIRef(concept), p):
                        named.setdefault(fold(str(label)), set()).add(concept)
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
    import rdflib
    from rdflib import RDF, RDFS, Namespace
    from rdflib.namespace import DCTERMS

    slx = Namespace(SLX)
    g = rdflib.Graph()
    shown = str(folder / MANIFEST)
    try:
        g.parse(folder / MANIFEST, format="turtle")
    except Exception as e:
        raise RuleSetError(f"not valid Turtle: {e}", shown) from None
    nodes = list(g.subjects(RDF.type, slx.RuleSet))
    if len(nodes) != 1:
        raise RuleSetError(f"a manifest has one slx:RuleSet node ({len(nodes)} found)", shown)
    node = nodes[0]
    name = str(g.value(node, DCTERMS.identifier) or "")
    if name != folder.name:
        raise RuleSetError(f"dcterms:identifier {name!r} is not the folder's name {folder.name!r}", shown)

    def day(p) -> date | None:
        v = g.value(node, p)
        if v is None:
            return None
        try:
            return date.fromisoformat(str(v))
        except ValueError:
            raise RuleSetError(f"{p.split('#')[-1]} {str(v)!r} is not a date", shown) from None

    start, end = day(slx.applicableFrom), day(slx.applicableUntil)
    if start is None:
        raise RuleSetError("a rule set says from when it applies (slx:applicableFrom)", shown)
    return RuleSet(name=name, iri=str(node), label=str(g.value(node, RDFS.label) or name), start=start, end=end,
                   encodes=tuple(sorted(str(o) for o in g.objects(node, slx.encodes))),
                   basis=tuple(sorted(str(o) for o in g.objects(node, slx.periodBasis))),
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
