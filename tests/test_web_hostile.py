"""The web app against hostile clients: other sites' pages, other host names, photos sized to exhaust
memory, a full queue raced, and connections that stall (a real server on 127.0.0.1, raw sockets)."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time

import pytest

pytest.importorskip("fastapi")

from .helpers import jpeg_declaring  # noqa: E402
from .test_web import FakeRestore, assert_one_sentence, client_maker, job_folders, jpeg, wait_for  # noqa: E402

OWN = "http://127.0.0.1:8000"


@pytest.fixture
def make_client(fake_sci, tmp_path):
    """test_web's clients over the hash-embedder Scientist: nothing here depends on what answers mean."""
    yield from client_maker(fake_sci, tmp_path)


# ------------------------------------------------------------------ 8. host names and other sites' pages
def test_other_host_names_are_refused(make_client):
    client = make_client(restore=FakeRestore())
    assert client.get("/").status_code == 200
    for host in ("evil.example", "evil.example:8000", "127.0.0.1.evil.example", "localhost.evil.example"):
        assert_one_sentence(client.get("/", headers={"Host": host}), 421, "does not answer to that host name")
        r = client.post("/api/ask", json={"question": "noise?"}, headers={"Host": host})
        assert_one_sentence(r, 421, "host name")
    # a known name with something after it is not that name
    for host in ("[::1].evil.example", "[localhost]evil.example", "localhost:8000/evil", "127.0.0.1:abc",
                 "user@localhost"):
        assert_one_sentence(client.get("/", headers={"Host": host}), 421, "does not answer to that host name")
    for host in ("localhost:8000", "[::1]:8000", "127.0.0.1"):
        assert client.get("/", headers={"Host": host}).status_code == 200, host


def test_a_header_that_decides_a_refusal_is_taken_once(make_client):
    client = make_client(restore=FakeRestore())
    sent = client.post("/api/ask", json={"question": "noise?"},
                       headers=[("Origin", "http://evil.example"), ("Origin", "http://127.0.0.1")])
    assert_one_sentence(sent, 400, "the request has more than one Origin header")


@pytest.mark.parametrize("headers", [
    {"Origin": "http://evil.example"},
    {"Origin": "http://127.0.0.1:9999"},  # another port is another site
    {"Origin": "null"},  # a sandboxed frame, a file:// page
    {"Sec-Fetch-Site": "cross-site"},
    {"Sec-Fetch-Site": "same-site"},
])
def test_posts_from_other_sites_are_refused(make_client, headers):
    fake = FakeRestore()
    client = make_client(restore=fake)
    for r in (client.post("/api/ask", json={"question": "how does it reduce noise?"}, headers=headers),
              client.post("/ui/answer", data={"question": "how does it reduce noise?"}, headers=headers),
              client.post("/api/restore", files={"photo": ("a.jpg", jpeg(), "image/jpeg")}, headers=headers)):
        assert_one_sentence(r, 403, "requests from pages of other sites are refused")
    assert not fake.started.is_set()
    assert client.get("/api/jobs/0123456789abcdef0123456789abcdef", headers=headers).status_code == 404
    # nor may another site's page cancel a job
    job = client.post("/api/restore", files={"photo": ("a.jpg", jpeg(), "image/jpeg")}).json()["id"]
    assert_one_sentence(client.delete(f"/api/jobs/{job}", headers=headers), 403,
                        "requests from pages of other sites are refused")
    assert client.get(f"/api/jobs/{job}").status_code == 200


def test_the_servers_own_pages_and_docs_still_post(make_client):
    client = make_client(restore=FakeRestore())
    for headers in ({"Origin": OWN, "Sec-Fetch-Site": "same-origin"}, {"Sec-Fetch-Site": "none"}, {}):
        r = client.post("/api/ask", json={"question": "how does it reduce noise?"}, headers=headers)
        assert r.status_code == 200, (headers, r.text)
    r = client.post("/api/restore", files={"photo": ("a.jpg", jpeg(), "image/jpeg")}, headers={"Origin": OWN})
    assert r.status_code == 202
    assert client.get("/docs").status_code == 200


def test_host_names_of_a_server_on_every_address():
    from scientist.web.server import own_hosts

    names, any_ip = own_hosts("127.0.0.1")
    assert {"127.0.0.1", "localhost", "::1"} <= names and not any_ip
    names, any_ip = own_hosts("0.0.0.0", ["photos.home.arpa"])
    assert any_ip and "localhost" in names and "photos.home.arpa" in names
    names, any_ip = own_hosts("192.168.1.20")
    assert names == {"192.168.1.20"} and not any_ip


def test_a_server_on_every_address_answers_ip_addresses_and_its_listed_names(make_client):
    client = make_client(restore=FakeRestore(), serve_host="0.0.0.0", serve_allowed_hosts=["photos.home.arpa"])
    for host in ("192.168.1.20:8000", "[fe80::1]:8000", "photos.home.arpa:8000", "localhost:8000"):
        assert client.get("/", headers={"Host": host}).status_code == 200, host
    assert client.get("/", headers={"Host": "evil.example"}).status_code == 421


