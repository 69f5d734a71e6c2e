"""Finding and loading MIMO-UNet weights, safely.

Choice order: an explicit path, then the ``weights`` setting
(``SCIENTIST_WEIGHTS``), then the weights bundled with the package.  Official
``.pkl``/``.pth`` checkpoints are read with
``torch.load(weights_only=True)`` only -- a file that would need full
unpickling is refused, never executed.  ``.safetensors`` files are read with
the safetensors library.
"""

from __future__ import annotations

import pickle
import threading
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

import torch

from ..errors import CheckpointError
from ..fileio import os_reason
from ..settings import Settings, load_settings
from .constants import BUNDLED_LABEL, bundled
from .mimo_unet import MIMOUNet, Variant, canonical_state_dict, detect_variant

__all__ = ["BUNDLED", "LoadedModel", "bundled_weights", "load_model", "load_state_dict", "resolve_weights",
           "weights_facts"]

BUNDLED = "mimo-unet-lowlight.safetensors"
#: Why a weights file that is not a checkpoint was refused, whatever its reader raised.
NOT_READABLE = "its data is damaged, cut short or of another kind"


def bundled_weights() -> Path:
    return bundled(BUNDLED)


def resolve_weights(weights: str | Path | None, settings: Settings | None = None) -> tuple[Path, str]:
    """The weights file to use and a label saying where the choice came from.

    Choice order: ``weights``, then the ``weights`` setting (``SCIENTIST_WEIGHTS`` or a
    settings file), then the bundled weights.
    """
    if weights is not None and str(weights) != "":
        path, label = Path(weights), f"weights file {Path(weights).name}"
    elif (configured := (settings or load_settings()).weights) is not None and str(configured) != "":
        path, label = Path(configured), f"weights from the settings ({Path(configured).name})"
    else:
        return bundled_weights(), BUNDLED_LABEL
    return path, BUNDLED_LABEL if _same_file(path, bundled_weights()) else label


def weights_facts(weights: str | Path | None, settings: Settings | None = None) -> dict:
    """What the tool says of the weights in force, chosen as :func:`resolve_weights` chooses them, without loading
    them: the file's ``name``, whether it is the ``bundled`` one, else where the choice came from (``source``:
    "given" or "setting"); for the bundled file, the ``variant`` its own metadata gives (``scientist train`` writes
    it) and its size in ``mb``, both None when the file is missing or damaged."""
    path, label = resolve_weights(weights, settings)
    if label != BUNDLED_LABEL:
        return {"bundled": False, "name": path.name, "source": "given" if weights else "setting"}
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(str(path), "np") as f:
            variant = (f.metadata() or {}).get("variant", "MIMO-UNet")
        return {"bundled": True, "name": path.name, "variant": variant, "mb": path.stat().st_size / 1e6}
    except (OSError, SafetensorError):  # said, not raised: a question asked about them; a restore says it so
        return {"bundled": True, "name": path.name, "variant": None, "mb": None}


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.samefile(b)
    except OSError:  # missing: said when it is read
        return False


def load_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """Read a checkpoint into a canonical state dict; raises :class:`CheckpointError`."""
    p = Path(path)
    if not p.exists():
        raise CheckpointError(f"{p}: no such weights file")
    if not p.is_file():
        raise CheckpointError(f"{p}: not a file")
    if p.stat().st_size == 0:
        raise CheckpointError(f"{p}: the weights file is empty")
    if p.suffix.lower() == ".safetensors":
        from safetensors.torch import load_file

        try:
            obj = load_file(str(p), device="cpu")
        except OSError as exc:
            raise CheckpointError(f"{p.name}: cannot read ({os_reason(exc)})") from None
        except MemoryError:
            raise
        except Exception as exc:  # noqa: BLE001 - whatever the reader makes of bad data, the file is not one
            raise CheckpointError(f"{p.name}: not a readable safetensors file; {NOT_READABLE}") from exc
    else:
        try:
            with warnings.catch_warnings():  # torch's note on the pickle protocol would only precede our sentence
                warnings.filterwarnings("ignore", message="Detected pickle protocol")
                obj = torch.load(str(p), map_location="cpu", weights_only=True)
        except pickle.UnpicklingError as exc:
            foreign = _foreign_globals(p)
            if foreign is None:
                raise CheckpointError(f"{p.name}: not a readable PyTorch checkpoint; {NOT_READABLE}") from exc
            raise CheckpointError(
                f"{p.name}: refused: the checkpoint names Python objects ({', '.join(foreign[:3])}) that would "
                "need unsafe unpickling (only plain tensors are loaded)"
            ) from None
        except OSError as exc:
            raise CheckpointError(f"{p.name}: cannot read ({os_reason(exc)})") from None
        except MemoryError:
            raise
        except Exception as exc:  # noqa: BLE001 - the unpickler's errors on bad data are of any kind and say nothing
            # to a person (KeyError: 105, "pop from empty list", struct.error): the file is simply not a checkpoint
            raise CheckpointError(f"{p.name}: not a readable PyTorch checkpoint; {NOT_READABLE}") from exc
    try:
        return canonical_state_dict(obj)
    except ValueError as exc:
        raise CheckpointError(f"{p.name}: {exc}") from None


