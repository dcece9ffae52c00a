"""santelex as its users install it: a wheel in a fresh venv, run from an empty folder.

The wheel is built from the checkout and again from the sdist (they must hold the same files);
it is installed with its dependencies into a new virtual environment outside the checkout, and
the README's commands are run there: validate both example annexes (the same report as the
checkout gives), list the named queries, build the default inputs, show an article.  Then the
installed package is damaged on purpose (shapes, queries, the articles index removed): every
command that needs what is gone says so in one line and exits 2, never answers from nothing.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import venv
import zipfile
from pathlib import Path

import pytest

from santelex import paths

ROOT = Path(__file__).resolve().parent.parent


def _run(cmd, cwd, env=None, timeout=900):
    return subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)


def _clean_copy(dest: Path) -> Path:
    """The checkout's files (tracked or new, not ignored) copied to ``dest``: no build/ folder
    left over from an earlier build can slip stale modules into the wheel."""
    r = _run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], ROOT)
    assert r.returncode == 0, r.stderr
    for name in filter(None, r.stdout.split("\0")):
        src = ROOT / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    return dest


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    """The wheel built from the checkout, the sdist, and the wheel built from that sdist."""
    out = tmp_path_factory.mktemp("dist")
    src = _clean_copy(tmp_path_factory.mktemp("source"))
    r = _run([sys.executable, "-m", "build", "--sdist", "--wheel", "--outdir", out / "checkout", src], src)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    sdist = next((out / "checkout").glob("santelex-*.tar.gz"))
    r = _run([sys.executable, "-m", "build", "--wheel", "--outdir", out / "from-sdist", sdist], out)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    return {"wheel": next((out / "checkout").glob("santelex-*.whl")), "sdist": sdist,
            "wheel2": next((out / "from-sdist").glob("santelex-*.whl"))}


@pytest.fixture(scope="module")
def installed(dist, tmp_path_factory):
    """A fresh venv (outside the checkout) with the wheel and its dependencies installed."""
    where = tmp_path_factory.mktemp("fresh")
    env_dir = where / "venv"
    venv.create(env_dir, with_pip=True)
    py = env_dir / "bin" / "python"
    r = _run([py, "-m", "pip", "install", "--disable-pip-version-check", "-q", dist["wheel"]], where)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    empty = where / "empty"
    empty.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "SANTELEX_STORE", "VIRTUAL_ENV")}
    env["PATH"] = f"{env_dir / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["SANTELEX_STORE"] = str(where / "store")
    site = Path(_run([py, "-c", "import santelex, pathlib; print(pathlib.Path(santelex.__file__).parent)"],
                     empty, env).stdout.strip())
    return {"bin": env_dir / "bin" / "santelex", "py": py, "cwd": empty, "env": env, "site": site}


def test_wheel_holds_everything_under_santelex(dist):
    names = zipfile.ZipFile(dist["wheel"]).namelist()
    top = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert top == {"santelex"}  # no top-level 'ingest' to collide with users' packages
    for needed in ("santelex/ingest/registry.py", "santelex/ingest/citations/find.py",
                   "santelex/data/corpus/code-de-la-sante-publique.tar.xz",
                   "santelex/data/corpus/articles-index.tsv.xz", "santelex/data/corpus/snapshots.tsv",
                   "santelex/data/seeds/decret-2005-76-jo.txt", "santelex/web/templates/article.html",
                   "santelex/web/static/style.css"):
        assert needed in names, needed
    for folder, pattern in (("shapes", "*.ttl"), ("ontology", "*.ttl"), ("queries", "*.rq")):
        for f in (ROOT / folder).rglob(pattern):
            assert f"santelex/{folder}/{f.relative_to(ROOT / folder).as_posix()}" in names, f
    meta = next(n for n in names if n.endswith(".dist-info/METADATA"))
    text = zipfile.ZipFile(dist["wheel"]).read(meta).decode()
    assert "License-Expression: MIT AND etalab-2.0" in text
    assert any(n.endswith("licenses/LICENSE") for n in names)
    assert any(n.endswith("licenses/LICENSE-DATA") for n in names)


def test_sdist_builds_the_same_wheel(dist):
    def content(w):
        z = zipfile.ZipFile(w)
        return {n: z.read(n) for n in z.namelist() if not n.endswith("RECORD")}
    assert content(dist["wheel"]) == content(dist["wheel2"])
    members = tarfile.open(dist["sdist"]).getnames()
    assert any(m.endswith("/setup.py") for m in members)


def _checkout_report(annex: Path) -> dict:
    r = _run([sys.executable, "-m", "santelex.cli", "validate", annex, "--format", "json"], ROOT)
    assert r.returncode in (0, 1), r.stderr
    return json.loads(r.stdout)


@pytest.mark.parametrize("annex,code", [("annexe-2006", 0), ("annexe-erreurs", 1)])
def test_installed_validates_the_examples_as_the_checkout(installed, annex, code):
    path = paths.EXAMPLES / annex
    r = _run([installed["bin"], "validate", path, "--format", "json"], installed["cwd"], installed["env"])
    assert r.returncode == code, r.stderr
    report = json.loads(r.stdout)
    assert report == _checkout_report(path)
    if code:
        assert len(report["results"]) >= 20


def test_installed_lists_the_named_queries(installed):
    r = _run([installed["bin"], "query", "--list"], installed["cwd"], installed["env"])
    assert r.returncode == 0, r.stderr
    for f in (ROOT / "queries").glob("*.rq"):
        assert f.stem in r.stdout


def test_installed_builds_and_shows(installed):
    r = _run([installed["bin"], "build", "--quiet"], installed["cwd"], installed["env"])
    assert r.returncode == 0, r.stderr
    r = _run([installed["bin"], "show", "CSP R1434-4"], installed["cwd"], installed["env"])
    assert r.returncode == 0, r.stderr
    # the corpus's version is in force (the archive is known by its content), the seed's is not
    flags = [line for line in r.stdout.splitlines() if line.lstrip().startswith("[")]
    assert any(line.lstrip().startswith("[in force]") and "code-de-la-sante-publique.tar.xz" in line for line in flags)
    assert any(line.lstrip().startswith("[not in force]") and "r1434-4-sros-version.md" in line for line in flags)
    r = _run([installed["bin"], "cite", "--dangling"], installed["cwd"], installed["env"])
    assert r.returncode == 1, r.stderr  # the CSP cites articles no longer in their code
    assert len([line for line in r.stdout.splitlines() if "→" in line or "->" in line]) > 100


def test_installed_refuses_when_its_files_are_missing(installed):
    """Last: it damages the installation.  Missing parts give one line and exit 2."""
    site = installed["site"]
    annex = paths.EXAMPLES / "annexe-erreurs"
    run = lambda *a: _run([installed["bin"], *a], installed["cwd"], installed["env"])  # noqa: E731
    shutil.rmtree(site / "shapes")
    r = run("validate", annex)
    assert r.returncode == 2 and "shapes" in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    r = run("validate", annex, "--engine", "pyshacl")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    shutil.rmtree(site / "queries")
    r = run("query", "--list")
    assert r.returncode == 2 and "named queries" in r.stderr and "Traceback" not in r.stderr
    (site / "data" / "corpus" / "articles-index.tsv.xz").unlink()
    r = run("cite", "extract", paths.SEEDS / "r1434-4-sros-version.md")
    assert r.returncode == 2 and "index" in r.stderr and "Traceback" not in r.stderr


def test_nothing_imports_a_top_level_ingest():
    """In the checkout a top-level ``ingest`` is importable from the working directory; installed,
    there is none: every import goes through ``santelex.ingest``."""
    import ast
    bad = []
    for folder in ("santelex", "ingest", "tests", "bench"):
        for f in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
                names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                         else [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else [])
                bad += [f"{f.relative_to(ROOT)}:{node.lineno} {n}" for n in names
                        if n == "ingest" or n.startswith("ingest.")]
    assert not bad, bad
