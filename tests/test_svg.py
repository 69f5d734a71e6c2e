"""The workflow diagram drawn as SVG (scientist.web.svg) and HTML rendering with escaping."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from scientist.records import Step
from scientist.render import Renderer
from scientist.web.svg import PER_ROW, workflow_svg

NS = {"s": "http://www.w3.org/2000/svg"}


def parse(svg) -> ET.Element:
    return ET.fromstring(str(svg))


def test_the_demo_workflow_is_drawn_step_by_step():
    from scientist.workflow import demo_workflow

    steps = demo_workflow().steps
    root = parse(workflow_svg(steps, "MIMO-UNet"))
    boxes = root.findall("s:g[@class='wf-step']", NS)
    assert len(boxes) == len(steps) == 8
    assert len(root.findall("s:path[@class='wf-arrow']", NS)) == 7
    assert [g.get("class") for g in root.findall("s:g", NS) if "wf-stage" in g.get("class")] == [
        "wf-stage wf-input", "wf-stage wf-model", "wf-stage wf-output"]
    labels = ["".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert any("Load the photo" in t for t in labels)
    assert [g.get("data-op") for g in boxes] == [s.op for s in steps]
    assert boxes[1].find("s:title", NS).text == steps[1].detail


def test_text_is_escaped_and_long_names_are_cut():
    steps = [Step(name='<script>alert("x")</script> & more ' * 4, detail="a < b & c", stage="input"),
             Step(name="Model", detail="d", stage="model")]
    svg = str(workflow_svg(steps, 'title "quoted" <b>'))
    assert "<script>" not in svg and "<b>" not in svg
    root = parse(svg)  # well-formed
    first = root.find("s:g[@class='wf-step']", NS)
    assert first.find("s:title", NS).text == "a < b & c"
    assert "".join(first.find("s:text", NS).itertext()).endswith("…")


def test_long_stages_wrap_onto_more_rows_and_empty_workflows_draw_nothing():
    steps = [Step(name=f"Stage {i}", detail="d", stage="model") for i in range(PER_ROW * 2 + 1)]
    root = parse(workflow_svg(steps))
    ys = sorted({float(r.get("y")) for r in root.findall("s:g[@class='wf-step']/s:rect", NS)})
    assert len(ys) == 3
    assert str(workflow_svg([])) == ""


def test_html_templates_escape_and_keep_their_own_bytecode(tmp_path):
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "x.html.j2").write_text("<p>{{ v }}</p>")
    (folder / "x.txt.j2").write_text("{{ v }}")
    r = Renderer(folder, cache=tmp_path)
    assert r.html("x.html.j2", v="<b>&") == "<p>&lt;b&gt;&amp;</p>"
    assert r.env.get_template("x.txt.j2").render(v="<b>&") == "<b>&"
    assert list((tmp_path / "jinja-html").iterdir()) and list((tmp_path / "jinja").iterdir())


def _contrast(a: str, b: str) -> float:
    def luminance(colour: str) -> float:
        c = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        c = [v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4 for v in c]
        return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]

    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_every_stages_label_reads_against_its_band():
    """"Input" (#4a7fb5 on #f5f9fd, 3.97:1) and "Output" (#3f9460 on #f5fbf7, 3.57:1), 12 px bold, were below the
    4.5:1 that WCAG asks of text that size."""
    from scientist.workflow import demo_workflow

    root = parse(workflow_svg(demo_workflow().steps, "MIMO-UNet"))
    stages = [g for g in root.findall("s:g", NS) if "wf-stage" in g.get("class")]
    assert len(stages) == 3
    for g in stages:
        band, label = g.find("s:rect", NS).get("fill"), g.find("s:text", NS).get("fill")
        assert _contrast(label, band) >= 4.5, (g.get("class"), label, band)


def test_a_phone_gets_a_narrower_drawing_with_ids_of_its_own():
    from scientist.web.svg import NARROW_PER_ROW, needs_narrow
    from scientist.workflow import demo_workflow

    steps = demo_workflow().steps
    assert needs_narrow(steps) and not needs_narrow(steps[:NARROW_PER_ROW])
    wide = parse(workflow_svg(steps, "MIMO-UNet", variant="wide"))
    narrow = parse(workflow_svg(steps, "MIMO-UNet", per_row=NARROW_PER_ROW, variant="narrow"))
    assert float(narrow.get("width")) < float(wide.get("width")) / 1.8
    ids = [e.get("id") for root in (wide, narrow) for e in root.iter() if e.get("id")]
    assert len(ids) == len(set(ids)) == 2  # each drawing's arrows point at its own marker
    for root in (wide, narrow):
        marker = root.find(".//s:marker", NS).get("id")
        assert {p.get("marker-end") for p in root.findall("s:path[@class='wf-arrow']", NS)} == {f"url(#{marker})"}
