"""Options shared by several commands, declared once."""

from __future__ import annotations

import functools
import inspect
from pathlib import Path
from typing import Annotated, Optional

import typer

__all__ = ["CorpusOpt", "DemoOptions", "JsonOpt", "with_demo_options"]

JsonOpt = Annotated[bool, typer.Option("--json", help="Print the result as JSON instead of text.")]
CorpusOpt = Annotated[Optional[Path], typer.Option("--corpus", help="Answer from this corpus (folder, catalog or seed) instead of the default.")]

# ---------------------------------------------------------------- the demo (restore, ask --photo)
OutOpt = Annotated[Optional[Path], typer.Option("--out", help="Output PNG (default: <stem>_restored.png beside the photo).")]
OutDirOpt = Annotated[Optional[Path], typer.Option("--out-dir", help="Folder for the restored image and the comparison (default: beside the photo).")]
WeightsOpt = Annotated[Optional[Path], typer.Option("--weights", help="MIMO-UNet weights (.pkl/.pth official checkpoint or .safetensors). Default: the `weights` setting, then the bundled weights.")]
DeviceOpt = Annotated[Optional[str], typer.Option("--device", help="auto, cpu or cuda (default: the `device` setting).")]
BackendOpt = Annotated[Optional[str], typer.Option("--backend", help="auto (onnxruntime on CPU when installed), onnx, torch or eager (default: the `backend` setting).")]
PrecisionOpt = Annotated[Optional[str], typer.Option("--precision", help="auto (bfloat16 on CPUs that compute it natively, else fp32; fp16 on CUDA), fp32, bf16 or fp16 (default: the `precision` setting).")]
MaxSideOpt = Annotated[Optional[int], typer.Option("--max-side", help="Downscale so the longer side is at most this (quick preview).")]
TileOpt = Annotated[Optional[int], typer.Option("--tile", help="Square tiles of this side in pixels (default: the fewest pixels under the working-memory budget).")]
OverwriteOpt = Annotated[bool, typer.Option("--overwrite", help="Replace existing outputs.")]


#: The demo's options, in the order help shows them: (name, annotation, default).
_DEMO = (("out", OutOpt, None), ("out_dir", OutDirOpt, None), ("weights", WeightsOpt, None),
         ("device", DeviceOpt, None), ("backend", BackendOpt, None), ("precision", PrecisionOpt, None),
         ("max_side", MaxSideOpt, None),
         ("tile", TileOpt, None), ("overwrite", OverwriteOpt, False))
_DEMO_PARAMS = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation)
                for name, annotation, default in _DEMO]


class DemoOptions(dict):
    """The demo's options as keyword arguments of :func:`~scientist.restore.run.run_demo` (unset ones left out)."""

    @property
    def weights(self) -> Path | None:
        return self.get("weights")

    @property
    def device(self) -> str | None:
        return self.get("device")


def with_demo_options(command):
    """Give a command every option of the demo; it receives them as one ``demo`` argument (:class:`DemoOptions`)."""
    signature = inspect.signature(command, eval_str=True)
    own = [p for p in signature.parameters.values() if p.name != "demo"]

    @functools.wraps(command)
    def wrapper(**kwargs):
        given = {name: kwargs.pop(name) for name, _, _ in _DEMO}
        return command(demo=DemoOptions({k: v for k, v in given.items() if v not in (None, False)}), **kwargs)

    wrapper.__signature__ = signature.replace(parameters=own + _DEMO_PARAMS)
    return wrapper
