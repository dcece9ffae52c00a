"""Modules imported when first used, so that ``santelex --help`` loads no parser or store."""
from __future__ import annotations

import importlib.util
import sys
from types import ModuleType


def lazy(name: str) -> ModuleType:
    """``name``, loaded on its first attribute access (the module itself if already loaded)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ImportError(f"no module named {name!r}", name=name)
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    return module


class console:
    """A rich Console made on first use (rich takes a tenth of a second to import)."""

    def __init__(self, **options):
        self._options = options
        self._console = None

    def get(self):
        """The Console itself (for rich's own classes: Progress(console=…))."""
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._options)
        return self._console

    def __getattr__(self, name):
        return getattr(self.get(), name)
