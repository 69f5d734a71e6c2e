"""A message about the tool itself ("what can you do?", "help", "thanks!", "asdfgh") is answered as such: before,
each was refused as a question the records do not cover, with a task guessed from words that name none ("thanks!"
as pose estimation, "help" as instruction-based image editing, a keyboard mash as text question answering)."""

from __future__ import annotations

import re

import pytest

from scientist.corpus import load_tool_asks
from scientist.spelling import word_counts


def _known(word: str) -> bool:
    return word_counts().get(word, 0) >= 500


@pytest.mark.parametrize(("message", "kind"), [
    ("what can you do?", "tool"), ("help", "tool"), ("--help", "tool"), ("hello? anyone there", "tool"),
    ("???", "tool"), ("who are you", "tool"), ("Sorry, wrong app. What is this one?", "tool"),
    ("ok so how does this work? do I just type?", "tool"), ("plz tell me what u can do", "tool"),
    ("thanks!", "social"), ("ok cool", "social"), ("thanks for the help", "social"), ("bye", "social"),
    ("you're great", "social"), ("👍", "social"),
    ("12345", "unreadable"), (":::", "unreadable"), ("zxcvbnm", "unreadable"),
    ("what is this blur?", None), ("how does it reduce noise?", None), ("a sourdough recipe", None),
])
def test_messages_about_the_tool_are_told_from_questions(message, kind):
    assert load_tool_asks().kind(message, _known) == kind


def test_a_word_read_as_another_by_the_spelling_check_is_no_word_of_the_writer():
    # "rty" is read as "try", which the writer did not write
    assert load_tool_asks().kind("qwe try uiop zx", _known, written="qwe rty uiop zx") == "unreadable"
    assert load_tool_asks().kind("qwe try uiop zx", _known) is None


def test_what_can_you_do_says_what_the_tool_does_and_lists_every_record_with_its_links(sci):
    a = sci.ask("what can you do?")
    assert a.about == "tool" and a.task is None and not a.in_scope and not a.listing
    assert [r.id for r in a.nearest] == [r.id for r in sci.corpus.records]
    note = a.notes[0]
    assert "from 1 model and 2 papers it was given, and from nothing else" in note
    assert "image deblurring; synthetic training data generation; annotation and labelling quality" in note
    assert "(with this tool's own weights:" in note  # no other weights are set
    for r in sci.corpus.records:
        for link in filter(None, (r.url, r.github)):
            assert link in a.markdown and link in a.text
    assert "**About this tool:**" in a.markdown and a.text.splitlines()[2] == "ABOUT THIS TOOL:"
    assert "cosine" not in a.markdown  # nothing was ranked against the question
    assert sci.verify(a.markdown).grounded and sci.verify(a.text).grounded


def test_the_examples_an_answer_about_the_tool_gives_are_answered(sci):
    note = sci.ask("help").notes[0]
    examples = re.findall(r'"([^"]+\?)"', note.split("For example:")[1])
    assert examples[:2] == ["How does MIMO-UNet work?", "Which papers do you have?"]
    assert sci.ask(examples[0]).in_scope and sci.ask(examples[1]).listing


@pytest.mark.parametrize(("message", "kind", "opening"), [
    ("thanks!", "social", "**No question to answer.** You are welcome. Ask how an AI changed a photo"),
    ("ok cool", "social", "**No question to answer.** Ask how an AI changed a photo, or about one of the 3 records"),
    ("asdfgh qwerty", "unreadable", "**No question found.** None of this message's words is one this tool knows."),
])
def test_thanks_and_a_keyboard_mash_are_answered_in_a_line_with_no_task_guessed(sci, message, kind, opening):
    a = sci.ask(message)
    assert a.about == kind and a.task is None and a.nearest == [] and a.references == []
    assert a.markdown.splitlines()[2].startswith(opening)
    assert "pose estimation" not in a.markdown.lower() and "http" not in a.markdown


@pytest.mark.parametrize("question", ["what can you do about the noise in my photo?", "hi, how does denoising work?",
                                      "thanks! and how does it remove blur?", "what do you know about MIMO-UNet?",
                                      "What's a good sourdough recipe?", "which papers do you have?"])
