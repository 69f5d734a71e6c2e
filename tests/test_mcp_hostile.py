"""The MCP server against hostile or unlucky calls: paths too long to be names, and a first question on
an empty cache (the index is built as the server starts, with progress on stderr, never on stdout)."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from .test_mcp import _with_client

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("path", [
    "{photos}/" + "a" * 100_000 + ".jpg",
    "{photos}/" + "/".join(["abc"] * 30_000) + ".jpg",
    "/elsewhere/" + "b" * 100_000 + ".jpg",
])
def test_a_path_too_long_is_a_one_sentence_tool_error(fake_sci, tmp_path, path):
    from scientist.mcp_server import build_server

    photos = tmp_path / "photos"
    photos.mkdir()
    server = build_server(fake_sci, allow=[photos], out_dir=tmp_path / "out")

    async def fn(client):
        return await client.call_tool("restore_photo", {"path": path.format(photos=photos)})

    result = _with_client(server, fn)
    [block] = result.content
    assert result.is_error and "failed unexpectedly" not in block.text
    assert ("too long" in block.text or "outside the folders" in block.text) and len(block.text) < 400
    assert "\n" not in block.text and block.text.endswith(".")


@pytest.mark.parametrize(("tool", "arguments", "said"), [
    # found by an outside review: run at the strength chosen from the photo, "strength" dropped in silence
    ("restore_photo", {"path": "x.png", "max_side": 128, "strength": 0.2},
     "The tool takes no argument `strength`; it takes `path`, `max_side`, `gain`."),
    ("ask_scientist", {"question": "how?", "k": 3, "extra": 1},
     "The tool takes no arguments `k` and `extra`; it takes `question`."),
])
def test_an_argument_a_tool_does_not_take_is_a_one_sentence_tool_error(fake_sci, tmp_path, tool, arguments, said):
    from scientist.mcp_server import build_server

    server = build_server(fake_sci, allow=[tmp_path], out_dir=tmp_path / "out")

    async def fn(client):
        return await client.call_tool(tool, arguments)

    result = _with_client(server, fn)
    [block] = result.content
    assert result.is_error and block.text == said


def test_an_argument_given_twice_is_a_one_sentence_tool_error(fake_sci, tmp_path):
    """Found by a second outside review: {"question": "and the loss?", "question": "who wrote it"} answered the
    second, as JSON reads it; the web API refused it.  The message read from stdin is marked, and the call refused."""
    import json

    from scientist.mcp_server import TWICE, _twice_marked, build_server

    line = ('{"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "ask_scientist", '
            '"arguments": {"question": "and the loss?", "question": "who wrote it"}}}')
    assert json.loads(_twice_marked(line))["params"]["arguments"] == {TWICE: "question"}
    fine = '{"jsonrpc": "2.0", "id": 4, "method": "tools/call", "params": {"name": "x", "arguments": {"a": 1}}}'
    assert _twice_marked(fine) == fine and _twice_marked("{not json") == "{not json"
    server = build_server(fake_sci, allow=[tmp_path], out_dir=tmp_path / "out")

    async def fn(client):
        return await client.call_tool("ask_scientist", {TWICE: "question"})

    result = _with_client(server, fn)
    assert result.is_error and result.content[0].text == "The argument `question` was given twice: give it once."


def test_an_argument_the_langchain_tool_does_not_take_is_refused(fake_sci):
    from scientist.errors import OptionError

    with pytest.raises(OptionError, match=r"^the tool takes no argument `strength`; it takes `question`, `photo`"):
        fake_sci.as_tool().invoke({"question": "how does it reduce noise?", "strength": 0.1})


def test_a_question_asked_while_the_index_is_prepared_waits_with_progress(fake_sci, tmp_path, monkeypatch, capsys):
    from scientist.mcp_server import build_server

    real_ask = fake_sci.ask
    warming = threading.Event()

    def slow_ask(question, *args, **kwargs):
        if threading.current_thread().name == "scientist-warm-up":
            warming.set()
            time.sleep(2.5)  # an index being built
        return real_ask(question, *args, **kwargs)

    monkeypatch.setattr(fake_sci, "ask", slow_ask)
    server = build_server(fake_sci, allow=[tmp_path], warm=True)
    reports = []

    async def progress(value, total, message):
        reports.append((value, message))

    async def fn(client):
        assert await _wait(warming)  # the warm-up starts with the server, before any question
        return await client.call_tool("ask_scientist", {"question": "how does it reduce noise?"},
                                      progress_callback=progress)

    result = _with_client(server, fn)
    assert not result.is_error and result.structured_content["task"]["id"]
    assert reports and all("Preparing the index of 3 records" in m for _, m in reports)
    captured = capsys.readouterr()
    assert "scientist: Preparing the index of 3 records" in captured.err and "ready" in captured.err
    assert "Preparing" not in captured.out


def test_the_server_answers_while_the_index_is_built_under_the_scientists_lock(fake_sci, tmp_path, monkeypatch):
    """Building the index holds the Scientist's lock; a question waiting for it must not wait on the event loop,
    or nothing else (a listing, a ping, a cancellation, a signal) is answered until the build is done."""
    from scientist.mcp_server import build_server

    warming = threading.Event()

    def building():
        with fake_sci._lock:
            warming.set()
            time.sleep(3)

    monkeypatch.setattr(fake_sci, "warm_up", building)
    server = build_server(fake_sci, allow=[tmp_path], warm=True)

    async def fn(client):
        import anyio

        assert await _wait(warming)
        start = time.monotonic()
        answered = []
        async with anyio.create_task_group() as tg:
            tg.start_soon(client.call_tool, "ask_scientist", {"question": "how does it reduce noise?"})
            for _ in range(4):  # the question waits meanwhile
                await anyio.sleep(0.2)
                await client.list_tools()  # answered on the event loop
                answered.append(round(time.monotonic() - start, 2))
        return answered

    answered = _with_client(server, fn)
    assert answered[-1] < 2.0, answered  # the build holds the lock for 3 s


async def _wait(event: threading.Event) -> bool:
    import anyio

    return await anyio.to_thread.run_sync(event.wait, 30)


_FAKE_EMBEDDER_SERVER = """
import sys
import scientist.core as core
from tests.helpers import HashEmbedder
core.Embedder = lambda *args, **kwargs: HashEmbedder()
sys.argv = ["scientist", "mcp", "--allow", sys.argv[1]]
from scientist.cli import main
main()
"""


@pytest.mark.slow  # builds a whole index (and trains the classifier) in a fresh process
def test_the_stdio_server_prepares_its_index_at_start_on_stderr(tmp_path):
    """On an empty cache the index is built before the first question arrives, saying so on stderr; stdout
    carries protocol messages only (the hash embedder stands in for the model, so this takes seconds)."""
    from mcp.types import jsonrpc_message_adapter

    env = {k: v for k, v in os.environ.items() if not k.startswith("SCIENTIST_")}
    env |= {"SCIENTIST_CACHE": str(tmp_path / "empty-cache"), "SCIENTIST_HOME": str(tmp_path / "home"),
            "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", _FAKE_EMBEDDER_SERVER, str(tmp_path)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=tmp_path)
    errors: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [errors.put(ln.decode()) for ln in proc.stderr] and errors.put(None),
                     daemon=True).start()
    try:
        proc.stdin.write(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}})
                         .encode() + b"\n")
        proc.stdin.flush()
        seen = []
        deadline = time.time() + 120
        while not any("ready" in ln for ln in seen) and time.time() < deadline:
            line = errors.get(timeout=max(0.1, deadline - time.time()))
            assert line is not None, "".join(seen)
            seen.append(line)
        assert any("scientist: Preparing the index of 3 records" in ln for ln in seen), seen
        assert any("scientist: ready" in ln for ln in seen), seen
    finally:
        proc.stdin.close()
        stdout = proc.stdout.read()
        proc.wait(timeout=60)
    lines = stdout.splitlines()
    assert lines, "no answer to initialize"
    for line in lines:
        jsonrpc_message_adapter.validate_json(line)
    assert (tmp_path / "empty-cache").is_dir() and any((tmp_path / "empty-cache").iterdir())


def test_a_server_started_in_the_root_without_allow_reads_no_photo(fake_sci, tmp_path, monkeypatch):
    """A chat app may start its servers in /: the working folder is then no default, or every photo of the
    machine would be open to whoever writes to the chat; an explicit --allow / is the user's own choice."""
    from scientist.errors import AccessError
    from scientist.tools import Folders

    monkeypatch.chdir("/")
    photo = tmp_path / "dark.jpg"
    photo.write_bytes(b"not read")
    folders = Folders([], tmp_path / "out")
    assert folders.default_refused
    with pytest.raises(AccessError, match=r"may read no photos: it was started in the file system's root \(/\) "
                                          r"without a folder to allow; start it with --allow FOLDER"):
        folders.photo(str(photo))
    assert Folders(["/"], tmp_path / "out").photo(str(photo)) == photo.resolve()
    monkeypatch.chdir(tmp_path)
    assert Folders([], tmp_path / "out").photo(str(photo)) == photo.resolve()


def test_a_path_longer_than_any_is_refused_before_it_is_resolved(fake_sci, tmp_path):
    from scientist.errors import AccessError, PhotoError
    from scientist.tools import MAX_PATH_BYTES, Folders

    folders = Folders([tmp_path], tmp_path / "out")
    with pytest.raises(AccessError, match="is not a usable path"):  # a lone surrogate, from a model's JSON
        folders.photo(str(tmp_path / "\ud800.jpg"))
    start = time.monotonic()
    with pytest.raises(PhotoError, match=f"the path is too long: a path has at most {MAX_PATH_BYTES} bytes"):
        folders.photo(str(tmp_path) + "/" + "a/" * 2_000_000 + "x.jpg")  # resolving it took minutes
    assert time.monotonic() - start < 2
