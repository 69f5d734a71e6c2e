"""The typed answer returned by :meth:`Scientist.ask` and printed by ``ask --json``."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from .records import Step
from .restore.record import Demo

__all__ = [
    "SCHEMA_VERSION",
    "Answer",
    "Correction",
    "Demo",
    "Evidence",
    "Fact",
    "LanguageInfo",
    "Reference",
    "Step",
    "TaskGuess",
    "TaskResult",
    "Workflow",
]

#: Bump whenever the JSON schema of :class:`Answer` changes.
SCHEMA_VERSION = "1.25"


class TaskGuess(BaseModel):
    """One candidate task."""

    id: str = Field(description="Task id from the taxonomy.")
    label: str = Field(description="Human-readable task name.")
    confidence: float = Field(ge=0, le=1, description="Share of the classifier's belief, in [0, 1].")
    cosine: float = Field(description="Best cosine similarity between the question and the task's texts.")


class TaskResult(TaskGuess):
    """The task the question is classified as, with its runner-up."""

    runner_up: TaskGuess | None = Field(default=None, description="The second most likely task.")
    clear: bool = Field(description="False when no task matched the question well enough to be sure.")
    both: bool = Field(
        default=False,
        description="True when the question could be about either this task or its runner-up (neither is "
                    "clearly ahead): the answer then looks for records of both, and its notes say why and which "
                    "of the two the records cover (``covered``).")
    covered: list[str] = Field(
        default_factory=list,
        description="Ids of the question's tasks (this one, and the runner-up when ``both``) that a supporting "
                    "record addresses; empty when none does or the question is out of scope.")
    decided_by: Literal["question", "photo"] = Field(
        default="question",
        description="question: classified from the question's words (``confidence`` is the classifier's); photo: "
                    "the question came with a photo, named no operation and asked what was done to the photo "
                    "(\"what did you do to my photo?\"), so the task is what the demo measurably did to it, not a "
                    "guess: low-light enhancement when its brightness step raised the level, then the network's "
                    "task by its weights; ``confidence`` 1 for each of the two (the runner-up's too: each was "
                    "done, so neither is a share of a belief and they do not add up to 1), ``both`` when the two "
                    "were done.")
    model_task: str | None = Field(
        default=None, description="Task id the recommended model was built for, when known."
    )
    matches_model: bool | None = Field(
        default=None, description="Whether the recommended model was built for the question's task (and, when "
                                  "``both``, for the runner-up too, unless records of its own support the answer); "
                                  "None when the task is not clear or no model is recommended."
    )


class LanguageInfo(BaseModel):
    """The language a question was read as."""

    code: str = Field(description="ISO 639-1 code of the language, e.g. 'en', 'ko'.")
    name: str = Field(description="The language's name in English.")
    english: bool = Field(description="Whether the question is in English, the language the tool reads.")


class Workflow(BaseModel):
    """Input -> model -> output, as concrete steps."""

    model_id: str | None = Field(description="Id of the record whose card (or description) gives the workflow.")
    model: str | None = Field(description="Name of the model, or title of the paper.")
    kind: Literal["model", "paper"] = Field(
        default="model", description="model: how the model works; paper: how the paper's method works.")
    input: str = Field(description="What goes in.")
    steps: list[Step] = Field(description="The steps, in order.")
    output: str = Field(description="What comes out.")
    mermaid: str = Field(description="The same workflow as a Mermaid flowchart.")
    can: list[str] = Field(default_factory=list, description="What the model can be expected to do (model card).")
    cannot: list[str] = Field(default_factory=list, description="What it cannot be expected to do (model card).")
    architecture: str | None = Field(default=None, description="The network variant and its size (model card).")
    trained_for: str | None = Field(
        default=None, description="What the published weights were trained to do, on which data (model card).")
    grounded: bool = Field(
        description="True when the steps come from a card in the corpus; False when they are assembled from the "
                    "record's task and its own sentences.")


class Reference(BaseModel):
    """A corpus record that supports (or only loosely relates to) the answer."""

    id: str = Field(description="Record id.")
    kind: str = Field(description="model or paper.")
    title: str = Field(description="Model name or paper title.")
    url: str | None = Field(description="Paper link from the record.")
    github: str | None = Field(description="Code link from the record.")
    huggingface: str | None = Field(default=None, description="Model hub link from the record.")
    score: float = Field(description="Cosine similarity between the question and the record.")
    relevance: Literal["direct", "related", "loose", "none"] = Field(
        description="direct: addresses the question's task; related: a neighbouring task or a strong match; "
                    "loose: listed, not relied on; none: not relevant.")
    supports: bool = Field(default=False, description="Whether the answer relies on this record (not merely lists it).")
    named: bool = Field(default=False, description="Whether the question names this record (its title, one of its "
                                                   "names, its short title, or title words before a word for its "
                                                   "kind, as in 'the histopathology paper'), or means it without "
                                                   "naming it (the corpus's only model as 'the model', 'it' or a "
                                                   "follow-up's; the network run on the photo given), which `why` "
                                                   "then says.")
    why: str = Field(description="One sentence on why the record is (or is only loosely) relevant.")
    cannot: list[str] = Field(
        default_factory=list, description="What the record's card says it cannot be expected to do, given for a "
                                          "record the question names (asking whether it does what it cannot).")


class Evidence(BaseModel):
    """A sentence quoted from a record: the short answer is made of these, never of invented text."""

    record_id: str = Field(description="Id of the record the sentence is quoted from.")
    sentence: str = Field(description="The sentence, exactly as the record gives it.")
    score: float = Field(description="Cosine similarity between the question and the sentence.")


class Fact(BaseModel):
    """A line of a record the question names that gives a figure or fact the question asks for ("how many
    parameters does MIMO-UNet have?"), quoted as the record writes it."""

    label: str = Field(description="What the question asks for, as figures.yaml names it (e.g. 'model size').")
    record_id: str = Field(description="Id of the record the line is quoted from.")
    where: str = Field(description="Which part of the record the line is: 'summary' (a sentence of it), "
                                   "'dataset', 'detail', or a part of its card: 'architecture', 'trained_for', "
                                   "'input', 'output', 'step', 'can' or 'cannot'; or 'github', its code's link "
                                   "(schema 1.17).")
    text: str = Field(description="The line as the record writes it (a summary sentence on one line, a step as "
                                   "its name, a colon and its detail).")


class Correction(BaseModel):
    """A misspelt word of the question and the word it was read as."""

    written: str = Field(description="The word as the question writes it.")
    read_as: str = Field(description="The word of the taxonomy's and records' vocabulary it was read as.")


class Answer(BaseModel):
    """A grounded three-part answer."""

    model_config = ConfigDict(extra="forbid")

    schema_version: str = Field(default=SCHEMA_VERSION, description="Version of this JSON schema.")
    question: str = Field(description="The question, with any links removed.")
    read_as: str | None = Field(
        default=None,
        description="The question as it was classified and matched to records, when misspelt words were read as "
                    "others (see `corrections`) or a record named by part of its title got the title beside it "
                    "(see each reference's `named`); None when it was read as written.")
    corrections: list[Correction] = Field(
        default_factory=list, description="The misspelt words read as others, in the question's order.")
    in_scope: bool = Field(description="False when no corpus record clears the relevance cutoff.")
    facts: list[Fact] = Field(
        default_factory=list,
        description="Lines of the records the question names that give a figure or fact it asks for (their "
                    "size, training data, loss, ...), shown first; empty when it asks for none, or none of them "
                    "gives it (a note then says so).")
    not_reported: list[str] = Field(
        default_factory=list,
        description="The figures and facts the question asks for that the records the answer draws on do not "
                    "report (a note says so): the records' sentences quoted are then no answer to them.")
    evidence: list[Evidence] = Field(
        default_factory=list,
        description="The short answer: 2-4 sentences quoted from supporting records, chosen for the question.")
    language: LanguageInfo = Field(
        default_factory=lambda: LanguageInfo(code="en", name="English", english=True),
        description="The language the question was read as; a question not in English is not classified.")
    task: TaskResult | None = Field(
        description="Part 1: the task (None when no task was read: the question is not in English, the corpus is "
                    "empty, the question asks what the corpus holds, `listing`, or is about the tool itself, `about`).")
    workflow: Workflow | None = Field(description="Part 2: input -> model -> output (None when out of scope).")
    references: list[Reference] = Field(description="Part 3: supporting records, best first.")
    nearest: list[Reference] = Field(
        default_factory=list, description="When out of scope: the nearest records, for transparency (when `listing`: "
                                          "the corpus's records of the kind asked for, in the corpus's order, or the "
                                          "nearest the question first when more are held than are listed)."
    )
    listing: bool = Field(
        default=False, description="Whether the question asked what the corpus holds ('which papers do you know?') "
                                   "and, otherwise refused, was answered by listing its records in `nearest`.")
    about: Literal["tool", "social", "unreadable", "pasted", "usage"] | None = Field(
        default=None,
        description="When the message is about the tool itself rather than a question for its records and would "
                    "otherwise be refused (schema 1.19): `tool` ('what can you do?', 'help', 'hi'), answered with "
                    "what the tool does and its records in `nearest`; `social` ('thanks!', 'ok', 'bye', 'how are "
                    "you?', 'that didn't help': schema 1.20), acknowledged; `unreadable` (no word the tool knows, "
                    "'asdfgh'), said to hold no question; `pasted` (text pasted by mistake: a command, code, a log, "
                    "a path, a link; schema 1.20), said to hold no question and what it looks like; `usage` (how "
                    "the tool handles a photo: 'can it open HEIC files?', 'does it upload my photos?'; schema "
                    "1.22), answered with the tool's own facts for the topics in `usage`.")
    usage: list[Literal["formats", "raw", "output", "size", "depth", "privacy", "hardware", "weights", "licence",
                         "trust"]] = Field(
        default_factory=list,
        description="What the message asks about using the tool on a photo (schema 1.22), answered in a note with "
                    "the tool's own facts, from its code and settings, not from a record: the file formats it reads "
                    "(`formats`), camera RAW files (`raw`), what it writes (`output`), how large a photo may be "
                    "(`size`), bit depth (`depth`), where a photo goes (`privacy`), the computer it needs "
                    "(`hardware`), the network's weights it runs (`weights`, schema 1.24), the tool's licence and "
                    "price (`licence`, schema 1.25) and how far its answers and their figures can be trusted "
                    "(`trust`, schema 1.25). With `about` `usage` "
                    "the note is the whole answer; otherwise it opens an answer that also explains what the question "
                    "asks of the records.")
    notes: list[str] = Field(default_factory=list, description="Honest caveats about the answer.")
    markdown: str = Field(default="", description="The answer rendered as Markdown.")
    text: str = Field(default="", description="The answer rendered as plain text.")
    demo: Demo | None = Field(default=None, description="The demo run, when a photo was given.")

    def to_markdown(self) -> str:
        return self.markdown

    def to_text(self) -> str:
        return self.text
