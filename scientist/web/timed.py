"""uvicorn's HTTP/1.1 protocol with a request timeout, a least rate for request bodies and a cap on open
connections: stalled or trickling sockets cannot hold the server, nor keep it from stopping, nor use up the file
descriptors its other clients need; and what it says itself (a request too slow, not HTTP, too many connections,
cut off by a stop) is JSON like the app's.  And uvicorn's server, telling the app as soon as it begins to stop."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import sys
import time

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = ["StoppingServer", "TimedH11Protocol", "quiet_accept_failures"]

log = logging.getLogger(__name__)

#: What asyncio says each time accepting a connection fails for want of a file descriptor (retried every second,
#: as many times as the backlog holds connections: thousands of tracebacks a second in the log).
_ACCEPT_FAILED = "socket.accept() out of system resource"


def quiet_accept_failures(loop: asyncio.AbstractEventLoop) -> None:
    """Say on ``loop`` that connections cannot be accepted for want of file descriptors once a minute, in one line,
    instead of asyncio's traceback for every try; any other error goes on to the handler that was there.
    Installed once per loop (by :class:`StoppingServer` as it starts)."""
    previous = loop.get_exception_handler()
    if getattr(previous, "_scientist_quiet", False):
        return
    said = [float("-inf")]

    def handler(loop, context) -> None:
        if context.get("message") == _ACCEPT_FAILED:
            now = time.monotonic()
            if now - said[0] > 60:
                said[0] = now
                log.warning("no file descriptor is left to accept connections (%s): new ones wait until some close",
                            context.get("exception"))
            return
        if previous is not None:
            previous(loop, context)
        else:
            loop.default_exception_handler(context)

    handler._scientist_quiet = True
    loop.set_exception_handler(handler)


class TimedH11Protocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol with a request timeout (:attr:`request_timeout` seconds; see
    :meth:`with_timeout`): a connection whose request headers are not all in by then, or whose body has
    sent nothing for that long, gets 408 and is closed.  A body must also keep up a least average rate
    (:attr:`min_body_rate` bytes a second, counted once :attr:`request_timeout` has passed since its headers came):
    else a client sending a byte now and then, each within the timeout, would hold its connection for ever.  While
    the app works on a whole request nothing is timed.

    At most :attr:`max_connections` connections are open at once, so that clients holding many open never use up the
    process's file descriptors (past them the server can accept nobody, and its log fills with the failures).  At
    the cap a new connection makes room by closing the oldest one that has no request under way (an idle keep-alive,
    or one still sending its headers): else a few hundred idle sockets, opened again as soon as they are closed,
    kept everybody else out.  Only when every open connection has a request under way is the new one answered 503
    and closed as soon as it is accepted.

    When the server stops, a request whose body is still arriving gets 503 and is closed at once (a client sending
    a byte now and then would otherwise hold the stop open)."""

    request_timeout: float = 10.0
    #: Least average rate of a request body (bytes a second) once its first :attr:`request_timeout` seconds are past.
    min_body_rate: float = 8 * 1024.0
    #: Most connections open at once (None: no cap).
    max_connections: int | None = None
    #: When the cap was last said in the log (once a minute at most: a flood must not flood the log too).
    _capped_logged: float = float("-inf")
    #: Numbers the connections in the order they opened (the oldest idle one makes room at the cap).
    _opened = itertools.count()

    @classmethod
    def with_timeout(cls, seconds: float, *, min_body_rate: float | None = None,
                     max_connections: int | None = None) -> type[TimedH11Protocol]:
        """This protocol with another timeout, least body rate and cap on connections (uvicorn takes the class and
        makes one per connection)."""
        fields = {"request_timeout": float(seconds), "max_connections": max_connections}
        if min_body_rate is not None:
            fields["min_body_rate"] = float(min_body_rate)
        return type(cls.__name__, (cls,), fields)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._timer: asyncio.TimerHandle | None = None
        self._body_since: float | None = None  # when the body of the request under way became due (monotonic)
        self._body_bytes = 0  # what has come of it since (counted from the packets after its headers')
        self._order = next(TimedH11Protocol._opened)

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        if self.max_connections is not None and len(self.connections) > self.max_connections:
            # those closed already but not yet gone from the set (lost on the loop's next turn) hold no place
            open_ = [c for c in self.connections if c is not self and not c.transport.is_closing()]
            if len(open_) >= self.max_connections and not self._make_room(open_):
                self._refuse_connection()
                return
        self._arm(fresh=True)

    def _idle(self) -> bool:
        """Whether no request is under way here: the last response is sent, and the next request has not been all
        received (nothing of it yet, or part of its headers)."""
        return self.conn.their_state is h11.IDLE and (self.cycle is None or self.cycle.response_complete)

    def _make_room(self, others: list) -> bool:
        """Close the oldest of ``others`` that has no request under way (:meth:`_idle`), for this new connection;
        whether there was one."""
        idle = [c for c in others if isinstance(c, TimedH11Protocol) and c._idle()]
        if not idle:
            return False
        oldest = min(idle, key=lambda c: c._order)
        log.debug("%d connections are open, the most this server takes: the oldest idle one is closed for a new "
                  "one", self.max_connections)
        oldest._cancel()
        if oldest.conn.trailing_data[0]:  # part of a request's headers came: its client is told why
            oldest._answer(503, "Service Unavailable", "the server has too many open connections and closed this "
                                                       "one, whose request had not arrived; try again in a moment",
                           retry_after=5)
        oldest.transport.close()  # a quiet keep-alive is just closed, as HTTP lets a server do between requests
        return True

    def _refuse_connection(self) -> None:
        """Answer a connection past :attr:`max_connections`, every open one having a request under way, at once,
        before reading it, and close it: it holds its file descriptor for no longer than that."""
        now = time.monotonic()
        if now - type(self)._capped_logged > 60:
            type(self)._capped_logged = now
            log.warning("%d connections are open, the most this server takes, each with a request under way: new "
                        "ones are answered 503 until some finish", self.max_connections)
        self._answer(503, "Service Unavailable", "the server has too many open connections; try again in a moment",
                     retry_after=5)
        self.transport.close()

    def data_received(self, data: bytes) -> None:
        sending_body = self.conn.their_state is h11.SEND_BODY
        super().data_received(data)
        if self.conn.their_state is not h11.SEND_BODY:
            self._body_since = None  # a new body's clock starts in _arm, once its headers are in
        elif sending_body:
            self._body_bytes += len(data)
        self._arm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._arm(fresh=True)  # the next request's headers are timed from here

    def connection_lost(self, exc) -> None:
        self._cancel()
        super().connection_lost(exc)

    def _cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _arm(self, fresh: bool = False) -> None:
        """Time what the client owes: the headers from the moment they are due (bytes trickling in do not
        extend it), the body from its last bytes; nothing while the app has the whole request."""
        state = self.conn.their_state
        if state is h11.SEND_BODY and self._body_since is None:
            # its headers are in (with this packet, or, pipelined, in the packet of the request before, parsed once
            # that one's response is complete): its body is due from now
            self._body_since, self._body_bytes = time.monotonic(), 0
        if self.transport.is_closing() or state not in (h11.IDLE, h11.SEND_BODY):
            self._cancel()
        elif state is h11.SEND_BODY or fresh or self._timer is None:
            self._cancel()
            self._timer = self.loop.call_later(min(self.request_timeout, self._behind_in()), self._expired)

    def _behind_in(self) -> float:
        """Seconds until the body under way falls behind :attr:`min_body_rate` (infinite when there is none):
        it must have sent that many bytes a second for the time since its headers, less :attr:`request_timeout`."""
        if self._body_since is None or self.conn.their_state is not h11.SEND_BODY or self.min_body_rate <= 0:
            return float("inf")
        due = self._body_since + self.request_timeout + self._body_bytes / self.min_body_rate
        return max(0.0, due - time.monotonic())

    def _expired(self) -> None:
        self._timer = None
        if self.transport.is_closing():
            return
        if self.conn.their_state is h11.SEND_BODY and self.flow.read_paused:
            # the app is behind in reading the body, not the client in sending it: the client gets a whole timeout
            # again from now (had it only been on time until now, the timer would fire at once, over and over,
            # and the client be cut off for the app's delay)
            if self._body_since is not None and self.min_body_rate > 0:
                self._body_since = max(self._body_since, time.monotonic() - self._body_bytes / self.min_body_rate)
            self._arm()
            return
        if self.cycle is None or not self.cycle.response_started:
            # a body that has sent nothing since its headers is late, not slow
            slow = self.conn.their_state is h11.SEND_BODY and self._body_bytes > 0 and self._behind_in() <= 0
            self._answer(408, "Request Timeout", f"the request body arrived too slowly (under "
                                                 f"{self.min_body_rate / 1024:g} KiB a second)" if slow else
                         "the request took too long to arrive")
        self.transport.close()

    def shutdown(self) -> None:
        if self.conn.their_state is h11.SEND_BODY and not self.transport.is_closing():
            self._cancel()  # the app has not got the whole request: nothing it does is cut off
            if self.cycle is None or not self.cycle.response_started:
                self._answer(503, "Service Unavailable", "the server is stopping; send the request again once it "
                                                         "runs")
            self.transport.close()
            return
        super().shutdown()

    def send_400_response(self, msg: str) -> None:
        """What uvicorn answers a request it cannot parse (``msg``: "Invalid HTTP request received."), as one
        sentence of JSON: 431 for headers too large to take in (h11 hints at that status), else 400."""
        self._cancel()
        # uvicorn calls this while it handles h11's error, which alone says why the request was refused
        if getattr(sys.exc_info()[1], "error_status_hint", 400) == 431:
            self._answer(431, "Request Header Fields Too Large", "the request's headers are too large")
        else:
            self._answer(400, "Bad Request", "the request is not valid HTTP/1.1")
        self.transport.close()

    def _answer(self, status: int, reason: str, detail: str, retry_after: int | None = None) -> None:
        """Write a whole JSON response of ``{"detail": detail}`` on the socket itself, the connection then to be
        closed (h11 is not asked: its state may be what made the answer necessary)."""
        body = json.dumps({"detail": detail}).encode()
        retry = f"\r\nretry-after: {retry_after}" if retry_after is not None else ""
        self.transport.write(f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\nconnection: close"
                             f"{retry}\r\ncontent-length: {len(body)}\r\n\r\n".encode() + body)


class StoppingServer(uvicorn.Server):
    """uvicorn's server, calling ``on_stop`` (on its event loop) as soon as it begins to stop, before it waits for
    the requests under way.  The app's own shutdown comes only after that wait, so requests waiting inside the app
    (an upload waiting for memory) learnt nothing of the stop until the wait ran out and uvicorn cancelled them, each
    answered a bare 500 with a traceback in the log; told at once, the app answers them in time."""

    def __init__(self, config: uvicorn.Config, on_stop=None) -> None:
        super().__init__(config)
        self.on_stop = on_stop

    async def startup(self, sockets=None) -> None:
        quiet_accept_failures(asyncio.get_running_loop())
        await super().startup(sockets=sockets)

    async def shutdown(self, sockets=None) -> None:
        if self.on_stop is not None:
            try:
                self.on_stop()
            except Exception:  # noqa: BLE001 - the server stops all the same
                log.exception("telling the app that the server stops failed")
        await super().shutdown(sockets=sockets)
