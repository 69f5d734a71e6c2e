"""LangChain adapters: a retriever and a tool over a :class:`~scientist.core.Scientist`.

Only ``langchain-core`` interfaces are used.  The adapters depend on the
Scientist's public methods only (:class:`Asker`); the Scientist imports this
module lazily, from ``as_retriever`` and ``as_tool``.
"""

from __future__ import annotations

from typing import Any, Protocol

from pydantic import ConfigDict

from .errors import ScientistError
from .guard import strip_foreign_urls

__all__ = ["Asker", "make_retriever", "make_tool", "tool_error"]


class Asker(Protocol):
    """What the adapters need of a Scientist."""

    def ask(self, question: str, photo=None, **options): ...

    def retrieve(self, question: str, k: int | None = None) -> list: ...

    @property
    def corpus(self): ...


def make_retriever(scientist: Asker, k: int = 4):
    """A ``BaseRetriever`` over the corpus; each Document carries the record's links and cosine."""
    from langchain_core.documents import Document
    from langchain_core.retrievers import BaseRetriever

    class CorpusRetriever(BaseRetriever):
        """Retrieves corpus records by cosine similarity."""

        model_config = ConfigDict(arbitrary_types_allowed=True)
        scientist: Any
        k: int = 4

        def _get_relevant_documents(self, query: str, *, run_manager=None) -> list[Document]:
            docs = []
            allowed = self.scientist.corpus.allowed_urls()
            for rec, score in self.scientist.retrieve(query, self.k):
                # a link in a record's text is no record link: it does not reach the LLM either
                text = strip_foreign_urls(f"{rec.title}\n\n{rec.summary}".strip(), allowed)
                docs.append(Document(page_content=text, id=rec.id, metadata={
                    "id": rec.id, "kind": rec.kind, "title": rec.title, "url": rec.url,
                    "github": rec.github, "huggingface": rec.huggingface, "score": round(float(score), 4)}))
            return docs

    return CorpusRetriever(scientist=scientist, k=k)


_TOOL_ERRORS: dict[type, type] = {}


def tool_error(exc: ScientistError) -> ScientistError:
    """``exc`` as an error of its own type that is also LangChain's ``ToolException``: a caller catches it as
    before (``OptionError``, ``PhotoError``, ...), and a tool whose ``handle_tool_error`` is set hands its sentence
    to the model as an error ``ToolMessage`` instead, as the MCP server returns a tool error, so that an agent
    carries on (LangChain handles only ``ToolException`` so)."""
    from langchain_core.tools import ToolException

    kind = type(exc)
    if isinstance(exc, ToolException):
        return exc
    if kind not in _TOOL_ERRORS:
        _TOOL_ERRORS[kind] = type(kind.__name__, (kind, ToolException), {"__module__": kind.__module__,
                                                                         "__doc__": kind.__doc__})
    return _TOOL_ERRORS[kind](*exc.args)


def make_tool(scientist: Asker, name: str = "scientist", folders=None):
    """A ``BaseTool`` returning the Markdown answer, with the structured answer as its artifact.

    Its parameters and description come from the tool definitions (:func:`~.tools.answer_tool`: the question
    of ask_scientist, and optionally a photo as restore_photo takes it); a photo is read only inside
    ``folders`` (a :class:`~.tools.Folders`; default: the ``mcp_allow`` and ``mcp_out_dir`` settings, as
    ``scientist mcp`` uses them) and restored by the same call as the MCP server's restore_photo.  Its errors,
    a refused argument included, come as :func:`tool_error` makes them.
    """
    from langchain_core.tools import StructuredTool

    from .tools import answer_tool, folders_for, restore_allowed

    settings = getattr(scientist, "settings", None)
    definition = answer_tool(settings)
    allowed = folders

    class Args(definition.args):  # the same parameters and schema; a refused argument is a tool_error
        model_config = ConfigDict(title=definition.name)

        @classmethod
        def model_validate(cls, obj: Any, **kwargs: Any):
            try:
                return super().model_validate(obj, **kwargs)
            except ScientistError as exc:
                raise tool_error(exc) from None

    def run(question: str, photo: str | None = None, max_side: int = definition.args.model_fields["max_side"].default,
            gain: float | str = definition.args.model_fields["gain"].default) -> tuple[str, dict]:
        nonlocal allowed
        try:
            if photo is not None and photo.strip():  # an LLM fills an optional text it has none for with ""
                allowed = allowed or folders_for(settings)
                answer = restore_allowed(scientist, allowed, photo, max_side, question=question, gain=gain)
            else:
                answer = scientist.ask(question)
        except ScientistError as exc:
            raise tool_error(exc) from None
        return answer.markdown, answer.model_dump(mode="json")

    return StructuredTool.from_function(
        func=run,
        name=name,
        description=definition.description,
        args_schema=Args,
        response_format="content_and_artifact",
    )
