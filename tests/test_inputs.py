"""Inputs read the same way everywhere, and 'in force' decided by what an archive holds.

- A folder loads every file a reader or an RDF parser knows (``.ttl`` included) and passes
  over, with a note, files of no known format (the seeds' README.md); a folder or an archive
  with nothing readable is one line and exit 2.
- The versions of an archive are in force when santelex knows the snapshot it holds: by the
  SHA-256 of its bytes (data/corpus/snapshots.tsv) wherever it lies, or by ``--snapshot``; a
  version read with no dates (the SROS seed) is never shown in force.
"""
from __future__ import annotations

import io
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from santelex import builder, paths
from santelex.builder.snapshots import members_of, snapshot_of
from santelex.ingest import registry
from santelex.store import open_store


def santelex(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "santelex.cli", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, timeout=600)


def _one_line_error(r):
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr


def test_seed_folder_builds_and_notes_its_readme(tmp_path):
    r = santelex("build", paths.SEEDS, "--store", tmp_path / "store")
    assert r.returncode == 0, r.stderr
    assert "note: seeds/README.md: skipped" in r.stderr
    assert "loaded 2 files" in r.stdout


def test_folder_of_turtle_loads(tmp_path):
    store = tmp_path / "store"
    stats = builder.build([paths.ONTOLOGY], store)
    assert stats.files == len(list(paths.ONTOLOGY.rglob("*.ttl"))) > 1     # the rule sets' folders too
    st = open_store(store, read_only=True)
    assert st.count() > 100
    st.close()


def test_cite_extract_reads_the_seed_folder():
    r = santelex("cite", "extract", paths.SEEDS)
    assert r.returncode == 0, r.stderr
    assert "seeds/README.md: skipped" in r.stderr
    assert r.stdout.count("\n") > 10


@pytest.mark.parametrize("kind", ["empty folder", "folder of notes", "archive of notes"])
def test_nothing_readable_is_refused(tmp_path, kind):
    target = tmp_path / "in"
    if kind == "empty folder":
        target.mkdir()
    elif kind == "folder of notes":
        target.mkdir()
        (target / "README.md").write_text("# Notes\nnothing here\n", encoding="utf-8")
        (target / "image.png").write_bytes(b"\x89PNG\r\n")
    else:
        target = tmp_path / "in.tar.gz"
        with tarfile.open(target, "w:gz") as tar:
            data = b"# Notes\n"
            info = tarfile.TarInfo("notes/README.rst")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    store = tmp_path / "store"
    r = santelex("build", target, "--store", store)
    _one_line_error(r)
    assert "nothing to read" in r.stderr and str(target) in r.stderr
    assert not store.exists() or not any(p.name.endswith(".staging") for p in tmp_path.iterdir())
    r = santelex("cite", "extract", target)
    _one_line_error(r)


def test_progress_counts_every_file_of_a_folder(tmp_path):
    ticks, totals = [], []

    def progress(name, total):
        (totals if name.startswith("start:") else ticks).append(total)

    folder = tmp_path / "seeds"
    shutil.copytree(paths.SEEDS, folder)
    builder.build([folder], tmp_path / "store", progress=progress)
    assert totals == [registry.count_members(folder)] == [3]
    assert len(ticks) == 3  # two texts and the README passed over


def test_cite_help_shows_the_lookup_options():
    r = santelex("cite", "--help")
    assert r.returncode == 0
    for option in ("--depth", "--path", "--dangling", "--store"):
        assert option in r.stdout


# -- in force ---------------------------------------------------------------------------------

def test_snapshot_known_by_content_wherever_it_lies(tmp_path):
    copy = tmp_path / "elsewhere" / "csp-copy.tar.xz"
    copy.parent.mkdir()
    shutil.copy(paths.CSP_ARCHIVE, copy)
    assert snapshot_of(copy) == snapshot_of(paths.CSP_ARCHIVE) == "2023-12-06"
    copy.write_bytes(copy.read_bytes()[:-1] + b"\x00")  # another archive: unknown
    assert snapshot_of(copy) is None


def test_manifest_counts_the_files_of_a_known_archive(tmp_path):
    # the progress bar's total without decompressing the archive a second time: the count the
    # manifest gives is the count of the archive's listing, and only a known archive has one
    assert members_of(paths.CSP_ARCHIVE) == registry.count_archive_members(paths.CSP_ARCHIVE) == 13238
    other = _small_archive(tmp_path)
    assert members_of(other) is None and registry.count_archive_members(other) == 2


def _small_archive(tmp_path) -> Path:
    """R1434-4 and L1434-7 of the bundled CSP, as a new archive santelex does not know."""
    out = tmp_path / "two-articles.tar.gz"
    wanted = ("/r1434-4.md", "/l1434-7.md")
    with tarfile.open(paths.CSP_ARCHIVE, "r|*") as src, tarfile.open(out, "w:gz") as dst:
        for m in src:
            if m.isfile() and m.name.endswith(wanted):
                dst.addfile(m, io.BytesIO(src.extractfile(m).read()))
    return out


