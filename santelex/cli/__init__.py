"""The command line: ``santelex <command>`` (one module per command; the list is in main)."""
from santelex.cli.main import main

__all__ = ["main"]
