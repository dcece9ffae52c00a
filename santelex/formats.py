"""The formats santelex reads and writes, in one table: RDF serialisations and SPARQL results.

Each format has the name users type (``--format``, ``?format=``), its media types (the first
is the one santelex answers with; the others are accepted in ``Accept`` and ``?format=``) and
the file suffixes it is known by.  The build (folders of .ttl files load: ingest/registry.py),
the store's dump and ``santelex export``, ``santelex query --format``, the endpoint's content
negotiation, the web pages and validation's ``--data``/``--shapes`` all read it.  Pure data:
importing it loads nothing (pyoxigraph only when ``oxigraph()`` is called).
"""
from __future__ import annotations

import os
from dataclasses import dataclass

__all__ = ["Format", "GRAPH", "RDF", "RESULTS", "by_name", "by_suffix", "oxigraph"]


@dataclass(frozen=True)
class Format:
    name: str
    media_types: tuple[str, ...]
    suffixes: tuple[str, ...]
    #: "graph" (triples), "dataset" (quads in named graphs) or "results" (SPARQL SELECT/ASK)
    kind: str
    #: the member of pyoxigraph's RdfFormat or QueryResultsFormat
    oxigraph_name: str
    #: santelex writes it (export, query, the endpoint); otherwise it is only read
    written: bool = True

    @property
    def media_type(self) -> str:
        return self.media_types[0]


#: RDF serialisations; the graph formats in the endpoint's order of preference
RDF = (
    Format("turtle", ("text/turtle", "application/x-turtle"), (".ttl",), "graph", "TURTLE"),
    Format("ntriples", ("application/n-triples", "text/plain"), (".nt",), "graph", "N_TRIPLES"),
    Format("rdfxml", ("application/rdf+xml", "application/xml", "text/xml"), (".rdf", ".owl", ".xml"),
           "graph", "RDF_XML"),
    Format("jsonld", ("application/ld+json", "application/json"), (".jsonld",), "graph", "JSON_LD"),
    Format("nquads", ("application/n-quads",), (".nq",), "dataset", "N_QUADS"),
    Format("trig", ("application/trig",), (".trig",), "dataset", "TRIG"),
    Format("n3", ("text/n3",), (".n3",), "graph", "N3", written=False),
)
#: the formats of a CONSTRUCT or DESCRIBE answer (triples)
GRAPH = tuple(f for f in RDF if f.kind == "graph" and f.written)
#: SPARQL results (SELECT, ASK), in the endpoint's order of preference
RESULTS = (
    Format("json", ("application/sparql-results+json", "application/json"), (".srj",), "results", "JSON"),
    Format("xml", ("application/sparql-results+xml", "application/xml", "text/xml"), (".srx",), "results", "XML"),
    Format("csv", ("text/csv",), (".csv",), "results", "CSV"),
    Format("tsv", ("text/tab-separated-values",), (".tsv",), "results", "TSV"),
)
_BY_NAME = {f.name: f for f in RDF + RESULTS}


def by_name(name: str) -> Format:
    """The format of this name (KeyError if none)."""
    return _BY_NAME[name]


def by_suffix(filename: str | os.PathLike) -> Format | None:
    """The RDF serialisation a file name says by its suffix, or None."""
    suffix = os.path.splitext(str(filename))[1].lower()
    return next((f for f in RDF if suffix in f.suffixes), None)


def oxigraph(fmt: Format | str):
    """The pyoxigraph format object (RdfFormat or QueryResultsFormat) of a format."""
    import pyoxigraph as ox

    f = fmt if isinstance(fmt, Format) else by_name(fmt)
    return getattr(ox.QueryResultsFormat if f.kind == "results" else ox.RdfFormat, f.oxigraph_name)
