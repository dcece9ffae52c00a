"""Shared fixtures: the seed texts parsed once, and a store built from the seeds."""
from __future__ import annotations

from pathlib import Path

import pytest

from santelex.ingest import registry
from santelex import api, paths

FIXTURES = Path(__file__).parent / "fixtures"


def read_one(path: Path):
    docs = []
    for item in registry.iter_inputs(path):
        docs.extend(registry.read_input(item))
    return docs


@pytest.fixture(scope="session")
def r1434_4():
    return read_one(paths.SEEDS / "r1434-4-sros-version.md")[0]


@pytest.fixture(scope="session")
def decree():
    return read_one(paths.SEEDS / "decret-2005-76-jo.txt")[0]


@pytest.fixture(scope="session")
def seed_store(tmp_path_factory):
    """A store holding the two seed texts (not the CSP: fast)."""
    path = tmp_path_factory.mktemp("seedstore") / "store"
    api.build([paths.SEEDS / "r1434-4-sros-version.md", paths.SEEDS / "decret-2005-76-jo.txt"], path)
    store = api.open_store(path, read_only=True)
    yield store
    store.close()
