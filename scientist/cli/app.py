"""The Typer application, its global options and the one place errors become exit codes."""

from __future__ import annotations

import codecs
import errno
import json
import os
import re
import signal
import sys
import threading
import traceback
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Optional

import typer
from typer.core import TyperGroup

from ..errors import BaseExceptionGroup, ScientistError, shown
from .options import path_arg

__all__ = ["app", "corpus_app", "emit", "json_text", "leave", "leave_at_once_while", "settings_of",
           "terminal_safe"]

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


#: What a terminal would act on rather than show: escape sequences (CSI, and the start of the others) and
#: other control characters but tab and newline.  Titles, summaries and file names come from anybody.
_TERMINAL_CODES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-_]?|[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def terminal_safe(text: str) -> str:
    """``text`` without terminal escape sequences and control characters (tabs and newlines stay)."""
    return _TERMINAL_CODES.sub("", text)


def _error_line(text: str) -> None:
    print(terminal_safe(text), file=sys.stderr)


def _warn_line(message, category, filename, lineno, file=None, line=None) -> None:
    _error_line(f"warning: {message}")


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


def _click_module():
    """The click that parses the command line: vendored inside typer since 0.23, the click package before."""
    import typer.core

    vendored = getattr(typer.core, "_click", None)
    if vendored is not None:
        return vendored
    import click

    return click


_CLICK_ERRORS = _click_module().exceptions
_USAGE_ERRORS = _CLICK_ERRORS.UsageError
#: A command given without arguments shows its help (``no_args_is_help``); that is not a mistake to report.
_SHOW_HELP = getattr(_CLICK_ERRORS, "NoArgsIsHelpError", ())


class ScientistGroup(TyperGroup):
    """Global options anywhere on the line, and every error mapped to its exit code."""

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, _move_global_options(list(args)))
        except _USAGE_ERRORS as exc:  # a mistake in the options before the command
            raise _usage_exit(exc) from None

    def invoke(self, ctx: typer.Context):
        _usable_streams()
        warnings.showwarning = _warn_line
        with on_sigterm():
            return self._invoke(ctx)

    def _invoke(self, ctx: typer.Context):
        try:
            return super().invoke(ctx)
        except _USAGE_ERRORS as exc:  # a mistake on the command line: one line too, naming where help is
            raise _usage_exit(exc) from None
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise
        except ScientistError as exc:
            _traceback_if_debug(ctx)
            _error_line(f"error: {exc}")
            raise typer.Exit(2) from None
        except BrokenPipeError:  # the reader went away (`| head`): stop quietly, like other tools
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise typer.Exit(0) from None
        except OSError as exc:
            if exc.errno != errno.ENAMETOOLONG:
                raise _internal(ctx, exc) from None
            _traceback_if_debug(ctx)  # a name too long is always a name the user gave
            _error_line(f"error: {shown(exc.filename or '')}: the file name is too long")
            raise typer.Exit(2) from None
        except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM (Terminated): the clean-up has run on the way here
            raise _interrupted(exc) from None
        except BaseExceptionGroup as group:  # raised inside a task group: the MCP server's event loop
            stop = _interrupt_in(group)
            raise (_interrupted(stop) if stop is not None else _internal(ctx, group)) from None
        except Exception as exc:  # noqa: BLE001 - the one place internal errors are reported
            raise _internal(ctx, exc) from None


def _interrupted(exc: KeyboardInterrupt) -> typer.Exit:
    terminated = isinstance(exc, Terminated)
    print(f"{'terminated' if terminated else 'interrupted'}: nothing was left half-written", file=sys.stderr)
    return typer.Exit(128 + (signal.SIGTERM if terminated else signal.SIGINT))


def _interrupt_in(group: BaseExceptionGroup) -> KeyboardInterrupt | None:
    """The Ctrl-C or SIGTERM among a task group's exceptions (a signal that arrived while the group's tasks ran),
    if any."""
    for exc in group.exceptions:
        found = _interrupt_in(exc) if isinstance(exc, BaseExceptionGroup) else exc
        if isinstance(found, KeyboardInterrupt):
            return found
    return None


class Terminated(KeyboardInterrupt):
    """SIGTERM (``kill``, a service manager stopping the command), raised in the main thread as Ctrl-C is, so that
    the same clean-up runs on the way out: names held for outputs are given up and their ``.lock`` files removed,
    temporary files deleted.  The command then exits with 143 (128 + SIGTERM), as Ctrl-C exits with 130."""


def _terminated(signum, frame) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a second SIGTERM during the clean-up ends the process at once
    raise Terminated


