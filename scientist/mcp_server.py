"""Chat apps plug in here: an MCP server with the tools of :mod:`.tools` and the corpus as resources.

``scientist mcp`` serves it over stdio.  Each tool is a thin call into the
:class:`~scientist.core.Scientist` façade (``ask``, ``prompt``, ``verify``, ``demo``);
what is added here is protocol: results as text plus structured content, progress
reports while a photo is restored, the folders a photo may come from, and every
mistake turned into a tool error of one sentence while the server keeps serving.
"""

from __future__ import annotations

import asyncio
import base64
import inspect
import io
import json
import logging
import os
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import anyio
import anyio.from_thread
import anyio.lowlevel
import anyio.to_thread
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ResourceNotFoundError, ToolError, UnexpectedToolError
from mcp.types import CallToolResult, ImageContent, TextContent, ToolAnnotations
from pydantic import ValidationError

from . import jsonio
from .core import Scientist
from .errors import BaseExceptionGroup, QuestionError, ScientistError, shown
from .gathered import package_warnings
from .restore.record import ProgressEvent
from .tools import Folders, ToolDef, argument_problem, folders_for, restore_allowed, tool_definitions, unknown_arguments

__all__ = ["Folders", "build_server", "serve"]  # Folders: defined in tools.py, where the policy lives

logger = logging.getLogger(__name__)

RECORD_URI = "scientist://records/{id}"
TASKS_URI = "scientist://tasks"
#: What scientist://tasks gives of each task: what a chatbot needs to name it, not the classifier's data (its
#: example questions and phrasings, about 500 KB for the packaged taxonomy).
TASK_FIELDS = ("id", "label", "family", "description", "aliases", "input", "output")

INSTRUCTIONS = (
    "Answers questions about what an AI did to a photo from a restricted corpus of model and paper records, "
    "and runs the real model on a photo. Call ask_scientist for an answer; cite only the links it gives. "
    "restore_photo runs the model on a local photo the person names. The records are resources "
    "(scientist://records/{id}); the task taxonomy is scientist://tasks."
)


def _sentence(message: str) -> str:
    """One line, starting with a capital when it starts with a word, ending with a full stop."""
    text = " ".join(str(message).split())
    first = text.split(" ", 1)[0]
    if first.isalpha() and first.islower():
        text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def _error(message: str) -> CallToolResult:
    return CallToolResult(content=[TextContent(type="text", text=_sentence(message))], is_error=True)


def _text(text: str) -> TextContent:
    return TextContent(type="text", text=text)


class _Abandoned(Exception):
    """The caller went away: stop the restore at the next tile."""


class _RestoreProgress:
    """One restore's progress: the demo's events arrive on its worker thread; reports leave from the event loop.

    Progress runs from 0 to 100: up to 5 while the photo is read and the network loaded,
    5-95 while the network runs (by tiles, and by time against the estimate within a tile),
    95 while saving, 100 when done.  Reported values only ever increase.
    """

    def __init__(self, phrase: Callable[..., str], photo: str) -> None:
        self.phrase = phrase
        self.photo = photo
        self.started = time.monotonic()
        self.event: ProgressEvent | None = None
        self.network_started = 0.0
        self.abandoned = False
        self.sent = -1.0

    def __call__(self, event: ProgressEvent) -> None:
        if self.abandoned:
            raise _Abandoned
        if event.kind == "start":
            self.network_started = time.monotonic()
        self.event = event

    def position(self) -> tuple[float, str]:
        e, now = self.event, time.monotonic()
        if e is None:
            return min(4.9, (now - self.started) * 0.2), self.phrase("mcp_preparing", photo=self.photo)
        if e.kind == "done":
            return 95.0, self.phrase("mcp_saving")
        by_time = (now - self.network_started) / e.estimate if e.estimate > 0 else 0.0
        fraction = max(e.done / e.total, min(by_time, (e.done + 0.99) / e.total))
        return 5 + 90 * fraction, self.phrase("mcp_restoring", e=e, elapsed=now - self.network_started)

    async def report(self, ctx: Context, value: float | None = None, message: str | None = None) -> None:
        if value is None:
            value, message = self.position()
        if value > self.sent + 0.05:
            self.sent = value
            await ctx.report_progress(round(value, 1), 100, message)


