"""Misspelt questions (scientist.spelling): words read as the vocabulary's, and answers that say so."""

from __future__ import annotations

import pytest

from scientist.settings import load_settings
from scientist.spelling import Speller

from .helpers import tiny_corpus

TEXTS = ["How does the AI remove the noise from my photo?", "The noise in the photo was removed.",
         "Remove grain and noise from a photo of the model.", "How does upscaling enlarge a photo?",
         "upscaling a photo", "the model and the model"]


@pytest.fixture(scope="module")
def speller() -> Speller:
    return Speller(TEXTS)


@pytest.mark.parametrize(("text", "read", "fixes"), [
    ("teh ai remvoe the nosie", "the ai remove the noise", [("teh", "the"), ("remvoe", "remove"),
                                                           ("nosie", "noise")]),
    ("Teh photo", "The photo", [("Teh", "the")]),  # a capital that starts a word is kept
    ("how does upscalling work", "how does upscaling work", [("upscalling", "upscaling")]),  # a letter too many
    ("nosie, nosie and nosie", "noise, noise and noise", [("nosie", "noise")]),  # listed once
])
def test_a_misspelt_word_is_read_as_the_vocabularys(speller, text, read, fixes):
    assert speller.correct(text) == (read, fixes)


@pytest.mark.parametrize("text", [
    "my dog's nose",  # an English word one edit from "noise"
    "NOSIE and NoSie or SwinIR",  # capitals inside a word: a name or an acronym
    "the foto",  # two edits from "photo"
    "the phtos",  # a letter left out of a short word: only swaps are read so short
    "grain latents photographs denoises",  # English, or a known word with a common ending
    "it was synthesised",  # a British spelling of an English word
    "the modell",  # the change is in the last two letters: grammar more often than a typo
    "an ai",  # too short
])
def test_words_that_are_not_misspelt_or_not_clearly_so_are_left(speller, text):
    assert speller.correct(text) == (text, [])


def test_a_word_too_long_for_any_vocabulary_is_not_looked_at(speller):
    import time

    word = "nosie" * 400  # a 2,000-letter word: its one-edit neighbours alone would be some 190 MB
    started = time.perf_counter()
    assert speller.correct(f"how {word}?") == (f"how {word}?", [])
    assert time.perf_counter() - started < 0.05


def test_a_correction_must_be_a_word_the_vocabulary_uses_twice():
    assert Speller(["the noise"]).correct("the nosie") == ("the nosie", [])
    assert Speller(["the noise", "noise"]).correct("the nosie") == ("the noise", [("nosie", "noise")])


def test_a_listed_misspelling_no_edit_reaches_is_read_as_the_word_meant():
    speller = Speller(TEXTS, respellings={"foto": "photo", "wich": "which"})
    assert speller.correct("Wich foto? the FOTO") == ("Which photo? the FOTO", [("Wich", "which"), ("foto", "photo")])
    assert Speller(TEXTS).correct("the foto") == ("the foto", [])  # only where it is listed


def test_the_packaged_respellings_are_read_in_a_question(sci):
    from scientist.corpus import load_respellings

    assert load_respellings()["wich"] == "which"
    a = sci.ask("wich paper is dis network from?")
    assert [(c.written, c.read_as) for c in a.corrections] == [("wich", "which"), ("dis", "this")]


def test_the_answer_says_which_words_it_read_as_others(sci):
    right = sci.ask("How does the AI remove the noise from my photo?")
    typed = sci.ask("How does teh AI remvoe the nosie from my photo?")
    assert typed.question == "How does teh AI remvoe the nosie from my photo?"
    assert typed.read_as == "How does the AI remove the noise from my photo?"
    assert [(c.written, c.read_as) for c in typed.corrections] == [("teh", "the"), ("remvoe", "remove"),
                                                                    ("nosie", "noise")]
    assert typed.task.id == right.task.id == "denoising"
    assert [r.id for r in typed.references] == [r.id for r in right.references]
    assert 'Read "teh" as "the", "remvoe" as "remove" and "nosie" as "noise"' in typed.notes[0]
    assert "remvoe" in typed.markdown and 'as "remove"' in typed.text
    assert right.read_as is None and right.corrections == []
    assert [r.id for r, _ in sci.supporting("How does teh AI remvoe the nosie?")] == \
        [r.id for r, _ in sci.supporting("How does the AI remove the noise?")]


def test_the_spelling_setting_turns_it_off(cache_dir, fake_embedder):
    from scientist.core import Scientist

    question = "how does teh ai remvoe the nosie?"
    on = Scientist(tiny_corpus(), cache_dir=cache_dir, embedder=fake_embedder)
    off = Scientist(tiny_corpus(), cache_dir=cache_dir, embedder=fake_embedder,
                    settings=load_settings().updated(spelling=False))
    assert on.ask(question).read_as == "how does the ai remove the noise?"
    answer = off.ask(question)
    assert answer.read_as is None and answer.corrections == [] and not any("misspelt" in n for n in answer.notes)


def test_a_question_the_tool_does_not_read_is_not_corrected(sci):
    answer = sci.ask("¿Cómo elimina la IA el ruido de mi foto? Quiero saber cómo funciona")
    assert answer.task is None and answer.corrections == []


def test_a_letter_written_as_one_that_sounds_like_it_is_read_so():
    """"reduse" was read as "reuse" (its last two letters may change no other way) and "noize" left as it was."""
    speller = Speller(["reduce noise", "reduce the noise", "reuse", "noise"])
    assert speller.correct("how dose it reduse noize")[1] == [("reduse", "reduce"), ("noize", "noise")]
