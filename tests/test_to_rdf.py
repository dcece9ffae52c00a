"""The N-Quads writer (ingest/to_rdf.py) gives the graph the Quad-object mapping gave, quad for
quad (tests/reference_to_rdf.py is that mapping, kept as the reference): on the seeds, on every
fixture of the official formats, on a sample of the bundled CSP and on texts full of what
N-Triples must escape; and Oxigraph's lenient bulk loader, as a build calls it, stores them all."""
from __future__ import annotations

import dataclasses
from datetime import date

import pyoxigraph as ox
import pytest
import reference_to_rdf as reference
from conftest import FIXTURES
from hypothesis import given, settings
from hypothesis import strategies as st

from santelex import paths
from santelex.ingest import registry, to_rdf
from santelex.model import Reference
from santelex.store.local import bulk_load

SNAPSHOT = date(2023, 12, 6)


def new_quads(doc, name, snapshot=None, seen=None) -> list[ox.Quad]:
    lines = to_rdf.to_nquads(doc, name, snapshot=snapshot, seen=seen)
    return list(ox.parse("".join(lines).encode("utf-8"), format=ox.RdfFormat.N_QUADS))


def compare(items, snapshot=None) -> int:
    """Map every document of ``items`` both ways, each with its own plan memory; the sets of
    quads must be equal, and no line of N-Quads may be written twice where the reference wrote
    a quad once."""
    seen_old, seen_new, seen_load = set(), set(), set()
    old, new = set(), set()
    lines: list[str] = []
    n = 0
    for item in items:
        for doc in registry.read_input(item):
            ref = reference.to_quads(doc, item.name, snapshot=snapshot, seen=seen_old)
            ours = new_quads(doc, item.name, snapshot=snapshot, seen=seen_new)
            assert set(ours) == set(ref), item.name
            assert len(ours) == len(ref), item.name
            lines += to_rdf.to_nquads(doc, item.name, snapshot=snapshot, seen=seen_load)
            old.update(ref)
            new.update(ours)
            n += 1
    assert new == old
    # as a build loads them: Oxigraph's lenient bulk loader (no IRI check) stores the same quads
    loaded = ox.Store()
    bulk_load(loaded, "".join(lines).encode("utf-8"))
    assert set(loaded) == old
    return n


def test_seeds_and_fixtures_same_quads():
    items = list(registry.iter_inputs(paths.SEEDS))
    for folder in ("official/legi", "official/jorf", "official/piste", "official/html", "legi", "html",
                   "corpus"):
        items += list(registry.iter_inputs(FIXTURES / folder))
    assert compare(items) > 20
    assert compare(items, snapshot=SNAPSHOT) > 20


def test_csp_sample_same_quads():
    """One file in 20 of the CSP, and the articles with the most citations (R. 1521-6 cites
    thousands of articles), read as a build reads them (in force in the snapshot)."""
    items = [item for i, item in enumerate(registry.iter_inputs(paths.CSP_ARCHIVE))
             if i % 20 == 0 or item.name.rsplit("/", 1)[-1].startswith(("R1521-6.", "L1111-2."))]
    assert compare(items, snapshot=SNAPSHOT) > 600


def test_to_quads_is_the_parsed_text(r1434_4):
    assert set(to_rdf.to_quads(r1434_4, "x.md")) == set(reference.to_quads(r1434_4, "x.md"))


# what N-Triples must escape, and the rest of Unicode (no lone surrogates: not text)
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40) | st.sampled_from(
    ['"', "\\", "\n", "\r", "\t", "\x00", "\x7f", '\\"', "a\\nb", "é « » —", "<>", "\\u0041", "\U0001F600"])


@settings(max_examples=300, deadline=None)
@given(TEXT, TEXT, TEXT)
def test_any_text_same_quads(r1434_4, paragraph, surface, title):
    """The seed article with its text, a subdivision, a citation's words and its title replaced
    by arbitrary strings: the same quads as the reference, literal for literal."""
    sub = r1434_4.subdivisions[0]
    ref = Reference(surface, 0, len(surface), target_code="code-de-la-sante-publique",
                    target_article="L1434-7", pinpoint=(paragraph[:5] or "I",), link=title or None,
                    reason=surface or None)
    sub = dataclasses.replace(sub, text=paragraph, label=title or None, references=(ref,))
    art = dataclasses.replace(r1434_4, paragraphs=(paragraph, title), title=title or None,
                              nota=surface or None, subdivisions=(sub,) + r1434_4.subdivisions[1:])
    ours = new_quads(art, "any.md", snapshot=SNAPSHOT)
    assert set(ours) == set(reference.to_quads(art, "any.md", snapshot=SNAPSHOT))


@given(TEXT)
def test_literals_read_back(text):
    assert ox.Literal(text, language="fr") == next(iter(ox.parse(
        f"<a:s> <a:p> {to_rdf.fr(text)} .".encode("utf-8"), format=ox.RdfFormat.N_TRIPLES))).object
    assert ox.Literal(text) == next(iter(ox.parse(
        f"<a:s> <a:p> {to_rdf.lit(text)} .".encode("utf-8"), format=ox.RdfFormat.N_TRIPLES))).object


def test_foreign_iri_refused_as_before(decree):
    """An ELI read from a source that is not an IRI: refused as pyoxigraph refuses it."""
    bad = dataclasses.replace(decree, eli="https://www.legifrance.gouv.fr/eli/un texte>")
    with pytest.raises(ValueError):
        reference.to_quads(bad, "d.txt")
    with pytest.raises(ValueError):
        to_rdf.to_nquads(bad, "d.txt")
