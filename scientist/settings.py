"""Every tunable of the project in one place, and the one place environment variables are read.

Values come, highest priority first, from arguments given in code, from
``SCIENTIST_<NAME>`` environment variables (``SCIENTIST_CACHE``,
``SCIENTIST_K``, ...), then from a settings file given with ``--config FILE``
or ``SCIENTIST_CONFIG`` (TOML or YAML, keys named like the fields), and
finally the defaults below.  ``scientist settings`` prints the values in force.
"""

from __future__ import annotations

import difflib
import math
import os
import re
import warnings
from collections.abc import Mapping
from contextvars import ContextVar
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, InitSettingsSource, PydanticBaseSettingsSource, SettingsConfigDict

from .errors import ScientistError, first_line, shown, value_problem

__all__ = ["Backend", "ConfigError", "Device", "ImageFormat", "Precision", "Settings", "Strength", "load_settings"]

ENV_PREFIX = "SCIENTIST_"
#: The values of the settings file being loaded (read by :func:`load_settings`, taken by the settings' sources).
_config_file: ContextVar[dict[str, Any] | None] = ContextVar("scientist_config_file", default=None)
#: The name of that file, for the errors its values cause.
_config_name: ContextVar[str | None] = ContextVar("scientist_config_name", default=None)

# The demo's choices, spelled once: the settings and a restore's options (``restore.options.RestoreOptions``)
# both take these types.
#: Where MIMO-UNet runs.
Device = Literal["auto", "cpu", "cuda"]
#: What runs it on a CPU.
Backend = Literal["auto", "onnx", "torch", "eager"]
#: Its number format.
Precision = Literal["auto", "fp32", "bf16", "fp16"]
#: Format of the restored image.
ImageFormat = Literal["png", "tiff", "jpg"]


def _auto_or_number(value, lo: float, hi: float, expected: str) -> float | str:
    """``"auto"`` or a number in [lo, hi] (which may come as text, from a command line or a variable); raises
    ``ValueError`` saying ``expected`` otherwise."""
    if isinstance(value, str) and value.strip().lower() == "auto":
        return "auto"
    try:
        # Python's float() takes "1_0" for 10 and True for 1: neither is a number anyone means
        number = math.nan if isinstance(value, bool) or isinstance(value, str) and "_" in value else float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not lo <= number <= hi:
        raise ValueError(f"must be auto or {expected}")
    return number + 0.0  # -0.0 is 0


def parse_strength(value) -> float | str:
    """``"auto"`` or a number in [0, 1]; raises ``ValueError`` otherwise."""
    return _auto_or_number(value, 0.0, 1.0, "a number between 0 and 1")


#: How much of the network's fine-scale change the restored image keeps: auto (chosen from the photo,
#: :mod:`.restore.amount`) or a share, 0-1 (0 = the brightened photo alone).
Strength = Annotated[Literal["auto"] | float, BeforeValidator(parse_strength)]
#: The brightness step's gain range (linear light; 1 = the photo's own level): a given gain's, and the fitted
#: model's unless its constants say otherwise.
GAIN_RANGE = (1.0, 12.0)
#: A photo's noise and exposure are read only when it has at least this many pixels on each side (the noise figure's
#: one-level wavelet needs them): a smaller one is left at its own level and comes back as it is.
MEASURABLE_SIDE = 8


def parse_gain(value) -> float | str:
    """``"auto"`` or a number in :data:`GAIN_RANGE`; raises ``ValueError`` otherwise."""
    return _auto_or_number(value, *GAIN_RANGE, f"a number from {GAIN_RANGE[0]:g} to {GAIN_RANGE[1]:g}")


#: The brightness step's gain: auto (predicted from the photo, :mod:`.restore.exposure`) or a given one.
Gain = Annotated[Literal["auto"] | Annotated[float, Field(ge=GAIN_RANGE[0], le=GAIN_RANGE[1])],
                 BeforeValidator(parse_gain)]  # the range in the schema too, for a model that reads it
