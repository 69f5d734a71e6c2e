"""Commands for chat apps: mcp (the MCP server over stdio) and tools (function schemas for LLM APIs)."""

from __future__ import annotations

import asyncio
import signal
import warnings
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..errors import BaseExceptionGroup
from .app import State, Terminated, app, emit, leave_at_once_while, on_sigterm, settings_of
from .options import CorpusOpt, path_arg


class ToolFormat(str, Enum):
    """``tools.FORMATS`` (a test keeps them equal); not imported from there, which would slow every command's start."""

    openai = "openai"
    anthropic = "anthropic"
    json_schema = "json-schema"


@app.command("mcp")
def mcp_command(
    ctx: typer.Context,
    allow: Annotated[Optional[list[Path]], typer.Option("--allow", parser=path_arg, help="A folder restore_photo may read photos from; repeat for more (default: the `mcp_allow` setting, else the current folder).")] = None,
    out_dir: Annotated[Optional[Path], typer.Option("--out-dir", parser=path_arg, help="Where restore_photo writes (default: the `mcp_out_dir` setting, else `restored` in the per-user data folder).")] = None,
    max_side: Annotated[Optional[int], typer.Option("--max-side", help="Default longest side of restore_photo's previews (default: the `mcp_max_side` setting).")] = None,
    corpus: CorpusOpt = None,
) -> None:
    """Serve the tools and the corpus to a chat app over stdio (Model Context Protocol); stdout carries only the protocol."""
    from ..core import Scientist
    from ..errors import ScientistError
    from ..mcp_server import build_server, serve, stop, warming

    settings = settings_of(ctx)
    if max_side is not None:
        if not 8 <= max_side <= settings.mcp_max_side_limit:
            raise ScientistError(f"--max-side must be a whole number from 8 to {settings.mcp_max_side_limit} (the "
                                 f"mcp_max_side_limit setting), not {max_side}")
        settings = settings.updated(mcp_max_side=max_side)
    state = ctx.find_object(State)
    server = build_server(Scientist(corpus, settings=settings), allow=allow or (), out_dir=out_dir,
                          log_level="DEBUG" if state is not None and state.debug else "WARNING", warm=True)
    stopped: list[bool] = []
    leave_at_once_while(lambda: warming(server))  # stopped while the index loads: see leave_at_once_while

    def as_ctrl_c(signum, frame) -> None:
        """SIGTERM stops the server as Ctrl-C does: its session is cancelled and its tasks finish (raised inside
        the loop as an exception, it could land in the loop's own bookkeeping and end the server as broken, exit 1,
        or leave it running); the command still exits as terminated."""
        stopped.append(True)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a second SIGTERM ends the process at once
        if not stop(server):  # not serving yet: stop as every command does
            raise Terminated

    with on_sigterm(as_ctrl_c):
        try:
            serve(server)
        except (KeyboardInterrupt, asyncio.CancelledError, BaseExceptionGroup):
            # the session's unstarted steps are collected on the way out: each would say it was never awaited
            warnings.filterwarnings("ignore", message=r"coroutine .* was never awaited", category=RuntimeWarning)
            if stopped:
                raise Terminated from None
            raise


@app.command("tools")
def tools_command(
    ctx: typer.Context,
    fmt: Annotated[ToolFormat, typer.Option("--format", help="openai (function tools), anthropic (tool definitions) or json-schema (as MCP lists them, with output schemas).")] = ToolFormat.openai,
) -> None:
    """Print the tool definitions for LLM APIs that take function schemas directly."""
    from ..tools import format_tools

    emit(format_tools(fmt.value, settings_of(ctx)))
