"""Text helpers every reader shares and that need nothing else of santelex."""
from __future__ import annotations

import re
import unicodedata

__all__ = ["slugify"]


def slugify(title: str) -> str:
    """The corpus's slug of a heading: no accents, no apostrophes, words joined by '-'."""
    text = unicodedata.normalize("NFKD", title)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = text.replace("'", "").replace("\u2019", "").replace("œ", "oe")
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")
