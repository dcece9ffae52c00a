"""Bad input: one clear line naming the file, exit 2, store untouched (issue 2)."""
import pytest
from click.testing import CliRunner

from santelex import paths
from santelex.cli import main


@pytest.fixture
def store(tmp_path):
    path = tmp_path / "store"
    res = CliRunner().invoke(main, ["build", "--quiet", "--store", str(path),
                                    str(paths.SEEDS / "r1434-4-sros-version.md")])
    assert res.exit_code == 0
    return path


def dump(store):
    res = CliRunner().invoke(main, ["export", "--store", str(store), "--format", "nquads"])
    return sorted(res.output.splitlines())


def run_bad(store, path, *extra):
    before = dump(store)
    res = CliRunner().invoke(main, ["build", "--quiet", "--store", str(store), *extra, str(path)])
    assert res.exit_code == 2, res.output
    lines = [line for line in res.output.splitlines() if line.strip()]
    assert len(lines) == 1, res.output
    assert "Traceback" not in res.output
    assert dump(store) == before
    return lines[0]


def test_empty_file(store, tmp_path):
    f = tmp_path / "empty.md"
    f.write_bytes(b"")
    assert "empty.md" in run_bad(store, f) and "empty file" in run_bad(store, f)


def test_binary_file(store, tmp_path):
    f = tmp_path / "blob.md"
    f.write_bytes(bytes(range(256)) * 4)
    assert "blob.md" in run_bad(store, f)


def test_latin1_text(store, tmp_path):
    f = tmp_path / "latin1.md"
    f.write_bytes("# Article R1\n\n<p>Activité de soins</p>".encode("latin-1"))
    line = run_bad(store, f)
    assert "latin1.md:3" in line and "UTF-8" in line


def test_unknown_format(store, tmp_path):
    f = tmp_path / "notes.csv"
    f.write_text("a,b\n1,2\n")
    assert "unknown format" in run_bad(store, f)


def test_forced_unknown_format(store, tmp_path):
    assert "unknown format 'pdf'" in run_bad(store, paths.SEEDS / "r1434-4-sros-version.md",
                                            "--format", "pdf")


def test_missing_path(store, tmp_path):
    assert "no such file" in run_bad(store, tmp_path / "nope.md")


def test_markdown_without_heading(store, tmp_path):
    f = tmp_path / "x.md"
    f.write_text("<p>no heading</p>")
    assert "x.md:1" in run_bad(store, f)


def test_truncated_jo_text(store, tmp_path):
    f = tmp_path / "decret.txt"
    text = (paths.SEEDS / "decret-2005-76-jo.txt").read_text()
    f.write_text(text[:text.index("Article 1")])
    assert "decret.txt" in run_bad(store, f)


def test_truncated_archive(store, tmp_path):
    data = paths.CSP_ARCHIVE.read_bytes()
    f = tmp_path / "csp.tar.xz"
    f.write_bytes(data[: len(data) // 50])
    assert "broken archive" in run_bad(store, f)
