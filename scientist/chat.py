"""Use from chatbots: a LangChain retriever and tool, grounded prompts, a citation checker.

Only ``langchain-core`` interfaces are used.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from .guard import find_urls

if TYPE_CHECKING:  # pragma: no cover
    from .core import Scientist

__all__ = ["Verdict", "make_retriever", "make_tool", "verify_text"]


# --------------------------------------------------------------------------
# LangChain
# --------------------------------------------------------------------------
def make_retriever(scientist: Scientist, k: int = 4):
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


def make_tool(scientist: Scientist, name: str = "scientist"):
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


# --------------------------------------------------------------------------
# citation checker
# --------------------------------------------------------------------------
class Verdict(BaseModel):
    """Whether a text cites only the corpus, and whether it covers the three parts."""

    grounded: bool = Field(description="True when every link and every model/paper name cited is in the corpus.")
    foreign_urls: list[str] = Field(description="Links that no corpus record carries.")
    unknown_names: list[str] = Field(description="Model or paper names that appear in no corpus record.")
    cited_records: list[str] = Field(description="Ids of corpus records the text cites by link or name.")
    parts: dict[str, bool] = Field(description="Coverage of the three parts: task, workflow, references.")

    def summary(self) -> str:
        lines = [f"grounded: {'yes' if self.grounded else 'NO'}"]
        lines += [f"  ungrounded link: {u}" for u in self.foreign_urls]
        lines += [f"  ungrounded name: {n}" for n in self.unknown_names]
        lines.append("cites: " + (", ".join(self.cited_records) or "no corpus record"))
        lines.append("parts: " + ", ".join(f"{k} {'yes' if v else 'missing'}" for k, v in self.parts.items()))
        return "\n".join(lines)


# Words that look like model names: CamelCase, letters+digits, or hyphenated capitals (DnCNN, SwinIR,
# Real-ESRGAN, GPT-4, U-Net, BM3D).
_NAME_RE = re.compile(
    r"\b(?:[A-Z][a-z]+(?:[A-Z][A-Za-z]*)+|[A-Z]{2,}[a-z]+[A-Za-z]*|[A-Za-z]*[A-Z][A-Za-z]*\d[A-Za-z0-9]*"
    r"|[A-Z][A-Za-z0-9]*(?:-[A-Z0-9][A-Za-z0-9]*)+|[A-Z]{3,}\d*)\b"
)
_ARXIV_RE = re.compile(r"\b(?:arXiv:\s*)?(\d{4}\.\d{4,5})(?:v\d+)?\b", re.I)
_COMMON = {"AI", "CNN", "GAN", "GANs", "RGB", "PNG", "JPEG", "JPG", "GPU", "CPU", "FFT", "ISO", "HDR", "URL",
           "PDF", "API", "JSON", "YAML", "MTurk", "QA", "UNet", "U-Net", "PSNR", "SSIM", "ReLU", "EXIF",
           "LLM", "GitHub", "ArXiv", "AIs", "CNNs", "ML", "PyTorch", "Markdown", "OK", "DSLR", "RAW", "HEIC",
           "CNAPS", "IEEE", "ICCV", "CVPR", "TIFF", "WebP", "NOT", "ONLY", "NOTE", "TODO", "FAQ", "RGBA",
           "SCM", "FAM", "AFF", "MISE", "MOSD", "MSFR", "L1", "L2", "2D", "3D", "4K", "8K", "1080p", "720p"}


def _norm(s: str) -> str:
    return re.sub(r"[^a-z0-9]", "", s.lower())


def verify_text(scientist: Scientist, text: str) -> Verdict:
    """Check a free text (say, an LLM's answer) against the corpus."""
    corpus = scientist.corpus
    allowed = corpus.allowed_urls()
    urls = find_urls(text)
    foreign = sorted({u for u in urls if u not in allowed})
    cited = [r.id for r in corpus.records if any(u in urls for u in r.links())]
    haystack = _norm(" ".join(
        [r.title + " " + r.summary + " " + r.id + " " + (r.card.model_dump_json() if r.card else "")
         for r in corpus.records] + [t.label for t in corpus.tasks]))
    text_wo_urls = text
    for u in urls:
        text_wo_urls = text_wo_urls.replace(u, " ")
    unknown: list[str] = []
    for m in _NAME_RE.finditer(text_wo_urls):
        name = m.group(0)
        if name in _COMMON or len(_norm(name)) < 3:
            continue
        if _norm(name) in haystack:
            for r in corpus.records:
                if _norm(name) in _norm(r.title) and r.id not in cited:
                    cited.append(r.id)
            continue
        if name not in unknown:
            unknown.append(name)
    corpus_arxiv = {m.group(1) for u in allowed for m in _ARXIV_RE.finditer(u)}
    for m in _ARXIV_RE.finditer(text_wo_urls):
        if m.group(1) not in corpus_arxiv and f"arXiv:{m.group(1)}" not in unknown:
            unknown.append(f"arXiv:{m.group(1)}")
    low = text.lower()
    task_words = {t.label.lower() for t in corpus.tasks} | {t.id.replace("-", " ") for t in corpus.tasks}
    parts = {
        "task": "task" in low or any(w in low for w in task_words),
        "workflow": ("input" in low and "output" in low) or "→" in text or "->" in text,
        "references": bool(cited),
    }
    return Verdict(grounded=not foreign and not unknown, foreign_urls=foreign, unknown_names=unknown,
                   cited_records=cited, parts=parts)
