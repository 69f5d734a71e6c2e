"""Template rendering: compiled templates are cached between processes, never at the cost of an answer."""

from __future__ import annotations

import os

import pytest

from scientist.corpus import load_tasks
from scientist.render import Renderer


def test_compiled_templates_are_cached_and_reused(tmp_path):
    first = Renderer(cache=tmp_path)
    text = first.phrase("note_out_of_scope", n=3, task=None)
    assert text and list((tmp_path / "jinja").iterdir()), "no compiled template was cached"
    assert Renderer(cache=tmp_path).phrase("note_out_of_scope", n=3, task=None) == text


def test_an_edited_template_is_not_served_from_the_cache(tmp_path):
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "phrases.j2").write_text("{% macro hello(x) %}hello {{ x }}{% endmacro %}")
    assert Renderer(folder, cache=tmp_path).phrase("hello", x="a") == "hello a"
    (folder / "phrases.j2").write_text("{% macro hello(x) %}goodbye {{ x }}{% endmacro %}")
    assert Renderer(folder, cache=tmp_path).phrase("hello", x="a") == "goodbye a"


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_unwritable_cache_is_skipped(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        assert Renderer(cache=ro).phrase("note_out_of_scope", n=3, task=None)
    finally:
        ro.chmod(0o700)


def test_cache_path_that_is_a_file_is_skipped(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    r = Renderer(cache=blocker)
    assert r.env.bytecode_cache is None
    assert r.phrase("note_out_of_scope", n=3, task=None)


def test_each_brightness_decision_is_said_and_a_guess_says_how_to_undo_it(tmp_path):
    from types import SimpleNamespace
    from typing import get_args

    from scientist.restore.record import Brightness

    r = Renderer(cache=tmp_path)
    said = {b: r.phrase("brightness", d=SimpleNamespace(gain=2.0 if b == "brightened" else 1.0, brightness=b,
                                                        gain_doubt=0.06 if b == "brightened" else None,
                                                        gain_doubtful=False))
            for b in get_args(Brightness)}
    assert len(set(said.values())) == len(said)  # each reason has its own words
    assert said["brightened"].startswith("×2.00 in linear light: the photo looked darkened")
    assert "cannot tell a scene meant to be dark from a darkened one" in said["brightened"]
    assert "a gain of 1 keeps the photo's own level (the gain option" in said["brightened"]
    assert "would burn them" in said["reaches-white"] and "gain" not in said["reaches-white"].split(":", 1)[1]
    assert "a guess (for photos like it typically within 6 %)" in said["brightened"]
    assert "low for its level" in said["untouched"] and "darkness" not in said["untouched"]
    assert said["to-white"].startswith("×1.00 in linear light: the photo looked darkened, and it was brought up until "
                                       "its brightest parts reach white")
    assert "a smaller gain gives a darker result and 1 keeps the photo's own level (the gain option" in said["to-white"]
    assert "brighter" not in said["to-white"]  # a larger gain would burn the highlights: not offered


def test_a_doubtful_gain_is_called_so_with_its_typical_error_and_what_to_do(tmp_path):
    from types import SimpleNamespace

    r = Renderer(cache=tmp_path)
    plain = r.phrase("brightness", d=SimpleNamespace(gain=4.65, brightness="brightened", gain_doubt=None,
                                                     gain_doubtful=False))
    doubtful = r.phrase("brightness", d=SimpleNamespace(gain=4.65, brightness="brightened", gain_doubt=0.329,
                                                        gain_doubtful=True))
    assert "typically" not in plain and "doubtful" not in plain  # constants without the doubt model say no figure
    assert "a doubtful guess for this photo" in doubtful and "typically 33 % too bright or too dark" in doubtful
    assert "less than ×4.65 a darker result, more a brighter one" in doubtful
    assert "1 keeps the photo's own level" in doubtful
    assert 'on the web page, "Restore again" under the result' in doubtful
    at_cap = r.phrase("brightness", d=SimpleNamespace(gain=12.0, brightness="brightened", gain_doubt=0.329,
                                                      gain_doubtful=True))
    assert "less than ×12.00 a darker result (the gain option" in at_cap  # no brighter gain can be given
    # the cap is said to be one: the photo may have been darker still
    assert "statistics, as far as the step goes (×12.00 is the most it brightens, and its prediction was higher) — " \
        in at_cap
    assert "as far as the step goes" not in doubtful and "as far as the step goes" not in plain
    # a slight gain (the step applies a small prediction only in part) is said briefly, with no alarm: its change is
    # within the step's typical error (a photo at x1.05 read "a doubtful guess ... typically 12 % too bright ...")
    slight = r.phrase("brightness", d=SimpleNamespace(gain=1.05, brightness="brightened", gain_doubt=0.12,
                                                      gain_doubtful=True))
    assert slight.startswith("×1.05 in linear light: the photo looked a little dark, so it was brightened slightly")
    assert "doubtful" not in slight and "a gain of 1 keeps the photo's own level (the gain option" in slight
    assert "brightened slightly" not in r.phrase("brightness", d=SimpleNamespace(
        gain=1.15, brightness="brightened", gain_doubt=0.12, gain_doubtful=True))


def test_a_refusal_says_what_it_read_the_question_as(tmp_path):
    r = Renderer(cache=tmp_path)
    tasks = {t.id: t for t in load_tasks()}
    said = {t: r.phrase("note_out_of_scope", n=3, task=tasks[t], clear=True) for t in ("denoising", "out-of-domain")}
    assert said["denoising"].startswith("The question reads as being about image denoising, but none of the 3")
    assert said["out-of-domain"].startswith("The question reads as not being about AI imaging, and none of the 3")
    assert r.phrase("note_out_of_scope", n=3, task=tasks["denoising"], clear=False).startswith("None of the 3")


@pytest.mark.parametrize(("seconds", "said"), [(0.04, "0.0 s"), (0.43, "0.4 s"), (9.94, "9.9 s"), (9.96, "10 s"),
                                               (42.4, "42 s"), (404, "6 min 44 s")])
def test_a_duration_under_ten_seconds_is_said_to_a_tenth(seconds, said):
    from scientist.render import duration

    assert duration(seconds) == said


def test_a_file_names_control_characters_are_never_rendered_raw(tmp_path):
    """A photo named with an escape sequence or a newline: every path of the demo's part and of the restore
    summary is shown as errors show it (? for each such character), never raw."""
    from scientist.restore.record import Demo

    odd = "/p/new\x1b[31m\nline"
    demo = Demo(input=f"{odd}.png", output=f"{odd}_restored.png", comparison=f"{odd}_compare.png",
                weights=f"{odd}.safetensors", variant="MIMO-UNet", device="cpu", backend="torch", tiles=1,
                size=[8, 8], seconds=1.0, model_seconds=0.5, estimated_seconds=1.0, gain=1.0, noise_before=3.0,
                noise_brightened=3.0, noise_after=1.0, brightness_before=40.0, brightness_after=40.0,
                steps=["load", "save"])
    from types import SimpleNamespace

    env = Renderer(cache=tmp_path).env
    texts = {t: env.get_template(t).render(d=demo, a=SimpleNamespace(demo=demo, workflow=None))
             for t in ("demo.md.j2", "restore.txt.j2")}
    for template, text in texts.items():
        assert "\x1b" not in text and "\nline" not in text, template
        assert "new?[31m?line_restored.png" in text, template
    assert "new?[31m?line.png" in texts["demo.md.j2"] and "new?[31m?line.safetensors" in texts["demo.md.j2"]


def test_a_short_estimate_is_not_said_to_be_0_s(tmp_path):
    """A small photo's estimate of 0.2 s read "estimated 0 s" beside "the network 4.7 s"."""
    from types import SimpleNamespace

    from scientist.restore.record import Demo

    demo = Demo(input="a.png", output="a_restored.png", comparison="a_compare.png", weights="w.safetensors",
                variant="MIMO-UNet", device="cpu", backend="torch", tiles=1, size=[8, 8], seconds=5.0,
                model_seconds=4.7, estimated_seconds=0.2, gain=1.0, noise_before=3.0, noise_brightened=3.0,
                noise_after=1.0, brightness_before=40.0, brightness_after=40.0, steps=["load", "save"])
    env = Renderer(cache=tmp_path).env
    for template in ("demo.md.j2", "restore.txt.j2"):
        text = env.get_template(template).render(d=demo, a=SimpleNamespace(demo=demo, workflow=None))
        assert "0.2 s)" in text and "estimated 0 s" not in text and "beforehand: 0 s" not in text, template


def test_the_noise_after_brightening_is_said_only_of_a_brightened_photo(tmp_path):
    """A photo left at its level read "σ 1.82 in the photo, 1.82 after brightening": the same figure twice, for a
    step that did nothing."""
    from types import SimpleNamespace

    from scientist.restore.record import Demo

    kept = dict(input="a.png", output="a_restored.png", comparison="a_compare.png", weights="w.safetensors",
                variant="MIMO-UNet", device="cpu", backend="torch", tiles=1, size=[8, 8], seconds=5.0,
                model_seconds=4.7, estimated_seconds=4.0, noise_removed=1.5, strength_auto=True,
                brightness_before=40.0, steps=["load", "save"])
    left = Demo(**kept, gain=1.0, noise_before=1.82, noise_brightened=1.82, noise_after=1.43, brightness_after=40.0)
    raised = Demo(**kept, gain=2.0, noise_before=1.82, noise_brightened=3.1, noise_after=1.43, brightness_after=70.0)
    env = Renderer(cache=tmp_path).env
    for template in ("demo.md.j2", "restore.txt.j2"):
        said = [env.get_template(template).render(d=d, a=SimpleNamespace(demo=d, workflow=None))
                for d in (left, raised)]
        assert "after brightening" not in said[0] and "1.82" in said[0] and said[0].count("1.82") == 1, template
        assert "3.10 after brightening" in said[1], template


def test_a_long_question_s_title_keeps_its_end_where_the_question_is_asked():
    """A long story's title was cut at 300 characters, dropping the question it ends with."""
    from scientist.render import title_of

    story = "So last weekend we went to the lake, " * 12 + "anyway, is it making stuff up or is it real detail?"
    title = title_of(story)
    assert len(title) <= 303 and title.endswith("is it making stuff up or is it real detail?")
    assert title.startswith("So last weekend we went to the lake,") and " … " in title
    assert title_of("short question?") == "short question?"


def test_the_papers_left_out_of_part_3_are_said_to_be_there_and_on_which_tasks(tmp_path):
    from types import SimpleNamespace as NS

    r = Renderer(cache=tmp_path)
    model = NS(title="Net")
    deblur, faces, data = NS(label="Image deblurring"), NS(label="Face detection"), NS(label="Synthetic data")
    one = r.phrase("note_other_papers", record=model, others=[(NS(title="A"), [faces], False)],
                   model_tasks=[deblur])
    assert one == ("Besides it, the records hold 1 paper, left out of part 3: it is not about image deblurring, the "
                   "task of Net, so it is not given as its source: A (face detection). Ask about one by its title to "
                   "have it explained.")
    three = r.phrase("note_other_papers", record=model, others=[
        (NS(title="A"), [faces], False), (NS(title="B"), [faces, data], False), (NS(title="C"), [deblur], True)],
        model_tasks=[deblur])
    assert three.startswith("Besides it, the records hold 3 papers, left out of part 3: 2 of them are not about "
                            "image deblurring, the task of Net, so they are not given as its source: A (face")
    assert ("A (face detection) and B (face detection, synthetic data); C shares its task but was not found near"
            in three)
    near = r.phrase("note_other_papers", record=model, others=[(NS(title="C"), [deblur], True)], model_tasks=[deblur])
    assert near == ("Besides it, the records hold 1 paper, left out of part 3: C shares its task but was not found "
                    "near the question. Ask about one by its title to have it explained.")
