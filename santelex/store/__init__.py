"""Open a store by the name a user gives: a folder (the embedded Oxigraph store) or
``sparql+http(s)://…`` (a SPARQL 1.1 server).

``Store`` is what both kinds offer (``santelex.store.local.Store`` and
``santelex.store.remote.RemoteStore`` satisfy it without naming it): every function that takes
a store of either kind is typed by it; ``Loader`` is what a store's ``transaction`` yields.
"""
from __future__ import annotations

import os
import re
from contextlib import AbstractContextManager
from pathlib import Path
from typing import IO, Any, Iterable, Protocol

import pyoxigraph as ox

from santelex import paths
from santelex.store.local import Store as LocalStore

__all__ = ["Loader", "Store", "open_store"]


class Loader(Protocol):
    """Writes into a staging copy that the transaction swaps in whole when its block ends."""

    @property
    def done(self) -> set[str]:
        """Inputs already loaded by an interrupted build of the same inputs (resumed)."""
        ...

    def replace_graph(self, graph: str, quads: Iterable[ox.Quad]) -> None: ...

    def load_nquads(self, graphs: Iterable[str], data: bytes) -> None: ...

    def commit(self, names: Iterable[str]) -> None: ...

    def flush(self) -> None: ...


class Store(Protocol):
    """A santelex store: the embedded Oxigraph folder or a SPARQL 1.1 server."""

    @property
    def path(self) -> Path | str:
        """The folder, or the ``sparql+http(s)://`` URL as shown to the user."""
        ...

    @property
    def read_only(self) -> bool: ...

    @property
    def exists(self) -> bool: ...

    def __enter__(self) -> Any: ...

    def __exit__(self, *exc: object) -> None: ...

    def close(self) -> None: ...

    def query(self, sparql: str, substitutions: dict[str, Any] | None = None, **kw: Any) -> Any:
        """The answer's kind is the query's: solutions (SELECT), a boolean (ASK), triples
        (CONSTRUCT, DESCRIBE); the default graph is the union of the named graphs."""
        ...

    def count(self) -> int: ...

    def count_quads(self) -> int: ...

    def named_graphs(self) -> list[str]: ...

    def dump(self, output: IO[bytes], format: str) -> None: ...

    def transaction(self, key: str = "") -> AbstractContextManager[Loader]: ...


def open_store(store_path: str | os.PathLike[str] | None = None, read_only: bool = False) -> Store:
    target = str(store_path) if store_path is not None else os.environ.get("SANTELEX_STORE", "")
    remote = re.match(r"sparql\+(https?):/+(.*)$", target)  # a Path folds "//" into "/"
    if remote:
        from santelex.store.remote import RemoteStore
        return RemoteStore(f"{remote.group(1)}://{remote.group(2)}", read_only=read_only)
    return LocalStore(store_path or paths.default_store(), read_only=read_only)
