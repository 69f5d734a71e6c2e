"""Helpers for the bad-input battery: run the CLI, check one-line errors and untouched inputs."""

from __future__ import annotations

import hashlib
from pathlib import Path

from typer.testing import CliRunner

from scientist.cli import app

_runner = CliRunner()


def digest(paths) -> dict[str, str]:
    out = {}
    for p in paths:
        p = Path(p)
        if p.is_file():
            out[str(p)] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def run_cli(*args, inputs=()):
    """Run ``scientist ARGS``; returns (exit code, stdout, error lines), asserting inputs are unchanged."""
    before = digest(inputs)
    result = _runner.invoke(app, [str(a) for a in args])
    assert digest(inputs) == before, "an input file was modified"
    lines = [ln for ln in result.stderr.splitlines() if ln.strip() and not ln.startswith("Loading weights")]
    return result.exit_code, result.stdout, lines


def assert_one_line_error(code, lines, match, exit_code=2):
    assert code == exit_code, (code, lines)
    errors = [ln for ln in lines if not ln.startswith("warning:")]
    assert len(errors) == 1, lines
    assert match.lower() in errors[0].lower(), errors[0]
    assert not any("Traceback" in ln for ln in lines)
