"""Serving the web app: which host names it answers to, which sites may post to it, and how long a
client may take to send a request.

- :class:`OriginGuard` answers only requests addressed to the server's own names (so a web page
  whose domain an attacker points at 127.0.0.1, "DNS rebinding", is refused) and refuses requests
  that change something (POST, ...) sent by a page of another site (a browser names that site in
  ``Origin``): no other page may post photos or questions to it;
- :class:`.timed.TimedH11Protocol` closes a connection whose request headers are not complete within the
  timeout, or whose body stops arriving for that long or arrives too slowly, so that a few stalled sockets
  cannot hold the server (uvicorn's own timeout only runs between requests), and caps the connections open
  at once below the process's file descriptors;
- :func:`serve` runs the app with both, telling it as soon as the server begins to stop (its ``state.stop``: see
  :class:`.timed.StoppingServer`).

The app imports this module for its guard; uvicorn is imported only to serve (another ASGI server can run
the app).
"""

from __future__ import annotations

import ipaddress
import json
import re
import socket
import sys
from collections import Counter
from collections.abc import Iterable

__all__ = ["OriginGuard", "bind_address", "is_loopback", "own_hosts", "serve"]

#: What this machine is called on loopback.
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: Most connections the server keeps open at once; fewer when the process may open fewer files (see
#: :func:`connection_cap`).
MAX_CONNECTIONS = 1000
#: File descriptors kept for everything but connections: the listening socket, the log, job files, threads' pipes.
SPARE_FDS = 128
#: File descriptors a connection may hold at once: its socket, an upload spooled to a temporary file past 1 MiB,
#: and a file being sent back.
FDS_PER_CONNECTION = 3
#: Connections the kernel may hold for the server before it accepts them (they use no descriptor of the process).
BACKLOG = 1024
_PORT = re.compile(r":\d{1,5}")
#: What the system may read as an IPv4 address in a short or numeric form (``127.1``, ``2130706433``, ``0x7f.1``).
_NUMERIC_V4 = re.compile(r"[0-9a-fx.]+", re.IGNORECASE)


def bind_address(host: str) -> str:
    """``host`` as the address it listens on, in one spelling: brackets dropped (``[::1]`` -> ``::1``), an IP
    address written out as usual, and the short and numeric IPv4 forms the system accepts too (``127.1``,
    ``2130706433``, ``0x7f.1`` -> ``127.0.0.1``; ``0`` -> ``0.0.0.0``); a name as given.  What the server answers
    to and whether it is on loopback are decided from this spelling, so ``--host 127.1`` is this machine only."""
    name = host.strip()
    if name.startswith("[") and name.endswith("]"):
        name = name[1:-1]
    name = name.rstrip(".") or name  # "localhost." and "127.0.0.1." name what they name without the dot
    ip = _ip(name)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1, and only the IPv4 form can be listened on
    if ip is not None:
        return str(ip)
    if _NUMERIC_V4.fullmatch(name) and any(c.isdigit() for c in name):
        try:
            return socket.inet_ntoa(socket.inet_aton(name))
        except OSError:
            pass
    return name


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine only (127.0.0.0/8, ::1, localhost; in any spelling of
    :func:`bind_address`)."""
    host = bind_address(host)
    ip = _ip(host)
    return host.lower() == "localhost" or (ip is not None and ip.is_loopback)


def _ip(name: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(name)
    except ValueError:
        return None


def own_hosts(bind: str, extra: Iterable[str] = ()) -> tuple[frozenset[str], bool]:
    """The host names a server listening on ``bind`` answers to (lower-case, with ``extra``), and whether
    it answers to any IP address too.

    On loopback: this machine's loopback names.  On a wildcard address (``0.0.0.0``, ``::``): any
    IP address, the loopback names and the machine's own name.  On one address or name: that one.
    A name that someone's DNS could point here is only accepted when listed in ``extra`` (the
    ``serve_allowed_hosts`` setting); an IP address in ``Host`` cannot come from such a name.
    """
    bind = bind_address(bind).lower()
    names = {bind, *(h.strip().strip("[]").lower().rstrip(".") for h in extra)}
    ip = _ip(bind)
    wildcard = ip is not None and ip.is_unspecified
    if is_loopback(bind):
        names |= LOOPBACK_NAMES
    elif wildcard:
        names |= LOOPBACK_NAMES | {socket.gethostname().lower(), socket.getfqdn().lower()}
    return frozenset(names), wildcard


def _host_name(host: str) -> str:
    """The name part of a ``Host`` header (``[::1]:8000`` -> ``::1``), lower-case; "" for a header that is not
    a name and an optional port (``[::1].evil.com``, ``localhost:8000/x``, ``127.0.0.1:abc``)."""
    host = host.strip().lower()
    if host.startswith("["):
        name, closed, rest = host[1:].partition("]")
        return name if closed and (not rest or _PORT.fullmatch(rest)) else ""
    if host.count(":") == 1:
        name, port = host.split(":")
        host = name if port.isdigit() else ""
    return "" if any(c in host for c in "/[]@ ") else host


class OriginGuard:
    """ASGI middleware: requests must name one of ``hosts`` in ``Host``; requests other than GET, HEAD
    and OPTIONS must come from the server's own pages (an ``Origin``, if sent, equal to the server's
    own; a ``Sec-Fetch-Site``, if sent, same-origin or none).  ``any_ip``: also accept any IP
    address as the host (a server on a wildcard address).  Refusals are a 4xx with one sentence."""

    def __init__(self, app, hosts: Iterable[str], any_ip: bool = False) -> None:
        self.app, self.hosts, self.any_ip = app, frozenset(hosts), any_ip

    def _host_ok(self, host: str) -> bool:
        name = bind_address(_host_name(host))  # "127.1" as a client sends it: an address no DNS could point here
        return name in self.hosts or (self.any_ip and _ip(name) is not None)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        wanted = (b"host", b"origin", b"sec-fetch-site")
        given = [(k.decode(), v.decode("latin-1")) for k, v in scope.get("headers") or () if k in wanted]
        headers = dict(given)
        host = headers.get("host")
        refusal = None
        twice = [k for k, n in Counter(k for k, _ in given).items() if n > 1]
        if twice:  # which of two would count? No browser sends either twice
            refusal = 400, f"the request has more than one {twice[0].title()} header"
        elif host is not None and not self._host_ok(host):
            refusal = 421, "this server does not answer to that host name"
        elif scope.get("method", "GET") not in _SAFE_METHODS:
            origin = headers.get("origin")
            own = f"{scope.get('scheme', 'http')}://{host}".lower() if host is not None else None
            if origin is not None and origin.lower() != own:
                refusal = 403, "requests from pages of other sites are refused"
            elif origin is None and headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
                refusal = 403, "requests from pages of other sites are refused"
        if refusal is None:
            await self.app(scope, receive, send)
            return
        status, detail = refusal
        body = json.dumps({"detail": detail}).encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})


def connection_cap(wanted: int = MAX_CONNECTIONS) -> int:
    """How many connections the server may keep open: ``wanted``, or fewer so that, each holding
    :data:`FDS_PER_CONNECTION` descriptors, :data:`SPARE_FDS` are left under the process's limit on open files.
    That limit's soft value is raised to its hard one first (a shell's default of 1024 is often far below what the
    system allows): past it the server could accept nobody, and would log the failure as fast as it retries."""
    try:
        import resource
    except ImportError:  # pragma: no cover - not on Windows, where no such limit applies to sockets
        return wanted
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (OSError, ValueError):  # macOS refuses an unlimited soft value: the soft one stays
            pass
    if soft == resource.RLIM_INFINITY:
        return wanted
    return max(1, min(wanted, (soft - SPARE_FDS) // FDS_PER_CONNECTION))


def serve(app, host: str, port: int, *, request_timeout: float, stop_timeout: float | None = None,
          log_level: str = "info") -> None:
    """Run ``app`` with uvicorn on ``host``:``port``, its requests timed and its connections capped by
    :class:`.timed.TimedH11Protocol` (:func:`connection_cap`); once asked to stop, requests still being answered get
    ``stop_timeout`` seconds (default: no limit).  The app's ``state.stop``, if it has one, is called as soon as the
    stop begins, before that wait (:class:`.timed.StoppingServer`).  A server that could not start ends the process
    with uvicorn's exit status for that (3), as ``uvicorn.run`` does."""
    import uvicorn
    from uvicorn.server import STARTUP_FAILURE

    from .timed import StoppingServer, TimedH11Protocol

    protocol = TimedH11Protocol.with_timeout(request_timeout, max_connections=connection_cap())
    config = uvicorn.Config(app, host=host, port=port, log_level=log_level, http=protocol, backlog=BACKLOG,
                            timeout_graceful_shutdown=stop_timeout)
    server = StoppingServer(config, on_stop=getattr(getattr(app, "state", None), "stop", None))
    try:
        server.run()
    except KeyboardInterrupt:  # a second Ctrl-C while it stops
        pass
    if not server.started:
        sys.exit(STARTUP_FAILURE)
