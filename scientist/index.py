"""The retrieval index: record vectors in FAISS, the task classifier's views, each record's task; cached on disk.

Vectors are unit-length and searched by inner product, so every record score is
a cosine similarity.  Two caches, each keyed by a hash of what it depends on:

- the *task space* (the task-space views of :data:`VIEWS` and the task texts'
  vectors) depends only on the taxonomy's training texts and the embedder, so every
  corpus over the same taxonomy shares it;
- the *record index* (record and sentence vectors, each record's tasks, the corpus
  views such as the records' BM25 term matrix of :mod:`scientist.terms`) depends on
  the corpus, and on the weights of the views that classify records, too.

Each view's arrays are kept as ``<view>.<array>.npy`` beside a manifest holding
each view's JSON meta: the cache knows views only through their protocol
(:mod:`scientist.views`).
  Catalogs of more than :data:`SENTENCES_AT_BUILD_MAX` records
  keep only record vectors: a record's sentences are embedded when an answer first
  quotes it (they would double the build: a 10,000-record catalog took 231 s with
  them and ~120 s without on 2 cores), and its task comes from its whole text.

A record index keeps the digests of the texts it embedded; a new build (a catalog one record was added to) takes
the vectors of the texts it shares with the index last built with the same embedder, and embeds only the others.

A corrupt cache is detected by checksum and rebuilt, a file lock lets two
processes build at the same time safely, and an unwritable cache folder means
working from memory.  Nothing is pickled: FAISS's own format, ``.npy`` arrays
and JSON manifests.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import sys
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np

from . import judge
from .corpus import Corpus
from .embed import Embedder
from .fileio import write_atomic
from .records import Task
from .settings import Settings, load_settings
from .signature import SignatureView
from .taskmodel import EmbeddingView, LetterView, NeighbourView, dot_rows
from .terms import TermView
from .vectors import digest, example_vectors, with_known
from .views import AskView, ContextView, CorpusData, CueView, FitData, NameView, Queries, combine

__all__ = ["VIEWS", "Index", "TaskSpace"]

FORMAT_VERSION = 8
#: Every view of the task classifier, registered once: task-space views (fitted or built in this order
#: when the task space is built), then corpus views (built with a corpus's index).  See :mod:`scientist.views`.
VIEWS: tuple[type, ...] = (EmbeddingView, NeighbourView, LetterView, SignatureView, CueView, AskView,
                           TermView, NameView, ContextView)
#: Largest catalog whose summary sentences are embedded when the index is built (see the module docstring).
SENTENCES_AT_BUILD_MAX = 2000
T = TypeVar("T")


def _views(scope: str) -> list[type]:
    return [v for v in VIEWS if v.scope == scope]


def view_params() -> str:
    """What shapes every view (a cache is rebuilt when it changes)."""
    return "|".join(f"{v.name}:{v.PARAMS}" for v in VIEWS)


def _npy_bytes(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=False)
    return buf.getvalue()


def _npy_array(data: bytes) -> np.ndarray:
    return np.load(io.BytesIO(data), allow_pickle=False)


def _save_files(folder: Path, files: dict[str, bytes], manifest: dict) -> None:
    """Write the files, then a manifest holding their checksums (written last: it marks completeness)."""
    for name, data in files.items():
        write_atomic(folder / name, data)
    manifest = {**manifest, "sha256": {n: hashlib.sha256(d).hexdigest() for n, d in files.items()}}
    write_atomic(folder / "manifest.json", json.dumps(manifest).encode())


class _Corrupt(Exception):
    """A cache folder whose files do not match their checksums."""


def _load_files(folder: Path, key: str) -> tuple[dict, dict[str, bytes]] | None:
    """The manifest and files of a cache folder; ``None`` when missing or stale; :class:`_Corrupt` when they do not
    match their checksums (:func:`_cached` says so, once)."""
    try:
        manifest = json.loads((folder / "manifest.json").read_text())
        if manifest.get("key") != key or manifest.get("format") != FORMAT_VERSION:
            return None
        files = {name: (folder / name).read_bytes() for name in manifest["sha256"]}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    if any(hashlib.sha256(data).hexdigest() != manifest["sha256"][n] for n, data in files.items()):
        raise _Corrupt(folder)
    return manifest, files


def _cached(cache: Path | None, kind: str, key: str, load: Callable[[Path], T | None],
            build: Callable[[], T], save: Callable[[T, Path], None], quiet: bool = False) -> tuple[T, Path | None]:
    """Load ``cache/kind/key``, or build it under a file lock and save it there.

    An unwritable cache means building in memory, with a warning unless ``quiet``.
    """
    if cache is None:
        return build(), None
    folder = cache / kind / key
    try:
        loaded = load(folder)
    except _Corrupt:
        warnings.warn(f"the cached {kind} is corrupt: rebuilding it", stacklevel=3)
        loaded = None
    if loaded is not None:
        return loaded, folder
    try:
        folder.mkdir(parents=True, exist_ok=True)
        from filelock import FileLock

        lock = FileLock(str(cache / kind / f"{key}.lock"), timeout=600)
        lock.acquire()
    except OSError:
        if not quiet:
            warnings.warn(f"cache folder {cache} is not writable: the index is kept in memory only", stacklevel=3)
        return build(), None
    try:
        try:
            loaded = load(folder)  # another process may have built it meanwhile
        except _Corrupt:  # still the corruption said above
            loaded = None
        if loaded is not None:
            return loaded, folder
        built = build()
        save(built, folder)
        return built, folder
    finally:
        lock.release()


# --------------------------------------------------------------------------
# views in the cache
# --------------------------------------------------------------------------
def _view_files(views: list) -> tuple[dict[str, bytes], dict[str, dict]]:
    """Every view's arrays as ``<view>.<array>.npy`` files, and each view's JSON meta by name."""
    files = {f"{v.name}.{name}.npy": _npy_bytes(arr) for v in views for name, arr in v.arrays().items()}
    return files, {v.name: v.meta() for v in views}


def _bound(views: list) -> list:
    """Views that read other views (``bind``) get them."""
    for v in views:
        if hasattr(v, "bind"):
            v.bind(views)
    return views


def _load_views(kinds: list[type], data, files: dict[str, bytes], metas: dict[str, dict]) -> list:
    """The views named in ``metas``, put back from their files (:meth:`load`), in registry order."""
    views = []
    for kind in kinds:
        if kind.name not in metas:
            continue
        prefix = f"{kind.name}."
        arrays = {n[len(prefix):].removesuffix(".npy"): _npy_array(d) for n, d in files.items() if n.startswith(prefix)}
        views.append(kind.load(data, arrays, metas[kind.name]))
    return views


# --------------------------------------------------------------------------
# the task space: the task-space views + the tasks' own text vectors
# --------------------------------------------------------------------------
@dataclass
class TaskSpace:
    """The task-space views of the classifier (:data:`VIEWS` of scope ``tasks``) over ``classes``, and the
    vectors of each task's own texts (label, aliases)."""

    classes: list[str]
    views: list
    text_vecs: np.ndarray
    text_owner: list[str]

    @staticmethod
    def cache_key(tasks: list[Task], embedder: Embedder) -> str:
        """What the fitted views learn from: each task's id and training texts (views built from the
        taxonomy's other data, such as its cues and signatures, are rebuilt when loaded)."""
        h = hashlib.sha256(f"{FORMAT_VERSION}|{embedder.id}|{view_params()}".encode())
        for t in tasks:
            h.update(json.dumps([t.id, t.training_texts()]).encode())
        return h.hexdigest()[:24]

    @classmethod
    def open(cls, tasks: list[Task], embedder: Embedder, cache: Path | None) -> tuple[TaskSpace, Path | None]:
        """The cached task space for ``tasks`` (built and cached if needed) and its folder."""
        key = cls.cache_key(tasks, embedder)
        return _cached(cache, "tasks", key, lambda f: cls._load(f, key, tasks), lambda: cls.build(tasks, embedder),
                       lambda s, f: s._save(f, key))

    @classmethod
    def build(cls, tasks: list[Task], embedder: Embedder) -> TaskSpace:
        owner, labels, training, own = [], [], [], []
        for t in tasks:
            own += range(len(training), len(training) + len(t.texts()))  # a task's own texts come first
            owner += [t.id] * len(t.texts())
            labels += [t.id] * len(t.training_texts())
            training += t.training_texts()
        vecs = example_vectors(training, embedder)
        data = FitData(tasks, sorted(set(labels)), training, labels, vecs)
        views = _bound([v for v in (kind.fit(data) for kind in _views("tasks")) if v is not None])
        return cls(data.classes, views, np.ascontiguousarray(vecs[own], np.float32), owner)

    def _save(self, folder: Path, key: str) -> None:
        files, metas = _view_files(self.views)
        files["texts.npy"] = _npy_bytes(self.text_vecs)
        _save_files(folder, files, {"format": FORMAT_VERSION, "key": key, "classes": self.classes,
                                    "text_owner": self.text_owner, "views": metas})

    @classmethod
    def _load(cls, folder: Path, key: str, tasks: list[Task]) -> TaskSpace | None:
        got = _load_files(folder, key)
        if got is None:
            return None
        manifest, files = got
        try:
            classes = manifest["classes"]
            views = _bound(_load_views(_views("tasks"), FitData(tasks, classes), files, manifest["views"]))
            texts = _npy_array(files["texts.npy"])
            if len(texts) != len(manifest["text_owner"]):
                return None
        except (KeyError, ValueError, TypeError):
            return None
        return cls(classes, views, texts, manifest["text_owner"])

    def cosines(self, qvec: np.ndarray) -> dict[str, float]:
        """Best cosine between the query and any of each task's own texts."""
        best: dict[str, float] = {}
        for owner, s in zip(self.text_owner, (self.text_vecs @ qvec.astype(np.float32)).tolist(), strict=True):
            if s > best.get(owner, -2.0):
                best[owner] = s
        return best


