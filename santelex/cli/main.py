"""The ``santelex`` command line: the group, its error handling and the list of commands.
Each command is a module of this package; what they share is in options.py.

Exit codes: 0 ok, 1 findings (validation violations, dangling citations), 2 bad input or
usage, 130 interrupted.  Every SantelexError is printed as one line, without traceback.
"""
from __future__ import annotations

import logging
import os
import sys
from collections.abc import MutableMapping

import click

from santelex._lazy import lazy
from santelex.errors import SantelexError


class _Notice(logging.Handler):
    """santelex's notices (``logging.getLogger("santelex")``, warnings and up): one line on stderr."""

    def emit(self, record):
        click.echo(f"santelex: {record.getMessage()}".replace("\n", " "), err=True)


_log = logging.getLogger("santelex")
if not any(isinstance(h, _Notice) for h in _log.handlers):
    _log.addHandler(_Notice(logging.WARNING))
    _log.propagate = False


class Group(click.Group):
    """Turn every santelex error into one line on stderr and exit 2."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except SantelexError as e:
            click.echo(f"santelex: error: {e}", err=True)
            sys.exit(2)
        except KeyboardInterrupt:
            click.echo("santelex: interrupted; the store is as it was before", err=True)
            sys.exit(130)
        except BrokenPipeError:
            # the reader of the output went away (``santelex export | head``): nothing more to
            # say to it; stdout is pointed at nothing so that Python's own flush at exit is quiet
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            sys.exit(141)  # 128 + SIGPIPE, as a shell reports a command a pipe stopped
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise  # click's own usage errors and exits: click prints them
        except Exception as e:  # a bug of santelex's: still one line, never a traceback
            if os.environ.get("SANTELEX_DEBUG") == "1":
                raise
            where = ""
            tb = e.__traceback__
            while tb is not None:
                where = f" at {os.path.basename(tb.tb_frame.f_code.co_filename)}:{tb.tb_lineno}"
                tb = tb.tb_next
            click.echo(f"santelex: internal error: {type(e).__name__}: {str(e)[:300]}{where} "
                       "(a bug: please report it; SANTELEX_DEBUG=1 shows the traceback)".replace("\n", " "),
                       err=True)
            sys.exit(70)


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="santelex")
def main():
    """santelex: French health-care planning law as a knowledge graph."""


class _Commands(MutableMapping):
    """The commands by name, each module imported when its command is first asked for:
    ``santelex validate`` loads no other command's module (``--help`` loads them all)."""

    def __init__(self, modules: dict):
        self._modules = modules
        self._added: dict = {}

    def __getitem__(self, name: str) -> click.Command:
        if name in self._added:
            return self._added[name]
        return self._modules[name].command

    def __setitem__(self, name: str, command: click.Command) -> None:
        self._added[name] = command

    def __delitem__(self, name: str) -> None:
        self._added.pop(name, None)
        self._modules.pop(name)

    def __iter__(self):
        return iter({**self._modules, **self._added})

    def __len__(self) -> int:
        return len({**self._modules, **self._added})


# The commands, one module each (santelex/cli/<name>.py, defining one click command or group
# named ``command``): an explicit list, so a missing one is an ImportError.
main.commands = _Commands({name: lazy(f"santelex.cli.{name}") for name in (
    "build", "show", "export", "validate", "cite", "query", "serve", "fetch", "update")})

if __name__ == "__main__":
    main()