#: What a gain means, for every place that takes one (the restore options, the web form, the chatbot tools).
GAIN_HELP = (f"Brightening before the network, in linear light: auto (the default) predicts it from the photo, a "
             f"guess that cannot tell a scene meant to be dark from a darkened one; a number from {GAIN_RANGE[0]:g} to "
             f"{GAIN_RANGE[1]:g} is used as given, and 1 keeps the photo's own level.")


#: An empty path, which Python reads as the current folder: refused wherever a path is given (a setting's empty
#: value is no setting instead).
EMPTY_PATH = "an empty path (an unset shell variable?)"


def is_empty_path(value: Any) -> bool:
    """Whether ``value`` is a path given as nothing but white space."""
    return isinstance(value, str) and not value.strip()


def _unset_if_empty(value: Any) -> Any:
    """An empty path setting is no setting (as for the XDG variables): ``SCIENTIST_CACHE=`` would otherwise be
    the current folder."""
    return None if is_empty_path(value) else value


def _not_empty(value: Any) -> Any:
    if is_empty_path(value):
        raise ValueError(f"must not be {EMPTY_PATH}")
    return value


def _home_expanded(value: Path | None) -> Path | None:
    """``~`` and ``~user`` at a path's start read as the home folder, as a shell would have read them: a settings
    file or a quoted variable is never expanded by a shell, and ``~/cache`` would be a folder named ``~`` in the
    working folder (left as it is where no home folder is known)."""
    if value is None or not str(value).startswith("~"):
        return value
    try:
        return value.expanduser()
    except RuntimeError:
        return value


#: A path setting whose empty value means its default.
OptionalPath = Annotated[Path | None, BeforeValidator(_unset_if_empty), AfterValidator(_home_expanded)]
#: A path that must be given when it is (a folder in a list of them, a restore's output): never the current folder.
GivenPath = Annotated[Path, BeforeValidator(_not_empty), AfterValidator(_home_expanded)]
OptionalGivenPath = Annotated[Path | None, BeforeValidator(_not_empty), AfterValidator(_home_expanded)]
#: A cosine of two normalised embeddings.
Cosine = Annotated[float, Field(ge=-1, le=1)]


class ConfigError(ScientistError, ValueError):
    """A settings file or a ``SCIENTIST_*`` variable is missing or invalid, or a value given in code
    (:meth:`Settings.updated`) is; a ``ValueError`` too, as :class:`~.errors.OptionError` is."""


