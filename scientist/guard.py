"""Link hygiene and grounding checks: nothing outside the corpus gets into or out of an answer.

- :func:`clean_question` normalises a question and removes any link in it;
- :func:`strip_foreign_urls` replaces every link that no record carries;
- :func:`verify_text` checks a free text (an LLM's answer, say) for links and
  model or paper names that are not in the corpus.
"""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from .errors import QuestionError
from .ingest import _norm

if TYPE_CHECKING:  # pragma: no cover
    from .corpus import Corpus

__all__ = ["REMOVED", "Verdict", "clean_question", "find_urls", "strip_foreign_urls", "verify_text"]

# Anything that looks like a link: a scheme followed by non-space characters, or a bare www. host.
_URL_RE = re.compile(r"(?:\b[a-z][a-z0-9+.-]{1,15}:(?://)?[^\s<>\"'`)\]]+|\bwww\.[^\s<>\"'`)\]]+)", re.I)
_SCHEMES = ("http:", "https:", "ftp:", "file:", "javascript:", "data:", "vbscript:", "mailto:", "www.")
REMOVED = "[link removed]"
_URL_IN_QUESTION = re.compile(r"\S*(?:[a-z][a-z0-9+.-]{1,15}:/{0,2}|www\.)\S+", re.I)


def find_urls(text: str) -> list[str]:
    """Every link-like token in ``text`` (trailing punctuation trimmed)."""
    out = []
    for m in _URL_RE.finditer(text or ""):
        tok = m.group(0).rstrip(".,;:!?")
        if tok.lower().startswith(_SCHEMES):
            out.append(tok)
    return out


def strip_foreign_urls(text: str, allowed: set[str]) -> str:
    """Replace every link not in ``allowed`` with a marker."""

    def repl(m: re.Match) -> str:
        tok = m.group(0)
        core = tok.rstrip(".,;:!?")
        if not core.lower().startswith(_SCHEMES) or core in allowed:
            return tok
        return REMOVED + tok[len(core):]

    return _URL_RE.sub(repl, text or "")


def clean_question(question: object) -> str:
    """Normalise a question (NFC, printable characters, single spaces) and remove its links.

    Raises :class:`QuestionError` when nothing is left.
    """
    if not isinstance(question, str):
        raise QuestionError("the question must be text")
    text = unicodedata.normalize("NFC", question)
    text = "".join(ch if ch.isprintable() or ch in "\n\t" else " " for ch in text)
    text = _URL_IN_QUESTION.sub(REMOVED, text)
    text = " ".join(text.split())
    if not text:
        raise QuestionError("the question is empty")
    return text


# --------------------------------------------------------------------------
# the citation checker
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


def verify_text(corpus: Corpus, text: str) -> Verdict:
    """Check a free text (say, an LLM's answer) against the corpus.

    Words of the corpus's vocabulary (``vocabulary.yaml``) are not taken for names.
    """
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
        if name in corpus.vocabulary or len(_norm(name)) < 3:
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
