"""The command line: exit codes, one-line errors, JSON output, corpus commands, restore."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
import torch
from PIL import Image
from typer.testing import CliRunner

from scientist.cli import app
from scientist.cli.app import Terminated
from scientist.errors import BaseExceptionGroup
from scientist.restore import MIMOUNet

from .conftest import DATA, FIXTURES
from .helpers import assert_one_line_error, run_cli, write_malicious_pickle

runner = CliRunner()


def run(*args):
    result = runner.invoke(app, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


def test_ask_json(cache_dir):
    code, out, _ = run("ask", "how does it reduce noise?", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["task"]["id"] == "denoising" and data["in_scope"] is True
    assert data["demo"] is None


def test_ask_seed_markdown_and_text():
    code, out, _ = run("ask", "--seed", FIXTURES / "seed_default.txt")
    assert code == 0
    assert out.startswith("# I took some grainy indoor photos")
    assert "## 3. Papers and tools" in out
    code, out, _ = run("ask", "--seed", FIXTURES / "seed_default.txt", "--format", "text")
    assert code == 0 and "1. THE TASK" in out


@pytest.mark.parametrize("args,match", [
    (["ask", ""], "empty"),
    (["ask", "   "], "empty"),
    (["ask"], "give a question"),
    (["ask", "--seed", "does-not-exist.txt"], "no such file"),
])
def test_bad_input_exits_2_with_one_line(args, match):
    code, out, err = run(*args)
    assert code == 2
    lines = [ln for ln in err.strip().splitlines() if not ln.startswith("Loading")]
    assert len(lines) == 1 and match in lines[0] and "Traceback" not in err


def test_malformed_seed_and_catalog(tmp_path):
    bad = tmp_path / "seed.txt"
    bad.write_text("no question in here")
    code, _, err = run("ask", "--seed", bad)
    assert code == 2 and "no question" in err
    cat = tmp_path / "c.yaml"
    cat.write_text("records: [")
    code, _, err = run("ask", "denoise", "--corpus", cat)
    assert code == 2 and "c.yaml: invalid YAML at line 2, column 1 (did not find expected node content)" in err
    questions = tmp_path / "q.yaml"
    questions.write_text('- question: "a\n  task: [\n')
    code, _, err = run("eval", questions)
    assert code == 2 and "q.yaml: cannot read the question set: invalid YAML at line 3, column 1 (" in err


def test_corpus_add_and_list(tmp_path):
    cat = tmp_path / "extra.json"
    cat.write_text(json.dumps([{"name": "NAFNet", "github": "https://github.com/megvii-research/NAFNet",
                                "summary": "A simple baseline network for image denoising and deblurring."}]))
    code, out, _ = run("corpus", "add", cat)
    assert code == 0 and "nafnet" in out
    code, out, _ = run("corpus", "list")
    assert code == 0 and "nafnet" in out and "deblur-mimo-unet-realblur" in out
    code, out, _ = run("ask", "How do networks remove noise from photos?", "--json")
    data = json.loads(out)
    assert any(r["github"] == "https://github.com/megvii-research/NAFNet" for r in data["references"])


def test_corpus_add_keeps_the_first_of_an_id_repeated_in_one_file(tmp_path):
    # both copies were stored, and every later command warned about the id
    cat = tmp_path / "twice.json"
    record = {"name": "NAFNet", "github": "https://github.com/megvii-research/NAFNet",
              "summary": "A simple baseline network for image denoising and deblurring."}
    cat.write_text(json.dumps([record, record | {"summary": "Another text for the same network."}]))
    code, out, err = run("corpus", "add", cat)
    assert code == 0 and out.count("added nafnet") == 1
    assert "more than once in twice.json: the first kept" in err and "1 record added" in err
    code, out, err = run("corpus", "list")
    assert code == 0 and out.count("nafnet") == 1 and "duplicate" not in err


def test_adding_the_default_seed_says_its_records_are_already_in_the_corpus():
    """Its papers were told to 'give it a name of its own', as if another record had taken their names."""
    code, out, err = run("corpus", "add", FIXTURES / "seed_default.txt")
    assert code == 0 and "added" not in out and "0 records added" in err
    assert "already in the corpus as noise-frequency-synthetic-histopathology, not added again" in err
    assert "a name of its own" not in err


def test_corpus_add_stores_nothing_when_a_later_file_is_bad(tmp_path):
    """The first file's records were stored and the run said only the second file's error: a rerun then said
    'already in the corpus, not added again'."""
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_text(json.dumps([{"name": "NAFNet", "github": "https://github.com/megvii-research/NAFNet",
                                 "summary": "A simple baseline network for image denoising and deblurring."}]))
    bad.write_text("[{")
    code, out, err = run("corpus", "add", good, bad)
    assert code == 2 and "bad.json" in err and "added" not in out
    code, out, _ = run("corpus", "list")
    assert code == 0 and "nafnet" not in out
    code, out, _ = run("corpus", "add", good)
    assert code == 0 and "added nafnet" in out


def test_corpus_add_that_cannot_write_its_second_file_keeps_none(tmp_path, monkeypatch):
    """The checks before writing were all or nothing, the writes were not: a full disk at the second file left the
    first stored under an error.  And a lock held too long is said to be that, not a folder that cannot be written."""
    import scientist.corpus as corpus_module
    from scientist.errors import OutputError

    files = []
    for name in ("OneNet", "TwoNet"):
        f = tmp_path / f"{name}.json"
        f.write_text(json.dumps([{"name": name, "summary": "A network that removes grain from photos."}]))
        files.append(f)
    real, calls = corpus_module.write_atomic, []

    def full_disk(path, data):
        calls.append(path)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        real(path, data)

    monkeypatch.setattr(corpus_module, "write_atomic", full_disk)
    with pytest.raises(OutputError, match="No space left on device"):
        corpus_module.add_to_user_corpus(files)
    assert not list((tmp_path / "home" / "corpus").glob("*.yaml"))

    from filelock import FileLock

    monkeypatch.setattr(corpus_module, "CORPUS_LOCK_SECONDS", 0.2)
    with FileLock(str(tmp_path / "home" / "corpus.lock")), pytest.raises(OutputError, match="another `scientist "
                                                                                          "corpus add`"):
        corpus_module.add_to_user_corpus(files[:1])


def test_two_corpus_adds_at_once_store_a_name_once(tmp_path):
    """Two `corpus add` runs at once, each of a record of one name, both stored it (4 times of 4), and every later
    command warned of a duplicate id.  They take turns now: the second reads what the first stored."""
    import threading
    import warnings

    from scientist.corpus import add_to_user_corpus

    files = []
    for n, repo in enumerate(("a/EpsNet", "b/EpsNet")):
        f = tmp_path / f"eps{n}.json"
        f.write_text(json.dumps([{"name": "EpsNet", "github": f"https://github.com/{repo}",
                                  "summary": "A network that removes grain from photos."}]))
        files.append(f)
    start, added = threading.Barrier(2), []

    def add(f):
        start.wait()
        added.append(add_to_user_corpus([f]))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the second one's "already in the corpus"
        threads = [threading.Thread(target=add, args=(f,)) for f in files]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    assert sorted(len(a) for a in added) == [0, 1], added
    assert len(list((tmp_path / "home" / "corpus").glob("*.yaml"))) == 1
    code, out, err = run("corpus", "list")
    assert code == 0 and out.count("epsnet") == 1 and "duplicate" not in err


def test_eval_command():
    code, out, _ = run("eval", DATA / "questions.yaml")
    assert code == 0
    assert "task accuracy" in out and "refusal accuracy" in out and "reference precision" in out


@pytest.mark.slow
def test_restore_official_format_checkpoint_through_cli(tmp_path):
    weights = tmp_path / "MIMO-UNet.pkl"
    torch.manual_seed(0)
    model = MIMOUNet()
    with torch.no_grad():  # near-identity: the residual outputs stay close to the input
        model.feat_extract[5].main[0].weight.mul_(0.0)
        model.feat_extract[5].main[0].bias.zero_()
    torch.save({"model": model.state_dict()}, weights)
    photo = tmp_path / "p.png"
    rng = np.random.default_rng(0)
    Image.fromarray((rng.random((48, 72, 3)) * 255).astype(np.uint8)).save(photo)
    digest = hashlib.sha256(photo.read_bytes()).hexdigest()
    out = tmp_path / "out.png"
    code, stdout, err = run("restore", photo, "--weights", weights, "--out", out, "--json")
    assert code == 0, err
    demo = json.loads(stdout)
    assert demo["variant"] == "MIMO-UNet" and "MIMO-UNet.pkl" in demo["weights"]
    assert Image.open(out).size == (72, 48)
    assert hashlib.sha256(photo.read_bytes()).hexdigest() == digest


def test_restore_refuses_unsafe_checkpoint(tmp_path):
    marker = tmp_path / "ran"
    evil = write_malicious_pickle(tmp_path / "evil.pkl", marker)
    photo = tmp_path / "p.png"
    Image.new("RGB", (16, 16)).save(photo)
    code, _, err = run("restore", photo, "--weights", evil)
    assert code == 2 and "unsafe" in err
    assert not marker.exists()


@pytest.mark.slow
def test_ask_with_photo_adds_the_demo(tmp_path):
    photo = tmp_path / "IMG_2041.jpg"
    rng = np.random.default_rng(1)
    Image.fromarray((rng.random((333, 517, 3)) * 60).astype(np.uint8)).save(photo)
    code, out, err = run("ask", "how does it reduce noise?", "--photo", photo, "--json")
    assert code == 0, err
    demo = json.loads(out)["demo"]
    for key in ("input", "output", "comparison", "weights", "seconds"):
        assert key in demo
    assert Image.open(demo["output"]).size == (517, 333)
    wf = json.loads(out)["workflow"]
    assert demo["steps"] == [s["name"] for s in wf["steps"]]
    # the bundled weights are the smaller variant of the architecture part 2 describes, trained on noise
    assert "they were trained to remove noise. The architecture is the one part 2 describes, as MIMO-UNet, its " \
           "smaller variant" in json.loads(out)["markdown"]
    # the tool's own answer passes its own check, in each of its forms: the plain text's one-word heading
    # "DEMO" was read as a name no record mentions
    for name, text in (("a.json", out), ("a.md", json.loads(out)["markdown"]), ("a.txt", json.loads(out)["text"])):
        (tmp_path / name).write_text(text, encoding="utf-8")
        code, said, _ = run("verify", tmp_path / name)
        assert code == 0 and said.startswith("grounded: yes"), (name, said)


@pytest.mark.slow
def test_an_answer_with_a_photo_named_like_a_place_and_a_year_passes_verify(tmp_path):
    """The demo lists the photo's files: 'Zurich trip 2019.jpg' made the tool's own answer fail its check
    ('ungrounded name: Zurich', 'ungrounded figure: trip 2019') in every form."""
    photo = tmp_path / "Zurich trip 2019.jpg"
    Image.fromarray((np.random.default_rng(3).random((48, 64, 3)) * 60).astype(np.uint8)).save(photo)
    code, out, err = run("ask", "how does it reduce noise?", photo, "--json")
    assert code == 0, err
    for name, text in (("a.json", out), ("a.md", json.loads(out)["markdown"]), ("a.txt", json.loads(out)["text"])):
        assert "Zurich trip 2019" in text
        (tmp_path / name).write_text(text, encoding="utf-8")
        code, said, _ = run("verify", tmp_path / name)
        assert code == 0 and said.startswith("grounded: yes"), (name, said)
    assert run("verify", _written(tmp_path / "b.md", "The records lose to Zurich, as trip 2019.png shows."))[0] == 1


@pytest.mark.slow
def test_a_photo_with_a_question_of_another_task_is_told_what_the_demo_shows(tmp_path):
    """"how did the app colourise my photo?" with a photo was refused, then the photo restored, with no word that
    the network does not colourise: the person could take the demo for what they asked."""
    photo = tmp_path / "grey.png"
    Image.fromarray((np.random.default_rng(4).random((48, 64)) * 255).astype(np.uint8)).save(photo)
    said = ("the question is about colorization, which the network does not do: the demo below shows what this tool "
            "does")
    code, out, err = run("ask", "how did the app colourise my photo?", photo, "--json")
    assert code == 0, err
    answer = json.loads(out)
    assert answer["demo"] and any(said in n for n in answer["notes"]), answer["notes"]
    assert said in answer["markdown"] and said in answer["text"]
    code, out, err = run("ask", "how does it reduce noise?", photo, "--json")
    assert code == 0 and not any("the demo below shows what this tool does" in n for n in json.loads(out)["notes"])


def _written(path, text):
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.slow
def test_ask_with_photo_takes_the_restore_options(tmp_path):
    photo = tmp_path / "IMG_2042.jpg"
    Image.fromarray((np.random.default_rng(2).random((48, 64, 3)) * 60).astype(np.uint8)).save(photo)
    code, out, err = run("ask", "how does it reduce noise?", photo, "--image-format", "jpg",  # the photo after it
                         "--quality", "85", "--strength", "0.5", "--format", "text")
    assert code == 0, err
    assert (tmp_path / "IMG_2042_restored.jpg").is_file() and "IMG_2042_restored.jpg" in out


@pytest.mark.parametrize(("args", "says"), [
    (["restore", "a.png", "--format", "gif"], "Invalid value for '--format' / '--image-format': 'gif' is not one of"),
    (["restore"], "Missing argument 'photos'"),
    (["restore", "a.png", "--bogus"], "No such option: --bogus"),
    (["serve", "--port", "99999"], "Invalid value for '--port'"),
    (["--bogus", "restore", "a.png"], "No such option: --bogus"),  # before the command: the group's own options
    (["--debug"], "Missing command"),
])
def test_a_mistake_on_the_command_line_is_one_line_naming_the_help(args, says):
    code, _out, lines = run_cli(*args)
    assert_one_line_error(code, lines, says)
    assert "--help')" in lines[0]


@pytest.mark.parametrize(("args", "says"), [
    # found by an outside review: these two said "Input should be greater than or equal to 1", where --tile and
    # --max-side say what they must be; --help now says their least values too
    (["restore", "a.png", "--quality", "0"], "invalid option --quality: must be a whole number from 1 to 100"),
    (["ask", "noise?", "--k", "0"], "invalid option --k: must be a whole number from 1 to 50"),
    (["restore", "a.png", "--tile", "3"], "invalid option --tile: must be a multiple of 4, 64 or more"),
    # found by an outside review: "invalid restore option tile" (and "invalid setting device" below) where every
    # other option is named as typed
    (["restore", "a.png", "--tile", "65"], "invalid option --tile: must be a multiple of 4, 64 or more"),
])
def test_a_number_out_of_range_says_what_it_must_be(args, says):
    code, _out, lines = run_cli(*args)
    assert_one_line_error(code, lines, says)


def test_a_group_without_a_command_still_shows_its_help():
    code, out, _lines = run_cli("corpus")
    assert code == 2 and "Usage:" in out and "list" in out


def test_an_unquoted_question_is_the_same_question(cache_dir):
    code, out, _ = run("ask", "how", "does", "it", "reduce", "noise?", "--json")
    code_q, out_q, _ = run("ask", "how does it reduce noise?", "--json")
    assert code == code_q == 0
    words, quoted = json.loads(out), json.loads(out_q)
    assert words["question"] == "how does it reduce noise?" and words["task"] == quoted["task"]


@pytest.mark.parametrize(("args", "says"), [
    (["ask", "how does it reduce noise?", "missing.jpg"], "missing.jpg: no such file"),  # taken as the photo
    (["ask", "how", "does", "it", "reduce", "noise?", "missing.HEIC"], "missing.HEIC: no such file"),
    (["ask", "--seed", FIXTURES / "seed_default.txt", "missing.png"], "missing.png: no such file"),
    (["ask", "missing.jpg"], "give a question before the photo"),
    (["ask", "how does it reduce noise?", "a.jpg", "--photo", "b.jpg"], "give one photo"),
    (["ask", "how does it reduce noise?", "a.jpg", "b.png"], "give one photo: a.jpg and b.png are two"),
    (["ask", "how does it reduce noise?", "--strength", "0.5", "--out", "x.png"], "--out, --strength: these options"),
    (["ask", "--seed", FIXTURES / "seed_default.txt", "--gain", "1"], "--gain: this option is for the photo"),
    # found by review: the JSON was printed and the format asked for silently dropped
    (["ask", "how does it reduce noise?", "--json", "--format", "text"], "--json and --format text: the JSON holds"),
])
def test_a_photo_named_after_the_question_is_the_photo(args, says):
    code, _out, lines = run_cli(*args)
    assert_one_line_error(code, lines, says)


def test_a_quoted_question_ending_in_a_file_name_stays_a_question(cache_dir):
    code, out, err = run("ask", "why is the noise gone from photo.png", "--json")
    assert code == 0, err
    assert json.loads(out)["question"] == "why is the noise gone from photo.png" and json.loads(out)["demo"] is None


def test_a_folder_or_a_file_without_a_photo_ending_after_the_question(tmp_path, monkeypatch):
    code, _out, lines = run_cli("ask", "how does it reduce noise?", f"{tmp_path}/")
    assert_one_line_error(code, lines, "is a folder: ask runs the model on one photo")
    (tmp_path / "b").mkdir()  # found by review: a folder named without a separator joined the question
    monkeypatch.chdir(tmp_path)
    code, _out, lines = run_cli("ask", "how does it reduce noise?", "b")
    assert_one_line_error(code, lines, "b is a folder: ask runs the model on one photo")
    scan = tmp_path / "IMG_0001"  # a file that is there, named as a path: the photo (here not an image)
    scan.write_bytes(b"not an image")
    code, _out, lines = run_cli("ask", "how does it reduce noise?", scan, inputs=[scan])
    assert_one_line_error(code, lines, "IMG_0001")


@pytest.mark.parametrize(("raised", "code", "said"), [
    (lambda: BaseExceptionGroup("loop", [ValueError("x"), BaseExceptionGroup("inner", [Terminated()])]), 143,
     "terminated: nothing was left half-written"),
    (lambda: BaseExceptionGroup("loop", [KeyboardInterrupt()]), 130, "interrupted: nothing was left half-written"),
    (lambda: BaseExceptionGroup("loop", [ValueError("boom")]), 1, "internal error: ExceptionGroup"),
])
def test_a_signal_inside_a_task_group_exits_as_the_signal_does(raised, code, said):
    """A SIGTERM or Ctrl-C that arrives while an event loop's task group runs (the MCP server) comes out wrapped
    in an exception group; it was an internal error (exit 1, a traceback) instead of 143 or 130."""
    import typer

    from scientist.cli.app import ScientistGroup

    probe = typer.Typer(cls=ScientistGroup)

    @probe.command()
    def serve() -> None:
        raise raised()

    @probe.command()
    def other() -> None:  # two commands: a group, as the real CLI is
        pass

    result = CliRunner().invoke(probe, ["serve"])
    assert result.exit_code == code and said in result.stderr


class _Left(Exception):
    """What a test's stand-in for ``os._exit`` raises: the process would have left with ``args[0]``."""


