"""One error hierarchy for santelex.

    SantelexError(message, file=None, line=None)
     ├── ReadError      a source file cannot be read or parsed
     ├── StoreError     the store cannot be opened, written or reached
     ├── AnnexError     an annex of quantified objectives cannot be read
     ├── QueryError     a SPARQL query is malformed, refused or too slow
     ├── FetchError     Legifrance (API or archive) cannot give what was asked
     ├── UsageError     the user asked for something that does not exist
     └── RuleSetError   no rule set (shapes/<name>/) for this date or name, or a broken one

Third-party errors (lxml, rdflib, pyoxigraph, httpx) are wrapped once, where they
enter, with the file and line they concern.  The CLI prints ``str(error)``: one line.
"""
from __future__ import annotations


class SantelexError(Exception):
    def __init__(self, message: str, file: str | None = None, line: int | None = None,
                 column: int | None = None):
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.column = column

    def __reduce__(self):  # keep file and line across processes (parallel builds)
        return (type(self), (self.message, self.file, self.line, self.column))

    def __str__(self) -> str:
        place = ""
        if self.file:
            place = str(self.file)
            if self.line is not None:
                place += f":{self.line}"
                if self.column is not None:
                    place += f":{self.column}"
            place += ": "
        return (place + self.message).replace("\n", " ")


class ReadError(SantelexError):
    pass


class StoreError(SantelexError):
    pass


class AnnexError(SantelexError):
    pass


class QueryError(SantelexError):
    pass


class FetchError(SantelexError):
    pass


class UsageError(SantelexError):
    pass


class RuleSetError(SantelexError):
    """No rule set for this date or name, or a rule set folder that is not one."""