class Settings(BaseSettings):
    """The project's settings.  Construct with :func:`load_settings` to read a settings file."""

    # no setting is infinite or NaN: every number here is a weight, a cosine, a size or a time
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid", validate_default=True,
                                      allow_inf_nan=False)

    # ------------------------------------------------------------ where things live
    home: OptionalPath = Field(
        default=None,
        description="Folder of per-user data (records added with `scientist corpus add`). "
                    "Default: the platform's user data folder.")
    cache: OptionalPath = Field(
        default=None,
        description="Cache folder: embedding index, ONNX exports, compiled templates, remembered speeds. "
                    "Default: the platform's user cache folder.")
    weights: OptionalPath = Field(
        default=None,
        description="MIMO-UNet weights to use instead of the bundled ones (.pkl/.pth checkpoint or .safetensors).")

    # ------------------------------------------------------------ answering
    k: int = Field(default=5, ge=1, le=50, description="Records retrieved for each question.")
    relevance_cutoff: Cosine = Field(
        default=0.20, description="Cosine a record of another task must reach to support an answer (one that "
                                  "addresses the question's task supports it from reference_floor up).")
    strong_match: Cosine = Field(
        default=0.45, description="Cosine at which a record supports an answer whatever its task.")
    reference_floor: Cosine = Field(
        default=0.12, description="Records below this cosine are not shown as references at all.")
    task_confidence: float = Field(
        default=0.35, ge=0, le=1,
        description="Probability the top task must reach for the classification to count as clear.")
    embedding_weight: float = Field(
        default=1.0, ge=0,
        description="Weight of the logistic regression over the question's embedding in classifying a task.")
    two_tasks_below: float = Field(
        default=0.6, ge=0, le=1,
        description="An answer covers the runner-up task too when the top task's probability is below this...")
    two_tasks_ratio: float = Field(
        default=3.0, ge=1,
        description="... or less than this many times the runner-up's.")
    two_tasks_floor: float = Field(
        default=0.15, ge=0, le=1,
        description="Least probability of the runner-up for an answer to cover it as a second task.")
    knn_weight: float = Field(
        default=1.0, ge=0,
        description="Weight of the nearest example questions beside the logistic regression in classifying a task.")
    lexical_weight: float = Field(
        default=1.0, ge=0,
        description="Weight of the regression over the question's letter n-grams beside the embedding views "
                    "in classifying a task.")
    task_temperature: float = Field(
        default=1.7, gt=0,
        description="Temperature applied to the task distribution so that its confidence is calibrated "
                    "(below 1 sharpens, above 1 softens).")
    name_boost: float = Field(
        default=4.0, ge=0,
        description="Log-probability added to the task of a record the question names (its title, one of its names, "
                    "or part of its title: naming.py).")
    cue_boost: float = Field(
        default=3.0, ge=0,
        description="Log-probability added to a task the question names outright by one of its cues.")
    term_weight: float = Field(
        default=1.0, ge=0,
        description="Log-probability added to a task per unit of BM25 score by which its best-matching "
                    "record stands out from the corpus's median record (rare words shared with a record).")
    ask_weight: float = Field(
        default=0.3, ge=0,
        description="Weight of the classifier read again on the final ask alone, for a question that tells of "
                    "two operations (the ask says which one is meant).")
    signature_weight: float = Field(
        default=3.0, ge=0,
        description="Weight of the question's signature (what was given, what was done, what came back, read "
                    "from the phrasings in corpus/tasks.yaml) in classifying a task.")
    rule_cap: float = Field(
        default=4.0, gt=0,
        description="Most log-probability the rules (cues, named records, the corpus context, the signature) may "
                    "add to or take from a task together, before the temperature: rules alone cannot make a task "
                    "near-certain.")
    context_boost: float = Field(
        default=2.0, ge=0,
        description="Log-probability added to the tasks of the families a corpus is usually asked about "
                    "(its context.yaml: photos for the packaged corpus).")
    task_prior: float = Field(
        default=0.5, ge=0,
        description="Weight of the question's task in ranking records: cosine + task_prior x the "
                    "probability of the record's own task.")
    evidence_max: int = Field(
        default=4, ge=1, le=8, description="Most sentences quoted from the records in an answer's short answer.")
    max_question_chars: int = Field(
        default=2000, ge=10, description="Longest question (characters) that is embedded; the rest is ignored.")
    spelling: bool = Field(
        default=True,
        description="Read a misspelt word of a question as the word of the taxonomy's and records' vocabulary "
                    "one edit away from it (the answer says which words were read so).")
    partial_names: bool = Field(
        default=True,
        description="Read a record named by part of its title ('the histopathology paper', its short title) as "
                    "naming it: the question is read with the title beside those words (the answer says so).")
    only_model: bool = Field(
        default=True,
        description="In a question that names no record and asks for a figure or fact of a model (its size, "
                    "training data, speed ...; corpus/figures.yaml), read 'the model', 'this network', 'the AI' "
                    "or 'it' as the corpus's only model, when it has exactly one (the answer says so).")
    only_model_unless: float = Field(
        default=0.9, ge=0.0, le=1.0,
        description="The only_model reading is not made when the question, read without it, is about a task the "
                    "model does not address with this confidence or more (self-driving cars that box pedestrians "
                    "in real time: 'how is it so fast?' is about object detection, not the corpus's model).")
    embed_backend: Literal["auto", "onnx", "torch"] = Field(
        default="auto",
        description="What computes question embeddings: the ONNX export (auto, once exported) or "
                    "sentence-transformers (torch).")

    # ------------------------------------------------------------ the demo
    device: Device = Field(
        default="auto", description="Where MIMO-UNet runs: auto (CUDA when available), cpu or cuda.")
    backend: Backend = Field(
        default="auto",
        description="What runs MIMO-UNet on CPU: auto (onnxruntime when installed, PyTorch for bfloat16), onnx, "
                    "torch (channels-last) or eager (the plain fp32 reference unless a precision is named).")
    precision: Precision = Field(
        default="auto",
        description="Number format of the network: auto (bfloat16 on CPUs with native bfloat16, else fp32; fp16 "
                    "on CUDA), fp32, bf16, or fp16 (CUDA only).")
    work_memory_mb: int = Field(
        default=768, ge=64,
        description="Working memory the network may use for one tile (MiB); the tile size follows from it.")
    tile_overlap: int = Field(
        default=32, ge=0, le=256,
        description="Overlap between neighbouring tiles (pixels), blended with linear ramps.")
    strength: Strength = Field(
        default="auto",
        description="How much of the network's fine-scale change to keep, 0-1 (0 = brightening only), or auto: "
                    "chosen from the photo (its noise, what the network would take away, its detail and its gain), "
                    "so a noisy photo gets all of it and a clean one less. The photo's coarse tones are kept either "
                    "way.")
    output_format: ImageFormat = Field(
        default="png",
        description="Format of the restored image: png or tiff (16 bits per channel when the photo has 16), "
                    "or jpg (8 bits). The comparison is always PNG.")
    jpeg_quality: int = Field(
        default=92, ge=1, le=100, description="JPEG quality of a restored image written as jpg (1-100).")

    # ------------------------------------------------------------ many photos (`scientist restore FOLDER`)
    batch_threads: int = Field(
        default=0, ge=0, le=64,
        description="Photos a process works on at once, so that reading, brightening and writing overlap the "
                    "network. On a CPU their networks run side by side, each with its share of the cores and of "
                    "the working memory; beside a GPU they take turns on it. 0: one per core on a CPU (at most 4), "
                    "the CPU count (at most 8) beside a GPU.")
    batch_memory_mb: int = Field(
        default=0, ge=0,
        description="Memory the photos a process works on at once may take together, estimated from their pixels "
                    "(MiB): fewer are worked on at once when the largest would not fit (a 12 MP photo on a CPU "
                    "runs alone). 0: 2048 on a CPU, 8192 beside a GPU.")
    subfolder_scan_limit: int = Field(
        default=20_000, ge=0,
        description="Most entries (files and folders) of the folders' subfolders `scientist restore FOLDER` looks "
                    "through after a run without --recursive, to say how many photos there it passed over "
                    "(a large tree is not walked in full: past the limit it says \"at least\"). 0: never look.")
    cluster_cpus_per_worker: float = Field(
        default=1.0, gt=0,
        description="CPUs each Ray worker of `scientist restore --cluster` asks for (its PyTorch threads) on a "
                    "cluster without GPUs; one worker per this many CPUs.")
    cluster_gpus_per_worker: float = Field(
        default=1.0, gt=0, le=1,
        description="GPUs each Ray worker asks for on a cluster with GPUs (0.5: two workers share a GPU).")
    cluster_cpus_per_gpu_worker: float = Field(
        default=4.0, gt=0,
        description="CPUs each GPU worker asks for: its threads read, brighten and write photos while the GPU "
                    "runs the network.")
    cluster_workers: int = Field(
        default=0, ge=0,
        description="Most Ray workers to start (0: as many as the cluster's CPUs or GPUs allow).")
    cluster_stop_seconds: float = Field(
        default=30.0, ge=0,
        description="After Ctrl-C, how long the cluster's workers may take to finish the tile they are on "
                    "before they are stopped (seconds).")

    # ------------------------------------------------------------ the web app (`scientist serve`)
    serve_host: str = Field(
        default="127.0.0.1",
        description="Address `scientist serve` listens on: this machine only, unless another address is "
                    "asked for (then with a warning).")
    serve_port: int = Field(default=8000, ge=1, le=65535, description="Port `scientist serve` listens on.")
    upload_limit_mb: float = Field(
        default=50, gt=0,
        description="Largest request the web app accepts, a photo upload included (MiB); larger ones get HTTP 413.")
    job_retention_hours: float = Field(
        default=24, gt=0,
        description="How long the web app keeps a finished restore (photo and results) before deleting it (hours).")
    max_waiting_jobs: int = Field(
        default=20, ge=1,
        description="Photos that may wait for the web app's one-at-a-time restore, and uploads that may wait for "
                    "memory to be checked in; more are refused (HTTP 429).")
    serve_memory_mb: int = Field(
        default=3072, ge=256,
        description="Memory the web app gives photos at once (MiB): uploads being checked and the restore in "
                    "progress share it, each taking what its size needs; a photo that needs more on its own is "
                    "refused (use `scientist restore` for it), others wait their turn.")
    serve_stop_seconds: float = Field(
        default=30.0, ge=0,
        description="When `scientist serve` stops (Ctrl-C), how long it waits for the requests it is answering "
                    "and for the photo it is restoring to stop at its next tile (seconds); photos still waiting "
                    "are deleted.")
    serve_request_timeout: float = Field(
        default=10.0, gt=0,
        description="Seconds a client may take to send a request's headers, and may leave its body without new "
                    "bytes, before the web app closes the connection (HTTP 408); past them a body must also keep "
                    "up 8 KiB a second on average.")
    serve_allowed_hosts: list[str] = Field(
        default_factory=list,
        description="Host names the web app answers to besides the address it listens on (and, on loopback, "
                    "localhost): a name of this machine on the network, or a proxy's. Requests naming another "
                    "host are refused (HTTP 421), which keeps web pages of other sites out.")
    page_leave_grace_seconds: float = Field(
        default=30.0, gt=0,
        description="When the page that sent a photo is closed (it tells the web app as it goes; a reload does "
                    "too), how long its photo keeps its place in the queue, or goes on being restored, for the "
                    "page to come back and ask for it again, as a reload does within seconds; then it is "
                    "cancelled (seconds).")
    page_poll_timeout_seconds: float = Field(
        default=600.0, ge=120,
        description="How long a photo sent from the page may wait or be restored without its page asking how it "
                    "stands before it is cancelled (a browser that crashed, a tab that went without a word): "
                    "seconds, at least 120, as a browser asks from a hidden tab only once a minute. Photos sent "
                    "to the API by other clients are never cancelled for not asking.")
    # ------------------------------------------------------------ chat apps (`scientist mcp`)
    mcp_allow: list[GivenPath] = Field(
        default_factory=list,
        description="Folders whose photos the MCP server's restore_photo may read (`--allow DIR` adds one). "
                    "Empty: the folder the server was started in.")
    mcp_out_dir: OptionalPath = Field(
        default=None,
        description="Folder where the MCP server's restore_photo writes the restored photo and the comparison "
                    "(never over an existing file). Default: `restored` in the per-user data folder.")
    mcp_max_side: int = Field(
        default=512, ge=8,
        description="Longest side (pixels) restore_photo scales a photo down to unless asked otherwise: "
                    "a quick preview. 512 takes 1.3-1.6 s on 2 CPU cores with bfloat16 (3.2 s for a first call), "
                    "8-12 s where the CPU runs fp32 (29 s on the very first run, which exports the network to ONNX).")
    mcp_max_side_limit: int = Field(
        default=1024, ge=8,
        description="Largest max_side restore_photo accepts, so that a call ends before a chat app gives up "
                    "on it (about a minute). For full-size photos use `scientist restore`.")
    mcp_preview_kb: int = Field(
        default=512, ge=16, le=700,
        description="Largest size (KiB) of the before/after preview image restore_photo returns; base64 in "
                    "the message adds a third, which keeps it under 1 MB.")

    def __init__(self, **values: Any) -> None:
        """Settings from ``values``, the environment and the settings file being loaded; a bad value, wherever
        it came from, is a :class:`ConfigError` of one sentence naming it."""
        try:
            super().__init__(**values)
        except ValidationError as exc:
            raise _config_error(exc, _config_name.get(), values) from None

    @model_validator(mode="after")
    def _preview_within_limit(self) -> Settings:
        if self.mcp_max_side > self.mcp_max_side_limit:
            raise ValueError(f"mcp_max_side ({self.mcp_max_side}) is above mcp_max_side_limit "
                             f"({self.mcp_max_side_limit})")
        return self

    def updated(self, **changes: Any) -> Settings:
        """A copy with ``changes``, validated like every other value (``model_copy(update=...)`` is not: it would
        take ``device="gpu"`` or ``k=0``).  Raises :class:`ConfigError`."""
        unknown = [k for k in changes if k not in type(self).model_fields]
        if unknown:
            raise ConfigError(f"unknown setting {unknown[0]}")
        values = {name: getattr(self, name) for name in type(self).model_fields} | changes
        return type(self)(**values)  # a bad value is a ConfigError (__init__)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        values = _config_file.get()
        if values is not None:
            sources.append(InitSettingsSource(settings_cls, init_kwargs=values))
        return tuple(sources)

    # ------------------------------------------------------------ derived paths
    @property
    def user_dir(self) -> Path:
        """Per-user data folder."""
        if self.home is not None:
            return self.home
        import platformdirs

        return Path(platformdirs.user_data_dir("scientist", appauthor=False))

    @property
    def cache_dir(self) -> Path:
        """Per-user cache folder."""
        if self.cache is not None:
            return self.cache
        import platformdirs

        return Path(platformdirs.user_cache_dir("scientist", appauthor=False))


