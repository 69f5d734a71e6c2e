"""Read records from seed documents and from JSON, JSONL and YAML catalogs.

A *seed document* is the plain-text prompt format the project started from: a
quoted question, a "Recommended AI Models" section and a "Related Papers"
section, each record a block of ``Key: value`` lines (Model, Paper, GitHub,
Summary).  A *catalog* is a list of records in JSON, JSONL or YAML with
common field spellings; fields the model does not know are ignored.
"""

from __future__ import annotations

import datetime
import json
import math
import re
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from . import yamlio
from .errors import CorpusError, shown
from .fileio import read_input
from .records import Record, slugify

__all__ = ["MAX_FIELD_CHARS", "Seed", "load_records", "parse_catalog", "parse_seed", "read_seed", "read_text"]

#: Longest text a catalog field may hold (characters): fifty times a long abstract.  Longer is refused, not cut.
MAX_FIELD_CHARS = 100_000
#: Most entries of a list field (names, tasks, datasets) of one record.
MAX_FIELD_ITEMS = 1_000

# normalised source key -> Record field
_FIELD_NAMES = {
    "id": "id",
    "name": "title",
    "modeluniquename": "title",
    "model": "title",
    "modelname": "title",
    "title": "title",
    "papertitle": "title",
    "paper": "url",
    "paperurl": "url",
    "url": "url",
    "arxiv": "url",
    "pdf": "url",
    "github": "github",
    "githuburl": "github",
    "code": "github",
    "repo": "github",
    "huggingface": "huggingface",
    "hf": "huggingface",
    "huggingfaceurl": "huggingface",
    "summary": "summary",
    "abstract": "summary",
    "description": "summary",
    "category": "category",
    "detailedcategory": "detail",
    "detail": "detail",
    "dataset": "dataset",
    "datasets": "dataset",
    "tasks": "tasks",
    "task": "tasks",
    "kind": "kind",
    "names": "names",
    "aliases": "names",
    "type": "kind",
    "card": "card",
}


def _norm(text: object) -> str:
    """Lower-case letters and digits only: how names, keys and codes are compared."""
    return re.sub(r"[^a-z0-9]", "", str(text).lower())


def _check_size(value: object, key: str, where: str) -> None:
    """Refuse a field too long to be a record's (a field is never cut: a cut summary would be quoted as whole)."""
    if isinstance(value, str) and len(value) > MAX_FIELD_CHARS:
        raise CorpusError(f"{where}: its {key} field holds {len(value):,} characters, more than the "
                          f"{MAX_FIELD_CHARS:,} a field may hold")
    if isinstance(value, (list, dict)):
        if len(value) > MAX_FIELD_ITEMS:
            raise CorpusError(f"{where}: its {key} field holds {len(value):,} entries, more than the "
                              f"{MAX_FIELD_ITEMS:,} a field may hold")
        for item in value.values() if isinstance(value, dict) else value:
            _check_size(item, key, where)


