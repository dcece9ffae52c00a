"""``santelex serve``: a read-only SPARQL 1.1 endpoint on the store."""
from __future__ import annotations

import ipaddress
import re
import socket

import click

from santelex._lazy import lazy
from santelex.cli.options import store_option

stores = lazy("santelex.store")
from santelex.errors import UsageError


def _check_port(host: str, port: int):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as e:
            raise UsageError(f"cannot listen on {host}:{port}: {e.strerror or e}") from None


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _host(entry: str) -> str:
    """An --allow-service entry: HOST or HOST:PORT, no scheme nor path."""
    entry = entry.strip().lower()
    host, _, port = entry.rpartition(":") if entry.count(":") == 1 else (entry, "", "")
    if not re.fullmatch(r"[a-z0-9._\-\[\]:]+", host or "x") or not host or (port and not port.isdigit()):
        raise UsageError(f"--allow-service takes a host name or host:port, not {entry!r}")
    return entry


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (loopback by default; the endpoint has no authentication).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--timeout", default=30.0, show_default=True, type=click.FloatRange(min=0.1),
              help="Seconds a query may run before it is stopped (503).")
@click.option("--max-results", default=10_000, show_default=True, type=click.IntRange(min=1),
              help="Rows (or triples) returned at most; the answer says when it was cut.")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(min=1),
              help="Queries answered at the same time (one process each).")
@click.option("--max-upload", default=20, show_default=True, type=click.IntRange(min=1),
              help="Largest annex the validation page accepts, in MB.")
@click.option("--allow-service", "allow_service", multiple=True, metavar="HOST[:PORT]",
              help="Let queries use SERVICE <http(s)://HOST…> (repeatable); without it every SERVICE is refused (400).")
@store_option
def command(host, port, timeout, max_results, workers, max_upload, allow_service, store):
    """Serve the store over the SPARQL 1.1 Protocol, read-only, at /sparql, and the web
    pages (article, citation neighbourhood, annex validation, SPARQL box) at /.

    \b
      GET  /sparql?query=…                        (Accept or ?format= picks the format)
      POST /sparql  application/sparql-query      or a form with query=…
    SELECT/ASK: SPARQL JSON (default), XML, CSV, TSV.  CONSTRUCT/DESCRIBE: Turtle
    (default), N-Triples, RDF/XML, JSON-LD.  Updates get 403; a query past --timeout
    is stopped (503); answers hold at most --max-results rows; a query's text at most
    1 MiB (413).  SERVICE clauses are refused (400) unless --allow-service names the
    host: the server sends no request anywhere else.  When every worker is busy, a client
    whose queries have been quick gets one more worker (queries stopped at 2 s there);
    others wait 2 s at most, then get 503 with Retry-After.  A build that replaces the
    store is seen by the next query.
    """
    from santelex.serve.server import serve
    st = stores.open_store(store, read_only=True)
    st.query("ASK { }")  # a missing or unreachable store is an error now, not at the first query
    st.close()
    _check_port(host, port)
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"santelex: pages at http://{shown}:{port}/ (article, validation, requête)", err=True)
    click.echo(f"santelex: SPARQL endpoint at http://{shown}:{port}/sparql (read-only; "
               f"queries stopped after {timeout:g} s; at most {max_results} rows); Ctrl-C stops it", err=True)
    if not _is_loopback(host):
        click.echo(f"santelex: warning: listening on {host}, not loopback: anyone who can reach this "
                   "machine can query the store", err=True)
    serve(str(store) if store else None, host=host, port=port, timeout=timeout,
          max_results=max_results, workers=workers, max_upload=max_upload * 1024 * 1024,
          allow_service=tuple(_host(h) for h in allow_service))