# --------------------------------------------------------------------------
# the record index
# --------------------------------------------------------------------------
def _distributions(classes: list[str], views: list, q: Queries, settings: Settings) -> list[dict[str, float]]:
    if not len(q):
        return []
    p = np.exp(combine(views, q, settings, len(classes)))
    return [dict(zip(classes, row.tolist(), strict=True)) for row in p]


def _corpus_data(corpus: Corpus, tasks: TaskSpace, texts: list[str] | None,
                 record_tasks: list[list[str]]) -> CorpusData:
    context = [t.id for t in corpus.tasks if t.family in corpus.context]
    # tasks of another medium (a recording, a text): a question that names nothing only they are given, do or give
    # back (their phrasings that no task of the context shares) is not about them
    ours = {(slot, name) for t in corpus.tasks if t.id in context and t.signature
            for slot, names in t.signature.phrasings.items() for name in names}
    other = [t.id for t in corpus.tasks if t.family in corpus.other_media]
    theirs = {(slot, name): phrasing for t in corpus.tasks if t.id in other and t.signature
              for slot, names in t.signature.phrasings.items() for name, phrasing in names.items()
              if (slot, name) not in ours}
    return CorpusData(corpus.records, texts if texts is not None else [], record_tasks, tasks.classes, context,
                      "; ".join(theirs[key] for key in sorted(theirs)), other)