@pytest.mark.parametrize(("code", "left", "said"), [(130, 130, ""), (None, 0, ""), ("a message", 1, "a message\n")])
def test_the_process_leaves_at_once_while_a_registered_condition_holds(monkeypatch, capsys, code, left, said):
    cli_app = sys.modules["scientist.cli.app"]  # the module: the package's ``app`` is the Typer app

    def _exit(status):
        raise _Left(status)

    monkeypatch.setattr(cli_app, "_LEAVE_AT_ONCE", [])
    monkeypatch.setattr(cli_app.os, "_exit", _exit)
    with pytest.raises(SystemExit) as raised:  # no condition holds: the command's own exit, as it was
        cli_app.leave(SystemExit(code))
    assert raised.value.code == code
    busy = True
    cli_app.leave_at_once_while(lambda: busy)
    finished: list[str] = []
    worker = threading.Thread(target=lambda: (time.sleep(0.3), finished.append("clean-up")))  # as Python would
    worker.start()  # wait for a thread that is no daemon (an abandoned restore ending at its next tile)
    with pytest.raises(_Left) as gone:
        cli_app.leave(SystemExit(code))
    assert gone.value.args == (left,) and finished == ["clean-up"]
    assert capsys.readouterr().err == said
    busy = False
    with pytest.raises(SystemExit):
        cli_app.leave(SystemExit(code))