# ------------------------------------------------------------------ 5. photos sized to exhaust memory
def test_a_photo_too_large_for_the_memory_budget_is_refused_before_decoding(make_client, tmp_path, monkeypatch):
    from PIL import ImageFile

    fake = FakeRestore()
    client = make_client(restore=fake)
    data = jpeg_declaring(10_900, 10_900)
    assert len(data) < 1000
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda self: pytest.fail("the photo was decoded"))
    start = time.perf_counter()
    r = client.post("/api/restore", files={"photo": ("huge.jpg", data, "image/jpeg")})
    assert_one_sentence(r, 400, "pixels need about", tmp_path)
    assert "serve_memory_mb" in r.json()["detail"] and time.perf_counter() - start < 2
    assert not fake.started.is_set() and job_folders(tmp_path) == []


def test_uploads_are_checked_within_the_memory_budget(make_client, monkeypatch):
    """Four uploads at once, each needing most of the budget to be checked: one is decoded at a time."""
    import scientist.restore.memory as memory
    import scientist.restore.photo as photo

    inside, most = [], [0]
    real = photo.read_photo

    def counting(path):
        if threading.current_thread().name == "scientist-restore":  # the fake restore reads it again
            return real(path)
        inside.append(path)
        most[0] = max(most[0], len(inside))
        time.sleep(0.2)
        try:
            return real(path)
        finally:
            inside.remove(path)

    monkeypatch.setattr(photo, "read_photo", counting)
    monkeypatch.setattr(memory, "decode_bytes", lambda w, h, deep=False: 200 * 2**20)
    monkeypatch.setattr(memory, "restore_bytes", lambda w, h, work: 2**20)
    client = make_client(restore=FakeRestore(), serve_memory_mb=256)
    codes = _at_once(client, 4)
    assert codes == [202] * 4 and most[0] == 1


def test_the_queue_cap_holds_when_uploads_race(make_client, monkeypatch):
    """With one place in the queue, four uploads checked at the same time: one is queued, three get 429."""
    import scientist.restore.photo as photo

    real = photo.read_photo
    monkeypatch.setattr(photo, "read_photo", lambda path: time.sleep(0.3) or real(path))
    fake = FakeRestore(hold=True)
    client = make_client(restore=fake, max_waiting_jobs=1)
    client.post("/api/restore", files={"photo": ("first.jpg", jpeg(), "image/jpeg")})
    assert fake.started.wait(30)  # the first one runs; the queue is empty
    codes = _at_once(client, 4)
    assert sorted(codes) == [202, 429, 429, 429], codes
    assert len(client.app.state.jobs._waiting) == 1
    fake.go.set()


def test_uploads_waiting_for_memory_hold_no_thread_of_the_shared_pool(make_client, monkeypatch):
    """Uploads waiting for memory each held one of the 40 threads that also answer polls and pages: with more
    than 40 waiting, a poll waited behind them, and an upload waited for a thread before its wait for memory was
    even counted.  Now they wait on the event loop: the poll is answered at once and no upload waits past
    BUSY_WAIT."""
    import scientist.web.app as web_app

    monkeypatch.setattr(web_app, "BUSY_WAIT", 3.0)
    client = make_client(restore=FakeRestore(), max_waiting_jobs=100)
    budget = client.app.state.jobs.budget
    seconds: list[float] = []
    codes: list[int] = []

    def upload(i: int) -> None:
        start = time.perf_counter()
        r = client.post("/api/restore", files={"photo": (f"{i}.jpg", jpeg(), "image/jpeg")})
        seconds.append(time.perf_counter() - start)
        codes.append(r.status_code)

    with budget.reserve(budget.total):  # every upload waits for memory
        threads = [threading.Thread(target=upload, args=(i,)) for i in range(44)]
        for t in threads:
            t.start()
        time.sleep(1.0)  # all of them arrived and wait
        start = time.perf_counter()
        poll = client.get("/api/jobs/0123456789abcdef0123456789abcdef")
        polled = time.perf_counter() - start
        for t in threads:
            t.join(60)
    assert poll.status_code == 404 and polled < 1, polled
    assert codes == [429] * 44 and max(seconds) < 3.0 + 2, max(seconds)
    assert budget.used == 0 and list(client.app.state.jobs.own.iterdir()) == []


def test_uploads_past_the_most_that_may_wait_are_refused_at_once(make_client):
    """With the memory taken and max_waiting_jobs uploads waiting for it, one more waited its minute too before
    being told the server was busy; it is refused at once."""
    client = make_client(restore=FakeRestore(), max_waiting_jobs=2)
    budget = client.app.state.jobs.budget
    codes: list[int] = []
    with budget.reserve(budget.total):
        threads = [threading.Thread(target=lambda i=i: codes.append(client.post(
            "/api/restore", files={"photo": (f"{i}.jpg", jpeg(), "image/jpeg")}).status_code)) for i in range(2)]
        for t in threads:
            t.start()
        time.sleep(1.0)
        start = time.perf_counter()
        r = client.post("/api/restore", files={"photo": ("third.jpg", jpeg(), "image/jpeg")})
        refused = time.perf_counter() - start
        assert refused < 1, refused
        assert_one_sentence(r, 429, "2 uploads are already waiting to be checked")
    for t in threads:
        t.join(60)
    assert codes == [202, 202]


