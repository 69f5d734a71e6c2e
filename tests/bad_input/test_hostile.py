"""Hostile input, as an attacker would send it: texts built to make a pattern backtrack, catalogs built to
expand or nest, files that are not files, names that are too long, markup and escape sequences in records.

Whatever could hang runs in a subprocess with a time limit (and a memory limit where it could grow), so a
regression fails in seconds instead of holding the test run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from scientist.errors import CorpusError
from scientist.guard import REMOVED, clean_question, find_urls, strip_foreign_urls

from ..helpers import assert_one_line_error, run_cli

ROOT = Path(__file__).resolve().parents[2]


def run_limited(code: str, *args: str, timeout: float = 60, memory_gb: float = 2.0) -> subprocess.CompletedProcess:
    """Run Python ``code`` in a child with a wall-clock limit and an address-space limit."""
    import resource

    def limit() -> None:
        cap = int(memory_gb * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=timeout,
                          env=env, preexec_fn=limit, cwd=ROOT)


def run_cli_limited(*args, timeout: float = 60, memory_gb: float = 4.0) -> tuple[int, str, list[str], float]:
    """``scientist ARGS`` in a child with limits: (exit code, stdout, stderr lines, seconds)."""
    start = time.perf_counter()
    proc = run_limited("from scientist.cli import main; main()", *map(str, args), timeout=timeout,
                       memory_gb=memory_gb)
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    return proc.returncode, proc.stdout, lines, time.perf_counter() - start


# ------------------------------------------------------------------ 1. patterns that backtrack
_TIMING = r"""
import json, sys, time
from scientist.corpus import load_corpus
from scientist.guard import clean_question, verify_text
corpus = load_corpus(include_user=False)
n = 1_000_000
texts = {"a": "a" * n, "A": "A" * n, "A_": "A" * n + "_", "AAb1": "AA" + "b" * n + "1",
         "Aa_": "Aa" * (n // 2) + "_", "A-": "A-" * (n // 2) + "_", "slashes": "/" * n, "colons": "ab:" * (n // 3),
         "urls": "http://x.org/a " * (n // 16), "a:": "a" * n + ":", "A-:": "A-" * (n // 2) + ":",
         # the disclaimers' lists of names, the title lines and a JSON document (verify reads them apart)
         "names": "names " + "a, " * (n // 3), "no record": "no record mentions " + "a, " * (n // 3),
         "is not": "a " * (n // 2) + "is not mentioned in the records", "titles": "QUESTION: a\n" * (n // 12),
         "json": "[" + ",".join(['"a"'] * (n // 4)) + "]"}
out = {}
for name, text in texts.items():
    t = time.perf_counter(); clean_question(text); c = time.perf_counter() - t
    t = time.perf_counter(); verify_text(corpus, text); v = time.perf_counter() - t
    out[name] = [c, v]
print(json.dumps(out))
"""


def test_a_one_megabyte_word_is_cleaned_and_checked_in_linear_time():
    """A 20,000-letter word took clean_question 37 s (the square of its length); 1 MB texts now take about a
    second or less (verify's slowest, 83,000 title lines, 1.8-1.9 s on an idle EPYC Zen 4, as at the stop before:
    at a 2 s limit it failed once in six runs here).  The limits are loose for a loaded machine; a square of the
    length would still take minutes.  BENCHMARKS.md has the figures."""
    proc = run_limited(_TIMING, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    for name, (clean, verify) in json.loads(proc.stdout).items():
        assert clean < 2.0 and verify < 5.0, (name, clean, verify)


def test_a_question_is_cut_to_its_readable_length_before_anything_else(fake_sci):
    limit = fake_sci.settings.max_question_chars
    answer = fake_sci.ask("How does it reduce noise? " + "in detail " * 600_000)  # 6 MB of short words
    assert len(answer.question) <= limit and answer.question.startswith("How does it reduce noise?")
    assert clean_question("a" * 10_000, 50) == "a" * 50


@pytest.mark.parametrize("question", [
    "[the code](//evil.example/mimo) how does it reduce noise?",
    "![x](//evil.example/t.png) how does it reduce noise?",
    "<img src=//evil.example/t.png> how does it reduce noise?",
    "<img src=\\\\evil.example\\t.png> how does it reduce noise?",
    "see ///evil.example/x how does it reduce noise?",
    "see /\\evil.example/x how does it reduce noise?",  # browsers read a backslash as a slash
])
def test_scheme_relative_links_are_removed_from_questions(question):
    cleaned = clean_question(question)
    assert "evil" not in cleaned and REMOVED in cleaned and "reduce noise" in cleaned


def test_scheme_relative_links_are_ungrounded(fake_sci):
    for text in ("The task is denoising; see [the code](//evil.example/mimo).",
                 "Input -> output. ![x](//evil.example/t.png) <img src=//evil.example/t.png>"):
        verdict = fake_sci.verify(text)
        assert not verdict.grounded and verdict.foreign_urls, text
        assert all("evil.example" in u for u in verdict.foreign_urls)
        assert "evil" not in strip_foreign_urls(text, fake_sci.corpus.allowed_urls())
    assert fake_sci.verify("Code: https://github.com/chosj95/MIMO-UNet and/or a path a/b").foreign_urls == []


# ------------------------------------------------------------------ 4. a catalog of nested aliases
BILLION_LAUGHS = "\n".join([
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
    *(f"{n}: &{n} [{','.join(['*' + p] * 9)}]" for p, n in zip("abcdef", "bcdefg", strict=True)),
    "name: *g", "summary: *g", "dataset: *g", ""])


def test_a_billion_laughs_catalog_is_refused_at_once(tmp_path):
    bomb = tmp_path / "laughs.yaml"
    bomb.write_text(BILLION_LAUGHS)
    assert len(BILLION_LAUGHS) < 700
    code, _out, lines, seconds = run_cli_limited("ask", "how does it reduce noise?", "--corpus", bomb,
                                                 timeout=60, memory_gb=3)
    assert_one_line_error(code, lines, "laughs.yaml: YAML aliases are not accepted")
    assert seconds < 30  # the refusal itself takes milliseconds; the rest is starting Python
    with pytest.raises(CorpusError, match="aliases"):
        from scientist.ingest import load_records

        load_records(bomb)


def test_an_overlong_field_is_refused_with_the_file_named(tmp_path):
    from scientist.ingest import MAX_FIELD_CHARS, load_records

    path = tmp_path / "long.json"
    path.write_text(json.dumps([{"name": "X", "summary": "word " * (MAX_FIELD_CHARS // 5 + 1)}]))
    with pytest.raises(CorpusError, match=r"long.json: record 1: its summary field holds .* more than"):
        load_records(path)
    path.write_text(json.dumps([{"name": "X", "names": ["n"] * 5000}]))
    with pytest.raises(CorpusError, match="entries"):
        load_records(path)


def test_aliases_stay_allowed_in_the_projects_own_yaml():
    from scientist import yamlio

    assert yamlio.safe_load("a: &x 1\nb: *x") == {"a": 1, "b": 1}
    with pytest.raises(yamlio.AliasError):
        yamlio.safe_load("a: &x 1\nb: *x", aliases=False)


# ------------------------------------------------------------------ 9. markup and escapes in a catalog
def _hostile_catalog(path: Path) -> Path:
    records = [
        {"name": "<script>alert(1)</script>DenoiseNet\x1b]0;owned\x07\x1b[2J", "github": "https://github.com/a/denoise",
         "summary": "A network that removes noise from photos. <img src=x onerror=alert(1)> It keeps detail."},
        {"name": "Wiki Net", "paper": "https://example.org/wiki/Net_(network)", "github": "https://example.org/a)b",
         "summary": "A network that removes noise from grainy photos while it keeps their detail."},
        {"name": "Null Net", "github": "https://github.com/a/b\x00c", "paper": "https://example.org/\x1b[31mx",
         "summary": "Removes noise."},
    ]
    path.write_text(json.dumps(records))
    return path


def test_catalog_markup_is_escaped_in_markdown_and_links_survive(tmp_path, fake_cli_embedder):
    catalog = _hostile_catalog(tmp_path / "c.json")
    code, out, lines = run_cli("ask", "how do networks remove noise from photos?", "--corpus", catalog, "--json",
                               inputs=[catalog])
    assert code == 0, lines
    assert sum("holds control characters" in ln for ln in lines) == 2  # the links with NUL and ESC
    answer = json.loads(out)
    refs = {r["title"]: r for r in answer["references"] + answer["nearest"]}
    wiki = refs["Wiki Net"]
    assert wiki["url"] == "https://example.org/wiki/Net_(network)" and wiki["github"] == "https://example.org/a)b"
    assert refs["Null Net"]["github"] is None and refs["Null Net"]["url"] is None
    md = answer["markdown"]
    assert "<script" not in md and "<img" not in md and "&lt;script>" in md
    assert "https://example.org/a%29b" in md and "https://example.org/wiki/Net_%28network%29" in md
    assert REMOVED not in md and REMOVED not in json.dumps(answer["references"] + answer["nearest"])
    assert "\x1b" not in out and "\x07" not in out and "\x00" not in out


def test_nothing_printed_to_a_terminal_carries_an_escape_sequence(tmp_path, fake_cli_embedder):
    catalog = _hostile_catalog(tmp_path / "c.json")
    for args in (("ask", "how do networks remove noise from photos?", "--corpus", catalog),
                 ("ask", "how do networks remove noise?", "--corpus", catalog, "--format", "text"),
                 ("corpus", "list", "--corpus", catalog)):
        code, out, lines = run_cli(*args)
        assert code == 0, lines
        assert "DenoiseNet" in out
        assert not any(c in out + "".join(lines) for c in "\x1b\x07\x00\x9b"), args
    evil = tmp_path / "IMG\x1b]0;owned\x07\x1b[31m.jpg"
    evil.write_text("not a photo")
    code, _out, lines = run_cli("restore", evil)
    assert_one_line_error(code, lines, "not an image")
    assert "\x1b" not in lines[0] and "\x07" not in lines[0]


def test_a_link_holding_a_parenthesis_is_kept_whole_in_every_field():
    from scientist.guard import AllowedLinks

    allowed = AllowedLinks({"https://example.org/a)b", "https://example.org/wiki/Net_(network)"})
    text = "Code: https://example.org/a)b, paper: https://example.org/wiki/Net_(network). Not https://evil.example/x"
    out = strip_foreign_urls(text, allowed)
    assert out == f"Code: https://example.org/a)b, paper: https://example.org/wiki/Net_(network). Not {REMOVED}"
    assert find_urls(text, allowed)[:2] == ["https://example.org/a)b", "https://example.org/wiki/Net_(network)"]
    # with a plain set (no precomputed index) too
    assert strip_foreign_urls(text, set(allowed)) == out


# ------------------------------------------------------------------ 10. files that are not files
@pytest.fixture
def fifo(tmp_path):
    """A named pipe nobody writes to.  Should a reader wait on it, it gets an end of file after 10 s, so a
    regression fails instead of hanging the test run."""
    import threading

    path = tmp_path / "catalog.json"
    os.mkfifo(path)
    done = threading.Event()

    def release() -> None:
        while not done.wait(10):
            try:
                os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))  # only succeeds while someone reads it
            except OSError:
                pass

    threading.Thread(target=release, daemon=True).start()
    yield path
    done.set()


def test_a_fifo_is_refused_not_waited_for(tmp_path, fifo):
    for args in (("ask", "noise?", "--corpus", fifo), ("ask", "--seed", fifo), ("verify", fifo),
                 ("corpus", "add", fifo), ("restore", fifo)):
        start = time.perf_counter()
        code, _out, lines = run_cli(*args)
        assert_one_line_error(code, lines, "not a regular file")
        assert time.perf_counter() - start < 5, args


_TWO_COMMANDS = """
import json, sys
from typer.testing import CliRunner
from scientist.cli import app
runs = [CliRunner().invoke(app, args) for args in (["ask", "noise?", "--corpus", sys.argv[1]], ["verify", "/dev/zero"])]
print(json.dumps([[r.exit_code, r.stderr] for r in runs]))
"""


def test_devices_and_links_to_them_are_refused(tmp_path):
    """/dev/zero, or a .json link to it, passed 3 GB in seconds; both are refused before a byte is read."""
    link = tmp_path / "zero.json"
    link.symlink_to("/dev/zero")
    proc = run_limited(_TWO_COMMANDS, str(link), timeout=60, memory_gb=2)
    assert proc.returncode == 0, proc.stderr[-2000:]
    for code, stderr in json.loads(proc.stdout):
        assert_one_line_error(code, [ln for ln in stderr.splitlines() if ln.strip()], "not a regular file")


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path):
    from scientist.fileio import MAX_INPUT_MB, read_input

    big = tmp_path / "big.jsonl"
    with big.open("wb") as f:  # sparse: takes no disk
        f.truncate(int((MAX_INPUT_MB + 1) * 2**20))
    with pytest.raises(CorpusError, match=f"more than the {MAX_INPUT_MB} MiB"):
        read_input(big, CorpusError)
    code, _out, lines = run_cli("verify", big)
    assert_one_line_error(code, lines, "more than the")


# ------------------------------------------------------------------ 11. user mistakes, not internal errors
def test_deep_nesting_is_a_user_error(tmp_path):
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    code, _out, lines = run_cli("ask", "noise?", "--corpus", deep)
    assert_one_line_error(code, lines, "deep.json: nested too deeply")
    nested_field = tmp_path / "field.json"
    nested_field.write_text('[{"name": "X", "summary": ' + "[" * 5000 + "]" * 5000 + "}]")
    code, _out, lines = run_cli("corpus", "list", "--corpus", nested_field)
    assert_one_line_error(code, lines, "field.json")
    deep_yaml = tmp_path / "deep.yaml"
    deep_yaml.write_text("[" * 100_000 + "]" * 100_000)
    code, _out, lines = run_cli("ask", "noise?", "--corpus", deep_yaml)
    assert_one_line_error(code, lines, "deep.yaml: invalid YAML")


@pytest.mark.parametrize("command", [
    ("ask", "--seed", "{folder}"),
    ("verify", "{folder}"),
    ("eval", "{folder}"),
    ("corpus", "add", "{folder}"),
])
def test_a_folder_where_a_file_is_expected_is_a_user_error(tmp_path, command):
    # a folder opens for reading on Linux; only making a file object of it failed (an internal error before)
    folder = tmp_path / "Trip"
    folder.mkdir()
    code, _out, lines = run_cli(*(a.format(folder=folder) for a in command))
    assert_one_line_error(code, lines, "is a directory")


@pytest.mark.parametrize("command", [
    ("ask", "noise?", "--corpus", "{name}"),
    ("ask", "--seed", "{name}"),
    ("verify", "{name}"),
    ("restore", "{name}"),
    ("restore", "{name}", "{name}"),
    ("corpus", "add", "{name}"),
])
def test_a_file_name_too_long_is_a_user_error(tmp_path, command):
    name = str(tmp_path / ("x" * 5000 + ".json"))
    code, _out, lines = run_cli(*(a.format(name=name) for a in command))
    assert_one_line_error(code, lines, "too long")
    assert len(lines[0]) < 400  # the name is shortened in the message
