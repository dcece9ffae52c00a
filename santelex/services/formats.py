"""The output formats of ``santelex query``, by name: no RDF library here, so that the command
line can offer them without loading one (santelex.services.query maps them to Oxigraph's)."""
from __future__ import annotations

#: name -> (media type, the pyoxigraph QueryResultsFormat member)
RESULTS = {
    "json": ("application/sparql-results+json", "JSON"),
    "xml": ("application/sparql-results+xml", "XML"),
    "csv": ("text/csv", "CSV"),
    "tsv": ("text/tab-separated-values", "TSV"),
}
#: name -> (media type, the pyoxigraph RdfFormat member), for CONSTRUCT and DESCRIBE
GRAPHS = {
    "turtle": ("text/turtle", "TURTLE"),
    "ntriples": ("application/n-triples", "N_TRIPLES"),
    "rdfxml": ("application/rdf+xml", "RDF_XML"),
    "jsonld": ("application/ld+json", "JSON_LD"),
}
FORMATS = ("table", *RESULTS, *GRAPHS)
