"""The corpus data model: records, model cards and the task taxonomy."""

from __future__ import annotations

import hashlib
import html
import ipaddress
import re
import warnings
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = ["ModelCard", "Record", "Step", "Task", "TaskSignature", "markdown_url", "plain_text", "safe_url",
           "slugify", "split_sentences", "stage_name", "unmasked"]

_SENTENCE_RE = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\"'])")


def split_sentences(text: str, min_chars: int = 20) -> list[str]:
    """Sentences of a summary (those of at least ``min_chars`` characters), each on one line."""
    sentences = (" ".join(s.split()) for s in _SENTENCE_RE.split(text or ""))  # each on one line
    return [s for s in sentences if len(s) >= min_chars]

# no spaces, quotes, angle brackets or control characters (NUL, ESC, C1): such a "link" is no link to show
_URL_RE = re.compile(r"^https?://[^\s<>\"'`\x00-\x1f\x7f-\x9f]+$", re.IGNORECASE)
#: Control characters (C0 but tab and newline, DEL, C1): removed from record texts, so that no escape
#: sequence of a catalog reaches a terminal and no NUL reaches a file or a page.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
#: Invisible characters that change how a text reads without showing: bidirectional overrides and isolates
#: (``Safe\u202eexe.txt`` shows as ``Safetxt.exe``), zero-width spaces and joiners of words, the byte-order mark,
#: and the line and paragraph separators.  Removed from record texts; a link holding one is refused.
_INVISIBLE = re.compile("[\u061c\u180e\u200b\u200e\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff]")
#: What a Markdown renderer turns into other characters: an HTML character reference (``&colon;``, ``&#58;``)
#: and a backslash before ASCII punctuation (``https\://``).  A record's text is read as the renderer would
#: show it, so that a link written that way is seen as a link (and removed) rather than shown as one.
_MASKED = re.compile(r"&(?:#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});|\\[!-/:-@\[-`{-~]")


def plain_text(text: str) -> str:
    """``text`` without control characters (each becomes a space) and invisible formatting characters (removed;
    a line or paragraph separator becomes a space); tabs and newlines stay."""
    text = _CONTROL.sub(" ", text)
    if _INVISIBLE.search(text):
        text = _INVISIBLE.sub(lambda m: " " if m.group(0) in "\u2028\u2029" else "", text)
    return text


def unmasked(text: str) -> str:
    """``text`` as a Markdown renderer would show it: character references decoded and backslash escapes of
    punctuation dropped (then :func:`plain_text`, as a reference may stand for a control character)."""
    if "&" not in text and "\\" not in text:
        return text
    return plain_text(_MASKED.sub(lambda m: html.unescape(m.group(0)) if m.group(0)[0] == "&" else m.group(0)[1],
                                  text))


def safe_url(value: str | None, field: str = "url") -> str | None:
    """Return ``value`` if it is an http(s) URL, else ``None`` (with a warning)."""
    if value is None:
        return None
    value = str(value).strip()
    if not value:
        return None
    why = _unsafe(value)
    if why:
        warnings.warn(f"dropped {field} {value[:60]!r}: {why}", stacklevel=3)
        return None
    return value


def _unsafe(value: str) -> str | None:
    """Why ``value`` is no link to show (None when it is one): not http(s), or one that reads as another: a
    user name before the host (``https://github.com@evil.example/``), letters of other scripts in the host (a
    Cyrillic ``і`` in ``gіthub.com``; an international host is written in its ``xn--`` form), invisible
    characters, a backslash, no host, or this machine or its network (``localhost``, ``127.0.0.1``,
    ``192.168.1.1``)."""
    if _CONTROL.search(value):
        return "it holds control characters"
    if not re.match(r"https?://", value, re.IGNORECASE):
        return "only http(s) links are kept"
    if not _URL_RE.match(value):
        return "a link holds no spaces, quotes or angle brackets"
    if _INVISIBLE.search(value) or any(ch.isspace() for ch in value):
        return "it holds invisible characters"
    if "\\" in value:
        return "it holds a backslash"
    try:
        parts = urlsplit(value)
        host, _ = parts.hostname, parts.port
    except ValueError:
        return "its host or port is not valid"
    if "@" in parts.netloc:
        return "it names a user before its host"
    if not host:
        return "it names no host"
    if not host.isascii():
        return "its host holds letters that are not ASCII (write an international host as xn--)"
    if host == "localhost" or host.endswith(".localhost"):
        return "it points to this machine"
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return None
    if not ip.is_global:
        return "it points to this machine or its local network"
    return None


