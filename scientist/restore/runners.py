"""Back ends that run MIMO-UNet on one padded tile.

The reference is the eager PyTorch module in float32.  Faster ways to run the
very same graph (the model's stages, :meth:`MIMOUNet.run_stages`):

- ``torch``: PyTorch in channels-last memory layout, in float32 or, with
  ``precision="bf16"``, with bfloat16 weights and activations (CPUs with native
  bfloat16, see :mod:`.precision`); on CUDA, float16/bfloat16 autocast;
- ``onnx``: the float32 graph exported once to ONNX and run by onnxruntime.  The
  export is cached, keyed by a hash of the weights, in the cache folder; a cached
  export that does not load is exported again, once, before PyTorch is fallen back on.

``auto`` picks ``onnx`` on CPU in float32 when onnxruntime is installed, else ``torch``.
"""

from __future__ import annotations

import copy
import hashlib
import tempfile
import threading
import warnings
import weakref
from pathlib import Path

import numpy as np
import torch

from ..errors import ScientistError
from ..fileio import atomic_path, os_reason
from .mimo_unet import MIMOUNet

__all__ = ["BACKENDS", "OnnxRunner", "Runner", "make_runner", "weights_digest"]

BACKENDS = ("auto", "onnx", "torch", "eager")
_SESSIONS: dict[str, object] = {}
#: Exports that could not be made or loaded in this process, and why (their runners are PyTorch's).
_FAILED: dict[str, Exception] = {}
_LOCK = threading.Lock()
_DIGESTS: weakref.WeakKeyDictionary[MIMOUNet, str] = weakref.WeakKeyDictionary()


def weights_digest(model: MIMOUNet) -> str:
    """A hash of the model's weights (names the ONNX export); worked out once per model object, since loaded
    models are shared and never changed in place (a batch of photos asks for it once per photo)."""
    with _LOCK:
        digest = _DIGESTS.get(model)
    if digest is None:
        h = hashlib.sha256()
        for k, v in model.state_dict().items():
            h.update(k.encode())
            h.update(v.detach().cpu().contiguous().numpy().tobytes())
        digest = h.hexdigest()[:20]
        with _LOCK:
            _DIGESTS[model] = digest
    return digest


class Runner:
    """Runs the network on one padded NCHW float32 tile in PyTorch; returns the full-scale output."""

    name = "torch-eager"

    def __init__(self, model: MIMOUNet, device: torch.device, stages: tuple[str, ...] = MIMOUNet.STAGES,
                 channels_last: bool = False, precision: str = "fp32") -> None:
        on_device = next(model.parameters()).device == torch.device(device)
        bf16_weights = precision == "bf16" and device.type == "cpu"
        if not on_device or channels_last or bf16_weights:
            # the loaded model is shared (cached per weights file): move, convert or re-lay-out a copy
            model = copy.deepcopy(model)
        self.model = model.to(device)
        self.stages = stages
        self.device = device
        self.channels_last = channels_last
        self.precision = precision
        # CPU bfloat16: the weights themselves (measured faster than autocast); CUDA: autocast
        self.dtype = torch.bfloat16 if bf16_weights else torch.float32
        lowp = {"fp16": torch.float16, "bf16": torch.bfloat16}
        self.autocast = lowp.get(precision) if device.type == "cuda" else None
        if bf16_weights:
            self.model = self.model.to(torch.bfloat16)
        if channels_last:
            self.model = self.model.to(memory_format=torch.channels_last)
        layout = "-channels-last" if channels_last else ""
        self.name = f"torch-{precision}{layout}" if precision != "fp32" else (
            "torch-channels-last" if channels_last else "torch-eager")

    def __call__(self, x: np.ndarray) -> np.ndarray:
        full = torch.from_numpy(x).to(self.device, torch.float32)
        t = full.to(self.dtype)
        if self.channels_last:
            t = t.contiguous(memory_format=torch.channels_last)
        low = self.dtype != torch.float32 or self.autocast is not None
        with torch.inference_mode(), torch.autocast(self.device.type, dtype=self.autocast or torch.float32,
                                                    enabled=self.autocast is not None):
            # in a low precision the residual is added to the float32 input: the output keeps its precision
            out = self.model.run_stages(t, self.stages, x_full=full if low else None)[-1]
        return out.float().cpu().contiguous().numpy()


#: PyTorch runners of each loaded model, by device, stages, layout and precision: a runner converts a copy
#: of the weights (0.4-1.1 s on 2 cores), which a batch of photos would otherwise repeat for every photo.
_RUNNERS: weakref.WeakKeyDictionary[MIMOUNet, dict[tuple, Runner]] = weakref.WeakKeyDictionary()


def _torch_runner(model: MIMOUNet, device: torch.device, stages: tuple[str, ...], channels_last: bool,
                  precision: str) -> Runner:
    key = (str(device), tuple(stages), channels_last, precision)
    with _LOCK:
        runner = _RUNNERS.get(model, {}).get(key)
        if runner is None:
            runner = Runner(model, device, stages, channels_last, precision)
            if runner.model is not model:  # a runner on the model itself costs nothing and would keep it alive
                _RUNNERS.setdefault(model, {})[key] = runner
    return runner