def _at_once(client, n: int) -> list[int]:
    codes: list[int] = []
    go = threading.Barrier(n)

    def upload(i: int) -> None:
        go.wait()
        r = client.post("/api/restore", files={"photo": (f"{i}.jpg", jpeg(), "image/jpeg")})
        codes.append(r.status_code)

    threads = [threading.Thread(target=upload, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return codes


def test_memory_budget_turns_and_refusals():
    from scientist.errors import BusyError
    from scientist.web.jobs import MemoryBudget

    budget = MemoryBudget(100)
    assert budget.fits(100) and not budget.fits(101)
    order = []
    with budget.reserve(70):
        def later(name: str, amount: int) -> None:
            with budget.reserve(amount):
                order.append(name)

        a = threading.Thread(target=later, args=("big", 60))
        a.start()
        time.sleep(0.05)
        b = threading.Thread(target=later, args=("small", 10))  # would fit, but waits its turn behind "big"
        b.start()
        time.sleep(0.1)
        assert order == [] and budget.used == 70
        with pytest.raises(BusyError, match="busy"):
            with budget.reserve(50, wait=0.05):
                pass
    a.join(5)
    b.join(5)
    assert order == ["big", "small"] and budget.used == 0


def test_a_restore_holds_its_share_of_the_budget(make_client):
    fake = FakeRestore(hold=True)
    client = make_client(restore=fake)
    job = client.post("/api/restore", files={"photo": ("a.jpg", jpeg(), "image/jpeg")}).json()["id"]
    assert fake.started.wait(30)
    jobs = client.app.state.jobs
    assert jobs.budget.used == jobs.get(job).memory > 0
    fake.go.set()
    wait_for(client, job)
    assert jobs.budget.used == 0


# ------------------------------------------------------------------ 12. stalled requests, on a real socket
@pytest.fixture
def live_server(fake_sci, tmp_path):
    """The app under uvicorn with the project's protocol (a 0.5 s request timeout), on 127.0.0.1."""
    import uvicorn

    from scientist.web.app import create_app
    from scientist.web.timed import TimedH11Protocol

    settings = fake_sci.settings.model_copy(update={"cache": tmp_path / "cache"})
    app = create_app(fake_sci, settings=settings, restore=FakeRestore())
    server, thread, port = _run(uvicorn.Config(app, http=TimedH11Protocol.with_timeout(0.5), log_level="warning",
                                               lifespan="on"))
    yield port
    server.should_exit = True
    thread.join(10)


def _run(config, server=None) -> tuple[object, threading.Thread, int]:
    """A uvicorn server of ``config`` (or ``server``) running in a thread on a free port of 127.0.0.1, once it has
    started."""
    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = server or uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.time() + 30
    while not server.started and time.time() < deadline:
        time.sleep(0.02)
    return server, thread, sock.getsockname()[1]


def _exchange(port: int, *parts: bytes, pause: float = 0.0, wait: float = 5.0) -> tuple[bytes, float]:
    """Send ``parts`` (``pause`` s apart), then read until the server closes; (reply, seconds until closed)."""
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.settimeout(wait)
        start = time.perf_counter()
        for part in parts:
            try:
                s.sendall(part)
            except (BrokenPipeError, ConnectionResetError):  # closed by the server while sending
                break
            time.sleep(pause)
        reply = b""
        try:
            while chunk := s.recv(65536):
                reply += chunk
        except (TimeoutError, ConnectionResetError):
            reply += b"<still open>"
        return reply, time.perf_counter() - start


def test_stalled_requests_are_closed(live_server):
    headers_cut, seconds = _exchange(live_server, b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    assert headers_cut.startswith(b"HTTP/1.1 408") and b"took too long" in headers_cut and seconds < 3
    body_cut, seconds = _exchange(live_server, b"POST /api/ask HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                  b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"que")
    assert body_cut.startswith(b"HTTP/1.1 408") and seconds < 3
    idle, seconds = _exchange(live_server)
    assert idle.startswith(b"HTTP/1.1 408") and seconds < 3


def test_headers_sent_a_byte_at_a_time_do_not_keep_a_connection(live_server):
    trickle = [bytes([c]) for c in b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 40]
    reply, seconds = _exchange(live_server, *trickle, pause=0.05)
    assert b"408" in reply.split(b"\r\n", 1)[0] or reply == b"", reply[:80]
    assert seconds < 3.5  # 0.5 s allowed for the headers; sending them all would take 2.7 s


def test_a_request_that_arrives_is_answered(live_server):
    reply, _ = _exchange(live_server, b"GET /static/page.css HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 200")
    body = b'{"question": ""}'
    reply, _ = _exchange(live_server, b"POST /api/ask HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                         b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body),
                         body[:5], body[5:], pause=0.2)  # a body in pieces, each within the timeout
    assert reply.startswith(b"HTTP/1.1 400") and b"the question is empty" in reply


@pytest.mark.parametrize(("path", "content", "content_type", "status", "match"), [
    ("/api/ask", b'{"question": "\xff\xfe"}', "application/json", 422, "the request body is not valid JSON"),
    ("/api/ask", b"[" * 50_000 + b"]" * 50_000, "application/json", 422, "the request body is JSON nested too deeply"),
    ("/api/restore", b"garbage", "multipart/form-data; boundary=XyZ", 400,
     "the request body is not a readable multipart/form-data upload (invalid multipart data)"),
    ("/api/restore", b"--XyZ\r\n", "multipart/form-data", 400,
     "the request body is not a readable multipart/form-data upload (missing boundary in multipart)"),
    ("/api/restore", b'--XyZ\r\nContent-Disposition: form-data; name="photo"\r\n\r\nIMG_2041.jpg\r\n--XyZ--\r\n',
     "multipart/form-data; boundary=XyZ", 422,  # what curl -F photo=IMG.jpg (without @) sends
     "photo must be a file, sent as a file part of a multipart/form-data upload (curl -F photo=@FILE)"),
])
def test_bodies_the_framework_cannot_read_are_one_sentence_of_ours(live_server, path, content, content_type, status,
                                                                    match):
    """A client on a real socket never sees the parser's words ("There was an error parsing the body", "Invalid
    multipart data.", "Expected UploadFile, received: <class 'str'>")."""
    import httpx

    r = httpx.post(f"http://127.0.0.1:{live_server}{path}", content=content, headers={"Content-Type": content_type},
                   timeout=30)
    assert r.status_code == status and r.json() == {"detail": match}, (r.status_code, r.text)


def test_head_is_answered_wherever_get_is(live_server):
    """Headers only, on a real socket: a second request on the same connection is read as a request, not as the
    first one's body."""
    for path in (b"/", b"/docs", b"/api/jobs/0123456789abcdef0123456789abcdef", b"/static/page.css"):
        reply, _ = _exchange(live_server, b"HEAD " + path + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                             b"GET /static/page.css HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        first, _, rest = reply.partition(b"\r\n\r\n")
        assert first.split(b" ")[1] in (b"200", b"404") and b"content-length:" in first.lower(), (path, first)
        assert rest.startswith(b"HTTP/1.1 200 OK"), (path, rest[:80])  # no body came between the two


def test_requests_that_are_not_http_get_one_sentence_of_json(live_server):
    for request in (b"GARBAGE\r\n\r\n", b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: -1\r\n\r\n",
                    b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: 127.0.0.1\r\n\r\n"):
        reply, seconds = _exchange(live_server, request)
        head, _, body = reply.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 400") and b"content-type: application/json" in head.lower(), reply
        assert json.loads(body) == {"detail": "the request is not valid HTTP/1.1"} and seconds < 3


def test_headers_too_large_are_431(live_server):
    """Headers of 300 KB were "the request is not valid HTTP/1.1" (400), as though they were not HTTP."""
    reply, seconds = _exchange(live_server, b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * 300_000
                               + b"\r\n\r\n")
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 431") and b"content-type: application/json" in head.lower(), reply[:200]
    # closed with the rest of the headers unread: the client may see the connection reset after the answer
    assert json.loads(body.removesuffix(b"<still open>")) == {"detail": "the request's headers are too large"}
    assert seconds < 3  # closed, not timed out


def test_a_range_that_cannot_be_read_is_ignored_and_one_past_the_end_is_416_in_json(live_server):
    """A malformed Range or another unit was Starlette's plain-text 400 ("Range header: start must be less than
    end", "Only support bytes range"), one past the end a 416 with an empty body: RFC 9110 asks that a Range that
    cannot be read be ignored (200, the whole file), and every error here is one sentence of JSON."""
    import httpx

    base = f"http://127.0.0.1:{live_server}"
    job = httpx.post(f"{base}/api/restore", files={"photo": ("a.jpg", jpeg(), "image/jpeg")}, timeout=30).json()["id"]
    wait_for(httpx.Client(base_url=base, timeout=30), job)
    for path in (f"/api/jobs/{job}/restored.png", f"/api/jobs/{job}/before.png", "/static/page.css",
                 "/docs-assets/swagger-ui.css"):
        whole = httpx.get(base + path, timeout=30)
        assert whole.status_code == 200 and len(whole.content) > 10, path
        for unread in ("bytes=5-2", "items=0-10", "bytes", "bytes=abc", "bytes=0-1,9-3"):
            r = httpx.get(base + path, headers={"Range": unread}, timeout=30)
            assert (r.status_code, r.content) == (200, whole.content), (path, unread, r.status_code, r.text[:80])
        part = httpx.get(base + path, headers={"Range": "bytes=0-9"}, timeout=30)
        assert (part.status_code, part.content) == (206, whole.content[:10]), path
        past = httpx.get(base + path, headers={"Range": "bytes=999999999-"}, timeout=30)
        assert past.status_code == 416 and past.headers["content-range"] == f"bytes */{len(whole.content)}", path
        assert past.json() == {"detail": "the range asked for starts past the end of the file, which is "
                                         f"{len(whole.content)} bytes long"}


def test_a_body_sent_a_byte_at_a_time_does_not_hold_the_server_when_it_stops(fake_sci, tmp_path):
    """The request timeout is re-armed by every byte of a body, so a client sending one now and then kept a
    stopping server waiting for it; now it is answered 503 and closed, and the server stops."""
    import uvicorn

    from scientist.web.app import create_app
    from scientist.web.timed import TimedH11Protocol

    app = create_app(fake_sci, settings=fake_sci.settings.model_copy(update={"cache": tmp_path / "cache"}),
                     restore=FakeRestore())
    # a least body rate of 1 byte a second: the trickle (5 a second) is in time, only the stop may cut it off
    protocol = TimedH11Protocol.with_timeout(0.5, min_body_rate=1)
    server, thread, port = _run(uvicorn.Config(app, http=protocol, log_level="warning", lifespan="on"))
    replies = []
    head = (b"POST /api/ask HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Content-Length: 1000\r\n\r\n{")
    client = threading.Thread(target=lambda: replies.append(_exchange(port, head, *[b" "] * 60, pause=0.2,
                                                                      wait=20)))
    client.start()
    time.sleep(1.0)  # past the 0.5 s timeout: only the trickle keeps the request open
    stop = time.perf_counter()
    server.should_exit = True
    thread.join(20)
    stopped = time.perf_counter() - stop
    client.join(20)
    assert not thread.is_alive() and stopped < 3, stopped  # the trickle would have taken 12 s more
    reply, _ = replies[0]
    assert reply.startswith(b"HTTP/1.1 503") and b"the server is stopping" in reply, reply[:200]


def test_a_body_trickled_below_the_least_rate_is_closed(live_server):
    """Each byte of a body re-armed the timeout, so one byte every 0.2 s (within the 0.5 s timeout) held the
    connection for as long as the client liked; past the timeout a body must keep up 8 KiB a second on average."""
    head = (b"POST /api/ask HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Content-Length: 1000\r\n\r\n{")
    reply, seconds = _exchange(live_server, head, *[b" "] * 40, pause=0.2, wait=20)  # 8 s of trickle
    assert seconds < 3, (seconds, reply[:200])
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408"), reply[:200]
    assert json.loads(body) == {"detail": "the request body arrived too slowly (under 8 KiB a second)"}


def test_a_slow_body_that_keeps_up_the_least_rate_is_answered(fake_sci, tmp_path):
    """A body well under way is not cut off for its length: only for falling behind the least rate."""
    import uvicorn

    from scientist.web.app import create_app
    from scientist.web.timed import TimedH11Protocol

    app = create_app(fake_sci, settings=fake_sci.settings.model_copy(update={"cache": tmp_path / "cache"}),
                     restore=FakeRestore())
    server, thread, port = _run(uvicorn.Config(app, http=TimedH11Protocol.with_timeout(0.5, min_body_rate=20),
                                               log_level="warning", lifespan="on"))
    try:
        body = b'{"question": ""' + b" " * 20 + b"}"
        head = (b"POST /api/ask HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: "
                b"application/json\r\nContent-Length: %d\r\n\r\n" % len(body))
        # 6 bytes every 0.2 s: 30 a second, over the least rate of 20, for 1.2 s (past the 0.5 s timeout)
        reply, _ = _exchange(port, head, *[body[i:i + 6] for i in range(0, len(body), 6)], pause=0.2)
        assert reply.startswith(b"HTTP/1.1 400") and b"the question is empty" in reply, reply[:200]
    finally:
        server.should_exit = True
        thread.join(10)


def _capped_server(fake_sci, tmp_path):
    """A server of at most 3 connections (a 30 s request timeout: nothing is cut off for being slow here)."""
    import uvicorn

    from scientist.web.app import create_app
    from scientist.web.timed import TimedH11Protocol

    app = create_app(fake_sci, settings=fake_sci.settings.model_copy(update={"cache": tmp_path / "cache"}),
                     restore=FakeRestore())
    return _run(uvicorn.Config(app, http=TimedH11Protocol.with_timeout(30, max_connections=3), log_level="error",
                               lifespan="on"))


#: A request whose body is on its way (its first byte sent): under way until the rest comes.
_UNDER_WAY = (b"POST /api/ask HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
              b"Content-Length: 100\r\n\r\n{")


def test_connections_past_the_cap_are_answered_503_at_once(fake_sci, tmp_path):
    """Clients holding connections open could use up the process's file descriptors: then nobody could connect,
    and the log grew by the failed accept() as fast as it was retried.  Past the cap, every open connection having a
    request under way, a connection is answered 503 (JSON, Retry-After) as soon as it is accepted, and closed; none
    of those under way is closed for it."""
    server, thread, port = _capped_server(fake_sci, tmp_path)
    held = [socket.create_connection(("127.0.0.1", port)) for _ in range(3)]
    try:
        for s in held:
            s.sendall(_UNDER_WAY)
        time.sleep(0.3)  # all three accepted, their bodies under way
        reply, seconds = _exchange(port, wait=5)
        head, _, body = reply.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 503") and b"retry-after: 5" in head.lower(), reply[:200]
        assert json.loads(body) == {"detail": "the server has too many open connections; try again in a moment"}
        assert seconds < 1
        for s in held:  # still open: nothing came, nor the end of the connection
            s.settimeout(0.2)
            with pytest.raises(TimeoutError):
                s.recv(1)
        held.pop().close()
        time.sleep(0.2)
        reply, _ = _exchange(port, b"GET /static/page.css HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        assert reply.startswith(b"HTTP/1.1 200"), reply[:200]
    finally:
        for s in held:
            s.close()
        server.should_exit = True
        thread.join(10)


def test_at_the_cap_the_oldest_idle_connection_makes_room(fake_sci, tmp_path):
    """At the cap a new connection was refused 503, so a few hundred idle sockets, opened again every few seconds,
    kept everybody else out.  Now the oldest connection with no request under way (an idle keep-alive, or one still
    sending its headers) is closed to make room, oldest first, and the new client is served; a connection with a
    request under way is never closed for it."""
    server, thread, port = _capped_server(fake_sci, tmp_path)
    get = b"GET /static/page.css HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    busy = socket.create_connection(("127.0.0.1", port))
    busy.sendall(_UNDER_WAY)
    time.sleep(0.2)
    headers = socket.create_connection(("127.0.0.1", port))  # sends part of its headers, and stalls
    headers.sendall(get)
    time.sleep(0.2)
    keep_alive = socket.create_connection(("127.0.0.1", port))  # a request answered, the connection kept open
    keep_alive.sendall(b"HEAD" + get[3:] + b"\r\n")  # its response: headers only
    held = [busy, headers, keep_alive]
    try:
        keep_alive.settimeout(5)
        first = b""
        while b"\r\n\r\n" not in first:
            first += keep_alive.recv(65536)
        assert first.startswith(b"HTTP/1.1 200") and b"connection: close" not in first.lower(), first[:200]
        time.sleep(0.3)
        new = [socket.create_connection(("127.0.0.1", port)) for _ in range(2)]  # each makes room for itself
        held += new
        time.sleep(0.3)
        for s in new:
            s.sendall(get + b"Connection: close\r\n\r\n")
        served = [_read_all(s)[0] for s in new]
        assert all(r.startswith(b"HTTP/1.1 200") for r in served), [r[:100] for r in served]
        # the one sending its headers, the oldest idle one, went first, told why; then the keep-alive, just closed
        told, _ = _read_all(headers)
        head, _, body = told.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 503") and b"retry-after: 5" in head.lower(), told[:200]
        assert "closed this one" in json.loads(body)["detail"]
        assert _read_all(keep_alive) == (b"", True)
        busy.settimeout(0.2)
        with pytest.raises(TimeoutError):  # its request is under way: still open
            busy.recv(1)
    finally:
        for s in held:
            s.close()
        server.should_exit = True
        thread.join(10)


def _read_all(s: socket.socket, wait: float = 5.0) -> tuple[bytes, bool]:
    """What comes on ``s`` until the server closes it, and whether it did within ``wait`` seconds."""
    s.settimeout(wait)
    got = b""
    try:
        while chunk := s.recv(65536):
            got += chunk
    except TimeoutError:
        return got, False
    except ConnectionResetError:
        pass
    return got, True


def test_the_connection_cap_stays_below_the_open_files_limit(monkeypatch):
    """The soft limit on open files is raised to the hard one, and the cap leaves descriptors for the rest; a
    connection may hold three (its socket, a spooled upload, a file sent back): counting one, 520 uploads of 1 MiB
    used up a limit of 1024."""
    import resource

    from scientist.web.server import FDS_PER_CONNECTION, MAX_CONNECTIONS, SPARE_FDS, connection_cap

    limits = {"now": (1024, 4096)}
    monkeypatch.setattr(resource, "getrlimit", lambda which: limits["now"])
    monkeypatch.setattr(resource, "setrlimit", lambda which, value: limits.update(now=value))
    assert connection_cap() == MAX_CONNECTIONS and limits["now"] == (4096, 4096)
    limits["now"] = (1024, 1024)
    assert FDS_PER_CONNECTION == 3 and connection_cap() == (1024 - SPARE_FDS) // 3


def test_failures_to_accept_for_want_of_descriptors_are_said_once_a_minute(caplog):
    """asyncio logged a traceback for each failed accept, up to the backlog's count every second: 17 MB of log in
    6 s.  One line a minute now; other errors go on as before."""
    import asyncio
    import logging

    from scientist.web.timed import quiet_accept_failures

    loop = asyncio.new_event_loop()
    try:
        others = []
        loop.set_exception_handler(lambda loop, context: others.append(context["message"]))
        quiet_accept_failures(loop)
        quiet_accept_failures(loop)  # once per loop
        with caplog.at_level(logging.WARNING, logger="scientist.web.timed"):
            for _ in range(1000):
                loop.call_exception_handler({"message": "socket.accept() out of system resource",
                                             "exception": OSError(24, "Too many open files")})
            loop.call_exception_handler({"message": "something else"})
        assert [r.getMessage() for r in caplog.records] == [
            "no file descriptor is left to accept connections ([Errno 24] Too many open files): new ones wait until "
            "some close"]
        assert others == ["something else"]
    finally:
        loop.close()


def test_a_full_queue_refuses_an_upload_before_reading_it(fake_sci, tmp_path):
    """A full queue read (and stored) the whole upload before answering 429; now it is answered as soon as the
    headers are in, asking the client to come back later, and the connection is closed, the body never read."""
    import httpx
    import uvicorn

    from scientist.web.app import create_app
    from scientist.web.timed import TimedH11Protocol

    fake = FakeRestore(hold=True)
    settings = fake_sci.settings.model_copy(update={"cache": tmp_path / "cache", "max_waiting_jobs": 1})
    app = create_app(fake_sci, settings=settings, restore=fake)
    server, thread, port = _run(uvicorn.Config(app, http=TimedH11Protocol.with_timeout(2), log_level="warning",
                                               lifespan="on"))
    try:
        for name in ("running.jpg", "waiting.jpg"):
            r = httpx.post(f"http://127.0.0.1:{port}/api/restore", files={"photo": (name, jpeg(), "image/jpeg")},
                           timeout=30)
            assert r.status_code == 202, r.text
            assert fake.started.wait(30)
        reply, seconds = _exchange(port, b"POST /api/restore HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                                   b"multipart/form-data; boundary=XyZ\r\nContent-Length: 45000000\r\n\r\n")
        head, _, body = reply.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 429"), reply[:200]
        assert b"retry-after: 60" in head.lower() and b"connection: close" in head.lower()
        assert json.loads(body) == {"detail": "1 photo is already waiting; try again in a few minutes"}
        assert seconds < 1.5, seconds  # not the 2 s request timeout: nothing of the body was awaited
        assert len(job_folders(tmp_path)) == 2  # no folder made for it
    finally:
        fake.go.set()
        server.should_exit = True
        thread.join(10)


def test_serve_runs_the_timed_protocol(monkeypatch):
    from scientist.web.timed import StoppingServer, TimedH11Protocol

    from .helpers import run_cli
    from .test_web import free_port, served

    calls, apps, servers = [], [], []
    served(monkeypatch, calls, apps, servers)
    monkeypatch.setenv("SCIENTIST_SERVE_REQUEST_TIMEOUT", "7")
    code, _out, err = run_cli("serve", "--port", free_port())
    assert code == 0, err
    protocol = calls[0]["http"]
    assert issubclass(protocol, TimedH11Protocol) and protocol.request_timeout == 7.0
    assert 0 < protocol.max_connections <= 1000 and protocol.min_body_rate > 0 and calls[0]["backlog"] > 0
    assert calls[0]["timeout_graceful_shutdown"] == 30.0  # serve_stop_seconds: requests in flight when it stops
    # the app hears of the stop as soon as it begins
    assert isinstance(servers[0], StoppingServer) and servers[0].on_stop == apps[0].state.stop


def test_serve_that_could_not_start_exits_as_uvicorn_does(monkeypatch):
    """A server that did not start (uvicorn logs why) ends the process with uvicorn's status for that, 3."""
    import uvicorn

    from scientist.web.server import serve

    monkeypatch.setattr(uvicorn.Server, "run", lambda server, sockets=None: None)  # never started
    with pytest.raises(SystemExit) as ended:
        serve(object(), "127.0.0.1", 8123, request_timeout=5)
    assert ended.value.code == 3


def test_uploads_waiting_when_the_server_stops_are_answered_503_at_once(fake_sci, tmp_path, monkeypatch):
    """Ctrl-C while uploads waited for memory or for a thread: the app heard of the stop only after uvicorn's wait
    for the requests under way (serve_stop_seconds), so they waited it out and were then cut off, each a plain-text
    500 and a traceback in the log.  Now the app hears of it as the stop begins: each is answered 503 at once, one
    sentence of JSON with Retry-After, and the server stops without waiting for them."""
    import httpx
    import uvicorn

    import scientist.restore.photo as photo
    import scientist.web.app as web_app
    from scientist.web.app import create_app
    from scientist.web.timed import StoppingServer, TimedH11Protocol

    monkeypatch.setattr(web_app, "UPLOAD_THREADS", 1)  # one upload stored at a time: the others wait for a turn
    inside, release, calls = threading.Event(), threading.Event(), []
    real = photo.photo_size

    def held(path):  # the third upload holds the one thread while the stop begins
        calls.append(path)
        if len(calls) == 3:
            inside.set()
            release.wait(30)
        return real(path)

    monkeypatch.setattr(photo, "photo_size", held)
    settings = fake_sci.settings.model_copy(update={"cache": tmp_path / "cache", "max_waiting_jobs": 10})
    app = create_app(fake_sci, settings=settings, restore=FakeRestore())
    config = uvicorn.Config(app, http=TimedH11Protocol.with_timeout(30), log_level="critical", lifespan="on",
                            timeout_graceful_shutdown=20)
    server, thread, port = _run(config, StoppingServer(config, on_stop=app.state.stop))
    budget, uploads = app.state.jobs.budget, []

    def upload(name: str) -> None:
        uploads.append(httpx.post(f"http://127.0.0.1:{port}/api/restore", timeout=30,
                                  files={"photo": (name, jpeg(), "image/jpeg")}))

    clients = [threading.Thread(target=upload, args=(f"{i}.jpg",)) for i in range(4)]
    with budget.reserve(budget.total):  # the restore under way: every upload checked waits for memory
        for client in clients[:2]:
            client.start()
        wait_until(lambda: len(budget._turns) == 2)  # two wait for memory
        clients[2].start()
        assert inside.wait(10)  # one is stored: it holds the thread
        clients[3].start()
        wait_until(lambda: _waiting(app) == 4)  # and one waits for the thread
        assert uploads == []
        stop = time.perf_counter()
        server.should_exit = True
        time.sleep(0.5)
        release.set()  # the stored one goes on to wait for memory: there is none to wait for any more
        for client in clients:
            client.join(20)
        thread.join(20)
    stopped = time.perf_counter() - stop
    assert not thread.is_alive() and stopped < 5, stopped  # not the 20 s uvicorn waits for requests under way
    assert len(uploads) == 4
    for r in uploads:
        assert r.headers["retry-after"] == "60"
        assert r.status_code == 503 and r.json() == {"detail": "the server is stopping; send the photo again once "
                                                               "it runs"}, (r.status_code, r.text)
    assert budget.used == 0 and job_folders(tmp_path) == []


def _waiting(app) -> int:
    """How many uploads wait to be checked."""
    from scientist.web.app import QueueGate

    layer = app.middleware_stack
    while not isinstance(layer, QueueGate):
        layer = layer.app
    return layer.uploads.waiting


def wait_until(condition, seconds: float = 10.0) -> None:
    deadline = time.time() + seconds
    while not condition():
        assert time.time() < deadline, "timed out"
        time.sleep(0.02)


def test_a_body_the_app_is_slow_to_read_is_not_cut_off_and_does_not_spin(monkeypatch):
    """While the app did not read a body, the client was taken to be on time only until now: the timer fired at
    once, over and over (a core spent on the event loop), and the client got 408 for the app's delay."""
    import uvicorn

    from scientist.web.timed import TimedH11Protocol

    calls = []
    real = TimedH11Protocol._expired
    monkeypatch.setattr(TimedH11Protocol, "_expired", lambda self: (calls.append(1), real(self))[1])

    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        await receive()  # one chunk, then the app is busy elsewhere for longer than the client's credit
        await asyncio.sleep(2.5)
        while (await receive()).get("more_body"):
            pass
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
        await send({"type": "http.response.body", "body": b"ok"})

    # a least rate of 1 MB/s: the client's credit (the timeout and what it sent before the app stopped reading)
    # runs out well within the app's 2.5 s
    protocol = TimedH11Protocol.with_timeout(0.5, min_body_rate=1_000_000)
    server, thread, port = _run(uvicorn.Config(app, http=protocol, log_level="warning", lifespan="off"))
    try:
        body = b"x" * 4_000_000  # all of it sent at once: the server holds it back
        head = (b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: %d\r\n\r\n" % len(body))
        reply, _ = _exchange(port, head, body, wait=20)
        assert reply.startswith(b"HTTP/1.1 200"), reply[:200]
        assert len(calls) < 100, len(calls)
    finally:
        server.should_exit = True
        thread.join(10)


def test_a_pipelined_request_keeps_to_the_least_rate(live_server):
    """A request whose headers came in the packet of the one before was parsed later, with no clock started for
    its body: a trickle held it open for as long as the client liked."""
    first = b"GET /static/page.css HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    second = (b"POST /api/ask HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
              b"Content-Length: 1000\r\n\r\n{")
    reply, seconds = _exchange(live_server, first + second, *[b" "] * 40, pause=0.2, wait=20)  # 8 s of trickle
    assert seconds < 3.5, (seconds, reply[-200:])
    assert b"HTTP/1.1 408" in reply and b"arrived too slowly" in reply, reply[-300:]
