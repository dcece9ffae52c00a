"""santelex: French health-care planning law as a knowledge graph.

The public API, pinned by ``tests/test_api.py``: the verbs :func:`build`, :func:`fetch`,
:func:`update`, :func:`validate`, :func:`query`, :func:`cite`, :func:`show`,
:func:`open_store` (``santelex/_api.py``) and the errors (``santelex/errors.py``).  They are
loaded when first used, so that ``import santelex.model`` loads nothing else of santelex.
Everything else is internal and may change.
"""
from __future__ import annotations

_VERBS = ("build", "fetch", "update", "validate", "query", "cite", "show", "open_store")
_ERRORS = ("SantelexError", "ReadError", "StoreError", "AnnexError", "QueryError", "FetchError",
           "UsageError", "RuleSetError")

__all__ = [*_VERBS, *_ERRORS]


def __getattr__(name: str):
    if name in _VERBS:
        from santelex import _api as home
    elif name in _ERRORS:
        from santelex import errors as home
    else:
        raise AttributeError(f"module 'santelex' has no attribute {name!r}")
    value = getattr(home, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
