"""What a restore may be asked to do: one validated record instead of keyword arguments passed down the layers.

Every front end (the command line for one photo and for many, the web app, the MCP
server, the LangChain tool, :meth:`Scientist.ask` with a photo) builds a
:class:`RestoreOptions` and hands it to the one entry point, :func:`.run.restore_photo`
(many photos: :func:`.batch.restore_many`).  An option the restore does not have is an
error, and so is a value out of range: ``strenght=0.5`` is refused, with the name it was
probably meant to be.  Unset options (``None``) fall back to the settings.

Light on purpose (pydantic only): an answer without a photo validates its options too.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..errors import OptionError, value_problem
from ..settings import (
    EMPTY_PATH,
    GAIN_HELP,
    Backend,
    Device,
    Gain,
    ImageFormat,
    OptionalGivenPath,
    Precision,
    Settings,
    Strength,
    is_empty_path,
)

__all__ = ["FORMAT_NAMES", "RestoreOptions", "as_path", "as_paths"]

#: Names a restored image's format may be given by (the file endings they are) -> the format.
FORMAT_NAMES = {"png": "png", "tiff": "tiff", "tif": "tiff", "jpg": "jpg", "jpeg": "jpg"}


class RestoreOptions(BaseModel):
    """How to restore a photo; ``None`` means "as the settings say"."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    out: OptionalGivenPath = Field(
        default=None, description="The restored image's path (one photo only); its ending names the format.")
    out_dir: OptionalGivenPath = Field(
        default=None, description="Folder for the restored image and the comparison (default: beside the photo; "
                                  "many photos: the folders are mirrored inside it).")
    weights: OptionalGivenPath = Field(default=None, description="MIMO-UNet weights (default: the `weights` setting, "
                                                           "then the bundled weights).")
    device: Device | None = Field(default=None, description="auto, cpu or cuda.")
    backend: Backend | None = Field(default=None, description="auto, onnx, torch or eager (CPU).")
    precision: Precision | None = Field(default=None, description="auto, fp32, bf16 or fp16 (CUDA).")
    max_side: int | None = Field(default=None, ge=8, description="Scale the photo down so its longer side is at "
                                                                 "most this (pixels) first.")
    tile: int | None = Field(default=None, ge=64, multiple_of=4,  # MIMOUNet.size_multiple (no torch here)
                             description="Square tiles of this side (pixels), a multiple of 4.")
    overwrite: bool = Field(default=False, description="Replace existing outputs (many photos: restore again).")
    strength: Strength | None = Field(default=None, description="Share of the network's fine-scale change kept "
                                                                "in the restored image, 0-1, or auto (chosen from "
                                                                "the photo).")
    gain: Gain | None = Field(default=None, description=GAIN_HELP)
    image_format: ImageFormat | None = Field(default=None, description="png, tiff or jpg (jpeg and tif are "
                                                                       "read as the endings they are).")
    quality: int | None = Field(default=None, ge=1, le=100, description="JPEG quality, 1-100.")

    def __init__(self, **values: Any) -> None:
        """Validated as :meth:`of` does it: an unknown option or a bad value is an :class:`OptionError` (a
        ``ValueError``) of one sentence, the unknown name with the one it was probably meant to be."""
        unknown = [k for k in values if k not in type(self).model_fields]
        if unknown:
            raise OptionError(_unknown(unknown[0]))
        if values.get("out") is not None and values.get("out_dir") is not None:  # out would win, unsaid
            raise OptionError(both_outputs())
        try:
            super().__init__(**values)
        except ValidationError as exc:
            raise OptionError(*_invalid(exc)) from None

    @field_validator("max_side", "tile", "quality", mode="before")
    @classmethod
    def _no_bool(cls, value: Any) -> Any:
        if isinstance(value, bool):  # True would pass as 1 (a JPEG of quality 1), unsaid
            raise ValueError("expected a whole number, not true or false")
        return value

    @field_validator("image_format", mode="before")
    @classmethod
    def _format_name(cls, value: Any) -> Any:
        if isinstance(value, str):
            return FORMAT_NAMES.get(value.lower().lstrip("."), value)
        return getattr(value, "value", value)  # an Enum of the command line

    @classmethod
    def of(cls, options: RestoreOptions | Mapping[str, Any] | None = None, **more: Any) -> RestoreOptions:
        """``options`` (a record or a mapping) with ``more`` on top, validated; raises :class:`OptionError`."""
        if isinstance(options, RestoreOptions):
            return options.but(**more) if more else options
        if options is not None and not isinstance(options, Mapping):
            raise OptionError(f"options must be RestoreOptions or a mapping of option names to values, not "
                              f"{type(options).__name__}")
        return cls(**{**(options or {}), **more})

    def but(self, **changes: Any) -> RestoreOptions:
        """A copy with ``changes``, validated."""
        return type(self).of({**self.model_dump(exclude_unset=True), **changes})

    def given(self) -> dict[str, Any]:
        """The options that were set, as keyword arguments."""
        return self.model_dump(exclude_unset=True)

    # ------------------------------------------------------------ values in force
    def strength_in(self, settings: Settings) -> float | str:
        return settings.strength if self.strength is None else self.strength

    def gain_in(self) -> float | str:
        return "auto" if self.gain is None else self.gain

    def quality_in(self, settings: Settings) -> int:
        return settings.jpeg_quality if self.quality is None else self.quality


