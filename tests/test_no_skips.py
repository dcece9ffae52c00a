"""The suite cannot pass by skipping: a skipped test fails the run (tests/conftest.py), and
.ci/system-deps fails when it cannot install what the browser tests need.

Both are run for real here: pytest in a subprocess on a small test folder that uses this suite's
own conftest.py, and the shell script with a PATH where nothing can be found.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
SYSTEM_DEPS = HERE.parent / ".ci" / "system-deps"

SKIPPING = '''
import pytest

def test_passes():
    assert 1 + 1 == 2

@pytest.mark.skipif(True, reason="no chromium here")
def test_marked():
    pass

def test_skips_itself():
    pytest.skip("no oxigraph server here")

@pytest.mark.xfail(reason="known", strict=True)
def test_expected_to_fail():
    assert False
'''

SKIPPING_MODULE = '''
import pytest
pytest.importorskip("santelex_no_such_module", reason="no such part here")

def test_never_collected():
    pass
'''


def pytest_run(folder: Path, *args: str, allow: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("SANTELEX_ALLOW_SKIPS", "PYTEST_ADDOPTS")}
    if allow is not None:
        env["SANTELEX_ALLOW_SKIPS"] = allow
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args],
                          cwd=folder, env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture
def folder(tmp_path) -> Path:
    shutil.copy(HERE / "conftest.py", tmp_path / "conftest.py")
    (tmp_path / "test_skipping.py").write_text(SKIPPING)
    return tmp_path


def test_a_skip_fails_the_run_and_says_why(folder):
    r = pytest_run(folder)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "1 passed" in r.stdout and "1 xfailed" in r.stdout and "skipped" not in r.stdout.splitlines()[-1]
    assert "skipped, and a skip is a failure here" in r.stdout
    assert "no chromium here" in r.stdout and "no oxigraph server here" in r.stdout
    for name in ("test_marked", "test_skips_itself"):
        assert f"test_skipping.py::{name}" in r.stdout
    assert "test_passes" not in r.stdout  # a test that passes is not reported as failing


def test_a_module_that_skips_itself_whole_fails(folder):
    (folder / "test_skipping.py").write_text("def test_passes():\n    pass\n")
    (folder / "test_whole.py").write_text(SKIPPING_MODULE)
    r = pytest_run(folder)
    assert r.returncode == 2, r.stdout + r.stderr  # interrupted, as by a module that cannot be imported
    assert "no such part here" in r.stdout and "skipped, and a skip is a failure here" in r.stdout
    r = pytest_run(folder, allow="1")
    assert r.returncode == 0 and "1 passed, 1 skipped" in r.stdout, r.stdout + r.stderr


def test_skips_allowed_outside_ci_are_listed_with_their_reasons(folder):
    r = pytest_run(folder, allow="1")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "1 passed, 2 skipped, 1 xfailed" in r.stdout
    assert "SKIPPED [1] test_skipping.py" in r.stdout  # -rs, with no option given
    assert "no chromium here" in r.stdout and "no oxigraph server here" in r.stdout
    r = pytest_run(folder, allow="yes")  # only "1" allows
    assert r.returncode == 1


def test_the_ci_script_never_allows_skips():
    text = (HERE.parent / ".ci" / "run").read_text()
    assert "unset SANTELEX_ALLOW_SKIPS" in text


def test_system_deps_fails_when_it_cannot_install(tmp_path):
    """No chromium and no apt-get on the PATH: CI fails here, loudly; a developer may go on."""
    env = {"PATH": str(tmp_path), "HOME": str(tmp_path)}
    bash = shutil.which("bash")
    r = subprocess.run([bash, str(SYSTEM_DEPS)], env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode != 0
    assert "chromium chromium-driver" in r.stderr and "no apt-get" in r.stderr
    r = subprocess.run([bash, str(SYSTEM_DEPS)], env={**env, "SANTELEX_ALLOW_SKIPS": "1"},
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "will skip" in r.stderr
