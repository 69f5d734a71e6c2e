"""Train MIMO-UNet on synthetic degradations of natural photos.

Training photos come from scikit-image's bundled data and, when a folder of
natural photos is given (``natural``), from the part of it that
:func:`.photosets.split_names` keeps for fitting (never its held-out part).
scikit-learn's ``china.jpg``/``flower.jpg`` and matplotlib's ``grace_hopper.jpg``
are evaluation photos and are never read here (``EVAL_PHOTOS``).

What the photos go through is a mix of the named distributions of
:mod:`.degrade` (``mix``, e.g. ``"lowlight:0.5,light:0.3,clean:0.2"``).

The network sees the degraded photo after the workflow's brightness correction
(with a random error of up to 1.4x, as auto exposure is never exact) and learns
to remove noise, blur and JPEG artefacts and to fix the remaining exposure error.

Loss as in the MIMO-UNet paper: L1 on each of the three outputs against the
target at that scale, plus 0.1 x the L1 distance between their 2-D FFTs.
"""

from __future__ import annotations

import json
import math
import sys
import time
import warnings
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from ..errors import CheckpointError, OptionError, OutputError, PhotoError, first_line, shown
from ..fileio import atomic_path, os_reason, same_file, write_atomic
from .degrade import DEFAULT_MIX, DISTRIBUTIONS, apply_gain, degrade, draw_from_mix, format_mix, parse_mix
from .mimo_unet import VARIANTS, MIMOUNet, build, detect_variant
from .outputs import check_output_file, claimed_output

__all__ = ["DEVICES", "EVAL_PHOTOS", "TRAIN_PHOTOS", "load_training_photos", "multiscale_loss", "natural_fit_names",
           "train"]

#: scikit-image data files used for training (colour photos and grey textures).
TRAIN_PHOTOS = (
    "astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg", "motorcycle_left.png",
    "motorcycle_right.png", "hubble_deep_field.jpg", "ihc.png", "retina.jpg", "color.png",
    "camera.png", "brick.png", "grass.png", "gravel.png", "moon.png", "coins.png",
    "text.png", "page.png", "clock_motion.png", "horse.png",
)
#: The evaluation photos: never used for training.
EVAL_PHOTOS = ("sklearn:china.jpg", "sklearn:flower.jpg", "matplotlib:grace_hopper.jpg")


def load_training_photos(root: Path | None = None) -> list[np.ndarray]:
    """Read the training photos as float32 RGB arrays in [0, 1].

    ``root`` defaults to scikit-image's data folder; another folder holding
    copies of the same files can stand in for it (on a machine without them).
    """
    root = photo_root(root)
    photos = []
    for name in TRAIN_PHOTOS:
        path = root / name
        if not path.is_file():
            continue
        photos.append(np.asarray(_read_rgb(path), dtype=np.float32) / 255.0)
    if not photos:
        raise PhotoError(f"{shown(root)}: no training photos found (the folder must hold copies of scikit-image's)")
    return photos


def photo_root(root: Path | None = None) -> Path:
    """The folder the training photos are read from: ``root``, else scikit-image's data folder."""
    if root is None:
        import skimage.data

        return Path(skimage.data.__file__).parent
    return Path(root)


def _read_rgb(path: Path) -> Image.Image:
    """A training photo decoded whole as RGB; a file that is not one (another kind of file, a photo cut short, a
    pipe or device under a photo's name) is a :class:`~scientist.errors.PhotoError` naming it: a run trains on
    the photos asked for or not at all, never silently on fewer."""
    if not path.is_file():
        raise PhotoError(f"{shown(path)}: not a regular file, so it is not read as a training photo")
    try:
        with Image.open(path) as img:
            return img.convert("RGB")  # decodes it all: a file cut short fails here, not in the middle of training
    except MemoryError:
        raise
    except Exception as exc:  # noqa: BLE001 - whatever a decoder raises on a bad file, the file is not a photo
        why = "cut short or damaged" if isinstance(exc, OSError) and "truncated" in str(exc) else (
            "not a photo Pillow can read" if isinstance(exc, Image.UnidentifiedImageError) else first_line(exc, 80))
        raise PhotoError(f"{shown(path)}: cannot be read as a training photo ({why}); remove it or replace "
                         "it") from None


