"""The tools a chatbot can call, defined once: names, descriptions, parameters, results, hints, and the one
policy for the photos they may read.

The MCP server (:mod:`.mcp_server`) serves these definitions, the LangChain tool
(:mod:`.chat`) is built from them, and ``scientist tools`` prints them for LLM APIs that
take function schemas directly (OpenAI's format is made by langchain-core's converter).
A photo named by a chatbot is read only inside the allowed folders (:class:`Folders`)
and restored by :func:`restore_allowed`, whichever of them asked.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from .answer import Answer
from .errors import AccessError, OptionError, OutputError, PhotoError, shown, value_problem
from .fileio import os_reason
from .guard import Verdict
from .restore.record import Demo, ProgressFn
from .settings import GAIN_HELP, Gain, Settings, load_settings

__all__ = ["FORMATS", "Folders", "ToolArgs", "ToolDef", "answer_tool", "argument_problem", "folders_for",
           "format_tools", "restore_allowed", "tool_definitions"]

#: The longest path Linux takes (PATH_MAX, in bytes): a longer one names no file.
MAX_PATH_BYTES = 4096
#: The formats ``scientist tools`` prints.
FORMATS = ("openai", "anthropic", "json-schema")


@dataclass(frozen=True)
class ToolDef:
    """One tool: what a model sees of it, and the hints a host uses to decide how to call it."""

    name: str
    title: str
    description: str
    args: type[BaseModel]
    output: type[BaseModel] | None
    read_only: bool
    idempotent: bool

    def input_schema(self) -> dict[str, Any]:
        """The parameters as a JSON Schema object, titled with the tool's name."""
        return {**self.args.model_json_schema(), "title": self.name}

    def output_schema(self) -> dict[str, Any] | None:
        return self.output.model_json_schema() if self.output is not None else None

    def hints(self) -> dict[str, Any]:
        """MCP's tool annotations: nothing reaches outside the corpus and this computer."""
        hints = {"title": self.title, "readOnlyHint": self.read_only, "openWorldHint": False}
        if not self.read_only:
            hints |= {"destructiveHint": False, "idempotentHint": self.idempotent}
        return hints

    def parameters(self) -> list[inspect.Parameter]:
        """The parameters as keyword-only Python parameters (type, constraints and description kept)."""
        params = []
        for name, field in self.args.model_fields.items():
            annotation = Annotated[(field.annotation, *field.metadata, Field(description=field.description))]
            default = inspect.Parameter.empty if field.is_required() else field.default
            params.append(inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default,
                                            annotation=annotation))
        return params


class ToolArgs(BaseModel):
    """A tool's parameters.  Arguments that do not fit them are an :class:`~scientist.errors.OptionError` (a
    ``ValueError``) of one sentence naming the argument, as the MCP server says it (:func:`argument_problem`),
    instead of pydantic's report: whoever validates a call with :meth:`model_validate` (LangChain) gets that.  An
    argument the tool does not take is refused too ("strength" of restore_photo was dropped in silence)."""

    model_config = ConfigDict(extra="forbid")

    @classmethod
    def model_validate(cls, obj: Any, **kwargs: Any) -> ToolArgs:
        try:
            return super().model_validate(obj, **kwargs)
        except ValidationError as exc:
            raise OptionError(argument_problem(exc, cls)) from None


def argument_problem(exc: ValidationError, args: type[BaseModel] | None = None) -> str:
    """A tool call's first bad argument in one sentence: missing, or what it must be (by ``args``, the tool's
    parameters, when known: a number is said with its whole range)."""
    err = exc.errors()[0]
    name = ".".join(str(p) for p in err["loc"]) or "arguments"
    if err["type"] == "missing":
        return f"the argument `{name}` is missing"
    if err["type"] == "extra_forbidden":
        return unknown_arguments([name], args)
    problem = value_problem(err, args)
    return f"the argument `{name}` {problem}" if problem.startswith(("must ", "is ")) else \
        f"the argument `{name}` is invalid: {problem}"


def unknown_arguments(names: Sequence[str], args: type[BaseModel] | None = None) -> str:
    """Arguments a tool does not take, in one sentence naming those it does (by ``args``, its parameters)."""
    *rest, last = [f"`{n}`" for n in names]
    said = f"arguments {', '.join(rest)} and {last}" if rest else f"argument {last}"
    takes = f"; it takes {', '.join(f'`{n}`' for n in args.model_fields)}" if args is not None else ""
    return f"the tool takes no {said}{takes}"


class _Question(ToolArgs):
    question: str = Field(description="The person's question about what an AI did to their photo, in their words "
                                      "(for example: how did it remove the grain without losing detail?).")


class _Text(ToolArgs):
    text: str = Field(description="The text to check, for example an answer drafted from grounded_prompt.")