def test_a_question_that_looks_like_one_about_the_tool_is_answered_as_before(sci, question, monkeypatch):
    from scientist.corpus import ToolAsks

    a = sci.ask(question)
    assert a.about is None
    monkeypatch.setattr(ToolAsks, "kind", lambda self, *args, **kwargs: None)
    assert sci.ask(question).markdown == a.markdown


def test_with_a_photo_a_greeting_still_runs_the_demo(sci, monkeypatch, tmp_path):
    from .test_photo_asks import _demo

    photo = tmp_path / "p.png"
    photo.write_bytes(b"not read: the demo is replaced")
    monkeypatch.setattr(sci, "demo", lambda path, workflow=None, **kw: _demo())
    a = sci.ask("hi", photo, progress=False)
    assert a.about == "tool" and a.demo is not None


def test_the_prompt_for_a_chatbot_says_the_message_is_about_the_tool(sci):
    prompt = sci.prompt("what can you do?")
    assert "The user asks about this tool itself" in prompt and "chosj95/MIMO-UNet" in prompt
    assert "holds no question for the records" in sci.prompt("thanks!")


def test_the_html_answer_lists_the_records_without_ranking_them(sci):
    from scientist.render import Renderer

    html = Renderer().html("answer.html.j2", a=sci.ask("what can you do?"), diagram="", narrow="", titles={})
    assert "About this tool:" in html and "https://github.com/chosj95/MIMO-UNet" in html and "cosine" not in html


# ---------------------------------------------------------------- found by an outside review
@pytest.mark.parametrize("question", ["hi! how does it remove noise?", "thanks! how does it remove noise?",
                                      "how does it remove noise? thanks!", "Hello there, how does it remove noise?"])
def test_a_greeting_or_thanks_around_a_question_changes_nothing(sci, question):
    """"hi! how does it remove noise?" was refused (the model's cosine 0.18, under the cutoff), where "how does it
    remove noise?" is answered (0.21): the greeting moved the question's embedding."""
    plain = sci.ask("how does it remove noise?")
    a = sci.ask(question)
    assert a.in_scope and a.task.id == plain.task.id
    assert [(r.id, r.score) for r in a.references] == [(r.id, r.score) for r in plain.references]


@pytest.mark.parametrize(("text", "kept"), [
    ("hi! how does it remove noise?", "how does it remove noise?"),
    ("how does it work? thx in advance", "how does it work?"),
    ("ok, how?", "how?"),  # a clause that asks is no greeting
    ("The app draws boxes. How does the first step, the boxes, work?",
     "The app draws boxes. How does the first step, the boxes, work?"),  # "work" is no pleasantry
    ("thanks!", "thanks!"),  # nothing else: as it is
])
def test_only_greeting_clauses_are_left_out_of_what_is_read(text, kept):
    assert load_tool_asks().plain_part(text) == kept


@pytest.mark.parametrize(("message", "kind"), [("thnaks", "social"), ("tnx", "social"), ("helo", "tool"),
                                               ("halp", "tool"), ("hiii", "tool"), ("hola", "tool"),
                                               ("see you", "social"), ("well done!", "social"), ("test", "tool"),
                                               ("Can I talk to a human?", "tool"), ("How do I install this?", "tool"),
                                               ("nose", None), ("thanks for nothing, nose", None)])
def test_a_slip_in_a_greeting_or_thanks_is_read_as_meant(message, kind):
    """"helo", "halp", "tnx" and "thnaks" were said to hold no word the tool knows; a word of English ("nose") is
    never read as another."""
    assert load_tool_asks().kind(message.lower(), _known) == kind


def test_thanks_misspelt_is_welcomed_and_no_spelling_note_is_given(sci):
    a = sci.ask("Danke schön, very kind of you")
    assert a.about == "social" and a.notes[0].startswith("You are welcome.")
    assert not any(n.startswith("Read ") for n in a.notes)  # no task or records were chosen for the words read


@pytest.mark.parametrize("question", ["which papers do you have?", "what can you do?"])
def test_records_listed_are_said_to_be_listed_not_judged_against_the_question(sci, question):
    """They read "Not relevant (cosine 0.02): this model is about image deblurring"."""
    a = sci.ask(question)
    assert a.nearest and all(r.relevance == "loose" and not r.supports for r in a.nearest)
    assert all(r.why.startswith("Listed as one of the records this tool answers from") for r in a.nearest)


