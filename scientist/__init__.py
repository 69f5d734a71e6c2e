"""scientist: grounded answers about AI photo models, from a restricted corpus.

    >>> from scientist import Scientist
    >>> answer = Scientist().ask("How does it reduce noise?")
    >>> answer.task.label, [r.id for r in answer.references]

Heavy modules (torch, sentence-transformers, FAISS) load on first use only.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from .errors import (
    AccessError,
    CheckpointError,
    ClusterError,
    CorpusError,
    OptionError,
    OutputError,
    PhotoError,
    QuestionError,
    ScientistError,
)

if TYPE_CHECKING:  # pragma: no cover
    from .answer import Answer
    from .core import Scientist
    from .restore.options import RestoreOptions
    from .settings import ConfigError, Settings, load_settings

__version__ = "0.1.0"
__all__ = [
    "AccessError",
    "Answer",
    "CheckpointError",
    "ClusterError",
    "ConfigError",
    "CorpusError",
    "OptionError",
    "OutputError",
    "PhotoError",
    "QuestionError",
    "RestoreOptions",
    "Scientist",
    "ScientistError",
    "Settings",
    "ask",
    "load_settings",
]

_default = None
_default_lock = threading.Lock()


def __getattr__(name: str):
    if name == "Scientist":
        from .core import Scientist

        return Scientist
    if name == "Answer":
        from .answer import Answer

        return Answer
    if name == "RestoreOptions":
        from .restore.options import RestoreOptions

        return RestoreOptions
    if name in ("ConfigError", "Settings", "load_settings"):
        from . import settings

        return getattr(settings, name)
    raise AttributeError(f"module 'scientist' has no attribute {name!r}")


def ask(question: str, photo=None, **options) -> Answer:
    """Answer with a shared default :class:`Scientist` (created on first call)."""
    global _default
    with _default_lock:
        if _default is None:
            from .core import Scientist

            _default = Scientist()
    return _default.ask(question, photo, **options)
