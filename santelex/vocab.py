"""The namespaces of the graph and their prefixes, in one table.

ELI for the law (``eli:``), SKOS for the rule sets' vocabularies, PROV-O for where each
version comes from, SHACL for the rules, and santelex's own terms (``slx:``).  The RDF
mapping (ingest/to_rdf.py), the store's Turtle and RDF/XML, the services' queries, the
validation and the command line's tables all take them from here; the named queries
(queries/*.rq) are public SPARQL files and declare their own PREFIX lines, which a test
checks against this table.  Pure data: importing it loads nothing.
"""
from __future__ import annotations

__all__ = ["BASE", "DCTERMS", "ELI", "OWL", "PREFIXES", "PROV", "RDF", "RDFS", "SH", "SKOS", "SLX", "SLXSH", "XSD",
           "sparql_prefixes"]

#: santelex's URIs (minted in santelex/uris.py) and its own terms
BASE = "https://data.santelex.fr/"
SLX = BASE + "ontology#"
#: the OQOS rules' own terms (shapes/*/: the shapes, their messages)
SLXSH = BASE + "shapes/oqos#"
ELI = "http://data.europa.eu/eli/ontology#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
PROV = "http://www.w3.org/ns/prov#"
DCTERMS = "http://purl.org/dc/terms/"
SH = "http://www.w3.org/ns/shacl#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
XSD = "http://www.w3.org/2001/XMLSchema#"

#: prefix -> namespace, as the store writes Turtle and RDF/XML and the command line shows IRIs
PREFIXES = {
    "eli": ELI,
    "slx": SLX,
    "prov": PROV,
    "skos": SKOS,
    "xsd": XSD,
    "owl": OWL,
    "rdfs": RDFS,
    "sh": SH,
    "rdf": RDF,
    "dcterms": DCTERMS,
    "slxsh": SLXSH,
}


def sparql_prefixes(*names: str) -> str:
    """``PREFIX name: <namespace>`` lines for a query, one per name (all when none given)."""
    return "".join(f"PREFIX {n}: <{PREFIXES[n]}>\n" for n in names or PREFIXES)
