"""Link hygiene: an answer may only show links that a corpus record carries."""

from __future__ import annotations

import re

__all__ = ["find_urls", "strip_foreign_urls"]

# Anything that looks like a link: a scheme followed by non-space characters, or a bare www. host.
_URL_RE = re.compile(r"(?:\b[a-z][a-z0-9+.-]{1,15}:(?://)?[^\s<>\"'`)\]]+|\bwww\.[^\s<>\"'`)\]]+)", re.I)
_SCHEMES = ("http:", "https:", "ftp:", "file:", "javascript:", "data:", "vbscript:", "mailto:", "www.")
REMOVED = "[link removed]"


def find_urls(text: str) -> list[str]:
    """Every link-like token in ``text`` (trailing punctuation trimmed)."""
    out = []
    for m in _URL_RE.finditer(text or ""):
        tok = m.group(0).rstrip(".,;:!?")
        if tok.lower().startswith(_SCHEMES):
            out.append(tok)
    return out


def strip_foreign_urls(text: str, allowed: set[str]) -> str:
    """Replace every link not in ``allowed`` with a marker."""

    def repl(m: re.Match) -> str:
        tok = m.group(0)
        core = tok.rstrip(".,;:!?")
        if not core.lower().startswith(_SCHEMES) or core in allowed:
            return tok
        return REMOVED + tok[len(core):]

    return _URL_RE.sub(repl, text or "")