class _StdinLines:
    """The client's messages, line by line, read from ``fd`` on a daemon thread, for the SDK's stdio transport.

    The SDK reads stdin on one of anyio's worker threads, which can be neither cancelled nor left behind while
    the read waits: with the client keeping stdin open, Ctrl-C waited for ever for the next message, and after
    SIGTERM the process could not exit (Python waits for its threads).  A daemon thread's read holds up neither;
    it reads the descriptor itself (``os.read``), so that no file object's lock is held when the process ends.
    """

    def __init__(self, fd: int) -> None:
        self.fd = fd

    async def __aiter__(self):
        send, receive = anyio.create_memory_object_stream[str](1)
        token = anyio.lowlevel.current_token()

        def pump() -> None:
            pending = bytearray()  # the line being read: chunks are appended, never copied again (a long line)
            try:
                while chunk := os.read(self.fd, 1 << 16):
                    if b"\n" not in chunk:
                        pending += chunk
                        continue
                    first, *lines, tail = chunk.split(b"\n")
                    pending += first
                    for line in (pending, *lines):
                        anyio.from_thread.run(send.send, line.decode("utf-8", errors="replace"), token=token)
                    pending = bytearray(tail)
                if pending:
                    anyio.from_thread.run(send.send, pending.decode("utf-8", errors="replace"), token=token)
            except BaseException:  # noqa: BLE001, S110 - the server has stopped (its event loop is gone, or the
                # send was cancelled with the session: a CancelledError, no Exception), or stdin broke; a traceback
                # printed from here as the process exits could hold stderr's lock and abort the interpreter
                pass
            finally:
                try:
                    anyio.from_thread.run_sync(send.close, token=token)
                except BaseException:  # noqa: BLE001, S110 - the event loop is gone: nobody reads any more
                    pass

        threading.Thread(target=pump, name="scientist-mcp-stdin", daemon=True).start()
        async with receive:
            async for line in receive:
                yield _twice_marked(line)


#: The argument a tool call's arguments are replaced with when they give a name twice (JSON reads the last and drops
#: the first in silence): :meth:`_Server.call_tool` refuses it in a sentence.  No client's argument has this name.
TWICE = "\u0000given twice"


def _twice_marked(line: str) -> str:
    """A client's message as the server reads it: a tool call whose arguments give a name twice
    (``{"question": "a", "question": "b"}``, answered as "b") has them replaced by :data:`TWICE` and that name."""
    if '"arguments"' not in line:
        return line
    try:
        message = jsonio.loads(line)
    except (ValueError, RecursionError):
        return line  # the SDK answers it as the parse error it is
    params = message.get("params") if isinstance(message, dict) and message.get("method") == "tools/call" else None
    arguments = params.get("arguments") if isinstance(params, dict) else None
    if not isinstance(arguments, jsonio.Keys) or not arguments.twice:
        return line
    params["arguments"] = {TWICE: arguments.twice[0]}
    return json.dumps(message)