def both_outputs(out: str = "out", out_dir: str = "out_dir") -> str:
    """Why ``out`` and ``out_dir`` are refused together, naming them as the caller calls them (a command line's
    ``--out`` and ``--out-dir``)."""
    return (f"{out} and {out_dir} cannot both be given: {out} is the restored image's path, {out_dir} the folder "
            "for the restored image and its comparison")


def _unknown(name: str) -> str:
    return f"a restore has no option {name!r} ({unknown_option(name)})"


def unknown_option(name: str) -> str:
    """What a restore option ``name`` that does not exist was probably meant to be ("did you mean 'image_format'?"),
    or the options there are."""
    close = difflib.get_close_matches(name, list(RestoreOptions.model_fields), n=1)
    return f"did you mean {close[0]!r}?" if close else f"the options are {', '.join(RestoreOptions.model_fields)}"


def _invalid(exc: ValidationError) -> tuple[str, str, str]:
    """The message of an :class:`OptionError` for ``exc``, the option and the problem."""
    err = exc.errors()[0]
    name = ".".join(str(p) for p in err["loc"]) or "options"
    problem = value_problem(err, RestoreOptions)
    return f"invalid restore option {name}: {problem}", name, problem


def as_path(value: Any, what: str = "the photo") -> Path:
    """``value`` as a path, when it is one (a ``str`` or an ``os.PathLike`` such as a read
    :class:`~.stages.Photo`); raises :class:`OptionError` naming ``what`` otherwise."""
    if isinstance(value, str | os.PathLike):
        path = os.fspath(value)
        if isinstance(path, str):
            if is_empty_path(path):  # Path("") is the current folder: a batch would restore all of it
                raise OptionError(f"{what} is {EMPTY_PATH}")
            if "\x00" in path:
                raise OptionError(f"{what} holds a NUL character, which no file name can")
            return Path(path)
    raise OptionError(f"{what} must be a path (a str or os.PathLike), not {_kind(value)}")


def as_paths(value: Any, what: str = "the photos to restore", each: str = "each photo or folder to restore"
             ) -> list[Path]:
    """The photos and folders a batch is given (or other paths: ``what``, one of them ``each``): one path, or an
    iterable of paths (a single path is never taken for the characters of its name); raises :class:`OptionError`
    for anything else."""
    if isinstance(value, str | os.PathLike):
        return [as_path(value, what)]
    if isinstance(value, bytes | bytearray) or not isinstance(value, Iterable):
        raise OptionError(f"{what} must be a path or a list of paths, not {_kind(value)}")
    return [as_path(v, each) for v in value]


def _kind(value: Any) -> str:
    return "None" if value is None else type(value).__name__
