"""A question not in English is not classified: its language is told, and no task is guessed."""

from __future__ import annotations

import json

import pytest

from scientist.language import detect

from .helpers import run_cli


@pytest.mark.parametrize("question,code", [
    ("사진 노이즈를 어떻게 줄이나요?", "ko"),
    ("如何去除照片中的噪点？", "zh"),
    ("写真のノイズをどうやって減らしますか？", "ja"),
    ("Как убрать шум с фотографии?", "ru"),
    ("كيف يزيل الذكاء الاصطناعي الضوضاء من الصور؟", "ar"),
    ("Comment l'IA enlève-t-elle le bruit de mes photos ?", "fr"),
    ("Wie entfernt die KI das Rauschen aus meinen Fotos?", "de"),
    ("¿Cómo elimina la IA el ruido de las fotos?", "es"),
    ("Come fa l'app a togliere il rumore dalle mie foto?", "it"),
])
def test_other_languages_are_recognised(question, code):
    lang = detect(question)
    assert lang.code == code and not lang.english


@pytest.mark.parametrize("question", [
    "How does it reduce noise?",
    "I typed 'une ville la nuit sous la pluie' and got a picture. How does it make it?",
    "How did Müller's Schönheitsfilter app from Zürich remove the grain from my photo?",
    "How does the AI turn 'Привет мир' into speech?",
    "I asked it «¿dónde está el perro?» about my photo and it answered. How?",
    "noise", "How does DnCNN work?", "ok", "",
])
def test_english_with_foreign_names_or_quotes_is_english(question):
    assert detect(question).english


def test_every_english_question_of_the_project_reads_as_english():
    import yaml

    from .conftest import DATA

    for path in [DATA / "questions.yaml", DATA / "narrative-dev.yaml", DATA / "catalog-eval" / "heldout4.yaml"]:
        for item in yaml.safe_load(path.read_text()):
            assert detect(item["question"]).english, item["question"]


def test_a_question_in_another_language_gets_no_task(fake_cli_embedder):
    code, out, lines = run_cli("ask", "사진 노이즈를 어떻게 줄이나요?", "--json")
    assert code == 0, lines
    data = json.loads(out)
    assert data["task"] is None and data["in_scope"] is False and data["references"] == []
    assert data["language"] == {"code": "ko", "name": "Korean", "english": False}
    assert "reads questions in English" in data["markdown"] and "Korean" in data["markdown"]
    assert "Korean" in data["text"]
