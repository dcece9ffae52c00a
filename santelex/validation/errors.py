"""What validation refuses: shapes it does not evaluate, data it cannot read."""
from __future__ import annotations

from santelex.errors import SantelexError


class ShapeError(SantelexError):
    """A shape the engine does not evaluate (SHACL-SPARQL) or that is not well formed."""


class DataError(SantelexError):
    """A data or shapes file that cannot be read as RDF."""
