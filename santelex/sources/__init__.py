"""Where texts come from beyond local files: Legifrance's API, DILA's archives' updates."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable

if TYPE_CHECKING:
    from santelex.builder.stats import BuildStats
    from santelex.sources.legifrance import Config, Fetched


@dataclass
class Fetch:
    """What :func:`fetch` got and loaded: the answers, the calls made to Legifrance and those
    answered from the cache, and the build's counts."""

    fetched: "Fetched"
    calls: int
    cached: int
    stats: "BuildStats"


def fetch(*what: str, codes: Iterable[str] = (), store=None, config: "Config | None" = None,
          versions: bool | None = None, refresh: bool = False, progress=None) -> Fetch:
    """Ask Legifrance for each article or text of ``what`` (with every version of an article
    unless ``versions`` is False) and each code of ``codes`` (its versions only if ``versions``),
    then load every answer into the store, all or nothing."""
    from santelex.errors import UsageError
    from santelex.sources import legifrance

    codes = list(codes)
    if not what and not codes:
        raise UsageError("nothing to fetch: name an article or a text, or give --code")
    fetched = legifrance.Fetched()
    with legifrance.Client(config or legifrance.load_config(), refresh=refresh) as client:
        for w in what:
            legifrance.fetch(client, w, versions=versions is not False, out=fetched)
        for code in codes:
            legifrance.fetch_code(client, code, out=fetched, versions=bool(versions), progress=progress)
        calls, cached = client.calls, client.cached
        stats = legifrance.load_answers(fetched, store, progress=progress)
    return Fetch(fetched, calls, cached, stats)