# ---------------------------------------------------------------- a story of another tool
def test_a_story_of_another_tool_is_told_the_records_cannot_say_what_it_ran(sci):
    """Found by the second outside review: "the app fixed them", "the AI made them look bright" were answered as if
    MIMO-UNet were what happened."""
    seed = ("I took some grainy indoor photos on an old phone, and the AI made them look bright and clean. How does it "
            "reduce noise so well without losing detail?")
    for question in (seed, "my concert photos were grainy and the app fixed them, how?",
                     "Google Photos sharpened my blurry picture, how?"):
        a = sci.ask(question)
        assert a.in_scope and a.notes[-1].startswith("The records cannot tell what the app or AI in the question ran")
    for question in ("how does it reduce noise?", "How does MIMO-UNet remove blur?", "How does AI remove noise?"):
        assert not any(n.startswith("The records cannot tell") for n in sci.ask(question).notes)


@pytest.mark.parametrize(("message", "kind"), [
    ("hey how's it going", "social"), ("how are you?", "social"), ("Sorry, wrong window", "social"),
    ("good morning! hope you're having a nice day", "social"), ("that didn't help at all", "social"),
    ("useless answer tbh", "social"), ("I am not understand your answer, is too complicate for me.", "social"),
    ("this is so frustrating, nothing works today", "social"),
    # a complaint beside a question asks the question; small talk in a longer sentence is no small talk
    ("that was useless. what about GANs?", None), ("ugh, too complicated: how does the loss work?", None),
    ("how are you able to remove noise?", None), ("how is the network going to handle blur?", None),
])
def test_small_talk_and_complaints_are_social_and_a_question_beside_them_is_not(message, kind):
    assert load_tool_asks().kind(message, _known) == kind


@pytest.mark.parametrize(("typed", "looks"), [
    ("ls -la ~/Downloads | grep .jpg", "a command"),
    ("git push origin main --force-with-lease", "a command"),
    ("chmod 755 deploy.sh && ./deploy.sh --env=staging", "a command"),
    ("import numpy as np\nimport cv2\nimg = cv2.imread('x.png')", "code"),
    ("SELECT * FROM photos WHERE id > 4 LIMIT 5;", "code"),
    ("const x = arr.map(a => a.id).filter(Boolean);", "code"),
    ('Traceback (most recent call last):\n  File "main.py", line 42, in <module>\nKeyError: \'x\'',
     "an error message or a log"),
    ("2026-11-30 14:02:11,883 INFO [worker-3] heartbeat ok latency=12ms", "an error message or a log"),
    ("Segmentation fault (core dumped)", "an error message or a log"),
    ("/home/dave/projects/tool/config/settings.local.py", "a file path"),
    ("https://www.example.com/cart?session=8f3a2c", "a link"),
    ('{"name": "widget", "version": "0.3.1"}', "markup or data"),
    ("services:\n  db:\n    image: postgres:15", "markup or data"),
    ("a3f9c2e7b81d04e6f5a9c3d2e1b0f7a6c5d4e3b2", "a string of characters (a hash, a key or an encoded text)"),
    ("Lorem ipsum dolor sit amet, consectetur adipiscing elit.", "placeholder text"),
    ("Sent from my iPhone", "an email's signature"),
])
def test_text_pasted_by_mistake_is_told_by_what_it_looks_like(typed, looks):
    assert load_tool_asks().pasted_as(typed) == looks


@pytest.mark.parametrize("typed", [
    # a question beside what was pasted, or prose around a path, is no paste
    "ValueError: expected 3 channels, got 1 -- does the model not work on grey scans?",
    "I ran ls -la ~/out and the restored photo is missing, why",
    "my photo /home/me/cat.jpg looks too dark after the restore",
    "https://example.org/paper.pdf what is the main idea?",
    # English that starts like a command, code or a log
    "select the best photo from my album", "make my photo brighter", "find the noise in this picture",
    "import photos from my camera", "class imbalance in training data", "info about denoising",
    "error: the output is all black", "python code for denoising", "git link please",
    "how does denoising work", "what can you do",
])
def test_questions_and_prose_are_not_read_as_pasted(typed):
    assert load_tool_asks().pasted_as(typed) is None


