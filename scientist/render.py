"""Jinja rendering of answers, phrases and the workflow diagram.

All wording lives in ``templates/``; this module only wires data to it.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path

import jinja2
from jinja2.bccache import FileSystemBytecodeCache

from .paths import data_path

__all__ = ["Renderer"]


def duration(seconds: float) -> str:
    """``42 s`` or ``6 min 44 s``."""
    seconds = float(seconds)
    if seconds < 90:
        return f"{seconds:.0f} s"
    return f"{seconds // 60:.0f} min {seconds % 60:.0f} s"


def _mermaid_label(text: str) -> str:
    return re.sub(r"[\"\[\]{}()<>|]", " ", text).strip()


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


def _bytecode_cache(cache: Path | None):
    """Jinja's bytecode cache under ``cache/jinja`` (entries are keyed by the template's source)."""
    if cache is None:
        from .settings import load_settings

        cache = load_settings().cache_dir
    folder = Path(cache) / "jinja"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return _BytecodeCache(str(folder))


class Renderer:
    """Renders templates from the packaged ``templates`` folder (or another one).

    Compiled templates are cached in ``cache`` (default: the user cache folder),
    which saves a fresh process most of the cost of rendering its first answer.
    """

    def __init__(self, folder=None, cache: Path | None = None) -> None:
        self.env = jinja2.Environment(
            bytecode_cache=_bytecode_cache(cache),
            loader=jinja2.FileSystemLoader(str(folder or data_path("templates"))),
            autoescape=False,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            undefined=jinja2.StrictUndefined,
        )
        self.env.filters["pct"] = lambda x: f"{100 * float(x):.0f}%"
        self.env.filters["cos"] = lambda x: f"{float(x):.2f}"
        self.env.filters["duration"] = duration
        self._phrases = None
        self._lock = threading.Lock()

    def phrase(self, name: str, **ctx) -> str:
        """Call a macro of ``phrases.j2`` and return its text on one line."""
        with self._lock:
            if self._phrases is None:
                self._phrases = self.env.get_template("phrases.j2").module
            macro = getattr(self._phrases, name)
        return " ".join(str(macro(**ctx)).split())

    def answer(self, answer, fmt: str = "md", titles: dict[str, str] | None = None) -> str:
        """Render an :class:`~scientist.answer.Answer`; ``titles`` names the records its evidence quotes."""
        template = self.env.get_template(f"answer.{fmt}.j2")
        return template.render(a=answer, titles=titles or {}).strip() + "\n"

    def mermaid(self, wf_input: str, steps, wf_output: str, kind: str = "model") -> str:
        """A left-to-right flowchart with one subgraph per stage (input, model or method, output)."""
        lines = ["flowchart LR"]
        ids = []
        for stage in ("input", "model", "output"):
            members = [(i, s) for i, s in enumerate(steps, 1) if s.stage == stage]
            if not members:
                continue
            title = "Method" if stage == "model" and kind == "paper" else stage.capitalize()
            lines.append(f"    subgraph {stage}[{title}]")
            for i, s in members:
                lines.append(f'        s{i}["{_mermaid_label(s.name)}"]')
                ids.append(f"s{i}")
            lines.append("    end")
        if ids:
            lines.append("    " + " --> ".join(ids))
        return "\n".join(lines)
