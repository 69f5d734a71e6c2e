"""Options shared by several commands, declared once."""

from __future__ import annotations

import functools
import inspect
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

__all__ = ["CorpusOpt", "DemoOptions", "ImageFormat", "JsonOpt", "path_arg", "with_demo_options"]


def path_arg(value: str | Path) -> Path:
    """A path given on the command line (every path parameter's parser).  An empty one is refused: Python reads
    it as the current folder, so an unset shell variable (``scientist restore "$DIR"``) would restore, read or
    write there."""
    from ..settings import EMPTY_PATH, is_empty_path

    if is_empty_path(value):
        raise typer.BadParameter(EMPTY_PATH)
    return Path(value)


JsonOpt = Annotated[bool, typer.Option("--json", help="Print the result as JSON instead of text.")]
CorpusOpt = Annotated[Optional[Path], typer.Option("--corpus", parser=path_arg, help="Answer from this corpus (folder, catalog or seed) instead of the default.")]

# ---------------------------------------------------------------- the demo (restore, ask --photo)
class ImageFormat(str, Enum):
    png = "png"
    tiff = "tiff"
    jpg = "jpg"


OutOpt = Annotated[Optional[Path], typer.Option("--out", parser=path_arg, help="Output image, .png, .tif/.tiff or .jpg/.jpeg (default: <stem>_restored.png beside the photo). One photo only.")]
OutDirOpt = Annotated[Optional[Path], typer.Option("--out-dir", parser=path_arg, help="Folder for the restored images and the comparisons (default: beside each photo); folders are mirrored inside it.")]
#: ``ask``'s, which takes one photo.
OneOutDirOpt = Annotated[Optional[Path], typer.Option("--out-dir", parser=path_arg, help="Folder for the restored image and its comparison (default: beside the photo).")]
WeightsOpt = Annotated[Optional[Path], typer.Option("--weights", parser=path_arg, help="MIMO-UNet weights (.pkl/.pth official checkpoint or .safetensors). Default: the `weights` setting, then the bundled weights.")]
DeviceOpt = Annotated[Optional[str], typer.Option("--device", help="auto, cpu or cuda (default: the `device` setting).")]
BackendOpt = Annotated[Optional[str], typer.Option("--backend", help="auto (onnxruntime on CPU when installed), onnx, torch or eager (default: the `backend` setting).")]
PrecisionOpt = Annotated[Optional[str], typer.Option("--precision", help="auto (bfloat16 on CPUs that compute it natively, else fp32; fp16 on CUDA), fp32, bf16 or fp16 (default: the `precision` setting).")]
MaxSideOpt = Annotated[Optional[int], typer.Option("--max-side", help="Downscale so the longer side is at most this, 8 or more (quick preview).")]
TileOpt = Annotated[Optional[int], typer.Option("--tile", help="Square tiles of this side in pixels, 64 or more and a multiple of 4 (default: the fewest pixels under the working-memory budget).")]
OverwriteOpt = Annotated[bool, typer.Option("--overwrite", help="Replace existing outputs (for many photos: restore again those already restored).")]
StrengthOpt = Annotated[Optional[str], typer.Option("--strength", help="How much of the network's fine-scale change to keep: auto (chosen from the photo: all of it for a noisy photo, less for a clean one) or 0-1 (0 = brightening only) (default: the `strength` setting, auto).")]
GainOpt = Annotated[Optional[str], typer.Option("--gain", help="Brightness gain before the network, in linear light: auto (predicted from the photo; a photo that looks bright enough, or a dark scene taken as it was, keeps its level) or a number from 1 to 12 (1 keeps the photo's level) (default: auto).")]
_FORMAT_HELP = "Restored image format: png, tiff (both 16-bit when the photo is) or jpg (default: the `output_format` setting, png)."
FormatOpt = Annotated[Optional[ImageFormat], typer.Option("--format", "--image-format", help=_FORMAT_HELP)]
# `ask` has a --format of its own (md or text): there the demo's is only --image-format
ImageFormatOpt = Annotated[Optional[ImageFormat], typer.Option("--image-format", help=_FORMAT_HELP)]
QualityOpt = Annotated[Optional[int], typer.Option("--quality", help="JPEG quality of a jpg output, 1-100 (default: the `jpeg_quality` setting, 92).")]


#: The demo's options, in the order help shows them: (name, annotation, default).
_DEMO = (("out", OutOpt, None), ("out_dir", OutDirOpt, None), ("image_format", FormatOpt, None),
         ("quality", QualityOpt, None), ("strength", StrengthOpt, None), ("gain", GainOpt, None),
         ("weights", WeightsOpt, None),
         ("device", DeviceOpt, None), ("backend", BackendOpt, None), ("precision", PrecisionOpt, None),
         ("max_side", MaxSideOpt, None),
         ("tile", TileOpt, None), ("overwrite", OverwriteOpt, False))


class DemoOptions(dict):
    """The demo's options given on the command line (unset ones left out)."""

    def options(self):
        """As the validated record every restore takes (:class:`~scientist.restore.options.RestoreOptions`); a
        wrong value is an :class:`~scientist.errors.OptionError` naming the flag the user typed."""
        from ..errors import OptionError
        from ..restore.options import RestoreOptions, both_outputs

        if "out" in self and "out_dir" in self:
            raise OptionError(both_outputs("--out", "--out-dir"))
        try:
            return RestoreOptions.of(self)
        except OptionError as exc:
            if exc.option not in self:
                raise
            raise OptionError(f"invalid option --{exc.option.replace('_', '-')}: {exc.problem}") from None

    @property
    def weights(self) -> Path | None:
        return self.get("weights")

    @property
    def device(self) -> str | None:
        return self.get("device")


def with_demo_options(command=None, *, format_flag: bool = True):
    """Give a command every option of the demo; it receives them as one ``demo`` argument (:class:`DemoOptions`).

    ``format_flag=False`` for a command with a ``--format`` of its own (``ask``, which takes one photo): the
    demo's is then ``--image-format`` only, and ``--out-dir`` is described for one photo.
    """
    if command is None:
        return functools.partial(with_demo_options, format_flag=format_flag)
    signature = inspect.signature(command, eval_str=True)
    own = [p for p in signature.parameters.values() if p.name != "demo"]
    demo_params = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=(
                       _for_one_photo(annotation) if not format_flag else annotation))
                   for name, annotation, default in _DEMO]

    @functools.wraps(command)
    def wrapper(**kwargs):
        given = {name: kwargs.pop(name) for name, _, _ in _DEMO}
        given = {k: v.value if isinstance(v, Enum) else v for k, v in given.items()
                 if v is not None and v is not False}  # strength 0 is a value
        return command(demo=DemoOptions(given), **kwargs)

    wrapper.__signature__ = signature.replace(parameters=own + demo_params)
    return wrapper


def _for_one_photo(annotation):
    """``ask``'s version of a demo option: ``--image-format`` for ``--format``, ``--out-dir`` for one photo."""
    return {FormatOpt: ImageFormatOpt, OutDirOpt: OneOutDirOpt}.get(annotation, annotation)