_NATIVE_AT_EXIT = """
import sys, threading, time
import torch
from scientist.cli.app import leave, leave_at_once_while
x = torch.randn(1500, 1500)
started = threading.Event()
def work():
    started.set()
    while True:
        x @ x  # in PyTorch's thread pool, as the MCP server's warm-up is while it embeds the records
worker = threading.Thread(target=work, daemon=True)
worker.start()
started.wait()
time.sleep(0.3)
leave_at_once_while(worker.is_alive)
try:
    sys.exit(130)
except SystemExit as stop:
    leave(stop)
"""


def test_leaving_at_once_spares_a_daemon_thread_in_native_code_the_teardown(tmp_path):
    """Without ``leave`` (the same script ending with ``sys.exit``) the interpreter's teardown destroys PyTorch's
    thread pool under the working thread: "terminate called without an active exception", exit code -6, in 4 runs
    of 4 on the machine this was written on; the MCP server stopped during its warm-up did that one time in 7."""
    done = subprocess.run([sys.executable, "-c", _NATIVE_AT_EXIT], capture_output=True, text=True, timeout=120,
                          cwd=tmp_path)
    assert (done.returncode, done.stderr) == (130, "")


def test_restore_options_are_named_by_the_flags_typed(tmp_path):
    """"--max-side 7" was told "invalid restore option max_side"; --out beside --out-dir was taken and --out-dir
    dropped without a word (exit 0, nothing in the folder named)."""
    photo = tmp_path / "p.png"
    Image.fromarray(np.zeros((12, 16, 3), np.uint8)).save(photo)
    code, _, lines = run_cli("restore", photo, "--max-side", "7", inputs=[photo])
    assert_one_line_error(code, lines, "invalid option --max-side: must be a whole number, 8 or more")
    code, _, lines = run_cli("ask", "how does it denoise?", "--photo", photo, "--tile", "3", inputs=[photo])
    assert_one_line_error(code, lines, "invalid option --tile: must be a multiple of 4, 64 or more")
    code, _, lines = run_cli("ask", "how does it denoise?", photo, "--device", "tpu", inputs=[photo])
    assert_one_line_error(code, lines, "invalid option --device: must be 'auto', 'cpu' or 'cuda'")
    code, _, lines = run_cli("restore", photo, "--out", tmp_path / "o.png", "--out-dir", tmp_path / "od",
                             inputs=[photo])
    assert_one_line_error(code, lines, "--out and --out-dir cannot both be given")
    assert not (tmp_path / "o.png").exists() and not (tmp_path / "od").exists()


