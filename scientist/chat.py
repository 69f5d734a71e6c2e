"""LangChain adapters: a retriever and a tool over a :class:`~scientist.core.Scientist`.

Only ``langchain-core`` interfaces are used.  The adapters depend on the
Scientist's public methods only (:class:`Asker`); the Scientist imports this
module lazily, from ``as_retriever`` and ``as_tool``.
"""

from __future__ import annotations

from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Asker", "make_retriever", "make_tool"]


class Asker(Protocol):
    """What the adapters need of a Scientist."""

    def ask(self, question: str, photo=None, **options): ...

    def retrieve(self, question: str, k: int | None = None) -> list: ...


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
            for rec, score in self.scientist.retrieve(query, self.k):
                text = f"{rec.title}\n\n{rec.summary}".strip()
                docs.append(Document(page_content=text, id=rec.id, metadata={
                    "id": rec.id, "kind": rec.kind, "title": rec.title, "url": rec.url,
                    "github": rec.github, "score": round(float(score), 4)}))
            return docs

    return CorpusRetriever(scientist=scientist, k=k)


class _ToolArgs(BaseModel):
    question: str = Field(description="The user's question about how an AI model processed their photo.")
    photo: str | None = Field(default=None, description="Optional path of a photo to run the model on.")


def make_tool(scientist: Asker, name: str = "scientist"):
    """A ``BaseTool`` returning the Markdown answer, with the structured answer as its artifact."""
    from langchain_core.tools import StructuredTool

    def run(question: str, photo: str | None = None) -> tuple[str, dict]:
        answer = scientist.ask(question, photo=photo, progress=False) if photo else scientist.ask(question)
        return answer.markdown, answer.model_dump(mode="json")

    return StructuredTool.from_function(
        func=run,
        name=name,
        description=("Explains, from a fixed corpus of model and paper records only, which task an AI photo "
                     "tool performed and how the model works, citing only the corpus's links. "
                     "Optionally runs the model on a photo."),
        args_schema=_ToolArgs,
        response_format="content_and_artifact",
    )