def _as_text(value: object, key: str, where: str) -> str:
    """A text field given as a number ("id: 17", "title: 1984") as text; anything else is no text, and refused
    (a title of true, [A, B], {a: 1} or NaN was stored as "True", "['A', 'B']", "{'a': 1}", "nan")."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, datetime.date):  # YAML reads "title: 2021-03-01" as a date
        return value.isoformat()
    if isinstance(value, float) and math.isfinite(value):
        return repr(value)
    kind = {bool: "true or false", list: "a list", dict: "a mapping", bytes: "binary data"}
    said = next((v for t, v in kind.items() if isinstance(value, t)), type(value).__name__)
    if isinstance(value, float):
        said = "NaN" if math.isnan(value) else "infinity"
    raise CorpusError(f"{where}: its {key} field must be text, not {said}")


def _to_record(raw: dict, source: str, default_kind: str, where: str) -> Record | None:
    data: dict = {}
    for key, value in raw.items():
        target = _FIELD_NAMES.get(_norm(key))
        if target is None or value is None or target in data:
            continue
        _check_size(value, target, where)
        data[target] = value
    if "detail" in data and "category" not in data:  # a detailed category is the only category given
        data["category"] = data.pop("detail")
    for key in ("tasks", "names"):
        if isinstance(data.get(key), str):
            data[key] = [t.strip() for t in data[key].split(",") if t.strip()]
    if isinstance(data.get("dataset"), list):
        data["dataset"] = ", ".join(map(str, data["dataset"]))
    for key in ("title", "summary", "category", "detail", "id"):
        if key in data and not isinstance(data[key], str):
            data[key] = _as_text(data[key], key, where)
    kind = str(data.get("kind") or default_kind).lower()
    data["kind"] = "paper" if kind.startswith("paper") else "model"
    if not str(data.get("title", "")).strip():
        warnings.warn(f"{where}: skipped a record without a name or title", stacklevel=2)
        return None
    data.setdefault("id", slugify(str(data["title"])))
    data["id"] = slugify(str(data["id"]))
    data["source"] = source
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            rec = Record.model_validate(data)
        for w in caught:
            warnings.warn(f"{where}: {w.message}", stacklevel=2)
        return rec
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise CorpusError(f"{where}: invalid record ({loc}: {first['msg']})") from None


# --------------------------------------------------------------------------
# seed documents
# --------------------------------------------------------------------------
@dataclass
class Seed:
    """A parsed seed document: its question and its records."""

    question: str
    records: list[Record] = field(default_factory=list)
    source: str = ""


_SECTION_RE = re.compile(r"^#{1,6}\s*(.+?)\s*:?\s*$")
#: A section heading written without ``#``: the seed's own words on a line of their own.
_PLAIN_SECTION_RE = re.compile(r"^\**((?:recommended\s+(?:ai\s+)?models?|related\s+papers?))\**\s*:?\s*\**$", re.I)
_FIELD_RE = re.compile(r"^(Model|Paper|Title|GitHub|Github|Summary|Hugging ?Face|Category|Dataset)\s*:\s*(.*)$", re.I)


def parse_seed(text: str, source: str = "seed") -> Seed:
    """Parse a seed document.  Raises :class:`CorpusError` when it has no question."""
    if "\x00" in text:
        raise CorpusError(f"{source}: not a text file")
    lines = text.splitlines()
    question = _seed_question(lines)
    if not question:
        raise CorpusError(f"{source}: no question found (expected a line saying a question was asked, then the "
                          "question in quotes)")
    records: list[Record] = []
    kind: str | None = None
    current: dict | None = None
    last_key: str | None = None

    def flush() -> None:
        nonlocal current
        if current and kind:
            rec = _to_record(current, source, kind, f"{source}")
            if rec is not None:
                records.append(rec)
        current = None

    for line in lines:
        stripped = line.strip()
        m = _SECTION_RE.match(stripped) or _PLAIN_SECTION_RE.match(stripped)
        if m:
            flush()
            heading = m.group(1).lower()
            if "model" in heading and "recommend" in heading or heading.startswith("models"):
                kind = "model"
            elif "paper" in heading:
                kind = "paper"
            else:
                kind = None
            continue
        if kind is None:
            continue
        if stripped.lower().rstrip(":") == "answer":
            flush()
            kind = None
            continue
        f = _FIELD_RE.match(stripped)
        if f:
            key = f.group(1).lower().replace(" ", "")
            if key in ("model", "title") and current and ("model" in current or "title" in current):
                flush()
            if current is None:
                current = {}
            key = {"paper": "paper", "github": "github"}.get(key, key)
            current[key] = f.group(2).strip()
            last_key = key
        elif stripped and current is not None and last_key == "summary":
            current["summary"] += " " + stripped
    flush()
    return Seed(question=question, records=records, source=source)


def _seed_question(lines: list[str]) -> str:
    """The question of a seed: after the line that says a question was asked ("A user has asked the following
    question:", "A user asked:"; or on it, after a colon), the
    next paragraph, from its opening quote to its last closing one (a question may quote words itself: "my
    phone's "Night mode" ..."); a paragraph without quotes is the question unless it is a heading or a section
    of the seed ("### Recommended AI Models:", "Based on ...")."""
    for i, line in enumerate(lines):
        low = line.lower()
        if ("asked" in low and "question" in low) or _ASKED_COLON.search(line):
            after = line.split(":", 1)[1].strip() if ":" in line else ""
            para: list[str] = [after] if after else []
            for nxt in lines[i + 1:]:
                if not nxt.strip():
                    if para:
                        break
                    continue
                para.append(nxt.strip())
            text = " ".join(" ".join(para).split())
            quoted = _closed(text) if _QUOTE_OPEN.match(text) else None
            if quoted is not None:
                return quoted
            if text and not _NOT_A_QUESTION.match(text):
                return text.strip('"\u201c\u201d')
            return ""
    return ""


_QUOTE_OPEN = re.compile(r"[\"\u201c]")
#: A line that says what someone asked without the word "question", then a colon: "A user asked:", "The person
#: wants to know:" ("... asked the following question:" needs no colon).
_ASKED_COLON = re.compile(r"\b(?:asked|asks|wrote|writes|wants to know|wonders|wondered)\b[^:\n]{0,30}:", re.I)
_NOT_A_QUESTION = re.compile(r"#|based on\b|use \*\*only|(?:model|paper|github|arxiv)\s*:", re.I)


def _closed(text: str) -> str | None:
    """What ``text`` (which opens with a quote) quotes, to its last closing quote; None when it holds none."""
    end = max(text.rfind('"'), text.rfind("\u201d"))
    return " ".join(text[1:end].split()) if end > 0 else None


def read_seed(path: str | Path) -> Seed:
    """Read and parse a seed document from disk."""
    p = Path(path)
    return parse_seed(read_text(p), source=shown(p.name))


# --------------------------------------------------------------------------
# catalogs
# --------------------------------------------------------------------------
def read_text(path: str | Path) -> str:
    """A catalog, seed or other text file the user named, as text: a regular file of at most
    :data:`~scientist.fileio.MAX_INPUT_MB` MiB, in UTF-8 (else a :class:`CorpusError` of one sentence)."""
    data = read_input(path, CorpusError)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CorpusError(f"{shown(path)}: not UTF-8 text") from None


class _Constant(ValueError):
    """A JSON text's NaN, Infinity or -Infinity."""


def _no_constant(name: str) -> None:
    """JSON has no NaN or Infinity (Python's reader takes them): a catalog that writes one is refused."""
    raise _Constant(name)


def parse_catalog(text: str, fmt: str, source: str = "catalog") -> list[Record]:
    """Parse a catalog given its format (``json``, ``jsonl`` or ``yaml``)."""
    try:
        if fmt == "jsonl":
            items = []
            for n, line in enumerate(text.splitlines(), 1):
                if line.strip():
                    try:
                        items.append(json.loads(line, parse_constant=_no_constant))
                    except json.JSONDecodeError as exc:
                        raise CorpusError(f"{source}: line {n}: invalid JSON ({exc.msg})") from None
        elif fmt == "json":
            items = json.loads(text, parse_constant=_no_constant)
        else:
            items = yamlio.safe_load(text, aliases=False)
        return _records_from(items, source)
    except json.JSONDecodeError as exc:
        raise CorpusError(f"{source}: invalid JSON at line {exc.lineno} ({exc.msg})") from None
    except _Constant as exc:
        raise CorpusError(f"{source}: holds {exc}, which JSON does not allow") from None
    except yamlio.AliasError as exc:
        raise CorpusError(f"{source}: {exc}") from None
    except yamlio.YAMLError as exc:
        raise CorpusError(f"{source}: {yamlio.problem(exc)}") from None
    except RecursionError:
        raise CorpusError(f"{source}: nested too deeply to be a catalog") from None
    except ValueError as exc:
        if "digits" in str(exc):  # a whole number longer than Python converts (json and YAML alike)
            raise CorpusError(f"{source}: holds a number of more digits than can be read "
                              f"({sys.get_int_max_str_digits():,} at most)") from None
        raise


def _records_from(items: object, source: str) -> list[Record]:
    groups: list[tuple[str, object]] = []
    if isinstance(items, dict):
        known = {"records": "model", "models": "model", "recommended": "model",
                 "recommendedaimodels": "model", "papers": "paper", "relatedpapers": "paper"}
        matched = [(known[_norm(k)], v) for k, v in items.items() if _norm(k) in known]
        groups = matched if matched else [("model", [items])]
    elif isinstance(items, list):
        groups = [("model", items)]
    elif items is None:
        groups = []
    else:
        raise CorpusError(f"{source}: expected a list of records")
    out: list[Record] = []
    for kind, group in groups:
        if not isinstance(group, list):
            raise CorpusError(f"{source}: expected a list of records")
        for n, raw in enumerate(group, 1):
            if not isinstance(raw, dict):
                raise CorpusError(f"{source}: record {n} is not a mapping")
            rec = _to_record(raw, source, kind, f"{source}: record {n}")
            if rec is not None:
                out.append(rec)
    return out


_FORMATS = {".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".yaml": "yaml", ".yml": "yaml"}


def is_seed_file(path: str | Path) -> bool:
    """Whether ``path`` is read as a seed document (a ``.txt`` or ``.md`` file, or one without an extension)."""
    return Path(path).suffix.lower() in (".txt", ".md", "")


def load_records(path: str | Path) -> list[Record]:
    """Records from one file: a catalog (by extension) or a seed document (``.txt``/``.md``)."""
    p = Path(path)
    text = read_text(p)
    fmt = _FORMATS.get(p.suffix.lower())
    if fmt:
        return parse_catalog(text, fmt, source=shown(p.name))
    if is_seed_file(p):
        return parse_seed(text, source=shown(p.name)).records
    raise CorpusError(
        f"{shown(p.name)}: unsupported file type {shown(p.suffix)!r} (use .json, .jsonl, .yaml, .yml or a .txt seed)"
    )