class _Server(MCPServer):
    """An MCPServer whose argument errors read as one sentence naming the argument (what it must be, by the
    tool's definition in ``definitions``), and whose stdio transport reads stdin on a daemon thread
    (:class:`_StdinLines`), so that Ctrl-C and SIGTERM stop it while a client keeps stdin open."""

    definitions: dict[str, ToolDef] = {}
    #: the background warm-up of the index, when the server was built with one (:func:`warming`)
    warm_up: _WarmUp | None = None
    #: the event loop and the task serving the session, while it serves (:func:`stop`)
    session: tuple[asyncio.AbstractEventLoop, asyncio.Task] | None = None

    async def list_tools(self):
        """The tools, each saying that it takes no argument but its own (:meth:`call_tool` refuses any other), as
        ``scientist tools`` prints them."""
        listed = await super().list_tools()
        for tool in listed:
            if tool.name in self.definitions:
                tool.input_schema = {**tool.input_schema, "additionalProperties": False}
        return listed

    async def run_stdio_async(self) -> None:
        from mcp.server.stdio import stdio_server

        task = asyncio.current_task()
        self.session = (asyncio.get_running_loop(), task) if task is not None else None
        try:
            async with stdio_server(stdin=_StdinLines(sys.stdin.fileno())) as (read_stream, write_stream):
                server = self._lowlevel_server
                await server.run(read_stream, write_stream, server.create_initialization_options())
        except BaseExceptionGroup as group:
            # Ctrl-C cancels the session; a message still on its way in then meets the closed session
            # (BrokenResourceError), and the group that carries it would stand in for the cancellation, so that
            # the interrupt was lost and the server ended as if broken (exit 1)
            if group.split((anyio.BrokenResourceError, anyio.ClosedResourceError))[1] is None and \
                    task is not None and getattr(task, "cancelling", lambda: 0)():
                raise asyncio.CancelledError from None
            raise
        finally:
            self.session = None

    async def call_tool(self, name: str, arguments: dict[str, Any], context: Context | None = None):
        names = [t.name for t in await self.list_tools()]
        if name not in names:
            raise ToolError(f"There is no tool named `{name}`; the tools are {', '.join(names)}.")
        if isinstance(arguments, dict) and TWICE in arguments:  # read from stdin: see _twice_marked
            raise ToolError(f"The argument `{arguments[TWICE]}` was given twice: give it once.")
        tool = self.definitions.get(name)
        extra = [k for k in arguments or {} if tool is not None and k not in tool.args.model_fields]
        if extra:  # dropped in silence: restore_photo's "strength" ran at the strength chosen from the photo
            raise ToolError(_sentence(unknown_arguments(extra, tool.args)))
        try:
            return await super().call_tool(name, arguments, context)
        except UnexpectedToolError as exc:
            logger.error("tool %s failed", name, exc_info=exc.__cause__ or exc)
            raise ToolError(f"{name} failed unexpectedly; the server's log (stderr) has the details.") from None
        except ToolError as exc:
            cause = exc.__cause__
            if not isinstance(cause, ValidationError):
                raise
            tool = self.definitions.get(name)
            raise ToolError(_sentence(argument_problem(cause, tool.args if tool else None))) from None


def _tool_function(tool: ToolDef, impl: Callable[..., Awaitable[CallToolResult]]) -> Callable:
    """A function whose signature is the tool's parameters (plus the request context), calling ``impl``."""

    async def call(**kwargs):
        ctx = kwargs.pop("ctx")
        return await impl(ctx, **kwargs)

    params = [*tool.parameters(), inspect.Parameter("ctx", inspect.Parameter.KEYWORD_ONLY, annotation=Context)]
    result = Annotated[CallToolResult, tool.output] if tool.output is not None else CallToolResult
    call.__signature__ = inspect.Signature(params, return_annotation=result)
    call.__annotations__ = {p.name: p.annotation for p in params} | {"return": result}
    call.__name__ = call.__qualname__ = tool.name
    return call