def _flags(store, article="CSP R1434-4"):
    r = santelex("show", article, "--store", store)
    assert r.returncode == 0, r.stderr
    return [line.strip() for line in r.stdout.splitlines() if line.strip().startswith("[")], r.stdout


def test_the_seed_alone_is_not_in_force(tmp_path):
    store = tmp_path / "store"
    builder.build([paths.SEEDS / "r1434-4-sros-version.md"], store)
    flags, text = _flags(store)
    assert flags and all(f.startswith("[not in force]") for f in flags)
    assert "no dates" in flags[0]
    assert "No version is known to be in force" in text


def test_snapshot_flag_marks_an_unknown_archive(tmp_path):
    archive = _small_archive(tmp_path)
    plain, dated = tmp_path / "plain", tmp_path / "dated"
    builder.build([paths.SEEDS / "r1434-4-sros-version.md", archive], plain)
    flags, _ = _flags(plain)
    assert all(f.startswith("[not in force]") for f in flags)
    r = santelex("build", paths.SEEDS / "r1434-4-sros-version.md", archive, "--snapshot", "2023-12-06",
                 "--store", dated)
    assert r.returncode == 0, r.stderr
    flags, text = _flags(dated)
    current = [f for f in flags if f.startswith("[in force]")]
    assert len(current) == 1 and "Legifrance snapshot of 2023-12-06" in current[0]
    assert "two-articles.tar.gz" in current[0]
    assert "Le schéma régional de santé est élaboré" in text  # today's text, not the SROS one
    r = santelex("build", archive, "--snapshot", "6 décembre", "--store", tmp_path / "x")
    _one_line_error(r)


def test_a_bug_is_one_line_not_a_traceback(tmp_path, monkeypatch):
    """An unexpected error (a bug of santelex's, here forced) is one line and exit 70."""
    from click.testing import CliRunner

    from santelex.cli import main
    from santelex.services import show

    builder.build([paths.SEEDS / "r1434-4-sros-version.md"], tmp_path / "store")

    def broken(store, text):
        raise RuntimeError("forced\nfailure")

    monkeypatch.setattr(show, "render", broken)
    monkeypatch.delenv("SANTELEX_DEBUG", raising=False)
    r = CliRunner().invoke(main, ["show", "R1434-4", "--store", str(tmp_path / "store")])
    assert r.exit_code == 70
    lines = r.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("santelex: internal error: RuntimeError: forced failure")
    assert "Traceback" not in r.output


# --- archives are read by santelex's own tar reader (ingest/registry.py, _TarStream): the same
# members, names and bytes as Python's tarfile, whatever the tar format

def _by_tarfile(path: Path) -> list[tuple[str, bytes]]:
    out = []
    with registry.decompressed(path) as raw, tarfile.open(fileobj=raw, mode="r|") as tar:
        for m in tar:
            if m.isfile() and m.name.lower().endswith(registry._member_suffixes()):
                f = tar.extractfile(m)
                assert f is not None
                out.append((m.name[2:] if m.name.startswith("./") else m.name, f.read()))
            tar.members = []
    return out


def test_the_csp_archive_reads_as_tarfile_reads_it():
    ours = [(i.name, i.data) for i in registry.iter_inputs(paths.CSP_ARCHIVE)]
    assert len(ours) == 13238 and ours == _by_tarfile(paths.CSP_ARCHIVE)


_NAMES = st.lists(st.sampled_from(["code-de-la-sante-publique", "partie-réglementaire", "x" * 60, "livre-ier",
                                   "chapitre-ii-dispositions-générales-à-l'ensemble", "r1434-4.md", "notes.pdf",
                                   "a.ttl", "b.xml", "deep", "é" * 70]), min_size=1, max_size=6).map("/".join)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.sampled_from([tarfile.GNU_FORMAT, tarfile.PAX_FORMAT, tarfile.USTAR_FORMAT]),
       st.lists(st.tuples(_NAMES, st.sampled_from([tarfile.REGTYPE, tarfile.DIRTYPE, tarfile.SYMTYPE]),
                          st.binary(max_size=1500)), max_size=8),
       st.sampled_from(["", "./"]))
def test_any_tar_reads_as_tarfile_reads_it(tmp_path_factory, fmt, members, lead):
    path = tmp_path_factory.mktemp("tar") / "t.tar"
    with tarfile.open(path, "w", format=fmt) as tar:
        for name, kind, data in members:
            info = tarfile.TarInfo(lead + name)
            info.type = kind
            if kind == tarfile.SYMTYPE:
                info.linkname = "y" * 120
            try:
                if kind == tarfile.REGTYPE:
                    info.size = len(data)
                    tar.addfile(info, io.BytesIO(data))
                else:
                    tar.addfile(info)
            except ValueError:  # a name ustar cannot hold
                continue
    expected = _by_tarfile(path)
    if not expected:
        with pytest.raises(registry.ReadError, match="nothing to read"):
            list(registry.iter_inputs(path))
        return
    assert [(i.name, i.data) for i in registry.iter_inputs(path)] == expected