def _warn_unknown_variables() -> None:
    """A warning for each ``SCIENTIST_*`` environment variable that names no setting (``SCIENTIST_KK=3`` was
    ignored without a word, where the same mistake in a settings file is an error), with the nearest name."""
    known = {ENV_PREFIX + name.upper() for name in Settings.model_fields} | {ENV_PREFIX + "CONFIG"}
    for variable in sorted(k for k in os.environ if k.upper().startswith(ENV_PREFIX) and k.upper() not in known):
        near = difflib.get_close_matches(variable.upper(), sorted(known), n=1)
        hint = f"; did you mean {near[0]}?" if near else ""
        warnings.warn(f"{variable}: no setting of that name, so it is ignored (`scientist settings` lists them)"
                      f"{hint}", stacklevel=3)


def load_settings(config: str | Path | None = None, **overrides) -> Settings:
    """Settings from ``overrides``, the environment and a settings file, in that order.

    ``config`` (else ``$SCIENTIST_CONFIG``) names a TOML or YAML file.  Raises
    :class:`ConfigError` with one sentence when the file or a value is bad: the variable
    (``SCIENTIST_K``) or the file that gave a bad value is named, with what the value must be,
    and a file that cannot be parsed with the line and column where its parser stopped.
    """
    _warn_unknown_variables()
    if config is None and os.environ.get(ENV_PREFIX + "CONFIG"):
        config = os.environ[ENV_PREFIX + "CONFIG"]
    if config is not None and not isinstance(config, str | os.PathLike):
        raise ConfigError(f"the settings file must be a path, not {type(config).__name__}")
    if isinstance(config, str) and not config.strip():
        raise ConfigError("the settings file is an empty path")
    path = Path(config) if config is not None else None
    values = _read_settings_file(path) if path is not None else None
    given = {k: v for k, v in overrides.items() if v is not None}
    token, name = _config_file.set(values), _config_name.set(path.name if path is not None else None)
    try:
        return Settings(**given)
    except ConfigError:
        raise
    except (OSError, ValueError) as exc:  # a variable that is not a JSON list
        field = re.search(r'field "(\w+)" from source "EnvSettingsSource"', str(exc))
        if field:
            raise ConfigError(f"{ENV_PREFIX}{field[1].upper()}: cannot be read; a list is given as JSON, "
                              "e.g. '[\"a\", \"b\"]'") from None
        raise ConfigError(f"the settings cannot be read ({exc.__class__.__name__})") from None
    finally:
        _config_file.reset(token)
        _config_name.reset(name)


