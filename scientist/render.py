"""Jinja rendering of answers, phrases and the workflow diagram.

All wording lives in ``templates/``; this module only wires data to it.
"""

from __future__ import annotations

import re
import threading

import jinja2

from .paths import data_path

__all__ = ["Renderer"]


def _mermaid_label(text: str) -> str:
    return re.sub(r"[\"\[\]{}()<>|]", " ", text).strip()


class Renderer:
    """Renders templates from the packaged ``templates`` folder (or another one)."""

    def __init__(self, folder=None) -> None:
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(folder or data_path("templates"))),
            autoescape=False,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            undefined=jinja2.StrictUndefined,
        )
        self.env.filters["pct"] = lambda x: f"{100 * float(x):.0f}%"
        self.env.filters["cos"] = lambda x: f"{float(x):.2f}"
        self._phrases = None
        self._lock = threading.Lock()

    def phrase(self, name: str, **ctx) -> str:
        """Call a macro of ``phrases.j2`` and return its text on one line."""
        with self._lock:
            if self._phrases is None:
                self._phrases = self.env.get_template("phrases.j2").module
            macro = getattr(self._phrases, name)
        return " ".join(str(macro(**ctx)).split())

    def answer(self, answer, fmt: str = "md") -> str:
        template = self.env.get_template(f"answer.{fmt}.j2")
        return template.render(a=answer).strip() + "\n"

    def mermaid(self, wf_input: str, steps, wf_output: str) -> str:
        """A left-to-right flowchart with one subgraph per stage (input, model, output)."""
        lines = ["flowchart LR"]
        ids = []
        for stage in ("input", "model", "output"):
            members = [(i, s) for i, s in enumerate(steps, 1) if s.stage == stage]
            if not members:
                continue
            lines.append(f"    subgraph {stage}[{stage.capitalize()}]")
            for i, s in members:
                lines.append(f'        s{i}["{_mermaid_label(s.name)}"]')
                ids.append(f"s{i}")
            lines.append("    end")
        if ids:
            lines.append("    " + " --> ".join(ids))
        return "\n".join(lines)
