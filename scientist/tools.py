"""The tools a chatbot can call, defined once: names, descriptions, parameters, results, hints.

The MCP server (:mod:`.mcp_server`) serves these definitions and ``scientist tools``
prints them for LLM APIs that take function schemas directly (OpenAI's format is
made by langchain-core's converter).  Nothing here runs a tool.
"""

from __future__ import annotations

import inspect
import json
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, Field, create_model

from .answer import Answer
from .guard import Verdict
from .restore.record import Demo
from .settings import Settings, load_settings

__all__ = ["FORMATS", "ToolDef", "format_tools", "tool_definitions"]

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


class _Question(BaseModel):
    question: str = Field(description="The person's question about what an AI did to their photo, in their words "
                                      "(for example: how did it remove the grain without losing detail?).")


class _Text(BaseModel):
    text: str = Field(description="The text to check, for example an answer drafted from grounded_prompt.")


def _restore_args(settings: Settings) -> type[BaseModel]:
    from .restore.photo import SUPPORTED  # NumPy and Pillow: loaded when the tools are defined, not on import

    return create_model(
        "restore_photo",
        path=(str, Field(description=f"Path of a photo on this computer ({SUPPORTED}), inside a folder the "
                                     "server may read; a relative path starts in the server's working folder.")),
        max_side=(int, Field(default=settings.mcp_max_side, ge=8, le=settings.mcp_max_side_limit,
                             description=f"Longest side in pixels the photo is scaled down to before the network "
                                         f"runs. The default, {settings.mcp_max_side}, is a quick preview; the "
                                         f"time grows with the pixel count and depends on the machine (see the "
                                         f"mcp_max_side setting).")),
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
                "When no record fits, in_scope is false, the answer says so and lists the nearest records. "
                "Every link in the answer comes from the corpus: cite only those links and add none."),
            args=_Question, output=Answer, read_only=True, idempotent=True,
        ),
        ToolDef(
            name="restore_photo",
            title="Restore a photo with MIMO-UNet",
            description=(
                "Runs the real MIMO-UNet network on a photo on this computer, executing the workflow that "
                "ask_scientist explains (brighten, then the network's stages, then save). Returns where the "
                "restored photo and a before/after comparison were written, the time taken, the noise before "
                "and after, and a preview of the comparison. The photo is scaled down to max_side first; the "
                "original is never changed and no existing file is overwritten. Only photos inside the folders "
                "the server was started with can be read."),
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
                "Checks a text, for example an answer you drafted, against the corpus: which links and model "
                "or paper names no corpus record carries, which records it cites, and whether it covers the "
                "three parts (task, workflow, references). grounded is true only when nothing is ungrounded; "
                "remove or replace whatever is listed before showing the text."),
            args=_Text, output=Verdict, read_only=True, idempotent=True,
        ),
    ]


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
            entry = {"name": t.name, "title": t.title, "description": t.description, "inputSchema": t.input_schema()}
            if t.output is not None:
                entry["outputSchema"] = t.output_schema()
            out.append(entry | {"annotations": t.hints()})
    else:
        raise ValueError(f"unknown format {fmt!r} (use {', '.join(FORMATS)})")
    return json.dumps(out, indent=2)