def _sentences_at_build(corpus: Corpus) -> bool:
    """Whether the records' summary sentences are embedded when the index is built (else on first use)."""
    return len(corpus.records) <= SENTENCES_AT_BUILD_MAX


def _segments(corpus: Corpus) -> tuple[list[str], list[list[int]]]:
    """The summary sentences embedded at build (none for a large catalog: :func:`_sentences_at_build`) and each
    record's span of them."""
    segs: list[str] = []
    spans: list[list[int]] = []
    eager = _sentences_at_build(corpus)
    for r in corpus.records:
        parts = r.segments() if eager else []
        spans.append([len(segs), len(segs) + len(parts)])
        segs += parts
    return segs, spans


def _digests(texts: list[str]) -> np.ndarray:
    return np.array([list(digest(t)) for t in texts], np.uint8).reshape(len(texts), 16)


def _earlier_vectors(cache: Path | None, embedder_id: str) -> dict[bytes, np.ndarray]:
    """The vectors of the record index last built in ``cache`` with the same embedder and format, by the digest
    of the text each was made from (none without one, or when its files do not check out)."""
    import faiss

    if cache is None:
        return {}
    try:
        manifests = sorted((cache / "index").glob("*/manifest.json"), key=lambda p: p.stat().st_mtime,
                           reverse=True)
    except OSError:
        return {}
    for path in manifests:
        try:
            manifest = json.loads(path.read_text())
            if manifest.get("embedder") != embedder_id or manifest.get("format") != FORMAT_VERSION:
                continue
            got = _load_files(path.parent, manifest["key"])
            if got is None:
                continue
            _, files = got
            rec_index = faiss.deserialize_index(np.frombuffer(files["records.faiss"], dtype=np.uint8))
            vecs = [rec_index.reconstruct_n(0, rec_index.ntotal), _npy_array(files["segments.npy"])]
            keys = [_npy_array(files["record_digests.npy"]), _npy_array(files["segment_digests.npy"])]
            if any(len(k) != len(v) for k, v in zip(keys, vecs, strict=True)):
                continue
        except (OSError, ValueError, KeyError, TypeError, RuntimeError, _Corrupt):
            continue
        return {bytes(d): v for k, vs in zip(keys, vecs, strict=True) for d, v in zip(k, vs, strict=True)}
    return {}


