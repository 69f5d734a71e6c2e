"""Jinja rendering of answers, phrases and the workflow diagram.

All wording lives in ``templates/``; this module only wires data to it.
"""

from __future__ import annotations

import math
import re
import threading
from pathlib import Path

import jinja2
from jinja2.bccache import FileSystemBytecodeCache
from markupsafe import Markup

from .errors import shown
from .paths import data_path
from .records import markdown_url, stage_name
from .restore.constants import BUNDLED_LABEL
from .settings import GAIN_RANGE, MEASURABLE_SIDE

#: A predicted gain below this is called a slight brightening: the brightness step applies a small predicted gain
#: only in part (its leave ramp), and a change this small is within its typical error, so the result says so
#: briefly instead of giving the full account of a guessed level (the issue's "left nearly as it is": 1.15).
SLIGHT_GAIN = 1.15

__all__ = ["Renderer"]


def percent(x: float) -> str:
    """A classifier's probability as a whole percentage, never printed as certain: "over 99%", "under 1%" (the
    templates use it for confidences only)."""
    x = float(x)
    if x >= 0.995:
        return "over 99%"
    if x < 0.005:
        return "under 1%"
    return f"{100 * x:.0f}%"


def lower_words(text: object) -> str:
    """A task's label inside a sentence: each word lower-cased, but an acronym (two capitals or more: ``JPEG``,
    ``HDR``; or a capital beside a digit: ``3D``) kept as it is written ("JPEG artifact removal", not "jpeg artifact
    removal"; "3D reconstruction", not "3d reconstruction")."""
    def word(w: str) -> str:
        upper = sum(c.isupper() for c in w)
        return w if upper >= 2 or (upper and any(c.isdigit() for c in w)) else w.lower()

    return re.sub(r"\S+", lambda m: word(m.group(0)), str(text))


def duration(seconds: float) -> str:
    """``0.4 s`` (under 10 s: a tenth, so that a short run is not "0 s"), ``42 s`` or ``6 min 44 s``."""
    seconds = float(seconds)
    if seconds < 9.95:
        return f"{seconds:.1f} s"
    if seconds < 90:
        return f"{seconds:.0f} s"
    return f"{seconds // 60:.0f} min {seconds % 60:.0f} s"


#: The most characters of a message shown as the title of an answer that says it was pasted by mistake (a 40-line log
#: is no title); other answers show up to :func:`title_of`'s default.
PASTED_TITLE = 80


def answer_title(answer) -> str:
    """``answer``'s question as its title (:func:`title_of`), shorter for a paste."""
    return title_of(answer.question, PASTED_TITLE) if answer.about == "pasted" else title_of(answer.question)