def test_a_paste_is_said_to_hold_no_question_and_not_read_as_a_question_of_its_words(sci, monkeypatch):
    from scientist.corpus import ToolAsks
    from scientist.render import Renderer

    typed = "import torch\nimport numpy as np"
    a = sci.ask(typed)
    assert a.about == "pasted" and a.task is None and a.references == [] and a.nearest == []
    assert a.markdown.splitlines()[2].startswith(
        "**No question found.** This message looks like code pasted by mistake: it holds no question")
    assert "http" not in a.markdown and "holds no question for the records" in sci.prompt(typed)
    html = Renderer().html("answer.html.j2", a=a, diagram="", narrow="", titles={})
    assert "pasted by mistake" in a.text and "No question found." in html and "pasted by mistake" in html
    monkeypatch.setattr(ToolAsks, "pasted_as", lambda self, *args, **kwargs: None)
    assert sci.ask(typed).about is None  # before: refused as a question of its words
    # code the records answer, with no clear task, is answered as before (a paste is read only where refused)
    assert sci.ask("import numpy as np\nimport cv2\nimg = cv2.imread('x.png')").about is None


def test_a_complaint_gets_an_apology_and_a_hint_not_the_introduction(sci):
    a = sci.ask("that didn't help at all")
    assert a.about == "social" and a.nearest == []
    assert a.markdown.splitlines()[2].startswith("**No question to answer.** Sorry that it did not help.")
    assert "You are welcome" not in a.markdown
    assert sci.ask("how are you?").notes[0].startswith("This tool has no small talk")


@pytest.mark.parametrize("message", [
    # found by an outside review: a line that opens like a command, a log, a sign-off or code, or a short request
    # beside a path, a link or an arrow, was read as pasted, question words and all
    "awk question: how does multi-scale input help deblurring",
    "python deblur.py --input blurry.jpg --output sharp.jpg what am I doing wrong",
    "ssh into the server and run deblurring, how long does it take",
    "brew install fails on mac, is there another way to install", "ERROR when deblurring large images, how to fix",
    "2023-05-12 14:30 the log says loss is nan, why", "Best wishes\nhow does deblurring work",
    "Kind regards from Brazil. Can you explain multi-scale deblurring", "Class photo: faces are blurry, fix",
    "lorem ipsum aside, how does the coarse-to-fine approach work", "deblur ~/photos/blurry_wedding.jpg",
    "my photo at /home/me/pic.jpg is blurry help", "explain https://arxiv.org/abs/2108.05054",
    "blurry => sharp, possible with deblurring", "help me with this\nTraceback (most recent call last):",
    "ls there a way to make old photos sharper", "cd you explain deblurring", "INFO needed on multi-scale deblurring",
])
def test_a_question_that_holds_what_looks_pasted_is_not_read_as_a_paste(sci, message):
    assert sci.ask(message).about != "pasted"


@pytest.mark.parametrize("message", ["the grain in my scans is so annoying", "the background is too complicated",
                                     "disappointed with my phone's night mode"])
def test_a_photo_s_own_trouble_is_no_complaint_about_an_answer(message):
    assert load_tool_asks().tone(message) != "complaint"


@pytest.mark.parametrize("message", ["that makes no sense", "I'm confused", "not what I asked for", "you suck",
                                     "that's not helpful at all, ugh", "what a useless answer", "tl;dr",
                                     "how are you doing today", "hows it going", "oops wrong chat"])
def test_more_complaints_and_small_talk_found_by_the_review_are_social(message):
    assert load_tool_asks().kind(message, _known) == "social"


def test_a_paste_is_not_said_to_name_what_no_record_mentions(sci):
    """A traceback was said to hold no question, then to name "ModuleNotFoundError", which no record mentions."""
    a = sci.ask("Traceback (most recent call last):\n  File \"x.py\", line 1, in <module>\n"
                "ModuleNotFoundError: No module named 'torchvision'")
    assert a.about == "pasted" and len(a.notes) == 1 and "ModuleNotFoundError" not in a.notes[0]


def _read_as_before(sci, message, monkeypatch):
    """``message`` gets the answer it gets with the readings of pastes, small talk and complaints switched off."""
    from scientist.corpus import ToolAsks

    now = sci.ask(message)
    monkeypatch.setattr(ToolAsks, "pasted_as", lambda self, *args, **kwargs: None)
    monkeypatch.setattr(ToolAsks, "_phatic", lambda self, *args, **kwargs: None)
    assert now.markdown == sci.ask(message).markdown