class Folders:
    """Where a chatbot's photo may be read from (``allow``) and the one folder its restore writes to (``out``)."""

    def __init__(self, allow: Sequence[str | Path], out: str | Path) -> None:
        # no folder named: the working folder, unless it is the file system's root (where a chat app may start
        # its servers), which would open every photo of the machine to whoever writes to the chat: then none
        cwd = Path.cwd().resolve()
        self.allow = [Path(a).expanduser().resolve() for a in allow] or ([cwd] if cwd != Path(cwd.anchor) else [])
        for folder in self.allow:
            if not folder.is_dir():
                raise AccessError(f"{folder}: not a folder, so it cannot be allowed")
        self.out = Path(out).expanduser().resolve()
        from .restore.outputs import check_out_dir

        # a file there failed every restore_photo after a clean start; a folder that cannot be written in is left
        # to restore_photo to refuse (asking and checking answers need no output folder)
        check_out_dir(self.out, writable=False)

    @property
    def default_refused(self) -> bool:
        """Whether no folder was named and the working folder, the file system's root, was not taken instead."""
        return not self.allow

    def photo(self, path: str) -> Path:
        """The photo's real path (links followed, relative to the working folder), if it is allowed."""
        if not str(path).strip():  # else the working folder itself: "is a directory"
            raise OptionError("the argument `path` is empty; give the path of a photo")
        if not self.allow:
            raise AccessError(f"this server may read no photos: it was started in the file system's root "
                              f"({Path.cwd().anchor}) without a folder to allow; start it with --allow FOLDER "
                              f"(scientist mcp) or allow=[FOLDER] (as_tool)")
        # resolving a huge path takes seconds (or minutes); a lone surrogate a model's JSON may carry counts as 3 bytes
        if len(str(path).encode("utf-8", "surrogatepass")) > MAX_PATH_BYTES:
            raise PhotoError(f"{shown(path)}: cannot read (the path is too long: a path has at most {MAX_PATH_BYTES} "
                             f"bytes)")
        try:
            real = Path(path).expanduser().resolve()
        except (OSError, ValueError, RuntimeError):  # a NUL byte, a link loop, an unknown ~user
            raise AccessError(f"{shown(repr(path))} is not a usable path") from None
        if not any(real.is_relative_to(folder) for folder in self.allow):
            folders = ", ".join(shown(f) for f in self.allow)
            raise AccessError(f"{shown(path)} is outside the folders this server may read ({folders}); "
                              f"allow another with --allow FOLDER (scientist mcp) or allow=[FOLDER] (as_tool)")
        try:
            real.stat()
        except FileNotFoundError:
            pass  # the photo's reading says so, in its own words
        except OSError as exc:  # a name too long, a link loop, no permission
            raise PhotoError(f"{shown(path)}: cannot read ({os_reason(exc)})") from None
        return real

    def output(self) -> Path:
        """The output folder, created when missing."""
        try:
            self.out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"{self.out}: cannot create the output folder ({exc.strerror})") from None
        return self.out


def folders_for(settings: Settings, allow: Sequence[str | Path] = (), out_dir: str | Path | None = None) -> Folders:
    """The folders of the settings (``mcp_allow``, ``mcp_out_dir``) plus ``allow``; ``out_dir`` instead of theirs."""
    return Folders([*settings.mcp_allow, *allow], out_dir or settings.mcp_out_dir or settings.user_dir / "restored")


def restore_allowed(scientist, folders: Folders, path: str, max_side: int, progress: ProgressFn | None = None,
                    question: str | None = None, gain: float | str = "auto"):
    """restore_photo as every chatbot front end runs it: the path checked against ``folders``, the outputs in
    their output folder (never over a file), the photo scaled down to ``max_side``, brightened by ``gain`` ("auto":
    predicted from the photo).  With ``question``, the answer to it with the demo run on the photo (an
    ``Answer``); else the demo record."""
    from .restore.options import RestoreOptions

    photo, out = folders.photo(path), folders.output()
    options = RestoreOptions.of(out_dir=out, max_side=max_side, overwrite=False, gain=gain)
    if question is not None:
        return scientist.ask(question, photo=photo, progress=progress or False, options=options)
    return scientist.demo(photo, progress=progress or False, options=options)


#: What restoring a photo does and its limits, in restore_photo's description and the LangChain tool's.
_RESTORE_RUNS = ("the real MIMO-UNet network on a photo on this computer, executing the workflow that ask_scientist "
                 "explains (brighten, then the network's stages, then save)")
_RESTORE_LIMITS = ("The photo is scaled down to max_side first; the original and existing files are never changed. "
                   "Only photos inside the allowed folders can be read (a path outside them is refused, naming them).")
#: The longest tool description function-calling APIs take (OpenAI refuses a longer one).
MAX_DESCRIPTION = 1024


def _restore_args(settings: Settings) -> type[BaseModel]:
    from .restore.photo import SUPPORTED  # NumPy and Pillow: loaded when the tools are defined, not on import

    return create_model(
        "restore_photo", __base__=ToolArgs,
        path=(str, Field(description=f"Path of a photo on this computer ({SUPPORTED}), inside an allowed "
                                     "folder; a relative path starts in the working folder of the program that "
                                     "runs the tool.")),
        max_side=(int, Field(default=settings.mcp_max_side, ge=8, le=settings.mcp_max_side_limit,
                             description=f"Longest side in pixels the photo is scaled down to before the network "
                                         f"runs. The default, {settings.mcp_max_side}, is a quick preview; the "
                                         f"time grows with the pixel count and depends on the machine (see the "
                                         f"mcp_max_side setting).")),
        gain=(Gain, Field(default="auto", description=GAIN_HELP)),
    )