_MARKDOWN_URL = str.maketrans({"(": "%28", ")": "%29", "[": "%5B", "]": "%5D"})


def markdown_url(url: str) -> str:
    """A link as Markdown shows it: the characters that would end a Markdown link target percent-encoded."""
    return url.translate(_MARKDOWN_URL)


def slugify(text: str) -> str:
    """A lower-case id made of letters, digits and dashes; a text without a Latin letter or digit (a title in
    another script, ``"!!!"``) gets ``record-`` and a digest of it, so that two such titles get two ids."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    while len(slug) > 48 and "-" in slug:
        slug = slug.rsplit("-", 1)[0]
    return slug[:48] or "record-" + hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:10]


#: Fields that hold a link (kept as written: a link's own ``&`` is no character reference).
_LINK_FIELDS = frozenset({"url", "github", "huggingface"})


def _plain_texts(cls, v, info):
    """A validator for every field: texts (and lists of texts) lose their control and invisible characters, and
    are read as a Markdown renderer would show them (:func:`unmasked`), links excepted."""
    clean = plain_text if info.field_name in _LINK_FIELDS else lambda t: unmasked(plain_text(t))
    if isinstance(v, str):
        return clean(v)
    if isinstance(v, list):
        return [clean(x) if isinstance(x, str) else x for x in v]
    return v


class Step(BaseModel):
    """One step of an input -> model -> output workflow (in a model card and in an answer)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="Short name of the step, shown in the answer and the diagram.")
    detail: str = Field(description="One or two sentences on what the step does.")
    op: str | None = Field(
        default=None,
        description="Name of the operation the demo runs for this step; None for explanation-only steps.",
    )
    stage: Literal["input", "model", "output"] = Field(
        default="model", description="Which part of input -> model -> output the step belongs to."
    )

    @property
    def line(self) -> str:
        """The step as one line of its record ("name: detail"): how a record's text holds it."""
        return f"{self.name}: {self.detail}"

    _plain = field_validator("*", mode="after")(_plain_texts)


def stage_name(stage: str, kind: str = "model") -> str:
    """What a stage is called in an answer: a paper's middle stage is its ``method``, a model's its ``model``."""
    return "method" if stage == "model" and kind == "paper" else stage


class ModelCard(BaseModel):
    """What a model (or a paper's method) does and how, in the project's own words."""

    model_config = ConfigDict(extra="forbid")

    architecture: str | None = Field(default=None, description="The network variant, e.g. 'MIMO-UNet+'.")
    trained_for: str | None = Field(default=None, description="What the published weights were trained to do.")
    input: str = Field(description="What goes into the model.")
    output: str = Field(description="What comes out.")
    workflow: list[Step] = Field(description="The steps from input to output, in order.")
    can: list[str] = Field(default_factory=list, description="What it can be expected to do.")
    cannot: list[str] = Field(default_factory=list, description="What it cannot be expected to do.")

    _plain = field_validator("*", mode="after")(_plain_texts)