@contextmanager
def on_sigterm(handler=_terminated) -> Iterator[None]:
    """While a command runs, SIGTERM goes to ``handler``: by default it raises :class:`Terminated` (Python's
    default lets the system end the process on the spot, leaving held names and temporaries behind).  The handler
    before is put back afterwards.  Only the main thread can take signals; elsewhere (a command run from a thread)
    nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, before)


#: Conditions under which the process, its command over, exits at once rather than through the interpreter's
#: teardown (:func:`leave`); see :func:`leave_at_once_while`.
_LEAVE_AT_ONCE: list[Callable[[], bool]] = []


def leave_at_once_while(condition: Callable[[], bool]) -> None:
    """While ``condition()`` holds when the command ends, the process exits with the command's code at once,
    once the threads Python would wait for have ended, without tearing the interpreter down: a daemon thread
    still inside native code (ONNX Runtime, PyTorch, FAISS: the MCP server's warm-up, stopped by Ctrl-C as it
    builds the index) can have its C++ objects destroyed under it by the teardown, which aborts the process
    ("terminate called without an active exception", exit code -6 in place of 130)."""
    _LEAVE_AT_ONCE.append(condition)


def leave(stop: SystemExit) -> None:
    """The end of the ``scientist`` process: ``stop`` (the command's exit) raised again, or, while a condition
    given to :func:`leave_at_once_while` holds, an exit at once with its code."""
    if not any(condition() for condition in _LEAVE_AT_ONCE):
        raise stop
    code = stop.code
    if code is not None and not isinstance(code, int):
        print(code, file=sys.stderr)
    for thread in threading.enumerate():  # what the interpreter waits for first: a restore finishing its clean-up
        if thread is not threading.current_thread() and not thread.daemon:
            thread.join()
    import logging

    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # the reader went away, or the stream was closed
            pass
    os._exit(0 if code is None else code if isinstance(code, int) else 1)


def _usage_exit(exc: Exception) -> Exception:
    """A usage error as one line on stderr and exit code 2, naming where help is; a command given without
    arguments (``no_args_is_help``) is passed on to show its help."""
    if isinstance(exc, _SHOW_HELP):
        return exc
    where = f" (see '{exc.ctx.command_path} --help')" if getattr(exc, "ctx", None) else ""
    # typer checks choices through pydantic, whose messages start "Value error, "
    _error_line(f"error: {exc.format_message().replace(': Value error, ', ': ')}{where}")
    return typer.Exit(2)


def _internal(ctx: typer.Context, exc: BaseException) -> typer.Exit:
    _traceback_if_debug(ctx)
    msg = str(exc).splitlines()[0] if str(exc) else ""
    _error_line(f"internal error: {exc.__class__.__name__}: {msg} (run with --debug for details)")
    return typer.Exit(1)


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
    config: Annotated[Optional[Path], typer.Option("--config", parser=path_arg, help="A settings file (TOML or YAML); see `scientist settings`.")] = None,
) -> None:
    ctx.obj = State(debug=debug, config=config)


def settings_of(ctx: typer.Context):
    """The settings of this invocation (environment and ``--config``), loaded once."""
    state = ctx.find_object(State)
    return (state or State()).settings()


def json_text(data, indent: int = 2) -> str:
    """``--json`` output of a pydantic model or plain data: characters as they are where stdout can write them,
    else (an ASCII or cp1252 console, a file name whose bytes are no UTF-8) as ``\\u`` escapes, which every JSON
    reader reads back."""
    if hasattr(data, "model_dump"):
        data = data.model_dump(mode="json")
    text = json.dumps(data, indent=indent, ensure_ascii=False)
    try:
        text.encode(getattr(sys.stdout, "encoding", None) or "utf-8")
    except (UnicodeEncodeError, LookupError):
        text = json.dumps(data, indent=indent, ensure_ascii=True)
    return text


def _usable_streams() -> None:
    """Standard streams every command can use: one that cannot encode a character (``PYTHONIOENCODING=ascii``, a
    cp1252 console) writes ``?`` in its place instead of failing after the work is done, and a closed one
    (``>&-``, ``<&-``) is the null device: nothing is written, nothing is read."""
    for name, mode in (("stdin", "r"), ("stdout", "w"), ("stderr", "w")):
        stream = getattr(sys, name)
        if stream is None:
            setattr(sys, name, open(os.devnull, mode, encoding="utf-8"))  # noqa: SIM115 - for the process's life
        elif mode == "w" and hasattr(stream, "reconfigure") and not _writes_unicode(stream):
            stream.reconfigure(errors="replace")


def _writes_unicode(stream) -> bool:
    try:
        return codecs.lookup(stream.encoding or "ascii").name.startswith("utf")
    except LookupError:
        return False


def emit(text: str) -> None:
    text = terminal_safe(text)
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    sys.stdout.flush()
