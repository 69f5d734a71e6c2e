"""The web app: one page and a JSON API over the :class:`~scientist.core.Scientist` façade and the demo.

Questions go to :meth:`Scientist.ask`; photos become restore jobs (:mod:`.jobs`) that run
:meth:`Scientist.demo`, one at a time.  Everything the page needs is served from here
(static files of this package, Swagger UI's files from its own package), so it works
offline.  Typed errors become an HTTP 4xx with one sentence (:func:`_status`).
"""

from __future__ import annotations

import email.message
import logging
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import NamedTuple
from urllib.parse import quote

import anyio.to_thread
from fastapi import Depends, FastAPI, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import MalformedRangeHeader, RangeNotSatisfiable
from starlette.routing import Match
from starlette.staticfiles import NotModifiedResponse

from .. import __version__, jsonio
from ..answer import Answer
from ..errors import (
    AccessError,
    BusyError,
    CheckpointError,
    ClusterError,
    JobError,
    OptionError,
    OutputError,
    PhotoError,
    ScientistError,
    StoppingError,
    UnfinishedJobError,
    value_problem,
)
from ..gathered import package_warnings
from ..settings import GAIN_HELP, ConfigError, Settings, load_settings
from .jobs import (
    BUSY,
    STOPPING,
    Job,
    Jobs,
    JobStatus,
    MemoryBudget,
    RestoreFn,
    ascii_label,
    internal_error,
    safe_name,
    sentence,
)
from .server import OriginGuard, own_hosts
from .svg import NARROW_PER_ROW, needs_narrow, workflow_svg

__all__ = ["AskRequest", "BodyLimit", "BoundedForms", "ErrorMessage", "HeadAsGet", "QueueGate", "RangedFile",
           "Uploads", "create_app"]

log = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"
#: Response headers of every page of our own: nothing from elsewhere may load, nothing may frame it.
PAGE_POLICY = ("default-src 'self'; img-src 'self'; style-src 'self'; script-src 'self'; connect-src 'self'; "
               "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
#: The pages Swagger UI starts with an inline script (served without the policy), and the files of Swagger UI's
#: package they load.
DOCS_PAGES = frozenset({"/docs", "/docs/oauth2-redirect"})
DOCS_ASSETS = frozenset({"swagger-ui-bundle.js", "swagger-ui-bundle.js.map", "swagger-ui.css", "swagger-ui.css.map",
                         "favicon-32x32.png"})
_COPY_CHUNK = 1 << 20


class FormBounds(NamedTuple):
    """What a form of the app may hold: its file parts and its other fields, and what it holds, in words."""

    files: int
    fields: int
    holds: str


#: The fields of a restore's form: another (``strength``, ``max_side``, ``Gain``, a client's own) is refused in one
#: sentence, as is one given twice (they were dropped in silence).
RESTORE_FIELDS = frozenset({"photo", "gain", "watched"})
#: The routes that take a form (a photo upload, the page's question) and what each may hold (read by
#: :class:`BoundedForms`).  The form parser's defaults, 1,000 file parts and 1,000 fields, let one request spool a
#: temporary file for each part past 1 MiB (49 within the default 50 MiB upload limit), where the connection cap counts
#: three file descriptors a connection (:data:`.server.FDS_PER_CONNECTION`).  A restore takes one photo and two
#: fields (another is refused in a sentence: :data:`RESTORE_FIELDS`), the page's question form one field; the fields
#: to spare let such a field be answered so rather than by the parser's limit.
FORMS = {"/api/restore": FormBounds(1, 8, "a restore takes one photo, in the file field photo, and the fields gain "
                                          "and watched"),
         "/ui/answer": FormBounds(0, 8, "the page's form sends one field, question")}
#: Where a multipart body cut short means a field that never arrived.
FORM_PATHS = frozenset(FORMS)
#: The bodies that are forms.
FORM_TYPES = frozenset({"multipart/form-data", "application/x-www-form-urlencoded"})
#: A photo sent otherwise than as a file part of a multipart/form-data body (as the whole body, as JSON, ...).
NOT_MULTIPART = ("the request has no photo: send it as multipart/form-data, in a file field named photo "
                 "(curl -F photo=@FILE)")
#: A body sent to the page's question form that is not a form (JSON, most often).
NOT_A_FORM = ("this address takes the page's form (application/x-www-form-urlencoded or multipart/form-data) with a "
              "field named question; send JSON questions to /api/ask")
#: A multipart upload whose body ends before its closing delimiter: what was sent is incomplete.
CUT_SHORT = ("the upload was cut short: its multipart/form-data body ends before the closing boundary, "
             "so its last part never arrived whole; send it again")
#: Longest an upload waits, for a thread and for memory held by other photos, before it is answered 429 (seconds).
BUSY_WAIT = 60.0
#: Uploads stored and checked at once, on threads of their own (see :class:`Uploads`).
UPLOAD_THREADS = 4
#: The routes that take a photo upload: refused before their body is read when it could not be queued
#: (:class:`QueueGate`).
UPLOAD_PATHS = frozenset({"/api/restore"})
#: What a 429 asks a client to wait before it tries again (seconds): a restore takes about that long.
RETRY_AFTER = 60
#: The name a page gives itself in its polls and as it leaves (see :meth:`.jobs.Jobs.polled`).
PAGE_HELP = ("The name the page following the job gave itself (at most 64 characters), the same in its polls and as "
             "it leaves: a poll it sent just before it left, arriving after, does not keep the job.")
#: The upload's ``watched`` field.
WATCHED_HELP = ("true when a page follows the job, as the server's own page does: the job is then cancelled, and its "
                "files deleted, once the page is gone, when it says it is leaving and does not ask about the job "
                "again within page_leave_grace_seconds, or asks nothing about it for page_poll_timeout_seconds. "
                "Left out, the job is never cancelled for not being asked about.")


class AskRequest(BaseModel):
    """A question for :meth:`Scientist.ask`."""

    # "k": true is not 1, nor "k": "5" five; a field it does not take is refused, not silently dropped
    model_config = ConfigDict(strict=True, extra="forbid")

    question: str = Field(description="The question, in any words.",
                          examples=["How does it reduce noise so well without losing detail?"])
    k: int | None = Field(default=None, ge=1, le=50, description="Records to retrieve (default: the `k` setting).")


async def _keys_once(request: Request) -> None:
    """Refuse a JSON body that gives a field twice (``{"question": "a", "question": "b"}`` was answered as "b", the
    first dropped in silence): one sentence, 422.  The body is the one FastAPI read (kept), so it is read once; what
    a field holds is the body's own validation's to judge."""
    try:
        body = jsonio.loads(await request.body())
    except (ValueError, RecursionError):  # not JSON, or too deep: the body's own validation says so
        return
    if isinstance(body, jsonio.Keys) and body.twice:
        raise OptionError(f"the field {body.twice[0]} was given twice: give it once")


async def _one_question(request: Request) -> None:
    """Refuse a field of the page's question form other than ``question``, or ``question`` given twice (the last
    was answered, the others dropped in silence): one sentence, 422."""
    if not _sent_a_form(request.headers):
        return  # the route says what it takes (415)
    _fields_taken(await request.form(), QUESTION_FIELDS, "the question form", "one field, question")


#: The field of the page's question form.
QUESTION_FIELDS = frozenset({"question"})


def _fields_taken(form, fields: frozenset[str], what: str, takes: str, why: dict[str, str] | None = None) -> None:
    """Refuse a form's field that is not one of ``fields`` (``what`` takes ``takes``; ``why``: a reason for some of
    them), and one of them given more than once: one sentence each (they were dropped in silence)."""
    other = sorted(set(form.keys()) - fields)
    if other:
        raise OptionError(f"{what} takes no field {other[0]}: it takes {takes}{(why or {}).get(other[0], '')}")
    twice = next((name for name in sorted(fields) if len(form.getlist(name)) > 1), None)
    if twice is not None:
        raise OptionError(f"{twice} was given {len(form.getlist(twice))} times: give it once")


class ErrorMessage(BaseModel):
    """What every error response holds."""

    detail: str = Field(description="What went wrong, in one sentence.")


class _TooLarge(HTTPException):
    """Raised while a request body is read, once it passes the limit (answered by the 413 handler)."""

    def __init__(self) -> None:
        super().__init__(status_code=413)


class BodyLimit:
    """Refuse request bodies over ``limit`` bytes: at once when the declared length says so, else as they arrive.

    Nothing is read past the limit, so an upload never fills the disk or memory first.  A multipart body is
    also watched for its closing delimiter (``--BOUNDARY--``): the request's state ``multipart_closed`` says
    whether it came, so an upload cut short is told from one that was sent without a field (the parser
    quietly drops a part that never ended).
    """

    def __init__(self, app, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or ())
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            upload = scope.get("path") in FORM_PATHS
            response = JSONResponse({"detail": _too_large(self.limit, upload, declared=True)}, status_code=413,
                                    headers={"Connection": "close"})
            await response(scope, receive, send)
            return
        seen = 0
        closing = _closing_delimiter(headers.get(b"content-type", b"").decode("latin-1"))
        state = scope.setdefault("state", {})
        if closing:
            state["multipart_closed"] = False
        tail = b""

        async def counted():
            nonlocal seen, tail
            message = await receive()
            if message["type"] == "http.request":
                body = message.get("body", b"")
                if closing and seen < _HEAD_BYTES:  # where the photo's name is, should the body pass the limit
                    state["multipart_head"] = state.get("multipart_head", b"") + body[:_HEAD_BYTES - seen]
                seen += len(body)
                if seen > self.limit:
                    raise _TooLarge
                if closing and not state["multipart_closed"]:
                    window = tail + body  # the delimiter may straddle two chunks
                    state["multipart_closed"] = closing in window
                    tail = window[-(len(closing) - 1):]
            return message

        await self.app(scope, counted, send)


class Uploads:
    """Where uploads wait to be stored and checked: threads of their own for that blocking work (copying the upload,
    decoding it), at most ``threads`` at once, so that uploads waiting for their turn never hold the shared pool
    that answers polls and pages; and a count of the uploads waiting (from their arrival until their check starts),
    of which at most ``most`` may wait at once.  Once :meth:`stop` is called, no upload waits for a turn any more."""

    def __init__(self, threads: int, most: int) -> None:
        self._turns = anyio.CapacityLimiter(threads)  # a turn on a thread, waited for against a deadline
        self._threads = anyio.CapacityLimiter(threads)  # the threads: never short for an upload that has its turn
        self.most, self.waiting = most, 0
        self.stopped = False
        self._waits: set[anyio.CancelScope] = set()  # of the uploads waiting for a turn, to end them on stop()

    def check_room(self) -> None:
        """:class:`BusyError` when ``most`` uploads wait already."""
        if self.waiting >= self.most:
            n = self.waiting
            raise BusyError(f"{n} upload{'s are' if n != 1 else ' is'} already waiting to be checked; try again in "
                            "a minute")

    @contextmanager
    def waiting_one(self) -> Iterator[Callable[[], None]]:
        """Count an upload as waiting (refused first when there is no room: :meth:`check_room`) until the block
        ends or it calls what is given (its check starts)."""
        self.check_room()
        self.waiting += 1
        left = False

        def leave() -> None:
            nonlocal left
            if not left:
                left = True
                self.waiting -= 1

        try:
            yield leave
        finally:
            leave()

    async def run(self, deadline: float, fn, *args):
        """``fn(*args)`` on one of the uploads' threads, once one is free before ``deadline`` (anyio's clock);
        :class:`BusyError` when none is, :class:`StoppingError` once the server stops (:meth:`stop`)."""
        got = False
        with anyio.move_on_after(max(0.0, deadline - anyio.current_time())) as wait:
            if not self.stopped:
                self._waits.add(wait)
                try:
                    await self._turns.acquire()
                    got = True
                finally:
                    self._waits.discard(wait)
        if not got:
            raise StoppingError(STOPPING) if self.stopped else BusyError(BUSY)
        try:
            return await anyio.to_thread.run_sync(fn, *args, limiter=self._threads)
        finally:
            self._turns.release()

    def stop(self) -> None:
        """End the wait of every upload waiting for a turn, now and to come, with :class:`StoppingError`: the server
        is stopping, and would otherwise cut them off with a bare 500 once its wait for requests under way runs out.
        Call it on the event loop the uploads run on (their waits are ended by cancelling them)."""
        self.stopped = True
        for wait in list(self._waits):
            wait.cancel()


class QueueGate:
    """Refuse an upload before its body is read when it could not be queued anyway: the queue is full, the server is
    stopping (503), or as many uploads as may wait are waiting to be checked (429; both with ``Retry-After``, and the
    connection closed, as the body is never read).  Without this a full queue still took in, and stored, the whole
    upload before saying so.  The same checks are made again once the upload is in."""

    def __init__(self, app, jobs: Jobs, uploads: Uploads) -> None:
        self.app, self.jobs, self.uploads = app, jobs, uploads

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and scope.get("method") == "POST" and scope.get("path") in UPLOAD_PATHS:
            try:
                self.jobs.check_open()
                self.uploads.check_room()
            except BusyError as exc:
                response = JSONResponse({"detail": str(exc)}, status_code=_status(exc),
                                        headers={"Retry-After": str(RETRY_AFTER), "Connection": "close"})
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


class BoundedForms(APIRoute):
    """A route of the app whose form is read within what it may hold (:data:`FORMS`) before FastAPI reads it: past
    it, the parser stops at the header of the part too many, before that part is spooled, and the request is answered
    400 in one sentence (:func:`_form_problem`).  Starlette keeps the form on the request, and FastAPI's own reading
    gets it from there.  Other routes are as they were.  (FastAPI takes such limits itself, ``form_limits``, only
    from 0.165, newer than the oldest version this project supports.)"""

    def get_route_handler(self):
        handler = super().get_route_handler()
        bounds = FORMS.get(self.path)
        if bounds is None:
            return handler

        async def bounded(request: Request) -> Response:
            try:
                await request.form(max_files=bounds.files, max_fields=bounds.fields)
            except StarletteHTTPException:  # the body over the limit (BodyLimit, 413), or the parser's limits (400)
                raise
            except Exception as exc:
                # as FastAPI answers a body it cannot read; the handler words it from its cause (_unreadable_body)
                raise HTTPException(status_code=400, detail="There was an error parsing the body") from exc
            return await handler(request)

        return bounded


class HeadAsGet:
    """Answer HEAD wherever GET is answered (RFC 9110 asks it of every resource; FastAPI routes only the methods
    they name): the request goes through as a GET, and its response's body is dropped, its headers kept."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def headers_only(message):
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, headers_only)


class RangedFile(FileResponse):
    """A file answering a ``Range`` header as RFC 9110 asks: one that cannot be read (another unit than bytes, a
    range that ends before it starts, no range in it) is ignored and the whole file sent, where Starlette answered
    400 in plain text; one that starts past the end of the file is 416 with one sentence of JSON, as every error
    here (Starlette's had an empty body)."""

    class _Unsatisfiable(Exception):
        def __init__(self, size: int) -> None:
            self.size = size

    @classmethod
    def _parse_range_header(cls, http_range: str, file_size: int) -> list[tuple[int, int]]:
        try:
            return super()._parse_range_header(http_range, file_size)
        except MalformedRangeHeader:
            return []  # the whole file
        except RangeNotSatisfiable:
            raise cls._Unsatisfiable(file_size) from None  # answered below: nothing has been sent yet

    async def __call__(self, scope, receive, send) -> None:
        try:
            await super().__call__(scope, receive, send)
        except self._Unsatisfiable as exc:
            detail = f"the range asked for starts past the end of the file, which is {exc.size} bytes long"
            response = JSONResponse({"detail": detail}, status_code=416,
                                    headers={"Content-Range": f"bytes */{exc.size}"})
            await response(scope, receive, send)


class StaticFilesRanged(StaticFiles):
    """The package's static files, each a :class:`RangedFile`."""

    def file_response(self, full_path, stat_result, scope, status_code: int = 200) -> Response:
        response = RangedFile(full_path, status_code=status_code, stat_result=stat_result)
        if self.is_not_modified(response.headers, Headers(scope=scope)):
            return NotModifiedResponse(response.headers)
        return response


def _allowed(app: FastAPI, scope) -> str:
    """What a 405's ``Allow`` lists: every method the request's path is answered for, by any of its routes (GET
    and DELETE /api/jobs/{id} are two routes), HEAD wherever GET is (:class:`HeadAsGet`)."""
    path = {"type": "http", "method": scope["method"], "path": scope["path"],
            "root_path": scope.get("app_root_path", scope.get("root_path", ""))}  # as it came, before any mount
    methods: set[str] = set()
    for route in app.router.routes:
        if route.matches(path)[0] is not Match.NONE:
            methods |= getattr(route, "methods", None) or {"GET"}  # a mount: the static files, read only
    if "GET" in methods:
        methods.add("HEAD")
    return ", ".join(sorted(methods))


def _media_type(content_type: str) -> str:
    """The media type of a Content-Type, without its parameters, lower-case ("" when none was sent)."""
    return content_type.split(";", 1)[0].strip().lower()


def _sent_a_form(headers: Headers) -> bool:
    """Whether a request's body is a form, or there is none (an empty form)."""
    body = headers.get("content-length", "0") != "0" or "transfer-encoding" in headers
    return _media_type(headers.get("content-type", "")) in FORM_TYPES or not (body or "content-type" in headers)


def _too_many(kind: str, most: int) -> str:
    """A form's parts past what it may hold, in words: ``more than 8 fields``, ``a file``."""
    one = kind.lower().rstrip("s")
    if most == 0:
        return f"a {one}, which this address does not take"
    return f"more than {most} {one if most == 1 else one + 's'}, the most this server reads"


#: The form parser's limits in words of ours (the parser's "Too many fields. Maximum number of fields is 1000." is
#: two sentences): its message, what the form has.
_PARSER_LIMITS = ((re.compile(r"too many (fields|files)\. maximum number of \w+ is (\d+)\.?", re.IGNORECASE),
                   lambda kind, n: _too_many(kind, int(n))),
                  (re.compile(r"(field|part) exceeded maximum size of (\d+) ?kb\.?", re.IGNORECASE),
                   lambda kind, n: f"a {kind.lower()} larger than {n} KiB, the most this server reads in one"))


def _form_problem(message: str, content_type: str, path: str = "") -> str:
    """A body the form parser refused, in one sentence naming the kind of form it is: one past the parser's limits
    by the limit it passed (and what the form of ``path`` holds), any other as unreadable."""
    multipart = _media_type(content_type) == "multipart/form-data"
    for pattern, words in _PARSER_LIMITS:
        if found := pattern.fullmatch(message.strip()):
            form = "multipart/form-data upload" if multipart else "form (application/x-www-form-urlencoded)"
            holds = f" ({FORMS[path].holds})" if path in FORMS else ""
            return f"the request's {form} has {words(*found.groups())}{holds}"
    reason = message.rstrip(".")
    return (f"the request body is not a readable {'multipart/form-data upload' if multipart else 'form'} "
            f"({reason[:1].lower()}{reason[1:]})")


def _closing_delimiter(content_type: str) -> bytes | None:
    """The closing delimiter of a multipart/form-data body of this Content-Type (RFC 2046); None for other
    bodies or one without a boundary."""
    message = email.message.Message()
    message["content-type"] = content_type
    boundary = message.get_param("boundary") if message.get_content_type() == "multipart/form-data" else None
    return f"--{boundary}--".encode("latin-1", "replace") if isinstance(boundary, str) and boundary else None


def _too_large(limit: int, upload: bool = True, name: str | None = None, declared: bool = False) -> str:
    """A body over the limit, in one sentence: an upload by the photo's name (``name``) when its part's header had
    come before the limit; else, when it was refused from its declared length (``declared``), saying that its name
    was never read."""
    text = f"the {'upload' if upload else 'request'} is larger than the {limit / (1024 * 1024):.3g} MiB limit"
    if upload and name:
        return f"{name}: {text}"
    if upload and declared:
        return f"{text} (refused by its declared length before any of it was read, the photo's name included)"
    return text


#: How much of a multipart body's start is kept to find the photo's name in, should the body pass the limit.
_HEAD_BYTES = 16 * 1024
_PHOTO_PART = re.compile(rb'content-disposition:[^\r\n]*\bname="?photo\b[^\r\n]*', re.IGNORECASE)


def _photo_name(head: bytes) -> str | None:
    """The photo's file name from the part headers at the start of a multipart body (as the client sent it, made
    safe to show: :func:`~.jobs.safe_name`); None when its header is not among them."""
    found = _PHOTO_PART.search(head)
    if found is None:
        return None
    message = email.message.Message()
    message["content-disposition"] = found.group(0).split(b":", 1)[1].decode("utf-8", "replace").strip()
    filename = message.get_filename()
    return safe_name(filename) if isinstance(filename, str) and filename.strip() else None


def _disposition(label: str, name: str) -> str:
    """A download's Content-Disposition (RFC 6266): the name in UTF-8 (``filename*``, RFC 5987) and in ASCII for
    clients that read only ``filename``."""
    fallback = ascii_label(label)
    return f"inline; filename=\"{fallback}_{name}\"; filename*=UTF-8''{quote(f'{label}_{name}', safe='')}"


#: Typed errors and their HTTP status, most specific first; any other typed error is a 400.  Each is a 4xx with
#: one sentence: a request that cannot succeed as the server is set up (its weights, settings, files) is
#: unprocessable (422) or conflicts with what is on disk (409), and is never a 500 with a trace.  The one 5xx: an
#: upload cut off by the server stopping (503; nothing was wrong with it, and it may be sent again once it runs).
STATUS = ((UnfinishedJobError, 409), (JobError, 404), (StoppingError, 503), (BusyError, 429), (AccessError, 403),
          (OutputError, 409), (CheckpointError, 422), (ConfigError, 422), (OptionError, 422), (ClusterError, 422))


def _status(exc: ScientistError) -> int:
    """The HTTP status of a typed error (:data:`STATUS`)."""
    return next((code for cls, code in STATUS if isinstance(exc, cls)), 400)


#: What a JSON route says of a body sent as something else.
NOT_JSON = "the request body must be JSON, sent with Content-Type: application/json"


def _validation_sentence(exc: RequestValidationError, content_type: str = "") -> str:
    """A request the API's models refuse, in one sentence: a body that is not JSON, or not a JSON object, is said
    as such (never the parser's "0: json decode error"); a field by its name and what it must be."""
    errors = exc.errors()
    if not errors:
        return "the request is not valid"
    err = errors[0]
    loc = tuple(err.get("loc", ()))
    if err.get("type") == "json_invalid":
        return "the request body is not valid JSON"
    name = ".".join(str(p) for p in loc if p not in ("body", "query", "path", "form")) or "body"
    if err.get("type") == "missing":
        return f"the request has no {name}"
    if err.get("type") == "extra_forbidden":
        return f"the request has a field {name}, which it does not take (see /docs)"
    if "UploadFile" in str(err.get("msg", "")):  # a text field where a file was wanted (curl -F photo=IMG.jpg)
        return f"{name} must be a file, sent as a file part of a multipart/form-data upload (curl -F {name}=@FILE)"
    if loc == ("body",):  # the body as a whole: not an object, or not sent as JSON at all
        media = _media_type(content_type)
        if media != "application/json" and not media.endswith("+json"):  # FastAPI reads "+json" as JSON too
            return NOT_JSON
        return "the request body must be a JSON object of the request's fields (see /docs)"
    return f"{name} {value_problem(err)}"


def _unreadable_body(exc: StarletteHTTPException, content_type: str, path: str = "") -> tuple[int, str] | None:
    """A request body the framework could not parse, as a status and one sentence of ours (never the parser's
    "There was an error parsing the body" or "Invalid multipart data."); None for other errors."""
    from starlette.formparsers import MultiPartException

    if exc.status_code != 400:
        return None
    if isinstance(exc.__context__, MultiPartException):  # also raised for a url-encoded form
        return 400, _form_problem(exc.__context__.message, content_type, path)
    if exc.__cause__ is None or isinstance(exc.__cause__, StarletteHTTPException):
        return None
    if _media_type(content_type) in FORM_TYPES:
        return 400, "the request body is not a readable form"
    if isinstance(exc.__cause__, RecursionError):
        return 422, "the request body is JSON nested too deeply"
    return 422, "the request body is not valid JSON"  # e.g. not UTF-8


def _errors(*codes: int) -> dict:
    return {code: {"model": ErrorMessage} for code in codes}


def create_app(scientist=None, *, settings: Settings | None = None, restore: RestoreFn | None = None,
               warm: bool = False, host: str | None = None) -> FastAPI:
    """The app.  ``scientist``: a :class:`Scientist` (default: one over the default corpus);
    ``restore``: what restores a photo (default: :meth:`Scientist.demo`); ``warm``: load the
    index in the background at start-up, so the first question is answered sooner; ``host``: the
    address the server listens on (default: the ``serve_host`` setting), whose names alone it answers to.
    """
    if scientist is None:
        from ..core import Scientist

        scientist = Scientist(settings=settings or load_settings())
    sci = scientist
    settings = settings or sci.settings
    limit = int(settings.upload_limit_mb * 1024 * 1024)
    from ..restore.options import RestoreOptions
    from ..restore.photo import SUPPORTED  # NumPy and Pillow: loaded when an app is made, not on import

    if restore is None:
        # the page shows and serves PNGs, whatever output format the settings choose
        options = RestoreOptions(image_format="png")

        def restore(photo, folder: Path, progress, gain: float | str = "auto") -> object:
            return sci.demo(photo, progress=progress, options=options.but(out_dir=folder, gain=gain))

    budget = MemoryBudget(settings.serve_memory_mb * 2**20)
    uploads = Uploads(UPLOAD_THREADS, settings.max_waiting_jobs)
    jobs = Jobs(settings.cache_dir / "web-jobs", restore, retention=settings.job_retention_hours * 3600,
                max_waiting=settings.max_waiting_jobs,
                describe=lambda e: sci.renderer.phrase("restore_estimate", e=e), budget=budget,
                leave_grace=settings.page_leave_grace_seconds, poll_timeout=settings.page_poll_timeout_seconds)

    warm_up: list[threading.Thread] = []

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        if warm:
            warm_up.append(threading.Thread(target=_warm_up, args=(sci,), name="scientist-warm-up", daemon=True))
            warm_up[0].start()
        yield
        stop()  # done already under `scientist serve`; not under another server
        # the restore under way stops at its next tile: the process must not end while the network runs
        await anyio.to_thread.run_sync(jobs.close, settings.serve_stop_seconds)

    def stop() -> None:
        """Refuse at once, with :class:`StoppingError` (503), every upload still waiting for a thread or for memory,
        and take no job more.  The server calls it on its event loop as soon as it begins to stop, before it waits
        for the requests under way (:class:`.timed.StoppingServer`): else those uploads learnt nothing until that
        wait ran out, and were cut off with a bare 500."""
        uploads.stop()
        jobs.stop()

    app = FastAPI(
        title="scientist", version=__version__, lifespan=lifespan,
        docs_url=None, redoc_url=None,
        description="Grounded answers about AI photo models from a restricted corpus, and the MIMO-UNet demo "
                    "run on your photo. The page is at /.",
    )
    def native_work() -> bool:
        """Whether a thread of the app's own may be inside native code (PyTorch, ONNX Runtime, FAISS), which the
        interpreter's teardown at exit can break: the warm-up still loading or building the index, or the restore
        worker, which a stop leaves running when a tile outlasts ``serve_stop_seconds``."""
        return any(t.is_alive() for t in warm_up) or jobs.working

    app.state.scientist, app.state.jobs, app.state.stop, app.state.native_work = sci, jobs, stop, native_work
    app.router.route_class = BoundedForms  # before any route is made
    app.add_middleware(HeadAsGet)
    app.add_middleware(BodyLimit, limit=limit)
    app.add_middleware(QueueGate, jobs=jobs, uploads=uploads)  # before BodyLimit, which reads the body
    names, any_ip = own_hosts(host or settings.serve_host, settings.serve_allowed_hosts)
    app.add_middleware(OriginGuard, hosts=names, any_ip=any_ip)  # outermost: refused before anything is read

    # ------------------------------------------------------------ errors: one sentence, never a traceback
    @app.exception_handler(ScientistError)
    async def _scientist_error(_request: Request, exc: ScientistError) -> JSONResponse:
        status = _status(exc)
        return JSONResponse({"detail": str(exc).splitlines()[0] if str(exc) else "bad request"}, status_code=status,
                            headers={"Retry-After": str(RETRY_AFTER)} if status in (429, 503) else None)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else "bad request"
        status = exc.status_code
        if status == 413:  # the rest of the body is not read: the connection cannot carry another request
            name = _photo_name(getattr(request.state, "multipart_head", b""))
            detail = _too_large(limit, request.url.path in FORM_PATHS, name)
            return JSONResponse({"detail": detail}, status_code=413, headers={"Connection": "close"})
        elif unreadable := _unreadable_body(exc, request.headers.get("content-type", ""), request.url.path):
            status, detail = unreadable
        elif status == 405:  # a route lists only its own methods: another may answer the path with others
            allowed = _allowed(app, request.scope)
            if detail == "Method Not Allowed":  # the framework's two words: a sentence of ours
                detail = f"method not allowed: {request.method} is not answered here, only {allowed}"
            return JSONResponse({"detail": detail}, status_code=405, headers={**(exc.headers or {}), "Allow": allowed})
        elif status == 404 and detail == "Not Found":  # no route: ours name what is missing themselves
            detail = "nothing is served at this address: the page is at /, the API under /api (see /docs)"
        return JSONResponse({"detail": detail}, status_code=status, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        if request.url.path in FORM_PATHS and getattr(request.state, "multipart_closed", True) is False:
            # the parser dropped the part cut short
            return JSONResponse({"detail": CUT_SHORT}, status_code=400)
        if (request.url.path in UPLOAD_PATHS and _media_type(request.headers.get("content-type", "")) != "multipart/"
                "form-data" and any(e.get("type") == "missing" and tuple(e.get("loc", ()))[-1:] == ("photo",)
                                    for e in exc.errors())):
            return JSONResponse({"detail": NOT_MULTIPART}, status_code=415)  # a raw image, JSON, nothing at all
        said = _validation_sentence(exc, request.headers.get("content-type", ""))
        # a body sent as another type than JSON: the type is what is wrong (415), as for the other routes
        return JSONResponse({"detail": said}, status_code=415 if said == NOT_JSON else 422)

    @app.exception_handler(Exception)
    async def _internal(_request: Request, exc: Exception) -> JSONResponse:
        log.error("internal error", exc_info=exc)
        return JSONResponse({"detail": internal_error(exc)}, status_code=500)

    @app.middleware("http")
    async def _headers(request: Request, call_next):
        response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        if request.url.path not in DOCS_PAGES:  # Swagger UI starts itself with an inline script
            response.headers.setdefault("Content-Security-Policy", PAGE_POLICY)
        return response

    # ------------------------------------------------------------ the page
    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def page() -> str:
        return sci.renderer.html("page.html.j2", limit_mb=settings.upload_limit_mb, limit_bytes=limit,
                                 supported=SUPPORTED, records=len(sci.corpus))

    @app.post("/ui/answer", response_class=HTMLResponse, include_in_schema=False,
              dependencies=[Depends(_one_question)])
    def ui_answer(request: Request, question: str = Form("")) -> str:
        if not _sent_a_form(request.headers):  # else JSON's question was read as none: "the question is empty"
            raise HTTPException(status_code=415, detail=NOT_A_FORM)
        return _answer_html(sci, sci.ask(question))

    @app.get("/ui/jobs/{job_id}", response_class=HTMLResponse, include_in_schema=False)
    def ui_job(job_id: str, page: str | None = Query(None, max_length=64, description=PAGE_HELP)) -> str:
        return sci.renderer.html("job.html.j2", s=jobs.status(jobs.polled(job_id, page)))

    app.mount("/static", StaticFilesRanged(directory=STATIC), name="static")

    # ------------------------------------------------------------ the API
    @app.post("/api/ask", response_model=Answer, tags=["questions"], responses=_errors(400, 413, 422),
              dependencies=[Depends(_keys_once)])
    def api_ask(body: AskRequest) -> Answer:
        """Answer a question in three parts: the task, the workflow, the supporting records. A field it does not
        take, or one given twice, is refused."""
        return sci.ask(body.question, k=body.k)

    @app.post("/api/restore", response_model=JobStatus, status_code=202, tags=["photos"],
              responses=_errors(400, 413, 422, 429, 503))
    async def api_restore(request: Request, photo: UploadFile = File(description=f"The photo ({SUPPORTED})."),
                          gain: str = Form("auto", description=GAIN_HELP),
                          watched: bool = Form(False, description=WATCHED_HELP)) -> JobStatus:
        """Queue a photo for the MIMO-UNet demo; poll `GET /api/jobs/{id}` until it is done. A field it does not take
        (`strength`, `max_side` as the command line's, or any other) or one given twice is refused, never dropped."""
        # the form is parsed once, for the fields above; a field it does not take ("strength", "Gain") or one given
        # twice is refused, never dropped in silence
        _fields_taken(await request.form(), RESTORE_FIELDS, "a restore", "the file field photo and the fields gain and "
                      "watched", {"strength": " (the strength is chosen from the photo)"})
        asked = RestoreOptions.of({"gain": gain}).gain  # a bad value is one sentence (422) before any upload is kept
        # the whole wait, for a thread as for memory, counts against BUSY_WAIT; no thread is held while waiting
        deadline = anyio.current_time() + BUSY_WAIT
        with uploads.waiting_one() as checking:
            job = jobs.new(photo.filename)
            job.gain, job.watched = asked, watched
            try:
                check = await uploads.run(deadline, _store, photo, job, budget, settings)
                async with budget.reserve_async(check, max(0.0, deadline - anyio.current_time())):
                    checking()  # no longer waiting
                    await uploads.run(float("inf"), _check, job)  # it holds its memory: no deadline now
                jobs.submit(job)  # the queue may have filled while the photo was checked
            except BaseException:
                jobs.discard(job)
                raise
        return jobs.status(job)

    @app.get("/api/jobs/{job_id}", response_model=JobStatus, tags=["photos"], responses=_errors(404))
    def api_job(job_id: str) -> JobStatus:
        """Where a restore job stands: its place in the queue, its progress, or its results."""
        return jobs.status(jobs.polled(job_id))

    @app.post("/api/jobs/{job_id}/leave", status_code=204, response_class=Response, tags=["photos"],
              responses=_errors(403, 404))
    def api_leave(job_id: str, page: str | None = Query(None, max_length=64, description=PAGE_HELP)) -> Response:
        """The page that follows this job is going (closed, another page opened in its place, or reloaded): unless
        another asks for the job's status within `page_leave_grace_seconds` (a reload asks at once), a job still
        queued or running is cancelled and its files deleted, its status then saying "cancelled: its page was
        closed". A finished job is kept as usual. The page sends it as it goes; other sites' pages cannot (403)."""
        jobs.leaving(job_id, page)
        return Response(status_code=204)

    @app.delete("/api/jobs/{job_id}", status_code=204, response_class=Response, tags=["photos"],
                responses=_errors(403, 404))
    def api_cancel(job_id: str) -> Response:
        """Cancel a job and delete it: a queued one gives up its place in the queue, a running one stops at its
        next tile (the next photo starts then), a finished one's results are deleted. Only the job of this id is
        touched; other sites' pages cannot send this (403)."""
        jobs.cancel(job_id)
        return Response(status_code=204)

    def _file(job_id: str, name: str) -> FileResponse:
        job = jobs.get(job_id)
        path = job.file(name)
        return RangedFile(path, media_type="image/png", headers={
            "Cache-Control": "no-store", "Content-Disposition": _disposition(job.label, name)})

    png = {200: {"content": {"image/png": {}}, "description": "A PNG image."}, **_errors(404, 409)}

    @app.get("/api/jobs/{job_id}/restored.png", response_class=FileResponse, tags=["photos"], responses=png)
    def api_restored(job_id: str) -> FileResponse:
        """The restored image of a finished job."""
        return _file(job_id, "restored.png")

    @app.get("/api/jobs/{job_id}/compare.png", response_class=FileResponse, tags=["photos"], responses=png)
    def api_compare(job_id: str) -> FileResponse:
        """The before/after comparison (side by side, with two zoomed crops) of a finished job."""
        return _file(job_id, "compare.png")

    @app.get("/api/jobs/{job_id}/before.png", response_class=FileResponse, tags=["photos"], responses=png)
    def api_before(job_id: str) -> FileResponse:
        """The photo as the network read it (upright, 8-bit RGB)."""
        return _file(job_id, "before.png")

    # ------------------------------------------------------------ /docs, from files served here
    from swagger_ui_bundle import swagger_ui_path

    assets = Path(swagger_ui_path)

    @app.get("/docs-assets/{name}", include_in_schema=False)
    def docs_asset(name: str) -> FileResponse:
        # only what /docs loads: the bundle's own index.html and swagger-initializer.js point at a demo API online
        if name not in DOCS_ASSETS:
            raise HTTPException(status_code=404, detail="Not Found")
        return RangedFile(assets / name, headers={"Cache-Control": "public, max-age=86400"})

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url, title="scientist API", oauth2_redirect_url="/docs/oauth2-redirect",
            swagger_js_url="/docs-assets/swagger-ui-bundle.js", swagger_css_url="/docs-assets/swagger-ui.css",
            swagger_favicon_url="/docs-assets/favicon-32x32.png",
            swagger_ui_parameters={"validatorUrl": None},  # no badge fetched from elsewhere
        )

    @app.get("/docs/oauth2-redirect", include_in_schema=False)
    def docs_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    return app


def _store(upload: UploadFile, job: Job, budget: MemoryBudget, settings: Settings) -> int:
    """Store the upload under the job's own name and size it from its header: the bytes of memory checking it will
    take (:func:`_check`, once they are reserved).

    The photo's declared size says, before anything is decoded, how much memory checking it and
    restoring it will take: a photo that needs more than the budget on its own is refused.
    """
    from ..fileio import atomic_path
    from ..restore.memory import decode_bytes, restore_bytes
    from ..restore.photo import photo_size

    with atomic_path(job.photo, mkdir=False) as tmp:
        with open(tmp, "wb") as out:
            upload.file.seek(0)
            while chunk := upload.file.read(_COPY_CHUNK):
                out.write(chunk)
    if job.photo.stat().st_size == 0:
        raise PhotoError(f"{job.name}: the uploaded file is empty")
    try:
        w, h, deep = photo_size(job.photo)
    except ScientistError as exc:
        raise type(exc)(sentence(exc, job.folder, job.name)) from None
    check = decode_bytes(w, h, deep) + 3 * w * h  # and its 8-bit copy, before.png
    job.memory = restore_bytes(w, h, settings.work_memory_mb)
    if not budget.fits(max(check, job.memory)):
        raise PhotoError(
            f"the photo's {w}x{h} pixels need about {max(check, job.memory) / 2**30:.1f} GB of memory to restore, "
            f"more than the {budget.total / 2**30:.1f} GB this server gives photos (serve_memory_mb); "
            "restore it with `scientist restore` instead")
    return check


def _check(job: Job) -> None:
    """Check the stored upload by its content and keep an 8-bit copy for the page (the memory :func:`_store` said
    it takes is held meanwhile)."""
    from ..restore.save import write_image_atomic
    from ..restore.stages import Photo

    try:
        with package_warnings() as caught:
            try:  # its transparency, its frames after the first...: said on the job, naming the upload
                kept = Photo.read(job.photo).compact()  # 8 bits when that loses nothing: before.png is written from it
            finally:
                job.warned(caught)
            write_image_atomic(kept.pixels, job.before)
    except ScientistError as exc:
        raise type(exc)(sentence(exc, job.folder, job.name)) from None
    # decoded once: the restore starts from the photo as read, kept as 8 bits while it waits (a quarter of its
    # float pixels); a photo with more bits is read again when its turn comes
    job.read = kept if kept.pixels.dtype.itemsize == 1 else None


def _answer_html(sci, answer: Answer) -> str:
    diagram = narrow = ""
    if answer.workflow is not None:
        steps, kind = answer.workflow.steps, answer.workflow.kind
        title = f"{answer.workflow.model}: " + " → ".join(s.name for s in steps)
        if needs_narrow(steps):  # a phone shows a drawing of its own, not the wide one shrunk past reading
            diagram = workflow_svg(steps, title, kind, variant="wide")
            narrow = workflow_svg(steps, title, kind, per_row=NARROW_PER_ROW, variant="narrow")
        else:
            diagram = workflow_svg(steps, title, kind)
    return sci.renderer.html("answer.html.j2", a=answer, diagram=diagram, narrow=narrow,
                             titles=sci.evidence_titles(answer))


def _warm_up(sci) -> None:
    try:
        sci.warm_up()
    except Exception:  # noqa: BLE001 - the first real question will report it
        log.debug("warm-up failed", exc_info=True)
