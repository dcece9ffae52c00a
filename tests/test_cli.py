"""The command line as one package: one module per command, what they share in one place, and
the formats they offer taken from the tables that read and write them (santelex/formats.py,
the reader registry)."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import click
import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from santelex import formats, paths
from santelex.cli import main
from santelex.ingest import registry

ROOT = Path(__file__).resolve().parent.parent
CLI = ROOT / "santelex" / "cli"
SEED = paths.SEEDS


def _commands(group: click.Group, prefix=()):
    for name, cmd in group.commands.items():
        yield (*prefix, name), cmd
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, (*prefix, name))


def test_one_module_per_command():
    # every command of `santelex --help` is the `command` of santelex/cli/<name>.py
    for name, cmd in main.commands.items():
        module = sys.modules[cmd.callback.__module__]
        assert module.__name__ == f"santelex.cli.{name}" and module.command is cmd
    assert set(main.commands) == {"build", "show", "export", "validate", "cite", "query", "serve", "fetch", "update"}


def test_commands_share_one_store_option_and_one_console_pair():
    stores = [p for _, cmd in _commands(main) for p in cmd.params if p.name == "store"]
    assert len(stores) == 8  # build show export cite(lookup) query serve fetch update
    assert len({(p.opts[0], p.help, p.type.name, p.default) for p in stores}) == 1
    # consoles and the --store option are made in options.py only
    for f in CLI.glob("*.py"):
        if f.name == "options.py":
            continue
        calls = [n for n in ast.walk(ast.parse(f.read_text(encoding="utf-8"))) if isinstance(n, ast.Call)]
        assert not [c for c in calls if getattr(c.func, "id", None) == "Console"], f
        assert not [c for c in calls if c.args and getattr(c.args[0], "value", None) == "--store"], f


def test_reader_names_come_from_the_registry():
    names = [r.format for r in registry.formats()]
    for argv in (["build", "--help"], ["cite", "extract", "--help"]):
        res = CliRunner().invoke(main, argv, terminal_width=200)
        assert res.exit_code == 0
        assert "Force the reader: " + ", ".join(names) + "." in " ".join(res.output.split())
    res = CliRunner().invoke(main, ["build", "--format", "nonsense", "--store", "unused", str(SEED)])
    assert res.exit_code == 2 and ", ".join(sorted(names)) in res.output


def test_the_cli_loads_no_parser_nor_store_to_start():
    code = ("import sys; from santelex.cli import main\n"
            "print(sorted(m for m in ('pyoxigraph', 'rdflib', 'httpx', 'lxml') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.fixture(scope="module")
def seed_store(tmp_path_factory):
    store = tmp_path_factory.mktemp("cli") / "store"
    res = CliRunner().invoke(main, ["build", "--store", str(store), "-q", str(SEED)])
    assert res.exit_code == 0, res.output
    return store


def _triples(data: bytes, fmt: formats.Format) -> set:
    return {(q.subject, q.predicate, q.object) for q in ox.parse(data, format=formats.oxigraph(fmt))}


def test_export_offers_every_format_the_store_writes(seed_store, tmp_path):
    choices = next(p for p in main.commands["export"].params if p.name == "format").type.choices
    assert list(choices) == [f.name for f in formats.RDF if f.written]
    assert "rdfxml" in choices  # it was missing while the store wrote it
    whole = None
    for name in choices:
        fmt = formats.by_name(name)
        out = tmp_path / f"graph{fmt.suffixes[0]}"
        res = CliRunner().invoke(main, ["export", "--store", str(seed_store), "--format", name, "-o", str(out)])
        assert res.exit_code == 0, res.output
        # the file's suffix says its format (validation --data reads it back by that table)
        assert formats.by_suffix(out) is fmt
        got = _triples(out.read_bytes(), fmt)
        whole = whole or got
        assert got == whole and len(got) > 1000, name


def test_a_folder_of_every_rdf_format_builds(tmp_path):
    # one table says which suffixes are RDF: the build reads each (folder scanning included),
    # except a suffix a reader owns (.xml is LEGI XML)
    triples = [ox.Triple(ox.NamedNode(f"https://example.org/s{i}"), ox.NamedNode("https://example.org/p"),
                         ox.Literal(f"valeur {i}")) for i in range(3)]
    folder = tmp_path / "rdf"
    folder.mkdir()
    n = 0
    for fmt in formats.RDF:
        for suffix in fmt.suffixes:
            if registry.rdf_format(f"x{suffix}") is None:
                assert any(suffix in r.suffixes for r in registry.formats()), suffix
                continue
            data = ox.serialize([ox.Triple(ox.NamedNode(f"https://example.org/{suffix[1:]}"), t.predicate, t.object)
                                 for t in triples], format=formats.oxigraph(fmt))
            (folder / f"f{suffix}").write_bytes(data)
            n += 1
    assert n >= 8
    store = tmp_path / "store"
    res = CliRunner().invoke(main, ["build", "--store", str(store), str(folder)])
    assert res.exit_code == 0, res.output
    assert f"loaded {n} files" in res.output
    got = ox.Store.read_only(str(store))
    assert len(list(got.quads_for_pattern(None, ox.NamedNode("https://example.org/p"), None))) == 3 * n


def test_the_endpoint_offers_the_formats_query_writes():
    from santelex.cli import query as cli_query
    from santelex.serve.server import GRAPH_OFFERS, RESULT_OFFERS, negotiate
    from santelex.services import query as q

    assert [n for n, _ in RESULT_OFFERS] == list(q.RESULT_FORMATS)
    assert [n for n, _ in GRAPH_OFFERS] == list(q.GRAPH_FORMATS)
    assert cli_query.FORMATS == q.FORMATS
    for kind, offers, table in (("select", RESULT_OFFERS, q.RESULT_FORMATS), ("construct", GRAPH_OFFERS, q.GRAPH_FORMATS)):
        for name, media_types in offers:
            # what the endpoint is asked for by a format's own media type, it answers with that type
            assert negotiate(media_types[0], kind) == name and table[name][0] == media_types[0]
            assert negotiate(None, kind, name) == name


def test_a_closed_pipe_ends_quietly(seed_store):
    # santelex export | head -1: the reader goes away; no "internal error", no traceback
    cmd = [sys.executable, "-m", "santelex.cli", "export", "--format", "ntriples", "--store", str(seed_store)]
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
        first = proc.stdout.readline()
        proc.stdout.close()  # as head does after its line
        err = proc.stderr.read().decode()
        code = proc.wait(timeout=120)
    assert first.startswith(b"<")
    assert "internal error" not in err and "Traceback" not in err, err
    assert code in (0, 141)
