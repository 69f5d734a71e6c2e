"""``scientist serve``: the web app on this machine."""

from __future__ import annotations

import socket
import warnings
from typing import Annotated, Optional

import typer

from .app import app, emit, leave_at_once_while, settings_of
from .options import CorpusOpt


def _check_free(host: str, port: int) -> None:
    """Refuse, in one line, an address that cannot be listened on (before the model loads)."""
    from ..errors import ScientistError

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        raise ScientistError(f"cannot listen on {host}: no such address") from None
    family, kind, proto, _name, address = infos[0]
    with socket.socket(family, kind, proto) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(address)
        except OSError as exc:
            raise ScientistError(f"cannot listen on {host}:{port} ({exc.strerror or exc})") from None


@app.command("serve")
def serve_command(
    ctx: typer.Context,
    host: Annotated[Optional[str], typer.Option("--host", help="Address to listen on (default: the `serve_host` setting, 127.0.0.1: this machine only).")] = None,
    port: Annotated[Optional[int], typer.Option("--port", min=1, max=65535, help="Port to listen on (default: the `serve_port` setting, 8000).")] = None,
    corpus: CorpusOpt = None,
) -> None:
    """Start the web app: ask, restore a photo and compare it with a slider, in the browser (API at /docs)."""
    from ..core import Scientist
    from ..web.app import create_app
    from ..web.server import bind_address, is_loopback, serve

    settings = settings_of(ctx)
    host = bind_address(host or settings.serve_host)  # one spelling: [::1] is ::1, 127.1 is 127.0.0.1
    port = settings.serve_port if port is None else port
    _check_free(host, port)  # before the warning, which says it listens
    sci = Scientist(corpus, settings=settings)
    _ = sci.corpus  # a corpus that cannot be read is refused now, not in every request's answer
    if not is_loopback(host):
        warnings.warn(f"listening on {host}, not only on this machine: anyone who can reach it can use the app "
                      "and upload photos", stacklevel=1)
    application = create_app(sci, warm=True, host=host)
    leave_at_once_while(application.state.native_work)  # stopped while the index loads or a tile runs
    shown = f"[{host}]" if ":" in host else host
    emit(f"scientist: open http://{shown}:{port}/ (API documentation at /docs); Ctrl-C stops")
    serve(application, host, port, request_timeout=settings.serve_request_timeout,
          stop_timeout=settings.serve_stop_seconds)
