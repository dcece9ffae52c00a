"""What the SPARQL endpoint and the pages share: a query's size cap, how a client is known."""
from __future__ import annotations

__all__ = ["MAX_QUERY_BYTES", "client_of"]

MAX_QUERY_BYTES = 1024 * 1024  #: a query's bytes at most (a POST body, a form's query=)


def client_of(request) -> str:
    """The key a client's share of the workers is counted by: its address."""
    return request.client.host if request.client else ""