class Index:
    """Record vectors (FAISS inner-product index), summary-sentence vectors, each record's tasks and the
    corpus views of the classifier (:data:`VIEWS` of scope ``corpus``: the records' BM25 term matrix, ...)."""

    def __init__(self, corpus: Corpus, tasks: TaskSpace, record_index, seg_vecs: np.ndarray,
                 seg_spans: list[list[int]], record_tasks: list[list[str]], views: list, key: str,
                 path: Path | None, embedder: Embedder) -> None:
        self.corpus = corpus
        self.tasks = tasks
        self.records = record_index
        self.seg_vecs = seg_vecs
        self.seg_spans = seg_spans
        self.record_tasks = record_tasks
        self.views = views
        self.key = key
        self.path = path
        n = record_index.ntotal
        self.matrix = record_index.reconstruct_n(0, n) if n else np.zeros((0, seg_vecs.shape[1]), np.float32)
        #: sentences embedded at build time; otherwise on first use, through ``embedder``
        self.sentences_built = _sentences_at_build(corpus)
        self.embedder = embedder
        self._lazy: dict[int, np.ndarray] = {}
        self._lazy_lock = threading.Lock()

    @functools.cached_property
    def task_matrix(self) -> tuple[list[str], np.ndarray]:
        """:func:`judge.task_matrix` of :attr:`record_tasks`, for :func:`judge.rank`."""
        return judge.task_matrix(self.record_tasks)

    def view(self, name: str):
        """The view called ``name`` (task-space or corpus), or ``None``."""
        return next((v for v in (*self.tasks.views, *self.views) if v.name == name), None)

    def classify(self, q: Queries, settings: Settings) -> list[dict[str, float]]:
        """Each text's task distribution: every view, weighed by :func:`views.combine`."""
        return _distributions(self.tasks.classes, [*self.tasks.views, *self.views], q, settings)

    @staticmethod
    def cache_key(corpus: Corpus, embedder: Embedder, settings: Settings) -> str:
        reading = "|".join(f"{v.name}={getattr(settings, v.weight)}" for v in VIEWS if v.records)
        h = hashlib.sha256(f"{FORMAT_VERSION}|{SENTENCES_AT_BUILD_MAX}|{embedder.id}|{corpus.fingerprint()}|"
                           f"{reading}|{settings.task_temperature}|{settings.rule_cap}|{view_params()}".encode())
        return h.hexdigest()[:24]

    @classmethod
    def open(cls, corpus: Corpus, embedder: Embedder, cache: Path | None, settings: Settings | None = None) -> Index:
        """Load the cached index for ``corpus``, building (and caching) it if needed, with the vectors of the
        texts an earlier index shares with it (:func:`_earlier_vectors`).  ``settings`` (default:
        :func:`load_settings`) weigh the views that classify the records."""
        settings = settings or load_settings()
        tasks, tasks_folder = TaskSpace.open(corpus.tasks, embedder, cache)
        key = cls.cache_key(corpus, embedder, settings)
        parts, folder = _cached(cache, "index", key, lambda f: cls._load(f, key, corpus, tasks),
                                lambda: cls._build(corpus, embedder, tasks, settings,
                                                   _earlier_vectors(cache, embedder.id)),
                                lambda p, f: cls._save(p, f, key, corpus, embedder.id),
                                quiet=cache is not None and tasks_folder is None)  # said once already
        return cls(corpus, tasks, *parts, key, folder, embedder)

    @staticmethod
    def _build(corpus: Corpus, embedder: Embedder, tasks: TaskSpace, settings: Settings,
               earlier: dict[bytes, np.ndarray] | None = None) -> tuple:
        """The index's parts, embedding only the texts ``earlier`` (digest -> vector) does not hold."""
        import faiss

        earlier = earlier or {}
        texts = [r.embed_text() for r in corpus.records]
        segs, spans = _segments(corpus)
        new = sum(digest(t) not in earlier for t in [*texts, *segs])
        if new > 500:
            kept = len(texts) + len(segs) - new
            print(f"indexing {len(texts)} records{f' ({kept} texts embedded before)' if kept else ''}...",
                  file=sys.stderr)
        vecs = with_known(texts, embedder, earlier, progress=new > 500 and sys.stderr.isatty())
        rec_index = faiss.IndexFlatIP(vecs.shape[1])
        if len(vecs):
            rec_index.add(vecs)
        seg_vecs = with_known(segs, embedder, earlier)
        record_tasks = Index._record_tasks(corpus, tasks, Queries(texts, vecs, records=True),
                                           Queries(segs, seg_vecs, records=True), spans, settings)
        data = _corpus_data(corpus, tasks, texts, record_tasks)
        views = [kind.fit(data) for kind in _views("corpus")]
        return rec_index, seg_vecs, spans, record_tasks, views

    @staticmethod
    def _record_tasks(corpus: Corpus, tasks: TaskSpace, whole: Queries, parts: Queries, spans: list[list[int]],
                      settings: Settings) -> list[list[str]]:
        """Each record's tasks (see :func:`judge.record_tasks`), classifying its text and its sentences with
        the views that read records, weighed as for questions; a record whose declared tasks or whose one
        candidate from its category settle it is not classified."""
        candidates = [corpus.category_tasks(r.category) for r in corpus.records]
        need = [i for i, (r, c) in enumerate(zip(corpus.records, candidates, strict=True))
                if not r.tasks and len(c) != 1]
        whole_p = dict(zip(need, _distributions(tasks.classes, tasks.views, whole.subset(need), settings),
                           strict=True))
        rows = [j for i in need for j in range(*spans[i])]
        parts_p = dict(zip(rows, _distributions(tasks.classes, tasks.views, parts.subset(rows), settings),
                           strict=True))
        out = []
        for i, (r, c) in enumerate(zip(corpus.records, candidates, strict=True)):
            views = [whole_p[i], *(parts_p[j] for j in range(*spans[i]))] if i in whole_p else []
            out.append(judge.record_tasks(r.tasks, c, views) if views or r.tasks else list(c))
        return out

    @staticmethod
    def _save(parts: tuple, folder: Path, key: str, corpus: Corpus, embedder_id: str) -> None:
        import faiss

        rec_index, seg_vecs, spans, record_tasks, views = parts
        files, metas = _view_files(views)
        segs, _ = _segments(corpus)
        files |= {"records.faiss": faiss.serialize_index(rec_index).tobytes(), "segments.npy": _npy_bytes(seg_vecs),
                  "record_digests.npy": _npy_bytes(_digests([r.embed_text() for r in corpus.records])),
                  "segment_digests.npy": _npy_bytes(_digests(segs))}
        _save_files(folder, files, {"format": FORMAT_VERSION, "key": key, "embedder": embedder_id,
                                    "segment_spans": spans, "record_tasks": record_tasks, "views": metas})

    @staticmethod
    def _load(folder: Path, key: str, corpus: Corpus, tasks: TaskSpace) -> tuple | None:
        import faiss

        got = _load_files(folder, key)
        if got is None:
            return None
        manifest, files = got
        n = len(corpus.records)
        try:
            rec_index = faiss.deserialize_index(np.frombuffer(files["records.faiss"], dtype=np.uint8))
            seg_vecs = _npy_array(files["segments.npy"])
            spans, record_tasks = manifest["segment_spans"], manifest["record_tasks"]
            if rec_index.ntotal != n or len(spans) != n or len(record_tasks) != n:
                return None
            data = _corpus_data(corpus, tasks, None, record_tasks)
            views = _load_views(_views("corpus"), data, files, manifest["views"])
        except (KeyError, ValueError, TypeError, RuntimeError):
            return None
        return rec_index, seg_vecs, spans, record_tasks, views

    # ----------------------------------------------------------------- query
    def cosines(self, qvec: np.ndarray) -> np.ndarray:
        """The cosine between a unit query vector and every record, in corpus order."""
        return dot_rows(qvec.astype(np.float32)[None, :], self.matrix)[0]

    def record_vectors(self, i: int) -> np.ndarray:
        """Vectors of record ``i``'s summary sentences, or its own vector when it has none."""
        a, b = self.seg_spans[i]
        if b > a:
            return self.seg_vecs[a:b]
        if not self.sentences_built:
            segments = self.corpus.records[i].segments()
            if segments:
                with self._lazy_lock:
                    if i not in self._lazy:
                        self._lazy[i] = self.embedder.encode(segments)
                    return self._lazy[i]
        return self.matrix[i][None, :]
