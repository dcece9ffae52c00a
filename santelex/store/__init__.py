"""Open a store by the name a user gives: a folder (the embedded Oxigraph store) or
``sparql+http(s)://…`` (a SPARQL 1.1 server)."""
from __future__ import annotations

import os
import re

from santelex import paths
from santelex.store.local import Store

__all__ = ["open_store"]


def open_store(store_path: str | os.PathLike | None = None, read_only: bool = False):
    target = str(store_path) if store_path is not None else os.environ.get("SANTELEX_STORE", "")
    remote = re.match(r"sparql\+(https?):/+(.*)$", target)  # a Path folds "//" into "/"
    if remote:
        from santelex.store.remote import RemoteStore
        return RemoteStore(f"{remote.group(1)}://{remote.group(2)}", read_only=read_only)
    return Store(store_path or paths.default_store(), read_only=read_only)
