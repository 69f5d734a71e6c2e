"""A record named in a question: by its title or names, its short title, or words of its title and its kind."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from scientist.naming import Naming, _same


def rec(title, kind="paper", names=(), url="https://arxiv.org/abs/0000.00000"):
    return SimpleNamespace(title=title, kind=kind, names=list(names), url=url)


RECORDS = [
    rec("Deblur-MIMO-UNet-RealBlur", "model", ["MIMO-UNet"]),
    rec("Between Generating Noise and Generating Images: Noise in the Correct Frequency Improves the Quality of "
        "Synthetic Histopathology Images for Digital Pathology"),
    rec("Quality Assured: Rethinking Annotation Strategies in Imaging AI"),
    rec("CLIP", "model", url=None),
]
NAMES = Naming.of(RECORDS)
TITLES = [r.title for r in RECORDS]


def test_exact_titles_and_names_match_as_written():
    assert NAMES.find("How does MIMO-UNet work?") == [0]
    assert NAMES.find("What's the idea behind CLIP?") == [3]
    assert NAMES.find("I cut a clip from the video") == []  # case matters for an exact name


@pytest.mark.parametrize("question, named", [
    ("What does the Quality Assured paper find?", [2]),  # the short title, before the colon
    ("quality assured: what did it conclude", [2]),  # any case
    ("between generating noise and generating images, is that a GAN?", [1]),
    ("Tell me about the histopathology paper", [1]),  # a title word of one record, then a kind word
    ("Histopathology paper?", [1]),  # at the question's start, no pointing word is needed
    ("what about the pathology one", [1]),
    ("in the synthetic histopathology study, which noise worked?", [1]),  # several title words
    ("ok and the study about annotation strategies?", [2]),  # a kind word, a joining word, title words
    ("the paper about the annotations, what did it find", [2]),  # a plural; the pointing word passed over
    ("I read your paper on digital pathology", [1]),
    ("What's the MIMO paper about?", [0]),  # a paper word fits a model with a paper link
    ("how does the deblurring network work", [0]),  # "deblurring" is "Deblur" with an ending
    ("mimo unet how many scales does it work at", [0]),  # a name of two words, any case
    ("does MiMo UNet++ need a multiple of 4?", [0]),
    ("Rethinking annotation strategies - how many QA workers?", [2]),  # three title words in a row
    ("what does quality assured", [2]),  # a name that ends the question
    ("tell me about mimo unet", [0]),
])
def test_a_record_named_by_part_of_its_title(question, named):
    assert NAMES.find(question) == named


@pytest.mark.parametrize("question", [
    "Is there a paper about noise?",  # "a": any paper, not one already spoken of
    "How does it reduce noise?",  # title words without a kind word
    "the noise model?",  # a model word does not fit a paper
    "the quality paper",  # a word of two titles names neither
    "the image paper",  # a generic title word never names
    "the CLIP paper",  # case-insensitive partial names ask for a paper link before a paper word...
    "a study about annotation would help",
    "Which paper explains how annotation quality is checked?",
    "The tool has two sliders. How does the noise one work?",  # "one" names only by an uncommon word
    "What's the correct frequency for my camera's noise?",  # title words in a row, one of them generic
])
def test_title_words_that_name_nothing(question):
    assert NAMES.find(question) == ([3] if "CLIP" in question else [])  # ...the exact name still counts


def test_a_one_word_name_is_read_whatever_its_case_only_when_no_english_word_has_it():
    names = Naming.of([rec("DnCNN", "model"), rec("CLIP", "model", url=None), rec("ESRGAN", "model"),
                       rec("Real-ESRGAN", "model")])
    assert names.find("how does dncnn remove noise?") == [0]
    assert names.find("I cut a clip from the video") == []
    assert names.find("is esrgan better?") == [2]
    assert names.find("Can Real-ESRGAN do it? And real-esrgan-x4?") == [3]  # not ESRGAN: part of a longer name


def test_without_partial_names_only_exact_names_count():
    exact_only = Naming.of(RECORDS, partial=False)
    assert exact_only.find("Tell me about the histopathology paper, and MIMO-UNet") == [0]
    assert exact_only.expand("the Quality Assured paper?") == ("the Quality Assured paper?", [])


def test_expand_puts_the_title_after_the_words_that_name_it():
    text, mentions = NAMES.expand("Tell me about the histopathology paper, please.")
    assert text == f"Tell me about the histopathology paper ({TITLES[1]}), please."
    assert [(m.record, m.words) for m in mentions] == [(1, "the histopathology paper")]
    text, mentions = NAMES.expand("the Quality Assured paper vs the pathology one?")
    assert text == f"the Quality Assured paper ({TITLES[2]}) vs the pathology one ({TITLES[1]})?"
    assert [m.record for m in mentions] == [2, 1]
    question = f"What does {TITLES[2]} find?"  # the title is there already
    assert NAMES.expand(question)[0] == question
    assert NAMES.expand("How does it reduce noise?") == ("How does it reduce noise?", [])
    assert NAMES.expand("Is the MIMO-UNet paper about noise?")[1] == []  # named exactly already


def test_word_forms():
    assert _same("annotations", "annotation") and _same("deblurring", "deblur") and _same("synthesis", "synthetic")
    assert not _same("histology", "histopathology") and not _same("noisy", "noise")
    assert not _same("generic", "generating") and not _same("transformer", "transfer")


def test_a_named_record_is_never_below_the_floor():
    from scientist.answer import TaskResult
    from scientist.judge import relevance
    from scientist.settings import Settings

    s = Settings()
    clear = TaskResult(id="annotation-quality", label="Annotation", confidence=0.9, cosine=0.5, clear=True)
    family = {"annotation-quality": "data", "denoising": "restoration"}.get
    assert relevance(0.05, ["annotation-quality"], clear, family, s) == "none"
    assert relevance(0.05, ["annotation-quality"], clear, family, s, named=True) == "direct"
    assert relevance(0.05, ["denoising"], clear, family, s, named=True) == "loose"  # listed, not relied on
    assert relevance(0.3, ["denoising"], clear, family, s, named=True) == "loose"
    # its cosine was taken with its own title in the question: a strong match alone does not make it related
    assert relevance(0.6, ["denoising"], clear, family, s) == "related"
    assert relevance(0.6, ["denoising"], clear, family, s, named=True) == "loose"
    assert relevance(0.05, ["data-other"], clear, {"data-other": "data", **{"annotation-quality": "data"}}.get, s,
                     named=True) == "related"


def test_the_answer_follows_a_record_named_by_part_of_its_title(sci):
    a = sci.ask("What does the Quality Assured paper find?")
    assert a.in_scope and a.task.id == "annotation-quality"
    first = a.references[0]
    assert first.id == "quality-assured-annotation-strategies" and first.named and first.supports
    assert not any(r.named for r in a.references[1:])
    assert a.question == "What does the Quality Assured paper find?"
    assert a.read_as == "What does the Quality Assured paper (Quality Assured: Rethinking Annotation Strategies " \
                        "in Imaging AI) find?"
    assert a.notes[0].startswith('Read "the Quality Assured paper" as naming the paper "Quality Assured:')
    assert "Named in the question and directly relevant" in first.why
    # a named record that does not cover what is asked is shown, and not relied on; nor, since a second review,
    # is another record in its place: the question is about the paper, and is refused, saying what the paper is of
    b = sci.ask("Does the histopathology paper explain how to remove noise from my photos?")
    named = next(r for r in b.nearest if r.id == "noise-frequency-synthetic-histopathology")
    assert not b.in_scope and named.named and not named.supports
    assert any(n.startswith("The question names Between Generating Noise") and "not of image denoising" in n
               for n in b.notes), b.notes
    # a question that names nothing reads as written
    c = sci.ask("How does it reduce noise?")
    assert c.read_as is None and not any(r.named for r in c.references)


def test_the_model_names_the_only_model_when_a_fact_is_asked():
    """"How many parameters does the model have?" was refused over a corpus of one model and two papers."""
    asks = lambda q: "parameters" in q  # noqa: E731 -- what figures.yaml's words do, in small
    one = Naming.of(RECORDS[:3], asks=asks)
    m = one.sole_mention("How many parameters does the model have?")
    assert (m.record, m.words, m.sole) == (0, "the model", True)
    assert one.mentions("How many parameters does the model have?") == []  # not a name: the caller decides
    assert one.sole_mention("How many parameters does your little neural net have?").words == "your little neural net"
    assert one.sole_mention("and its parameters?").words == "its"
    assert one.sole_mention("How many parameters does the AI model have?").words == "the AI model"
    assert one.sole_mention("How many parameters does her model have?") is None  # someone else's
    assert one.sole_mention("Is it possible to know how many parameters there are?") is None  # a dummy "it"
    assert one.sole_mention("Is it true that the model has 16 M parameters?").words == "the model"
    # a pronoun of a later sentence stands for what the first told of
    assert one.sole_mention("My phone unlocks with my face. How many parameters does it use?") is None
    assert one.sole_mention("How does the model remove noise?") is None  # no fact asked
    assert one.sole_mention("How many parameters does a model have?") is None  # no pointing word, no pronoun
    assert one.sole_mention("How many parameters does the histopathology paper's model have?") is None  # named
    assert Naming.of(RECORDS, asks=asks).sole_mention("How many parameters does the model have?") is None  # two
    assert Naming.of(RECORDS[:3]).sole_mention("How many parameters does the model have?") is None  # not asked to


def test_the_words_for_a_model_in_a_figures_words():
    from scientist.corpus import load_figures, plain_words

    size = next(f for f in load_figures() if f.label == "model size")
    for question in ("How big is your little neural net?", "how big is it", "How big is the AI model?",
                     "how heavy is this thing, really"):
        assert size.asked(plain_words(question)), question
    for question in ("How big is my photo?", "how big is the file", "How big is a model?", "how big is her model"):
        assert not size.asked(plain_words(question)), question


def test_a_clause_after_the_model_may_make_it_another():
    asks = lambda q: "parameters" in q  # noqa: E731
    one = Naming.of(RECORDS[:3], asks=asks)
    assert one.sole_mention("How many parameters does the AI that detects faces have?") is None
    assert one.sole_mention("How many parameters does the network inside a self-driving car have?") is None
    # found by review: a restrictor past the clause's end, or "in a" of an ordinary phrase, made it another's
    assert one.sole_mention("How many parameters does the model have? That is what I want to know.").words == \
        "the model"
    assert one.sole_mention("How many parameters has the network, which I want to run on my laptop?").words == \
        "the network"
    assert one.sole_mention("How many parameters does the model in a real-world setting use?").words == "the model"
    assert one.sole_mention("How many parameters does the AI that fixed my photo have?").words == "the AI"
    assert one.sole_mention("How many parameters does the model in your app have?").words == "the model"
    assert one.sole_mention("Hi there, quick one - how many parameters does it have?").words == "it"
    assert one.sole_mention("Too dark. How many parameters does it have?") is None  # no mere opening


def test_the_only_model_reading_is_linear_in_the_question():
    """Every "ai" before a word for a model was walked back over from each one: 16,000 words took 6 s."""
    import time

    one = Naming.of(RECORDS[:3], asks=lambda q: True)
    start = time.perf_counter()
    assert one.sole_mention("ai " * 20_000 + "parameters") is None
    assert time.perf_counter() - start < 2.0
