"""JSON read as a client sent it: a key an object gives twice is kept in sight (``json`` keeps the last and drops the
first in silence), so that a request that gives a field twice can be refused (the web API, the MCP server)."""

from __future__ import annotations

import json
from typing import Any

__all__ = ["Keys", "loads"]


class Keys(dict):
    """A JSON object as read, with the keys it gave more than once (``twice``, in the order they came again)."""

    twice: tuple[str, ...] = ()


def _object(pairs: list[tuple[str, Any]]) -> Keys:
    out = Keys(pairs)
    seen: set[str] = set()
    out.twice = tuple(dict.fromkeys(k for k, _ in pairs if k in seen or seen.add(k)))
    return out


def loads(text: str | bytes) -> Any:
    """``text`` as JSON, each object a :class:`Keys`; raises as :func:`json.loads` does (``ValueError``, or
    ``RecursionError`` for one nested too deeply)."""
    return json.loads(text, object_pairs_hook=_object)