def _patch(photo: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    h, w, _ = photo.shape
    scale = rng.uniform(0.5, 1.0) if rng.random() < 0.5 else 1.0
    crop = min(int(round(size / scale)), h, w)
    y, x = rng.integers(0, h - crop + 1), rng.integers(0, w - crop + 1)
    p = photo[y : y + crop, x : x + crop]
    if crop != size:
        im = Image.fromarray((p * 255).round().astype(np.uint8))
        p = np.asarray(im.resize((size, size), Image.Resampling.LANCZOS), np.float32) / 255
    p = np.rot90(p, int(rng.integers(4)))
    if rng.random() < 0.5:
        p = p[:, ::-1]
    p = p[..., rng.permutation(3)]
    if rng.random() < 0.3:  # tint grey and desaturated sources a little
        p = np.clip(p * rng.uniform(0.8, 1.2, size=3), 0, 1)
    return np.ascontiguousarray(p, dtype=np.float32)


def named_photos(root: Path | None = None, natural: Path | None = None) -> dict[str, np.ndarray]:
    """The training photos (:func:`load_training_photos`) by name plus, with ``natural``, the fitting part of that
    folder of natural photos (never its held-out part)."""
    fit = natural_fit_names(natural) if natural is not None else []  # a folder that adds nothing: said first
    photos = dict(zip(TRAIN_PHOTOS, load_training_photos(root), strict=False))
    if fit:
        from .photosets import read_natural

        photos.update(read_natural(natural, fit))  # as the benchmark reads them: 16-bit photos kept
    return photos


def natural_fit_names(natural: Path) -> list[str]:
    """The fitting part of a natural-photo folder (:func:`.photosets.split_folder`), refused
    (:class:`~scientist.errors.OptionError`) when it is empty: a folder of :data:`.photosets.HELD_OUT_COUNT`
    photos or fewer is held out whole, so it would add no photo."""
    from .photosets import HELD_OUT_COUNT, split_folder

    fit, held = split_folder(natural)
    if not fit:
        raise OptionError(
            f"--natural {shown(natural)}: its {len(held)} photo{'s' if len(held) != 1 else ''} would add none: all "
            f"are held out (never fitted or trained on: those the shipped constants hold out, and the first "
            f"{HELD_OUT_COUNT} of a fixed shuffle of the others), so it needs more photos")
    return fit


def load_photos(root: Path | None = None, natural: Path | None = None) -> list[np.ndarray]:
    """:func:`named_photos` without their names, in the same order."""
    return list(named_photos(root, natural).values())


def batches(
    photos: list[np.ndarray], batch: int, size: int, seed: int, mix: str = DEFAULT_MIX
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Endless (degraded, clean) batches, NCHW float32, the degradations drawn from ``mix``."""
    rng = np.random.default_rng(seed)
    parts = parse_mix(mix)
    while True:
        clean, bad = [], []
        for _ in range(batch):
            p = _patch(photos[int(rng.integers(len(photos)))], size, rng)
            clean.append(p)
            name, params = draw_from_mix(parts, rng)
            # the workflow brightens before the network; its estimate of the exposure
            # is imperfect, so the gain here is off by up to the distribution's gain error
            off = np.log(DISTRIBUTIONS[name].gain_error)
            err = float(np.exp(rng.uniform(-off, off)))
            bad.append(apply_gain(degrade(p, params, rng), err / params.exposure))
        to_t = lambda a: torch.from_numpy(np.stack(a)).permute(0, 3, 1, 2).contiguous()  # noqa: E731
        yield to_t(bad), to_t(clean)


class _Stream(torch.utils.data.IterableDataset):
    """:func:`batches` split across DataLoader workers, each with its own seed."""

    def __init__(self, photos: list[np.ndarray], batch: int, size: int, seed: int, mix: str):
        super().__init__()
        self.photos, self.batch, self.size, self.seed, self.mix = photos, batch, size, seed, mix

    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        wid = info.id if info is not None else 0
        return batches(self.photos, self.batch, self.size, self.seed + 1_000_003 * wid, self.mix)


def _batch_source(photos, batch: int, size: int, seed: int, workers: int, mix: str):
    if workers <= 0:
        return batches(photos, batch, size, seed, mix)
    loader = torch.utils.data.DataLoader(
        _Stream(photos, batch, size, seed, mix), batch_size=None, num_workers=workers,
        pin_memory=torch.cuda.is_available(), prefetch_factor=4, persistent_workers=True,
        worker_init_fn=_quiet_worker,
    )
    return iter(loader)


#: What a batch process's hand-over of a batch raises when the training process stops (Ctrl-C, SIGTERM) in the
#: middle of taking it: the connection it was handing the batch over is gone.
_HAND_OVER_ERRORS = (ConnectionError, EOFError)


def _quiet_worker(_worker_id: int) -> None:
    """In a batch process: stopping the training (Ctrl-C, SIGTERM) is the training process's to handle, quietly.

    A batch the training process stopped taking (it was interrupted mid-hand-over) is no error to print:
    multiprocessing's thread that hands tensors over reports such a broken connection through ``sys.excepthook``,
    which printed a traceback after ``terminated: ...`` about one stop in six; other errors are reported as before.
    And SIGTERM sent to the whole process group (a service manager, ``kill -- -PGID``) is left to the training
    process, which ends its batch processes as it stops: one ended by the signal first was reported by PyTorch as a
    worker killed, an internal error in place of ``terminated``.  (A batch process whose training process is gone
    ends by itself.)"""
    import signal

    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    default = sys.excepthook

    def hook(kind, exc, tb):
        if not issubclass(kind, _HAND_OVER_ERRORS):
            default(kind, exc, tb)

    sys.excepthook = hook


def multiscale_loss(outputs: list[torch.Tensor], target: torch.Tensor, freq_weight: float = 0.1):
    """Multi-scale content L1 plus the multi-scale frequency-reconstruction L1."""
    content = target.new_zeros(())
    freq = target.new_zeros(())
    for out in outputs:
        t = target if out.shape[-1] == target.shape[-1] else F.interpolate(
            target, size=out.shape[-2:], mode="area"
        )
        content = content + F.l1_loss(out, t)
        freq = freq + F.l1_loss(torch.view_as_real(torch.fft.rfft2(out)),
                                torch.view_as_real(torch.fft.rfft2(t)))
    return content + freq_weight * freq


def _psnr(a: torch.Tensor, b: torch.Tensor) -> float:
    mse = F.mse_loss(a.clamp(0, 1), b).item()
    return 10 * math.log10(1 / max(mse, 1e-12))


#: The devices a training run takes, in words.
DEVICES = "cpu, or cuda / cuda:N where PyTorch has CUDA"


def check_training(*, variant: str, minutes: float, max_steps: int | None, batch: int, patch: int, lr: float,
                   threads: int | None, save_every: int, device: str, workers: int, mix: str, precision: str,
                   seed: int = 0) -> str:
    """Refuse a training run's settings that could not work, before anything is loaded or written
    (:class:`~scientist.errors.OptionError`, one sentence naming the option); returns the mix in its canonical
    spelling."""
    def bad(name: str, why: str) -> OptionError:
        return OptionError(f"--{name}: {why}")

    if variant not in VARIANTS:
        raise bad("variant", f"unknown network {variant!r} (use {' or '.join(VARIANTS)})")
    step = MIMOUNet.size_multiple
    checks = (
        ("minutes", math.isfinite(minutes), "must be a finite number (not inf or nan)"),
        ("minutes", max_steps is not None or minutes > 0, "must be more than 0"),
        ("steps", max_steps is None or max_steps >= 1, "must be at least 1"),
        ("batch", batch >= 1, "must be at least 1"),
        ("patch", patch >= 2 * step and patch % step == 0, f"must be a multiple of {step} from {2 * step}"),
        ("lr", lr > 0 and math.isfinite(lr), "must be a number more than 0"),
        ("threads", threads is None or threads >= 1, "must be at least 1"),
        ("save-every", save_every >= 1, "must be at least 1"),
        ("workers", workers >= 0, "must be 0 or more"),
        ("precision", precision in ("fp32", "bf16"), "must be fp32 or bf16"),
        ("seed", seed >= 0, "must be 0 or more"),
    )
    for name, ok, why in checks:
        if not ok:
            raise bad(name, why)
    try:
        dev = torch.device(device)
    except (RuntimeError, ValueError, TypeError):
        raise bad("device", f"unknown device {device!r} (use {DEVICES})") from None
    if dev.type not in ("cpu", "cuda"):
        raise bad("device", f"cannot train on {device!r} (use {DEVICES})")
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise bad("device", "no CUDA device here (PyTorch on this machine has none); train with --device cpu")
    if dev.type == "cuda" and dev.index is not None and dev.index >= torch.cuda.device_count():
        raise bad("device", f"no {device} here (this machine has {torch.cuda.device_count()} CUDA device(s), "
                  "from cuda:0)")
    try:
        return format_mix(parse_mix(mix))
    except ValueError as exc:
        raise bad("mix", str(exc)) from None


def _check_weights_out(out: Path, init: Path | None) -> None:
    """Refuse a weights file that cannot be written as one, or that is the file the run starts from."""
    check_output_file(out, ".safetensors", "weights file")
    if init is not None and same_file(out, init):
        raise OutputError(f"{shown(out)}: it is the --init file the run starts from; write the new weights to "
                          "another file")
    for beside in (out.with_suffix(".state.pt"), out.with_suffix(".train.json")):  # written with the weights
        if beside.exists() and not beside.is_file():
            raise OutputError(f"{shown(beside)}: not a regular file, so the run could not write it beside "
                              f"{shown(out.name)}; move it away, or write to another file")


def _state_damaged(path: Path, out: Path, why: str) -> CheckpointError:
    return CheckpointError(f"{shown(path)}: the resume state is damaged ({why}), so the run cannot continue from "
                           f"it; pass --overwrite to start over (replacing {shown(out.name)} and its state)")


def _read_state(path: Path, out: Path) -> dict:
    """The resume state beside ``out``, checked whole: a file cut short, of another kind or missing a part is a
    :class:`~scientist.errors.CheckpointError` saying how to start over (never the reader's own error, whose
    advice to unpickle unsafely is not to be taken)."""
    damaged = "cut short, empty, or not a state file of scientist train"
    if not path.is_file():
        raise _state_damaged(path, out, "not a regular file")
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Detected pickle protocol")
            state = torch.load(path, weights_only=True, map_location="cpu")
    except MemoryError:
        raise
    except PermissionError as exc:
        raise CheckpointError(f"{shown(path)}: cannot read the resume state ({os_reason(exc)})") from None
    except Exception:  # noqa: BLE001 - the reader's errors on bad data (zip, pickle, EOF) say nothing to a person
        raise _state_damaged(path, out, damaged) from None
    if not (isinstance(state, Mapping) and isinstance(state.get("model"), Mapping)
            and all(isinstance(v, torch.Tensor) for v in state["model"].values())
            and isinstance(state.get("opt"), Mapping) and isinstance(state.get("step"), int)
            and not isinstance(state.get("step"), bool) and state["step"] >= 0
            and isinstance(state.get("seconds"), (int, float)) and math.isfinite(state["seconds"])):
        raise _state_damaged(path, out, "parts of it are missing or of another kind")
    try:
        history = json.loads(state["history"]) if "history" in state else []
    except (TypeError, ValueError):
        history = None
    if not isinstance(history, list):
        raise _state_damaged(path, out, "its history is not readable")
    return dict(state, history=history)


def _matches(net: MIMOUNet, sd: Mapping[str, torch.Tensor]) -> bool:
    expected = net.state_dict()
    return set(sd) == set(expected) and all(tuple(sd[k].shape) == tuple(v.shape) for k, v in expected.items())


def _variant_of(sd: Mapping[str, torch.Tensor]) -> str | None:
    try:
        return detect_variant(sd).name
    except (ValueError, KeyError, IndexError):
        return None


def _check_init(net: MIMOUNet | None, sd: Mapping[str, torch.Tensor], init: Path, variant: str) -> None:
    """Refuse --init weights that are not of the network this run trains (another variant, another network);
    before the network is built (``net`` None) only another variant is refused."""
    if net is not None and _matches(net, sd):
        return
    theirs = _variant_of(sd)
    if net is None and (theirs is None or theirs == variant):
        return
    if theirs is not None and theirs != variant:
        raise CheckpointError(f"{shown(Path(init).name)}: weights of {theirs}, but this run trains {variant} "
                              f"(--variant); pass --variant {theirs} to start from them")
    raise CheckpointError(f"{shown(Path(init).name)}: not weights of the {variant} this run trains (its tensors "
                          "do not match)")


def _check_state(net: MIMOUNet | None, state: dict, path: Path, out: Path, variant: str) -> None:
    """Refuse a resume state of another network than this run's (another ``--variant``); before the network is
    built (``net`` None) only another variant is refused."""
    if net is not None and _matches(net, state["model"]):
        return
    theirs = _variant_of(state["model"])
    if net is None and (theirs is None or theirs == variant):
        return
    if theirs is not None and theirs != variant:
        raise CheckpointError(f"{shown(path)}: the resume state is of {theirs}, but this run trains {variant} "
                              f"(--variant); resume with --variant {theirs}, or pass --overwrite to start a new "
                              f"{variant} run over {shown(out.name)}")
    raise _state_damaged(path, out, f"its network is not the {variant} this run trains")


def train(
    out: Path,
    *,
    variant: str = "MIMO-UNet",
    minutes: float = 60.0,
    max_steps: int | None = None,
    batch: int = 8,
    patch: int = 96,
    lr: float = 5e-4,
    seed: int = 0,
    threads: int | None = None,
    resume: bool = True,
    overwrite: bool = False,
    save_every: int = 25,
    model: MIMOUNet | None = None,
    device: str = "cpu",
    workers: int = 0,
    init: Path | None = None,
    photos_dir: Path | None = None,
    natural: Path | None = None,
    mix: str = DEFAULT_MIX,
    precision: str = "fp32",
    log: Callable[[str], None] = print,
) -> dict:
    """Train (or resume) and write ``out`` (fp16 safetensors) plus ``out``.state.pt.

    The learning rate follows a cosine schedule over the time budget (or the
    step budget when ``max_steps`` is given).  Returns a summary dict that is
    also written next to the weights as JSON.  ``init`` starts a fresh run
    from existing weights instead of random ones; ``workers`` > 0 makes the
    degraded batches in that many processes (worth it on a GPU, where the
    numpy degradations would otherwise be the bottleneck).  ``mix``: the named degradation
    distributions and their shares (:func:`.degrade.parse_mix`); ``natural``: a folder of natural
    photos whose fitting part joins the training photos; ``precision`` ``bf16`` runs the forward
    and backward passes under bfloat16 autocast (weights and optimiser stay fp32): on a CPU with
    native bfloat16 a step takes about 2.5x less time.

    The state file beside ``out`` is resumed (with ``resume``) unless ``overwrite``; an existing ``out`` with no
    state beside it is refused unless ``overwrite`` (which starts a new run over both), and so is ``out`` being
    the ``init`` file.  The name ``out`` is held for the whole run: a second run on it is refused.  Everything
    that can be checked -- options, the output, the state, ``init``, the photos -- is checked before the first
    step.
    """
    from safetensors.torch import save_file

    mix = check_training(variant=variant, minutes=minutes, max_steps=max_steps, batch=batch, patch=patch, lr=lr,
                         threads=threads, save_every=save_every, device=device, workers=workers, mix=mix,
                         precision=precision, seed=seed)
    out = Path(out)
    _check_weights_out(out, init)
    if natural is not None:
        natural_fit_names(natural)  # a folder that would add no photo, said before anything is made
    with claimed_output(out, "training run"):
        state_path = out.with_suffix(".state.pt")
        resuming = resume and not overwrite and state_path.exists()
        if not resuming and not overwrite:
            if state_path.exists():
                raise OutputError(f"{shown(state_path)}: a resume state is there; resume it, or pass --overwrite "
                                  f"to start over (replacing {shown(out.name)} and its state)")
            if out.exists():
                raise OutputError(f"{shown(out)}: already exists, with no resume state ({shown(state_path.name)}) "
                                  "beside it to continue; pass --overwrite to replace it, or write to another file")
        state = sd = None
        if resuming:
            state = _read_state(state_path, out)
            _check_state(model, state, state_path, out, variant)
        elif init is not None:
            from .weights import load_state_dict

            sd = load_state_dict(init)
            _check_init(model, sd, init, variant)
        photos = load_photos(photos_dir, natural)
        if threads:
            torch.set_num_threads(threads)
        torch.manual_seed(seed)
        net = model if model is not None else build(variant)
        if state is not None:
            _check_state(net, state, state_path, out, variant)
        elif sd is not None:
            _check_init(net, sd, init, variant)
            net.load_state_dict({k: v.float() for k, v in sd.items()})
        return _run(net, state, out, state_path, photos, save_file, variant=variant, minutes=minutes,
                    max_steps=max_steps, batch=batch, patch=patch, lr=lr, seed=seed, save_every=save_every,
                    device=device, workers=workers, init=init, mix=mix, precision=precision, log=log)


def _run(net: MIMOUNet, state: dict | None, out: Path, state_path: Path, photos: list[np.ndarray], save_file, *,
         variant: str, minutes: float, max_steps: int | None, batch: int, patch: int, lr: float, seed: int,
         save_every: int, device: str, workers: int, init: Path | None, mix: str, precision: str,
         log: Callable[[str], None]) -> dict:
    """The training loop of :func:`train`, once everything is checked."""
    if init is not None and state is None:
        log(f"starting from {Path(init).name}")
    dev = torch.device(device)
    if dev.type == "cuda":
        torch.backends.cudnn.benchmark = True
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    net.to(dev)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    step, spent = 0, 0.0
    history: list[dict] = []
    if state is not None:
        net.load_state_dict(state["model"])
        net.to(dev)
        try:
            opt.load_state_dict(state["opt"])
        except (KeyError, TypeError, ValueError, RuntimeError):
            raise _state_damaged(state_path, out, "its optimiser state does not fit the network") from None
        step, spent = int(state["step"]), float(state["seconds"])
        history = state["history"]
        log(f"resumed at step {step} after {spent / 60:.1f} min"
            + (f" (--init {Path(init).name} is not read: pass --overwrite to start over from it)" if init else ""))
    val_rng = np.random.default_rng(12345)
    val = [t.to(dev) for t in next(batches(photos, 8, patch, int(val_rng.integers(1 << 30)), mix))]
    data = _batch_source(photos, batch, patch, seed + step, workers, mix)
    lowp = precision == "bf16"
    budget = minutes * 60

    def progress() -> float:
        if max_steps:
            return min(step / max_steps, 1.0)
        return min(spent / budget, 1.0)

    def save() -> None:
        with atomic_path(state_path) as tmp:
            torch.save({"model": net.state_dict(), "opt": opt.state_dict(), "step": step,
                        "seconds": spent, "history": json.dumps(history)}, tmp)
        half = {k: v.detach().to("cpu", torch.float16).contiguous() for k, v in net.state_dict().items()}
        with atomic_path(out) as tmp:
            save_file(half, str(tmp), metadata={"variant": variant, "steps": str(step),
                                                 "train_seconds": f"{spent:.0f}"})

    net.train()
    t_last = time.perf_counter()
    while progress() < 1.0:
        cur_lr = 1e-6 + 0.5 * (lr - 1e-6) * (1 + math.cos(math.pi * progress()))
        for g in opt.param_groups:
            g["lr"] = cur_lr
        bad, clean = (t.to(dev, non_blocking=True) for t in next(data))
        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=lowp):
            outputs = net(bad)
        loss = multiscale_loss([o.float() for o in outputs], clean)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
        now = time.perf_counter()
        spent += now - t_last
        t_last = now
        step += 1
        if step % save_every == 0 or progress() >= 1.0:
            net.eval()
            with torch.no_grad():
                vpsnr = _psnr(net(val[0])[-1], val[1])
            net.train()
            history.append({"step": step, "minutes": round(spent / 60, 2),
                            "loss": round(loss.item(), 5), "val_psnr": round(vpsnr, 3),
                            "lr": cur_lr})
            log(json.dumps(history[-1]))
            save()
            t_last = time.perf_counter()
    summary = {"variant": variant, "steps": step, "minutes": round(spent / 60, 1),
               "batch": batch, "patch": patch, "lr": lr, "threads": torch.get_num_threads(),
               "device": str(dev), "init": Path(init).name if init is not None else None,
               "mix": mix, "precision": precision, "photos": len(photos), "history": history}
    write_atomic(out.with_suffix(".train.json"), json.dumps(summary, indent=1).encode())
    return summary