def _read_settings_file(path: Path) -> dict[str, Any]:
    """The names and values of a TOML or YAML settings file; :class:`ConfigError` with one sentence when it
    cannot be read or parsed (with the line and column where the parser stopped)."""
    from .fileio import read_input

    if not path.is_file():
        raise ConfigError(f"{shown(path)}: no such settings file")
    toml = path.suffix.lower() == ".toml"
    if not toml and path.suffix.lower() not in (".yaml", ".yml"):
        raise ConfigError(f"{shown(path.name)}: a settings file must be .toml, .yaml or .yml")
    name = shown(path.name)
    try:
        text = read_input(path, ConfigError).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError(f"{name}: not UTF-8 text") from None
    if toml:
        try:
            import tomllib
        except ImportError:  # Python 3.10: the library tomllib came from, when installed
            try:
                import tomli as tomllib
            except ImportError:
                raise ConfigError(f"{name}: reading TOML needs Python 3.11 or the tomli package; a YAML settings "
                                  "file is read anywhere") from None
        try:
            values = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            # its message ends with where it stopped: "Invalid value (at line 1, column 5)"
            said = re.fullmatch(r"(.*?)\s*\(at (line \d+, column \d+|end of document)\)", first_line(exc))
            what, where = (said[1], said[2]) if said else (first_line(exc), None)
            raise ConfigError(f"{name}: invalid TOML{f' at {where}' if where else ''} "
                              f"({what[:1].lower()}{what[1:]})") from None
    else:
        from . import yamlio

        try:
            values = yamlio.safe_load(text)
        except yamlio.YAMLError as exc:
            raise ConfigError(f"{name}: {yamlio.problem(exc)}") from None
        values = {} if values is None else values
    if not isinstance(values, dict):
        raise ConfigError(f"{name}: a settings file holds names with their values (such as k = 7 in TOML or "
                          f"k: 7 in YAML), not {'a list' if isinstance(values, list) else 'a single value'}")
    return values


def _config_error(exc: ValidationError, file: str | None, given: Mapping[str, Any]) -> ConfigError:
    """A settings value that does not validate, in one sentence naming where it came from: the
    ``SCIENTIST_*`` variable (with its value), the settings file, or the code (``given``)."""
    err = exc.errors()[0]
    if not err["loc"]:  # a rule across settings
        return ConfigError(f"invalid settings: {value_problem(err)}")
    name = ".".join(str(p) for p in err["loc"])
    problem = value_problem(err, Settings)
    if err["type"] == "extra_forbidden":
        close = difflib.get_close_matches(str(err["loc"][0]), list(Settings.model_fields), n=1)
        problem = "there is no such setting" + (f" (did you mean {close[0]}?)" if close else
                                                " (`scientist settings` lists them)")
    variable = f"{ENV_PREFIX}{str(err['loc'][0]).upper()}"
    value = next((v for k, v in os.environ.items() if k.upper() == variable), None)
    if err["loc"][0] not in given and value is not None:  # the environment overrides the file
        return ConfigError(f"{variable} {problem}, not {shown(repr(value), 60)}")
    where = f" (from {file})" if file else ""
    return ConfigError(f"invalid setting {name}{where}: {problem}")