def tool_definitions(settings: Settings | None = None) -> list[ToolDef]:
    """The four tools, with the defaults of ``settings`` (default: :func:`load_settings`)."""
    settings = settings or load_settings()
    return [
        ToolDef(
            name="ask_scientist",
            title="Ask the photo scientist",
            description=(
                "Explains what an AI photo tool did to a photo (removed noise, sharpened, brightened, "
                "upscaled...) and how, answering only from a fixed corpus of model and paper records, in three "
                "parts: the task, the model's workflow as input -> model -> output steps, and the supporting "
                "records, each with its links, its cosine score and why it is (or is only loosely) relevant. "
                "When no record fits, in_scope is false, the answer says so and lists the nearest records; a "
                "question about what the records are (listing: true) lists them. "
                "Every link in the answer comes from the corpus: cite only those links and add none."),
            args=_Question, output=Answer, read_only=True, idempotent=True,
        ),
        ToolDef(
            name="restore_photo",
            title="Restore a photo with MIMO-UNet",
            description=(
                f"Runs {_RESTORE_RUNS}. Returns where the restored photo and a before/after comparison were "
                f"written, the time taken, the noise before and after, and a preview of the comparison. "
                f"{_RESTORE_LIMITS}"),
            args=_restore_args(settings), output=Demo, read_only=False, idempotent=False,
        ),
        ToolDef(
            name="grounded_prompt",
            title="Grounded prompt for your own answer",
            description=(
                "Returns a prompt for writing an answer yourself: the question plus only the corpus records "
                "that are relevant to it, with their links, so the answer can stay inside the corpus. Check "
                "what you wrote with verify_answer."),
            args=_Question, output=None, read_only=True, idempotent=True,
        ),
        ToolDef(
            name="verify_answer",
            title="Check a text against the corpus",
            description=(
                "Checks a text, for example an answer you drafted, against the corpus: which links, model "
                "or paper names and figures of results (a PSNR, a speed, a year) no corpus record carries, which "
                "records it cites, and whether it covers the "
                "three parts (task, workflow, references). grounded is true only when nothing is ungrounded; "
                "remove or replace whatever is listed before showing the text."),
            args=_Text, output=Verdict, read_only=True, idempotent=True,
        ),
    ]


def answer_tool(settings: Settings | None = None) -> ToolDef:
    """ask_scientist with an optional photo, as the LangChain tool offers it: the question of ask_scientist, the
    path, max_side and gain of restore_photo (made from their definitions, with their rules)."""
    ask, restore = tool_definitions(settings)[:2]
    fields = restore.args.model_fields
    path, max_side, gain = fields["path"], fields["max_side"], fields["gain"]
    args = create_model(
        "scientist", __base__=ToolArgs,
        question=(str, ask.args.model_fields["question"]),
        photo=(str | None, Field(default=None, description=f"Optional (left out, null or empty: no photo). "
                                                           f"{path.description}")),
        max_side=(int, max_side),
        gain=(Gain, gain),
    )
    return ToolDef(name="scientist", title=ask.title,
                   description=f"{ask.description} Given a photo as well, it also runs the real MIMO-UNet on it "
                               f"as the workflow says; the answer then ends with where the restored photo and a "
                               f"comparison were written, the time taken and the noise before and after. "
                               f"{_RESTORE_LIMITS}",
                   args=args, output=Answer, read_only=False, idempotent=False)


def _openai(tool: ToolDef) -> dict[str, Any]:
    from langchain_core.utils.function_calling import convert_to_openai_tool

    return convert_to_openai_tool({**tool.input_schema(), "description": tool.description})


def format_tools(fmt: str, settings: Settings | None = None) -> str:
    """The tool definitions as JSON for an LLM API: ``openai``, ``anthropic`` or ``json-schema``.

    ``json-schema`` gives each tool as MCP lists it: name, title, description, input and
    output schemas, and annotations.
    """
    tools = tool_definitions(settings)
    if fmt == "openai":
        out: list[dict[str, Any]] = [_openai(t) for t in tools]
    elif fmt == "anthropic":
        out = [{"name": f["name"], "description": f["description"], "input_schema": f["parameters"]}
               for f in (_openai(t)["function"] for t in tools)]
    elif fmt == "json-schema":
        out = []
        for t in tools:
            # titled as the MCP SDK titles the input schemas it lists
            entry = {"name": t.name, "title": t.title, "description": t.description,
                     "inputSchema": t.input_schema() | {"title": f"{t.name}Arguments"}}
            if t.output is not None:
                entry["outputSchema"] = t.output_schema()
            out.append(entry | {"annotations": t.hints()})
    else:
        raise ValueError(f"unknown format {fmt!r} (use {', '.join(FORMATS)})")
    return json.dumps(out, indent=2)
