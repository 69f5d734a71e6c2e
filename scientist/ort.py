"""onnxruntime, imported one way for the whole tool: without its telemetry, its own log quiet below errors.

onnxruntime 1.29 and later collect telemetry on Linux too, and send it over the network, unless
``ORT_DISABLE_TELEMETRY`` is set before it is imported: this tool makes no network request, so it sets it (unless
the caller has set it either way).  With telemetry on, a read-only home folder also made onnxruntime print a
coloured warning about its telemetry identifier on every run, escape sequences and all, whatever the terminal.
"""

from __future__ import annotations

import os

__all__ = ["ERRORS_ONLY", "onnxruntime"]

#: onnxruntime's severity for errors (0 verbose, 1 info, 2 warning, 3 error, 4 fatal).
ERRORS_ONLY = 3


def onnxruntime():
    """The ``onnxruntime`` module, imported without telemetry (when this is its first import in the process),
    its default logger set to errors only."""
    os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
    import onnxruntime as ort

    ort.set_default_logger_severity(ERRORS_ONLY)
    return ort