class Record(BaseModel):
    """A model or paper in the corpus.  Only these records are ever cited."""

    model_config = ConfigDict(extra="ignore")

    id: str = Field(description="Stable identifier, unique within a corpus.")
    kind: Literal["model", "paper"] = Field(description="A recommended model or a related paper.")
    title: str = Field(description="The model's name or the paper's title.")
    names: list[str] = Field(
        default_factory=list, description="Other names the model goes by (a question naming one is about it).")
    url: str | None = Field(default=None, description="Link to the paper (PDF, arXiv or publisher).")
    github: str | None = Field(default=None, description="Link to the code repository.")
    huggingface: str | None = Field(default=None, description="Link to a model hub page.")
    summary: str = Field(default="", description="Abstract or summary text.")
    tasks: list[str] = Field(default_factory=list, description="Task ids from the taxonomy.")
    category: str | None = Field(default=None, description="Category given by the source, e.g. a code like 'SISR'.")
    detail: str | None = Field(default=None, description="The source's detailed category, in words.")
    dataset: str | None = Field(default=None, description="Training or evaluation data named by the source.")
    source: str = Field(default="", description="Where the record came from (file name).")
    card: ModelCard | None = Field(
        default=None, description="A card in the project's words: a model's workflow or a paper's method.")

    @field_validator("url", "github", "huggingface", mode="before")
    @classmethod
    def _only_http(cls, v, info):
        return safe_url(v, info.field_name)

    _plain = field_validator("*", mode="after")(_plain_texts)

    @field_validator("title")
    @classmethod
    def _title_not_empty(cls, v: str) -> str:
        v = " ".join(plain_text(str(v)).split())
        if not v:
            raise ValueError("a record needs a name or title")
        return v

    @model_validator(mode="after")
    def _id_default(self):
        if not self.id.strip():
            self.id = slugify(self.title)
        return self

    def links(self) -> list[str]:
        """Every link of this record."""
        return [u for u in (self.url, self.github, self.huggingface) if u]

    def written(self) -> str:
        """Everything this record writes but its links: title, other names, summary, data set, category detail and
        card: its :meth:`lines` as one text (what names and the figures `verify` grounds are looked up in)."""
        return " ".join(text for _, text in self.lines())

    def lines(self) -> list[tuple[str, str]]:
        """What this record writes but its links, as ``(where, text)`` lines in its order: ``title``, each
        ``name``, each ``summary`` sentence, ``dataset``, ``detail`` and the card's ``architecture``,
        ``trained_for``, ``input``, ``output``, each ``step`` (its name and detail), ``can`` and ``cannot``
        line.  Figures asked for are looked for in them, and quoted from them."""
        out = [("title", self.title), *(("name", n) for n in self.names)]
        out += [("summary", s) for s in split_sentences(self.summary, 1)]
        out += [(where, text) for where, text in (("dataset", self.dataset), ("detail", self.detail)) if text]
        if self.card is not None:
            c = self.card
            out += [(where, text) for where, text in (("architecture", c.architecture),
                                                      ("trained_for", c.trained_for), ("input", c.input),
                                                      ("output", c.output)) if text]
            out += [("step", s.line) for s in c.workflow]
            out += [("can", t) for t in c.can] + [("cannot", t) for t in c.cannot]
        return out

    def segments(self) -> list[str]:
        """Texts embedded one by one to quote and classify a record: its summary's sentences.

        Empty when the summary has fewer than two sentences (the record's own vector serves).
        """
        sentences = split_sentences(self.summary)
        return sentences if len(sentences) >= 2 else []

    def embed_text(self) -> str:
        """The text the retriever embeds for this record."""
        parts = [self.title, self.summary, self.category, self.detail]
        if self.card:
            c = self.card
            parts += [c.trained_for, c.input, c.output, *c.can]
            parts += [s.line for s in c.workflow]
        return "\n".join(p for p in parts if p)


class TaskSignature(BaseModel):
    """What a task's questions say was given, done and got back (see ``phrasings`` in ``corpus/tasks.yaml``)."""

    model_config = ConfigDict(extra="forbid")

    gives: list[str] = Field(default_factory=list, description="What the person gives the AI (phrasing names).")
    does: list[str] = Field(default_factory=list, description="The operations the AI performs (phrasing names).")
    gets: list[str] = Field(default_factory=list, description="What comes back (phrasing names).")
    subjects: str = Field(
        default="", description="Phrasings of subjects that pull towards the task whatever was done (a face).")
    phrasings: dict[str, dict[str, str]] = Field(
        default_factory=dict, description="slot (gives, does, gets) -> name -> its phrasings, for the names used.")


class Task(BaseModel):
    """A task of the taxonomy."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="Stable identifier.")
    label: str = Field(description="Human-readable name.")
    family: str = Field(description="Group of related tasks, e.g. 'restoration'.")
    description: str = Field(description="One sentence on what the task is.")
    aliases: list[str] = Field(default_factory=list, description="Other ways people say it.")
    input: str = Field(default="The data the model takes", description="What a model for this task takes in.")
    output: str = Field(default="The model's prediction", description="What such a model produces.")
    cues: list[str] = Field(
        default_factory=list, description="Words or phrases that name the task outright (e.g. 'voice-to-text').")
    categories: list[str] = Field(
        default_factory=list, description="Catalog category codes that mean this task (e.g. 'SISR').")
    examples: list[str] = Field(
        default_factory=list, description="User-style questions about this task: the classifier's training data.")
    signature: TaskSignature | None = Field(
        default=None, description="What its questions say was given, done and got back.")

    def texts(self) -> list[str]:
        """The task's own texts: its label with its description, and its aliases."""
        return [f"{self.label}: {self.description}", *self.aliases]

    def training_texts(self) -> list[str]:
        """Everything the task classifier learns this task from."""
        return [*self.texts(), *self.examples]
