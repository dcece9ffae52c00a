"""Where santelex finds its bundled data and keeps its store."""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
SEEDS = DATA / "seeds"
CSP_ARCHIVE = DATA / "corpus" / "code-de-la-sante-publique.tar.xz"
ARTICLES_INDEX = DATA / "corpus" / "articles-index.tsv.xz"
ONTOLOGY = ROOT / "ontology"
SHAPES = ROOT / "shapes"
QUERIES = ROOT / "queries"
EXAMPLES = ROOT / "examples"

#: the date of the Legifrance snapshot the bundled corpus was taken from
CORPUS_SNAPSHOT = "2023-12-06"


def default_store() -> Path:
    """``$SANTELEX_STORE``, else ``$XDG_DATA_HOME/santelex/store`` (``~/.local/share/…``)."""
    if os.environ.get("SANTELEX_STORE"):
        return Path(os.environ["SANTELEX_STORE"])
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "santelex" / "store"
