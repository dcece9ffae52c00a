"""The HTTP face: a SPARQL 1.1 endpoint and the web pages, one server."""