class _WarmUp:
    """The corpus index, loaded (on a first start, built) in the background as the server starts, with a
    line on stderr when it starts and when it is ready: a first question would otherwise wait for it, longer
    than a chat app waits.  A question asked meanwhile waits for it, reporting progress."""

    def __init__(self, sci: Scientist) -> None:
        self.sci = sci
        self.done = threading.Event()
        self._thread: threading.Thread | None = None
        #: the report a waiting question gets, set by the warm-up thread: the event loop never reads the
        #: Scientist itself, whose lock the warm-up holds while it builds the index
        self._report = sci.renderer.phrase("mcp_waiting")

    @property
    def busy(self) -> bool:
        """Whether the warm-up thread is still at work (started and not over)."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="scientist-warm-up", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        phrase, start = self.sci.renderer.phrase, time.monotonic()
        try:
            self._report = phrase("mcp_warming", records=len(self.sci.corpus))
            _stderr(self._report)
            self.sci.warm_up()
            _stderr(phrase("mcp_ready", seconds=time.monotonic() - start))
        except Exception as exc:  # noqa: BLE001 - the first question reports it as a tool error
            logger.warning("could not prepare the index at start: %s", exc)
        finally:
            self.done.set()

    async def wait(self, ctx: Context) -> None:
        """Until the warm-up is over, with a progress report every second (which keeps a chat app waiting)."""
        start = time.monotonic()
        while self._thread is not None and not self.done.is_set():
            await ctx.report_progress(round(time.monotonic() - start, 1), None, self._report)
            await anyio.to_thread.run_sync(self.done.wait, 1.0)


def _stderr(line: str) -> None:
    print(f"scientist: {line}", file=sys.stderr, flush=True)


class _Tools:
    """What each tool does: a call into the Scientist, its result put into MCP's shape."""

    def __init__(self, sci: Scientist, folders: Folders, warm_up: _WarmUp | None = None) -> None:
        self.sci = sci
        self.folders = folders
        self.warm_up = warm_up

    async def _ready(self, ctx: Context) -> None:
        if self.warm_up is not None:
            await self.warm_up.wait(ctx)

    async def _run(self, fn: Callable[[], CallToolResult]) -> CallToolResult:
        def guarded() -> CallToolResult:
            try:
                return fn()
            except ScientistError as exc:
                return _error(str(exc))

        return await anyio.to_thread.run_sync(guarded)

    async def ask_scientist(self, ctx: Context, question: str) -> CallToolResult:
        def run() -> CallToolResult:
            answer = self.sci.ask(question)
            return CallToolResult(content=[_text(answer.markdown)], structured_content=answer.model_dump(mode="json"))

        await self._ready(ctx)
        return await self._run(run)

    async def grounded_prompt(self, ctx: Context, question: str) -> CallToolResult:
        await self._ready(ctx)
        return await self._run(lambda: CallToolResult(content=[_text(self.sci.prompt(question))]))

    async def verify_answer(self, ctx: Context, text: str) -> CallToolResult:
        def run() -> CallToolResult:
            if not text.strip():
                raise QuestionError("the text to check is empty")
            verdict = self.sci.verify(text)
            return CallToolResult(content=[_text(verdict.summary())],
                                  structured_content=verdict.model_dump(mode="json"))

        return await self._run(run)

    async def restore_photo(self, ctx: Context, path: str, max_side: int, gain: float | str = "auto"
                            ) -> CallToolResult:
        from .restore.compare import preview_jpeg

        settings = self.sci.settings
        try:  # refused before anything starts; in a thread, as resolving a path reads the disk
            await anyio.to_thread.run_sync(self.folders.photo, path)
        except ScientistError as exc:
            return _error(str(exc))
        progress = _RestoreProgress(self.sci.renderer.phrase, Path(path).name)

        def run() -> CallToolResult:
            try:
                with package_warnings() as warned:  # the photo's (transparency not kept...): for the model to say
                    demo = restore_allowed(self.sci, self.folders, path, max_side, progress, gain=gain)
                preview = preview_jpeg(demo.comparison, settings.mcp_preview_kb * 1024)
            except ScientistError as exc:
                return _error(str(exc))
            summary = self.sci.renderer.env.get_template("restore.txt.j2").render(d=demo)
            summary += "".join(f"\nwarning:    {shown(w, limit=1_000)}" for w in dict.fromkeys(warned))
            image = ImageContent(type="image", data=base64.b64encode(preview).decode("ascii"), mime_type="image/jpeg")
            return CallToolResult(content=[_text(summary), image], structured_content=demo.model_dump(mode="json"))

        result: CallToolResult | None = None

        async def work() -> None:
            nonlocal result
            result = await anyio.to_thread.run_sync(run, abandon_on_cancel=True)
            tg.cancel_scope.cancel()

        try:
            async with anyio.create_task_group() as tg:
                tg.start_soon(work)
                while True:
                    await progress.report(ctx)
                    await anyio.sleep(1.0)
        finally:
            progress.abandoned = result is None  # cancelled by the caller: stop at the next tile
        if not result.is_error:
            await progress.report(ctx, 100.0, self.sci.renderer.phrase("mcp_done"))
        return result