def title_of(question: str, limit: int = 300) -> str:
    """A question as an answer's title: whole when it is at most ``limit`` characters, else its start and its end
    with "…" between, at word breaks: a long story asks its question last ("... anyway, is it making stuff up or
    is it real detail?"), which a title cut at its end dropped."""
    if len(question) <= limit:
        return question
    head, tail = question[: limit * 2 // 5], question[-(limit * 3 // 5):]
    head = head.rsplit(" ", 1)[0] if " " in head else head
    tail = tail.split(" ", 1)[1] if " " in tail else tail
    return f"{head.rstrip(' ,;:')} … {tail.lstrip()}"


def _mermaid_label(text: str) -> str:
    return re.sub(r"[\"\[\]{}()<>|]", " ", text).strip()


_HTTP_URL = re.compile(r"https?://\S+\Z", re.I)
_WHITE_RUN = re.compile(r"\s+")
#: A character reference (``&colon;``): its ``&`` is written ``&amp;``, so that it shows as typed.
_MD_REFERENCE = re.compile(r"&(?=#?[A-Za-z0-9]{1,32};)")
#: What could begin a block at the start of a value: a heading, a quote, a list item, a code fence.
_MD_BLOCK_START = re.compile(r"\A(#|>|[-+*](?=\s)|\d{1,9}(?=[.)](?:\s|\Z))|`{3}|~{3})")


def markdown_text(text: str) -> str:
    """``text`` as Markdown that shows it as it is, not what a renderer would make of it: on one line (no value
    begins a heading, a list, a quote or a code block), with no raw HTML (``<`` written ``&lt;``), no character
    reference (``&colon;`` shown as typed) and no link or image (``](`` written ``]\\(``).  Other inline markup
    (emphasis, code spans) is left as it is: it changes how a text looks, not where a reader is sent."""
    text = _WHITE_RUN.sub(" ", text)
    text = _MD_REFERENCE.sub("&amp;", text).replace("<", "&lt;").replace("](", "]\\(")
    return _MD_BLOCK_START.sub(lambda m: m.group(1) + "\\" if m.group(1)[0].isdigit() else "\\" + m.group(1),
                               text, count=1)


def markdown_code(text: object) -> Markup:
    """``text`` as an inline code span (a file name, say): on one line, fenced by more backticks than it holds
    in a row, so that none of it ends the span."""
    text = " ".join(str(text).split())
    fence = "`" * (max((len(r) for r in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return Markup(f"{fence}{pad}{text}{pad}{fence}")


def markdown_value(value: object) -> object:
    """What ``{{ value }}`` shows in a Markdown template: a link alone, with ``()[]`` percent-encoded so that its
    whole target stays one link; any other text through :func:`markdown_text`, as record texts and questions are
    anybody's and a renderer must show them, not run them; a value marked as Markdown already (the ``md`` filter:
    a macro's text, whose values were escaped inside it; the diagram) as it is."""
    if isinstance(value, Markup):
        return str(value)
    if isinstance(value, str):
        return markdown_url(value) if _HTTP_URL.match(value) else markdown_text(value)
    return value


class _BytecodeCache(FileSystemBytecodeCache):
    """Compiled templates kept between processes; a cache that cannot be written is skipped."""

    def dump_bytecode(self, bucket) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError:
            pass

    def load_bytecode(self, bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except OSError:
            pass


def _bytecode_cache(cache: Path | None, name: str = "jinja"):
    """Jinja's bytecode cache under ``cache/<name>`` (entries are keyed by the template's source)."""
    if cache is None:
        from .settings import load_settings

        cache = load_settings().cache_dir
    folder = Path(cache) / name
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return _BytecodeCache(str(folder))


def _cells(text: str) -> int:
    """The columns ``text`` takes in a terminal (rich's table of widths, loaded only for a summary that needs it)."""
    from rich.cells import cell_len

    return cell_len(text)


class Renderer:
    """Renders templates from the packaged ``templates`` folder (or another one).

    Compiled templates are cached in ``cache`` (default: the user cache folder),
    which saves a fresh process most of the cost of rendering its first answer.
    Text and Markdown templates are rendered as they are; HTML templates
    (:meth:`html`) in an environment of their own that escapes every value.
    """

    def __init__(self, folder=None, cache: Path | None = None) -> None:
        self._folder = str(folder or data_path("templates"))
        self._cache = cache
        self.env = self._environment(autoescape=False)
        self._html_env: jinja2.Environment | None = None
        self._md_env: jinja2.Environment | None = None
        self._phrases = None
        self._lock = threading.Lock()

    def _environment(self, autoescape: bool, markdown: bool = False) -> jinja2.Environment:
        # HTML and Markdown templates compile differently (escaping), so their bytecode is kept apart
        name = "jinja-html" if autoescape else "jinja-md" if markdown else "jinja"
        env = jinja2.Environment(
            bytecode_cache=_bytecode_cache(self._cache, name),
            loader=jinja2.FileSystemLoader(self._folder),
            autoescape=autoescape,
            finalize=markdown_value if markdown else None,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            undefined=jinja2.StrictUndefined,
        )
        env.filters["pct"] = percent
        # rounded down: a cosine shown never reaches a cutoff it is under (0.198 is "0.19", not "0.20")
        env.filters["cos"] = lambda x: f"{math.floor(float(x) * 100 + 1e-9) / 100:.2f}"
        env.filters["first_upper"] = lambda text: str(text)[:1].upper() + str(text)[1:]
        env.filters["duration"] = duration
        env.filters["question_title"] = title_of
        env.filters["answer_title"] = answer_title
        env.filters["shown"] = lambda text: shown(text, limit=1_000)  # a file name's escape sequences: "?"
        env.filters["cells"] = _cells  # the columns a text takes in a terminal: "日本" takes 4
        env.filters["pad"] = lambda text, width: text + " " * max(0, width - _cells(text))
        env.filters["lower_words"] = lower_words
        env.filters["md"] = Markup  # Markdown already (a macro's text, its values escaped inside it)
        env.filters["code"] = markdown_code
        env.globals["stage_name"] = stage_name
        env.globals["gain_max"] = GAIN_RANGE[1]
        env.globals["slight_gain"] = SLIGHT_GAIN
        env.globals["measurable_side"] = MEASURABLE_SIDE
        env.globals["bundled_label"] = BUNDLED_LABEL
        return env

    def html(self, name: str, **ctx) -> str:
        """Render an HTML template (every value escaped unless marked safe)."""
        with self._lock:
            if self._html_env is None:
                self._html_env = self._environment(autoescape=True)
            env = self._html_env
        return env.get_template(name).render(**ctx)

    def markdown(self, name: str, **ctx) -> str:
        """Render a Markdown template, every value through :func:`markdown_value`."""
        with self._lock:
            if self._md_env is None:
                self._md_env = self._environment(autoescape=False, markdown=True)
            env = self._md_env
        return env.get_template(name).render(**ctx)

    def phrase(self, name: str, **ctx) -> str:
        """Call a macro of ``phrases.j2`` and return its text on one line: its lines stripped and joined by a
        space, and nothing else changed, so that a value keeps its own spaces (a file named "a  b.jpg")."""
        with self._lock:
            if self._phrases is None:
                self._phrases = self.env.get_template("phrases.j2").module
            macro = getattr(self._phrases, name)
        text = str(macro(**ctx))
        return " ".join(line.strip() for line in text.splitlines() if line.strip())

    def answer(self, answer, fmt: str = "md", titles: dict[str, str] | None = None) -> str:
        """Render an :class:`~scientist.answer.Answer`; ``titles`` names the records its facts and evidence
        quote."""
        if fmt == "md":
            return self.markdown("answer.md.j2", a=answer, titles=titles or {}).strip() + "\n"
        return self.env.get_template(f"answer.{fmt}.j2").render(a=answer, titles=titles or {}).strip() + "\n"

    def mermaid(self, wf_input: str, steps, wf_output: str, kind: str = "model") -> str:
        """A left-to-right flowchart with one subgraph per stage (input, model or method, output)."""
        lines = ["flowchart LR"]
        ids = []
        for stage in ("input", "model", "output"):
            members = [(i, s) for i, s in enumerate(steps, 1) if s.stage == stage]
            if not members:
                continue
            title = stage_name(stage, kind).capitalize()
            lines.append(f"    subgraph {stage}[{title}]")
            for i, s in members:
                lines.append(f'        s{i}["{_mermaid_label(s.name)}"]')
                ids.append(f"s{i}")
            lines.append("    end")
        if ids:
            lines.append("    " + " --> ".join(ids))
        return "\n".join(lines)