def test_a_batch_stopped_before_any_photo_finished_prints_an_empty_json_list(tmp_path, monkeypatch):
    """--json printed nothing at all when Ctrl-C came before the first photo finished: no JSON for a script."""
    import scientist.core as core

    def stopped(*args, **kwargs):
        raise KeyboardInterrupt
        yield  # a generator, as restore_many is

    monkeypatch.setattr(core.Scientist, "restore_many", stopped)
    for name in ("a.png", "b.png"):
        Image.fromarray(np.zeros((12, 16, 3), np.uint8)).save(tmp_path / name)
    result = CliRunner().invoke(app, ["restore", str(tmp_path), "--json"])
    assert result.exit_code == 130 and json.loads(result.stdout) == []
    assert result.stderr.strip() == "interrupted: nothing was left half-written"


def test_the_batch_summary_lines_up_names_that_take_two_columns_a_character(fake_sci):
    from rich.cells import cell_len

    from scientist.restore.record import BatchItem

    items = [BatchItem(input=n, name=n, status="skipped", reason="exists") for n in ("日本の写真.jpg", "photo.jpg")]
    text = fake_sci.renderer.env.get_template("restore_many.txt.j2").render(items=items, seconds=1.0, more=None)
    rows = [ln for ln in text.splitlines() if "  skipped  " in ln or ln.startswith("photo ")]
    assert len(rows) == 3
    # "result" and "skipped" start in the same terminal column on every row
    words = ("result", "skipped", "skipped")
    assert len({cell_len(row[:row.index(word)]) for row, word in zip(rows, words, strict=True)}) == 1
