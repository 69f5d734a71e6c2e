"""The tool installed and run where people run it: settings files with ``~``, consoles that cannot write
Unicode, closed streams, folders it cannot write, file names that are no UTF-8, and onnxruntime's telemetry."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from scientist.corpus import load_corpus
from scientist.errors import CorpusError
from scientist.ingest import parse_seed
from scientist.settings import load_settings

from ..helpers import assert_one_line_error, run_cli

ROOT = Path(__file__).resolve().parents[2]
QUESTION = "how does it reduce noise?"


def _run(*args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, **env) -> subprocess.CompletedProcess:
    """``scientist ARGS`` in a process of its own, with ``env`` added to the environment."""
    return subprocess.run([sys.executable, "-m", "scientist", *map(str, args)], stdin=stdin, stdout=stdout,
                          stderr=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(ROOT), **env},
                          timeout=300, cwd=ROOT)


def test_a_tilde_in_a_path_setting_is_the_home_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("SCIENTIST_CACHE", "~/cache")
    monkeypatch.delenv("SCIENTIST_HOME")  # the settings file's, then
    config = tmp_path / "s.toml"
    config.write_text('home = "~/data"\nmcp_allow = ["~/Pictures"]\n')
    settings = load_settings(config)
    assert settings.cache_dir == tmp_path / "cache" and settings.user_dir == tmp_path / "data"
    assert settings.mcp_allow == [tmp_path / "Pictures"]


def test_a_console_that_cannot_write_unicode_gets_the_answer(cache_dir):
    env = {"PYTHONIOENCODING": "ascii", "SCIENTIST_CACHE": str(cache_dir)}
    text = _run("ask", QUESTION, **env)
    assert text.returncode == 0, text.stderr.decode()
    assert b"input ? model ? output" in text.stdout and b"internal error" not in text.stderr
    as_json = _run("ask", QUESTION, "--json", **env)
    assert as_json.returncode == 0, as_json.stderr.decode()
    answer = json.loads(as_json.stdout.decode("ascii"))  # every character there, as \u escapes
    assert "→" in answer["markdown"]


def test_a_photo_name_of_bytes_that_are_no_utf8_is_json_too(tmp_path):
    name = os.fsdecode(b"caf\xe9.png")
    photo = tmp_path / name
    Image.fromarray(np.full((16, 16, 3), 40, np.uint8)).save(photo)
    code, out, lines = run_cli("restore", photo, "--json", "--out-dir", tmp_path / "out", inputs=[photo])
    assert code == 0, lines
    record = json.loads(out)
    assert os.fsencode(record["input"]).endswith(b"caf\xe9.png")  # the name's own bytes, read back


def test_closed_streams_are_the_null_device(cache_dir):
    env = {"SCIENTIST_CACHE": str(cache_dir)}
    closed_out = _run("ask", QUESTION, stdout=subprocess.DEVNULL, **env)  # as a stand-in, then truly closed:
    assert closed_out.returncode == 0
    proc = subprocess.run(f"{sys.executable} -m scientist ask '{QUESTION}' >&-", shell=True, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT), **env}, capture_output=False,
                          stderr=subprocess.PIPE, timeout=300)
    assert proc.returncode == 0 and b"internal error" not in proc.stderr, proc.stderr.decode()
    proc = subprocess.run(f"{sys.executable} -m scientist verify - <&-", shell=True, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT), **env}, stderr=subprocess.PIPE, timeout=300)
    assert proc.returncode == 2 and proc.stderr.decode().strip() == "error: the text to check is empty"


def test_a_data_folder_that_cannot_be_written_is_one_line(tmp_path, monkeypatch):
    not_a_folder = tmp_path / "afile"
    not_a_folder.write_text("")
    monkeypatch.setenv("SCIENTIST_HOME", str(not_a_folder))
    catalog = tmp_path / "c.yaml"
    catalog.write_text('[{"title": "GrainFree", "url": "https://good.example/g"}]')
    code, _, lines = run_cli("corpus", "add", catalog, inputs=[catalog])
    assert_one_line_error(code, lines, "cannot store the records there")


def test_settings_say_where_the_unset_folders_are(tmp_path, monkeypatch):
    monkeypatch.delenv("SCIENTIST_CACHE")
    monkeypatch.delenv("SCIENTIST_HOME")
    code, out, lines = run_cli("settings")
    assert code == 0, lines
    settings = load_settings()
    assert f"home = null  # here: {settings.user_dir}" in out
    assert f"cache = null  # here: {settings.cache_dir}" in out


def test_onnxruntime_is_imported_without_its_telemetry(tmp_path):
    home = tmp_path / "afile"  # a home folder onnxruntime's telemetry cannot write its identifier to
    home.write_text("")
    code = "from scientist.ort import onnxruntime; onnxruntime(); import os; print(os.environ['ORT_DISABLE_TELEMETRY'])"
    env = {k: v for k, v in os.environ.items() if k != "ORT_DISABLE_TELEMETRY"}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT,
                          env={**env, "HOME": str(home), "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0 and proc.stdout.strip() == "1"
    assert proc.stderr == ""  # no coloured warning about a telemetry identifier
    mine = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT,
                          env={**env, "ORT_DISABLE_TELEMETRY": "0", "PYTHONPATH": str(ROOT)})
    assert mine.stdout.strip() == "0"  # a choice of the caller's own is kept


def test_the_network_runs_in_onnxruntime_when_the_cache_cannot_be_written(tmp_path):
    from scientist.restore.mimo_unet import MIMOUNet
    from scientist.restore.runners import OnnxRunner, make_runner

    torch = pytest.importorskip("torch")
    cache = tmp_path / "afile"  # cache/onnx/... cannot be made under a file
    cache.write_text("")
    model = MIMOUNet(num_res=1)
    with pytest.warns(UserWarning, match="cannot be kept in the cache"):
        runner = make_runner(model, torch.device("cpu"), "onnx", cache=cache)
    assert isinstance(runner, OnnxRunner)


@pytest.mark.parametrize("text,question", [
    ('A user asked the following question: "How does the AI remove noise?"\n\nRecommended AI Models:\n'
     "Model: Deblur-MIMO-UNet-RealBlur\nGitHub: https://github.com/chosj95/MIMO-UNet\n\nRelated Papers:\n"
     "Model: Some paper\nPaper: http://arxiv.org/pdf/2407.17596v2.pdf\n", "How does the AI remove noise?"),
])
def test_a_seed_with_plain_headings_and_its_question_on_one_line(text, question):
    seed = parse_seed(text)
    assert seed.question == question
    assert [(r.kind, r.title) for r in seed.records] == [("model", "Deblur-MIMO-UNet-RealBlur"),
                                                          ("paper", "Some paper")]


def test_a_seed_without_records_is_refused(tmp_path):
    from scientist.core import Scientist

    seed = tmp_path / "seed.txt"
    seed.write_text('A user has asked the following question:\n"How does it reduce noise?"\n\nNothing else.\n')
    with pytest.raises(CorpusError, match="holds no records"):
        Scientist.from_seed(seed)
    assert load_corpus(include_user=False).records  # the packaged corpus is untouched
