"""The Typer application, its global options and the one place errors become exit codes."""

from __future__ import annotations

import sys
import traceback
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Optional

import typer
from typer.core import TyperGroup

from ..errors import ScientistError

__all__ = ["app", "corpus_app", "emit", "settings_of"]

#: Options of the whole program: accepted before or after the command's own arguments.
GLOBAL_FLAGS = {"--debug": 0, "--config": 1}


@dataclass
class State:
    debug: bool = False
    config: Path | None = None
    _settings: object = None

    def settings(self):
        if self._settings is None:
            from ..settings import load_settings

            self._settings = load_settings(self.config)
        return self._settings


def _warn_line(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"warning: {message}", file=sys.stderr)


def _move_global_options(args: list[str]) -> list[str]:
    """Move ``--debug`` and ``--config FILE`` in front of the command, wherever they were given."""
    front, rest, i = [], [], 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            rest += args[i:]
            break
        name = arg.split("=", 1)[0]
        if name in GLOBAL_FLAGS:
            n = 0 if "=" in arg else GLOBAL_FLAGS[name]
            front += args[i : i + 1 + n]
            i += 1 + n
            continue
        rest.append(arg)
        i += 1
    return front + rest


class ScientistGroup(TyperGroup):
    """Global options anywhere on the line, and every error mapped to its exit code."""

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, _move_global_options(list(args)))

    def invoke(self, ctx: typer.Context):
        warnings.showwarning = _warn_line
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise
        except ScientistError as exc:
            _traceback_if_debug(ctx)
            print(f"error: {exc}", file=sys.stderr)
            raise typer.Exit(2) from None
        except BrokenPipeError:  # the reader went away (`| head`): stop quietly, like other tools
            import os

            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise typer.Exit(0) from None
        except KeyboardInterrupt:
            print("interrupted: nothing was left half-written", file=sys.stderr)
            raise typer.Exit(130) from None
        except Exception as exc:  # noqa: BLE001 - the one place internal errors are reported
            _traceback_if_debug(ctx)
            msg = str(exc).splitlines()[0] if str(exc) else ""
            print(f"internal error: {exc.__class__.__name__}: {msg} (run with --debug for details)",
                  file=sys.stderr)
            raise typer.Exit(1) from None


def _traceback_if_debug(ctx: typer.Context) -> None:
    state = ctx.find_object(State)
    if state is not None and state.debug:
        traceback.print_exc()


app = typer.Typer(cls=ScientistGroup, add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Grounded answers about AI photo models, from a restricted corpus.")
corpus_app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                         help="Inspect and extend the corpus.")
app.add_typer(corpus_app, name="corpus")


@app.callback()
def _global_options(
    ctx: typer.Context,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of errors.")] = False,
    config: Annotated[Optional[Path], typer.Option("--config", help="A settings file (TOML or YAML); see `scientist settings`.")] = None,
) -> None:
    ctx.obj = State(debug=debug, config=config)


def settings_of(ctx: typer.Context):
    """The settings of this invocation (environment and ``--config``), loaded once."""
    state = ctx.find_object(State)
    return (state or State()).settings()


def emit(text: str) -> None:
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    sys.stdout.flush()