def build_server(
    sci: Scientist | None = None,
    *,
    allow: Sequence[str | Path] = (),
    out_dir: str | Path | None = None,
    log_level: str = "WARNING",
    warm: bool = False,
) -> MCPServer:
    """The MCP server over ``sci`` (default: a :class:`Scientist` with the default corpus and settings).

    ``allow``: folders restore_photo may read (default: the ``mcp_allow`` setting, else the
    working folder); ``out_dir``: where it writes (default: the ``mcp_out_dir`` setting, else
    ``restored`` in the per-user data folder); ``warm``: load or build the index in the background
    as soon as the server runs, with progress on stderr.
    """
    from . import __version__

    sci = sci or Scientist()
    settings = sci.settings
    folders = folders_for(settings, allow, out_dir)
    warm_up = _WarmUp(sci) if warm else None

    @asynccontextmanager
    async def lifespan(_server: MCPServer):
        # started here, once the transport has taken stdout, so that nothing the warm-up prints reaches it
        if folders.default_refused:
            _stderr("started in the file system's root without --allow: restore_photo reads no photos until a "
                    "folder is allowed (--allow FOLDER, or the mcp_allow setting)")
        if warm_up is not None:
            warm_up.start()
        yield {}

    server = _Server("scientist", title="Photo scientist", version=__version__, instructions=INSTRUCTIONS,
                     log_level=log_level, lifespan=lifespan)
    server.warm_up = warm_up
    tools = _Tools(sci, folders, warm_up)
    server.definitions = {tool.name: tool for tool in tool_definitions(settings)}
    for tool in server.definitions.values():
        server.add_tool(
            _tool_function(tool, getattr(tools, tool.name)), name=tool.name, title=tool.title,
            description=tool.description, annotations=ToolAnnotations.model_validate(tool.hints()),
        )
    _add_resources(server, sci)
    return server


def _add_resources(server: MCPServer, sci: Scientist) -> None:
    from mcp.server.mcpserver.resources import TextResource

    corpus = sci.corpus

    def record_json(rec) -> str:
        return rec.model_dump_json(indent=1, exclude_none=True)

    for rec in corpus.records:
        server.add_resource(TextResource(
            uri=RECORD_URI.replace("{id}", quote(rec.id, safe="")), name=rec.id, title=rec.title,
            description=f"Corpus record ({rec.kind}): {rec.title}", mime_type="application/json",
            text=record_json(rec)))

    @server.resource(RECORD_URI, name="record", title="A corpus record", mime_type="application/json",
                     description="A model or paper record of the corpus, by id: title, links, summary, tasks "
                                 "and, for models with one, the model card.")
    def record(id: str) -> str:  # noqa: A002 - the URI's own name
        rec = corpus.get(id)
        if rec is None:
            raise ResourceNotFoundError(f"no record with id {id!r} in the corpus")
        return record_json(rec)

    @server.resource(TASKS_URI, name="tasks", title="Task taxonomy", mime_type="application/json",
                     description="The tasks questions are classified into: id, label, family, description, "
                                 "other names (aliases), what goes in and what comes out.")
    def tasks() -> str:
        return json.dumps([t.model_dump(include=set(TASK_FIELDS), exclude_none=True) for t in corpus.tasks],
                          indent=1, ensure_ascii=False)


def stop(server: MCPServer) -> bool:
    """Stop a server that :func:`serve` runs as Ctrl-C does, whatever was done with SIGINT (a process whose parent
    ignores it, a background job of a script, gets no Ctrl-C): its session's task is cancelled, so that its tasks
    finish and :func:`serve` raises ``CancelledError``.  For a signal handler, in the event loop's thread; False
    when the server is not serving (not yet, or no more)."""
    session = getattr(server, "session", None)
    if session is None:
        return False
    loop, task = session
    task.cancel()
    loop.call_soon_threadsafe(lambda: None)  # wake the loop from its wait for input
    return True


def warming(server: MCPServer) -> bool:
    """Whether ``server``'s background warm-up is still loading or building the index: its thread may then be
    inside the embedding model's or the index's native code, which the interpreter's teardown at exit can break
    (a C++ thread pool destroyed under it aborts the process)."""
    warm_up = getattr(server, "warm_up", None)
    return warm_up is not None and warm_up.busy


def serve(server: MCPServer) -> None:
    """Serve over stdin/stdout until the client closes stdin.

    While serving, the SDK points file descriptor 1 at stderr, so stray output of
    other libraries (prints, progress bars, C code) cannot corrupt the protocol.
    Python's ``sys.stdout`` is made unbuffered for that time: a print would otherwise
    wait in its buffer (when stdout is a pipe and PYTHONUNBUFFERED is not set) and be
    flushed at exit, after the SDK has pointed descriptor 1 back at the client.
    :func:`stop` stops it as Ctrl-C does.
    """
    original = sys.stdout
    original.flush()
    sys.stdout = io.TextIOWrapper(io.FileIO(original.fileno(), "w", closefd=False), encoding=original.encoding,
                                  errors=original.errors, write_through=True)
    try:
        server.run("stdio")
    finally:
        sys.stdout = original
