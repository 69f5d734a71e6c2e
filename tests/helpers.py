"""Helpers shared by the tests: a fake embedder, a code-running pickle, and running the CLI."""

from __future__ import annotations

import hashlib
import pickle
from pathlib import Path

import numpy as np


class HashEmbedder:
    """A deterministic stand-in for the embedding model: a random unit vector per text (no model load).

    For tests of logic (caching, scope, links, rendering), never of meaning.
    """

    id = "test/hash-embedder"
    dim = 384

    def encode(self, texts, batch_size=64, progress=False):
        out = np.zeros((len(texts), self.dim), np.float32)
        for i, t in enumerate(texts):
            seed = int.from_bytes(hashlib.sha256(t.encode()).digest()[:8], "little")
            v = np.random.default_rng(seed).standard_normal(self.dim).astype(np.float32)
            out[i] = v / np.linalg.norm(v)
        return out


class CodeRunner:
    """Unpickling this runs a shell command: what a malicious checkpoint would do."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        import os

        return (os.system, (f"touch {self.marker}",))


def write_malicious_pickle(path: Path, marker: Path, zipped: bool = False) -> Path:
    """A checkpoint ``{"model": ...}`` whose loading would create ``marker``; plain pickle or torch's zip."""
    payload = {"model": CodeRunner(marker)}
    if zipped:
        import torch

        torch.save(payload, path)
    else:
        path.write_bytes(pickle.dumps(payload))
    return path


def photo_array(h=40, w=56, seed=0) -> np.ndarray:
    """A smooth gradient with a little noise, float RGB in [0, 1]."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    base = np.stack([x / w, y / h, 0.5 + 0.0 * x], -1)
    return np.clip(base * 0.6 + rng.normal(0, 0.05, (h, w, 3)), 0, 1)


def to_u8(a):
    return (np.clip(a, 0, 1) * 255).round().astype(np.uint8)


def digest(paths) -> dict[str, str]:
    out = {}
    for p in paths:
        p = Path(p)
        if p.is_file():
            out[str(p)] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def run_cli(*args, inputs=()):
    """Run ``scientist ARGS``; returns (exit code, stdout, stderr lines), asserting inputs are unchanged."""
    from typer.testing import CliRunner

    from scientist.cli import app

    before = digest(inputs)
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert digest(inputs) == before, "an input file was modified"
    lines = [ln for ln in result.stderr.splitlines() if ln.strip() and not ln.startswith("Loading weights")]
    return result.exit_code, result.stdout, lines


def assert_one_line_error(code, lines, match, exit_code=2):
    assert code == exit_code, (code, lines)
    errors = [ln for ln in lines if not ln.startswith("warning:")]
    assert len(errors) == 1, lines
    assert match.lower() in errors[0].lower(), errors[0]
    assert not any("Traceback" in ln for ln in lines)
