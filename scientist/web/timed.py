"""uvicorn's HTTP/1.1 protocol with a request timeout: a few stalled sockets cannot hold the server, nor keep it
from stopping; and what it says itself (a request too slow, not HTTP, cut off by a stop) is JSON like the app's."""

from __future__ import annotations

import asyncio
import json

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = ["TimedH11Protocol"]


class TimedH11Protocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol with a request timeout (:attr:`request_timeout` seconds; see
    :meth:`with_timeout`): a connection whose request headers are not all in by then, or whose body has
    sent nothing for that long, gets 408 and is closed.  While the app works on a whole request nothing is timed.
    When the server stops, a request whose body is still arriving gets 503 and is closed at once (a client sending
    a byte now and then would otherwise hold the stop open)."""

    request_timeout: float = 10.0

    @classmethod
    def with_timeout(cls, seconds: float) -> type[TimedH11Protocol]:
        """This protocol with another timeout (uvicorn takes the class and makes one per connection)."""
        return type(cls.__name__, (cls,), {"request_timeout": float(seconds)})

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self._arm(fresh=True)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
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
        if self.transport.is_closing() or state not in (h11.IDLE, h11.SEND_BODY):
            self._cancel()
        elif state is h11.SEND_BODY or fresh or self._timer is None:
            self._cancel()
            self._timer = self.loop.call_later(self.request_timeout, self._expired)

    def _expired(self) -> None:
        self._timer = None
        if self.transport.is_closing():
            return
        if self.conn.their_state is h11.SEND_BODY and self.flow.read_paused:
            self._arm()  # the app is behind in reading the body, not the client in sending it
            return
        if self.cycle is None or not self.cycle.response_started:
            self._answer(408, "Request Timeout", "the request took too long to arrive")
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
        sentence of JSON."""
        self._cancel()
        self._answer(400, "Bad Request", "the request is not valid HTTP/1.1")
        self.transport.close()

    def _answer(self, status: int, reason: str, detail: str) -> None:
        """Write a whole JSON response of ``{"detail": detail}`` on the socket itself, the connection then to be
        closed (h11 is not asked: its state may be what made the answer necessary)."""
        body = json.dumps({"detail": detail}).encode()
        self.transport.write(f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\nconnection: close"
                             f"\r\ncontent-length: {len(body)}\r\n\r\n".encode() + body)