class OnnxRunner:
    """Runs the exported float32 graph in onnxruntime."""

    name = "onnxruntime"

    def __init__(self, session) -> None:
        self.session = session

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.session.run(None, {"image": np.ascontiguousarray(x, np.float32)})[0]


class _FullScale(torch.nn.Module):
    def __init__(self, model: MIMOUNet, stages: tuple[str, ...]) -> None:
        super().__init__()
        self.model = model
        self.stages = stages

    def forward(self, x):
        return self.model.run_stages(x, self.stages)[-1]


def _export(model: MIMOUNet, stages: tuple[str, ...], path: Path) -> None:
    x = torch.rand(1, 3, 64, 64)
    with atomic_path(path) as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(_FullScale(model.eval(), stages), (x,), str(tmp), input_names=["image"],
                          output_names=["restored"], opset_version=17, dynamo=False,
                          dynamic_axes={"image": {0: "n", 2: "h", 3: "w"}, "restored": {0: "n", 2: "h", 3: "w"}})


def _open(path: Path):
    """An onnxruntime session over the export at ``path``."""
    from ..ort import ERRORS_ONLY, onnxruntime

    ort = onnxruntime()

    opts = ort.SessionOptions()
    opts.log_severity_level = ERRORS_ONLY
    # memory patterns pre-plan one big block per input shape: with the arena alone,
    # peak memory at 512 px tiles measured 0.64 GB instead of 1.2 GB, at the same speed
    opts.enable_mem_pattern = False
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def _session(model: MIMOUNet, stages: tuple[str, ...], path: Path):
    """A session over the cached export, exported first when there is none.  A cached export that does not load
    (truncated, damaged, or one this onnxruntime cannot read) is removed and exported again, once (atomically, as
    every export: nobody ever loads half of one); only when the fresh export does not load either does the error
    go through."""
    from ..ort import onnxruntime

    onnxruntime()  # without it there is nothing to export for: fail before exporting

    if path.is_file():
        try:
            return _open(path)
        except Exception:  # noqa: BLE001 - whatever the loader makes of a bad file: export it anew
            path.unlink(missing_ok=True)
    try:
        _export(model, stages, path)
    except OSError as exc:  # a cache that cannot be written: an export for this process only, as the index does
        with tempfile.TemporaryDirectory(prefix="scientist-onnx-") as tmp:
            spare = Path(tmp) / path.name
            _export(model, stages, spare)
            warnings.warn(f"the network's ONNX export cannot be kept in the cache ({os_reason(exc)}): made for "
                          "this run only", stacklevel=4)
            return _open(spare)  # read whole by onnxruntime: the file may go
    return _open(path)


def make_runner(model: MIMOUNet, device: torch.device, backend: str = "auto", *,
                stages: tuple[str, ...] = MIMOUNet.STAGES, cache: Path | None = None, precision: str = "fp32"):
    """A callable running the network on padded tiles, by the chosen back end and precision.

    ``precision``: a resolved one (``fp32``, ``bf16``, ``fp16``; see :func:`.precision.choose_precision`).
    ``cache``: where ONNX exports are kept (default: the settings' cache folder).
    """
    if backend not in BACKENDS:
        raise ScientistError(f"unknown back end {backend!r} (use {', '.join(BACKENDS)})")
    if backend == "auto":
        import importlib.util

        onnx = device.type == "cpu" and precision == "fp32" and importlib.util.find_spec("onnxruntime")
        backend = "onnx" if onnx else "torch"
    if backend == "eager":
        return _torch_runner(model, device, stages, False, precision)
    if backend == "torch" or device.type != "cpu":  # onnxruntime runs on the CPU only
        return _torch_runner(model, device, stages, device.type == "cpu", precision)
    if precision != "fp32":
        raise ScientistError(f"the onnx back end runs in fp32 only; {precision} runs in PyTorch (--backend torch)")
    if cache is None:
        from ..settings import load_settings

        cache = load_settings().cache_dir
    key = f"{weights_digest(model)}-{'-'.join(stages)}"
    path = cache / "onnx" / f"mimo-unet-{key}.onnx"
    with _LOCK:
        session = _SESSIONS.get(str(path))
        failure = _FAILED.get(str(path))  # tried in this process already: not again for every photo of a batch
        if session is None and failure is None:
            try:
                session = _session(model, stages, path)
                _SESSIONS[str(path)] = session
            except Exception as exc:  # noqa: BLE001 - fall back to PyTorch, never fail the restore
                failure = _FAILED[str(path)] = exc
    if failure is not None:  # outside the lock: the PyTorch runner takes it too
        warnings.warn(f"onnxruntime could not run the model ({failure.__class__.__name__}); using PyTorch",
                      stacklevel=2)
        return _torch_runner(model, device, stages, True, "fp32")
    return OnnxRunner(session)
