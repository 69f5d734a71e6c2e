"""The web app of ``scientist serve``: one page and a JSON API (FastAPI), restore jobs, the SVG diagram.

Needs the web dependencies (FastAPI, uvicorn, python-multipart, Swagger UI's files); the
rest of the package does not import this one.
"""

from __future__ import annotations

__all__ = ["create_app"]


def create_app(*args, **kwargs):
    """See :func:`scientist.web.app.create_app`."""
    from .app import create_app as _create_app

    return _create_app(*args, **kwargs)
