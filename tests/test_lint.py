"""ruff, as configured in pyproject.toml (pyflakes and import order), finds nothing; nor does mypy on
the contract, the store, the build engine and the services."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ruff_is_clean():
    r = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "."], cwd=ROOT,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]


#: what mypy checks (issue 15): the contract, the store (its protocol and both kinds), the build engine
#: and the services (query, cite, show)
TYPED = ["santelex/model.py", "santelex/errors.py", "santelex/store", "santelex/builder", "santelex/services"]


def test_mypy_is_clean():
    import tomllib
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mypy"]
    assert config["files"] == TYPED  # ``mypy`` alone checks the same paths
    r = subprocess.run([sys.executable, "-m", "mypy", "--no-incremental", "--cache-dir", os.devnull, *TYPED], cwd=ROOT,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
    assert "Success: no issues found in" in r.stdout
