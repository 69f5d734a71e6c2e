"""The workflow diagram as inline SVG, drawn from the same steps as the answer's Mermaid diagram.

One framed band per stage (input, model, output), its steps as boxes left to
right (at most :data:`PER_ROW` to a row; :data:`NARROW_PER_ROW` for a phone's screen, where a wide drawing
would be shrunk until its words cannot be read), and arrows in the order of the steps.
Every piece of text is escaped; the result is safe to insert into a page.
Each stage's colour is dark enough for its label to read against its band (4.5:1, WCAG 1.4.3).
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from ..records import Step, stage_name

__all__ = ["NARROW_PER_ROW", "PER_ROW", "needs_narrow", "workflow_svg"]

#: Boxes on one row before a stage wraps onto the next.
PER_ROW = 4
#: The same on a phone's screen: a drawing half as wide, whose words stay about 10 px tall on a 360 px screen.
NARROW_PER_ROW = 2
STAGES = ("input", "model", "output")

BOX_W, BOX_H = 170, 62
GAP_X, ROW_GAP = 30, 22          # between boxes on a row; between rows of one stage
PAD, LABEL_H, FRAME_GAP = 12, 22, 18
LINE_CHARS, MAX_LINES, LINE_H = 22, 3, 15

#: Box fill, box border (and the stage's label) and frame tint of each stage; each label's colour has 4.5:1 or
#: more against its frame's tint.
COLOURS = {
    "input": ("#e8f1fb", "#356aa0", "#f5f9fd"),
    "model": ("#efe9fa", "#7a5bb5", "#f9f6fd"),
    "output": ("#e7f6ec", "#2e7d4f", "#f5fbf7"),
}


@dataclass(frozen=True)
class _Box:
    index: int      # position of the step in the workflow
    step: Step
    x: int
    y: int

    @property
    def right(self) -> int:
        return self.x + BOX_W

    @property
    def bottom(self) -> int:
        return self.y + BOX_H

    @property
    def middle(self) -> tuple[int, int]:
        return self.x + BOX_W // 2, self.y + BOX_H // 2


def _lines(text: str) -> list[str]:
    lines = textwrap.wrap(text, LINE_CHARS, break_long_words=True) or [""]
    if len(lines) > MAX_LINES:
        lines = lines[:MAX_LINES]
        lines[-1] = lines[-1][: LINE_CHARS - 1].rstrip() + "…"
    return lines


def _layout(steps: Sequence[Step], per_row: int = PER_ROW,
            ) -> tuple[list[tuple[str, int, int]], list[_Box], int, int]:
    """Frames (stage, top, height), boxes, and the drawing's width and height."""
    frames, boxes = [], []
    y = 0
    widest = 1
    for stage in STAGES:
        members = [(i, s) for i, s in enumerate(steps) if s.stage == stage]
        if not members:
            continue
        top = y
        y += LABEL_H
        for r in range(0, len(members), per_row):
            row = members[r : r + per_row]
            widest = max(widest, len(row))
            for c, (i, s) in enumerate(row):
                boxes.append(_Box(i, s, PAD + c * (BOX_W + GAP_X), y))
            y += BOX_H + ROW_GAP
        y += PAD - ROW_GAP
        frames.append((stage, top, y - top))
        y += FRAME_GAP
    width = 2 * PAD + widest * BOX_W + (widest - 1) * GAP_X
    return frames, sorted(boxes, key=lambda b: b.index), width, max(0, y - FRAME_GAP)


def _arrow(a: _Box, b: _Box) -> str:
    if b.y == a.y and b.x > a.x:  # next on the same row
        y = a.middle[1]
        return f"M{a.right},{y} H{b.x - 2}"
    # down into the gap under a's row (or under its stage's frame), across, and down into b
    turn = a.bottom + (ROW_GAP // 2 if a.step.stage == b.step.stage else PAD + FRAME_GAP // 2)
    return f"M{a.middle[0]},{a.bottom} V{turn} H{b.middle[0]} V{b.y - 2}"


def needs_narrow(steps: Sequence[Step]) -> bool:
    """Whether a drawing for a phone (:data:`NARROW_PER_ROW` to a row) differs from the wide one."""
    return any(sum(s.stage == stage for s in steps) > NARROW_PER_ROW for stage in STAGES)


def workflow_svg(steps: Sequence[Step], title: str = "", kind: str = "model", per_row: int = PER_ROW,
                 variant: str = "") -> Markup:
    """An SVG drawing of the steps, ready to be placed in an HTML page; ``per_row`` boxes at most to a row;
    ``variant`` (``wide``, ``narrow``) marks one of two drawings of a page, each shown on its own screens."""
    frames, boxes, width, height = _layout(steps, per_row)
    if not boxes:
        return Markup("")
    classes = f"workflow wf-{variant}" if variant else "workflow"
    marker = f"wf-arrow-{variant}" if variant else "wf-arrow"  # ids are the page's: one per drawing
    out = [
        f'<svg class="{classes}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}" font-family="sans-serif">',
        f"<title>{escape(title)}</title>",
        f'<defs><marker id="{marker}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>',
    ]
    for stage, top, h in frames:
        _fill, border, tint = COLOURS[stage]
        out.append(f'<g class="wf-stage wf-{stage}">'
                   f'<rect x="0.5" y="{top + 0.5}" width="{width - 1}" height="{h - 1}" rx="8" '
                   f'fill="{tint}" stroke="{border}" stroke-dasharray="4 3"/>'
                   f'<text x="{PAD}" y="{top + 15}" font-size="12" font-weight="bold" fill="{border}">'
                   f"{escape(stage_name(stage, kind).capitalize())}</text></g>")
    for a, b in zip(boxes, boxes[1:], strict=False):
        out.append(f'<path class="wf-arrow" d="{_arrow(a, b)}" fill="none" stroke="#555" stroke-width="1.5" '
                   f'marker-end="url(#{marker})"/>')
    for box in boxes:
        fill, border, _tint = COLOURS[box.step.stage]
        lines = _lines(f"{box.index + 1}. {box.step.name}")
        cx, cy = box.middle
        first = cy - (len(lines) - 1) * LINE_H / 2 + 4
        text = "".join(f'<tspan x="{cx}" y="{first + k * LINE_H:.1f}">{escape(line)}</tspan>'
                       for k, line in enumerate(lines))
        out.append(f'<g class="wf-step" data-op="{escape(box.step.op or "")}">'
                   f"<title>{escape(box.step.detail)}</title>"
                   f'<rect x="{box.x}" y="{box.y}" width="{BOX_W}" height="{BOX_H}" rx="6" '
                   f'fill="{fill}" stroke="{border}" stroke-width="1.5"/>'
                   f'<text text-anchor="middle" font-size="13" fill="#1d1d1d">{text}</text></g>')
    out.append("</svg>")
    return Markup("\n".join(out))