_SAFE_MODULES = ("torch", "collections", "_codecs", "numpy")


def _foreign_globals(path: Path) -> list[str] | None:
    """Names of non-tensor callables a pickle refers to, found by parsing (never running) it.

    Returns ``None`` when the data is not a pickle at all.
    """
    import io
    import pickletools

    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as zf:
                streams = [zf.read(n) for n in zf.namelist() if n.endswith(".pkl")]
        else:
            streams = [path.read_bytes()]
    except (OSError, zipfile.BadZipFile):
        return None
    found: list[str] = []
    for data in streams:
        strings: list[str] = []
        try:
            for op, arg, _pos in pickletools.genops(io.BytesIO(data)):
                if isinstance(arg, str):
                    strings.append(arg)
                if op.name == "GLOBAL" and isinstance(arg, str):
                    name = arg.replace(" ", ".")
                elif op.name == "STACK_GLOBAL" and len(strings) >= 2:
                    name = f"{strings[-2]}.{strings[-1]}"
                else:
                    continue
                if not name.startswith(_SAFE_MODULES) and name not in found:
                    found.append(name)
        except Exception:  # noqa: BLE001 - pickletools raises assorted errors on garbage
            return found or None
    return found or ["unknown objects"]


@dataclass
class LoadedModel:
    """A ready network and where its weights came from."""

    model: MIMOUNet
    variant: Variant
    path: Path
    label: str


_CACHE: dict[tuple, LoadedModel] = {}
_CACHE_LOCK = threading.Lock()


def load_model(weights: str | Path | None = None, settings: Settings | None = None) -> LoadedModel:
    """Build the right variant for a weights file and load it strictly (cached per file)."""
    path, label = resolve_weights(weights, settings)
    try:
        st = path.stat()
        key = (str(path.resolve()), st.st_mtime_ns, st.st_size)
    except OSError:
        key = None
    with _CACHE_LOCK:
        if key in _CACHE:
            return _CACHE[key]
    if path == bundled_weights() and not path.exists():
        raise CheckpointError("the bundled weights are missing from this installation; pass --weights FILE")
    sd = load_state_dict(path)
    try:
        variant = detect_variant(sd)
    except ValueError as exc:
        raise CheckpointError(f"{path.name}: {exc}") from None
    model = variant.cls()
    expected = model.state_dict()
    missing = [k for k in expected if k not in sd]
    unexpected = [k for k in sd if k not in expected]
    if missing or unexpected:
        raise CheckpointError(
            f"{path.name}: a partial or different {variant.name} state dict "
            f"({len(missing)} tensors missing, {len(unexpected)} unexpected)"
        )
    bad = [k for k, v in expected.items() if tuple(sd[k].shape) != tuple(v.shape)]
    if bad:
        raise CheckpointError(
            f"{path.name}: tensor {bad[0]} has shape {tuple(sd[bad[0]].shape)}, "
            f"expected {tuple(expected[bad[0]].shape)}"
        )
    model.load_state_dict({k: v.float() for k, v in sd.items()}, strict=True)
    model.eval()
    loaded = LoadedModel(model, variant, path, label)
    if key is not None:
        with _CACHE_LOCK:
            _CACHE[key] = loaded
    return loaded