@pytest.mark.parametrize("message", [
    # found by a second outside review: questions read as complaints, pastes or small talk
    "does it help with scratches?", "I don't understand inpainting", "I'm confused about the loss function",
    "this grain is so annoying", "it looks awful", "this photo looks wrong", "nothing helped with the grain",
    "scanned photo not clear", "colorize ~/photos/grandma.jpg", "~/Downloads/IMG_2034.JPG faded",
    "RuntimeError: CUDA out of memory\nany idea", "input/output/target images", "L1/L2/FFT loss",
    "Tar stains on my old photo", "Problem:\nscratches", "For my grandmother's wedding photo:\nfaded colours",
    "ERROR in colors after restoration", "WARNING: faces look plastic after app", "PSNR = 30",
    "how do you do that?", "how are you doing this?", "How are you made?", "how is it going to help me",
    "[photo attached]", "Lorem ipsum dolor sit amet\nthis is the caption of my photo",
])
def test_what_the_second_review_found_is_read_as_before(sci, message, monkeypatch):
    _read_as_before(sci, message, monkeypatch)


@pytest.mark.parametrize(("message", "kind"), [
    ("hi how are you? what can you do?", "tool"), ("never mind, what can you do?", "tool"),
    ("that didn't help. what can you do?", "tool"), ("hello how are you, can you help me", "tool"),
    ("sorry wrong window lol, bye", "social"), ("thanks, that didn't help though", "social"),
])
def test_a_question_to_the_tool_beside_small_talk_is_answered_as_one(message, kind):
    assert load_tool_asks().kind(message, _known) == kind


@pytest.mark.parametrize("message", [
    # found by a third outside review: a command, error or log line that tells of a run, a call for help beside a
    # real problem, choices in brackets, maths, English read as code
    "python main.py runs but faces plastic", "pip install torch==2.3 -- will it work with that version",
    "RuntimeError: CUDA out of memory on a 4000x3000 photo, any workaround besides tiling", "[ERROR] faces plastic",
    "2024-01-03 10:15 faces plastic after restoring", "docker run gives a black image", "git clone takes forever",
    "npm install fails", "Can you help me? The faces in my restored photo look plastic.",
    "help me please, my scanned photo has yellow stains", "[0,1] or [0,255]", "{jpg, png}", "|x - y|",
    "If the photo is old (1900s):", "While restoring (on CPU):", "Question:", "FFT(x) - FFT(y)",
    "DELETE FROM my photo the scratches", "How does MIMO-UNet remove blur? Thanks though!",
    "hi actually, how many parameters does it have?",
])
def test_what_the_third_review_found_is_read_as_before(sci, message, monkeypatch):
    _read_as_before(sci, message, monkeypatch)


def test_an_unknown_name_in_an_unreadable_message_is_still_said(sci):
    """A third review: the note on a name no record mentions had been dropped from unreadable messages too."""
    a = sci.ask("TensorRT")
    assert a.about == "unreadable" and any("TensorRT" in n and "none of the 3" in n for n in a.notes), a.notes


@pytest.mark.parametrize("message", [
    # found by a fourth outside review: a report after a sign-off, a command or an error line with what it came
    # to, code that was answered from the records, a link to one of the records' papers
    "Kind regards, the colours are off after restoring", "Best regards,\nAnna\n\nP.S. the faces look waxy",
    "git pull made it slower", "pip install torch error", "python train.py --batch_size 4 loss nan",
    "RuntimeError: CUDA out of memory even with --tile 256", "KeyError: 'model' loading MIMO-UNetPlus.pkl",
    "from models.MIMOUNet import MIMOUNetPlus fails", "loss = l1(pred, gt) + 0.1 * fft_loss(pred, gt)",
    "https://arxiv.org/abs/2407.17596",
])
def test_what_the_fourth_review_found_is_read_as_before(sci, message, monkeypatch):
    _read_as_before(sci, message, monkeypatch)


@pytest.mark.parametrize("question", ["how do I give it my photo?", "how can I show it my pictures?"])
def test_how_to_give_a_photo_is_answered_with_where_a_photo_goes_in(sci, question):
    a = sci.ask(question)
    assert a.about == "tool"
    note = a.notes[0]
    assert '`scientist ask "what did you do to it?" photo.jpg`' in note and "`restore_photo` tool" in note
