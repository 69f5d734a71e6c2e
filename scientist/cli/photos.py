"""Commands about photos and the model: restore, train, bench-restore."""

from __future__ import annotations

import contextlib
import json
import sys
import time
from contextlib import closing
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..errors import OptionError
from ..fileio import is_dir
from .app import app, emit, json_text, settings_of
from .options import DemoOptions, JsonOpt, WeightsOpt, path_arg, with_demo_options

# spelled out here so that the CLI starts without importing the degradation code (a test keeps them in step)
MIX_HELP = ("Degradations to train on: named distributions with their shares, e.g. lowlight:0.5,light:0.3,clean:0.2 "
            "(lowlight, light, faint, grainy, clean; see the model card).")
NaturalOpt = Annotated[Optional[Path], typer.Option(parser=path_arg, help="A folder of natural photos: its fitting part joins the photos used, its held-out part (a fixed seeded split of the names) is never used for fitting or training.")]


@app.command("restore")
@with_demo_options
def restore_command(
    ctx: typer.Context,
    photos: Annotated[list[Path], typer.Argument(parser=path_arg, help="Photos and folders to restore (never modified).")],
    recursive: Annotated[bool, typer.Option("--recursive", "-r", help="Also restore the photos in the folders' subfolders.")] = False,
    cluster: Annotated[Optional[str], typer.Option("--cluster", help="Restore on a Ray cluster: its address (ray://HOST:PORT, or HOST:6379 on its network), or auto (RAY_ADDRESS, a cluster started on this machine, else a local one). Its workers must see the photos' and the outputs' paths. Needs the project's cluster extra (Ray).")] = None,
    as_json: JsonOpt = False,
    demo: DemoOptions = None,
) -> None:
    """Run MIMO-UNet on photos or folders of photos; write each restored image and a comparison.

    Many photos (or a folder) are restored into --out-dir (a few at a time: the batch_threads setting), mirroring the folders, or beside each photo; photos already restored are skipped, so a rerun resumes; a photo that fails is reported at the end and the exit code is 1.
    """
    from ..render import Renderer
    from ..workflow import demo_workflow

    settings = settings_of(ctx)
    options = demo.options()
    if cluster is not None:
        from ..restore.cluster import import_ray

        import_ray()  # without Ray, say how to install it before anything else happens
    renderer = Renderer(cache=settings.cache_dir)
    workflow = demo_workflow(renderer=renderer)  # the packaged card's workflow: restoring needs no corpus
    if len(photos) == 1 and not is_dir(photos[0]) and not recursive and cluster is None:
        from ..progress import ConsoleProgress
        from ..restore.run import restore_photo

        result = restore_photo(photos[0], options, steps=workflow.steps, settings=settings,
                               progress=None if as_json else ConsoleProgress(renderer))
        emit(json_text(result) if as_json else
             renderer.env.get_template("restore.txt.j2").render(d=result))
        return
    from ..core import Scientist

    start = time.perf_counter()
    # closing: the progress bars end (in restore_many's finally) even when Ctrl-C lands between photos;
    # on a cluster, what Ray prints (a lost worker, say) goes to stderr: stdout is for the results
    quiet = contextlib.redirect_stdout(sys.stderr) if cluster is not None else contextlib.nullcontext()
    items = []
    try:
        with closing(Scientist(settings=settings).restore_many(photos, workflow, recursive=recursive,
                                                               options=options, progress=not as_json,
                                                               cluster=cluster)) as run, quiet:
            for item in run:
                items.append(item)
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM: a script still gets the records of the photos already done
        # (those that were saving when the stop came are finished first and yielded before it comes through)
        if as_json:  # [] when none had finished: the JSON a script reads is there either way
            emit(_records_json(items))
        raise
    seconds = time.perf_counter() - start
    more = None
    if not recursive and settings.subfolder_scan_limit:  # photos the run passed over, said once (a bounded look)
        from ..restore.batch import passed_over

        more = passed_over(photos, out_dir=options.out_dir, limit=settings.subfolder_scan_limit)
    if as_json:  # stdout holds the JSON alone; the hint goes where warnings go
        emit(_records_json(items))
        if more is not None and more.photos:
            print(f"note: {renderer.phrase('passed_over', more=more)}", file=sys.stderr)
    else:
        emit(renderer.env.get_template("restore_many.txt.j2").render(items=items, seconds=seconds, more=more))
    if any(i.status == "failed" for i in items):
        raise typer.Exit(1)


def _records_json(items) -> str:
    """The batch's records as ``--json`` prints them."""
    return json_text([i.model_dump(mode="json") for i in items])


@app.command("train")
def train_command(
    out: Annotated[Path, typer.Argument(parser=path_arg, help="Weights file to write (.safetensors).")],
    minutes: Annotated[float, typer.Option(help="Training time budget.")] = 60.0,
    steps: Annotated[Optional[int], typer.Option(help="Step budget (overrides minutes).")] = None,
    batch: Annotated[int, typer.Option(help="Patches per step.")] = 4,
    patch: Annotated[int, typer.Option(help="Side of the training patches (pixels).")] = 96,
    variant: Annotated[str, typer.Option(help="MIMO-UNet or MIMO-UNet+.")] = "MIMO-UNet",
    threads: Annotated[Optional[int], typer.Option(help="CPU threads for PyTorch.")] = None,
    lr: Annotated[float, typer.Option(help="Peak learning rate (cosine schedule).")] = 5e-4,
    save_every: Annotated[int, typer.Option(help="Validate and save every this many steps.")] = 25,
    device: Annotated[str, typer.Option(help="Torch device to train on (cpu, cuda).")] = "cpu",
    workers: Annotated[int, typer.Option(help="Processes making training batches (0 = in the main one).")] = 0,
    init: Annotated[Optional[Path], typer.Option(parser=path_arg, help="Start from these weights instead of random ones.")] = None,
    photos: Annotated[Optional[Path], typer.Option(parser=path_arg, help="Folder with the training photos (default: scikit-image's).")] = None,
    natural: NaturalOpt = None,
    mix: Annotated[str, typer.Option(help=MIX_HELP)] = "lowlight",
    precision: Annotated[str, typer.Option(help="fp32, or bf16 (autocast; about 2.5x faster on CPUs with native bfloat16).")] = "fp32",
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Start a new run over OUT: replace an existing weights file and its state instead of resuming (without it, an existing OUT with no state beside it is refused).")] = False,
) -> None:
    """Train MIMO-UNet on synthetic degradations of photos (resumes from OUT's state file, OUT.state.pt)."""
    from ..restore.train import train

    train(out, variant=variant, minutes=minutes, max_steps=steps, batch=batch, patch=patch, threads=threads,
          lr=lr, device=device, workers=workers, init=init, photos_dir=photos, save_every=save_every,
          natural=natural, mix=mix, precision=precision, overwrite=overwrite)


class NaturalPart(str, Enum):
    held_out = "held-out"
    fit = "fit"


#: The smallest photo side the benchmarks take (SSIM's window and the network's three scales need room).
MIN_SIDE = 32


@app.command("bench-restore")
def bench_restore_command(
    ctx: typer.Context,
    weights: WeightsOpt = None,
    size: Annotated[int, typer.Option(help="Crop the evaluation photos to this square size (0 = whole).")] = 0,
    blind: Annotated[bool, typer.Option("--blind", help="Run the pipeline as it ships (run_demo with the settings in force) on held-out photos against blind brightening + non-local means at its best strength, and the exact gain + non-local means.")] = False,
    side: Annotated[int, typer.Option(help="With --blind: scale the photos down to this longest side.")] = 640,
    natural: Annotated[Optional[Path], typer.Option(parser=path_arg, help="With --blind: a folder of natural photos whose held-out part (never fitted or trained on) joins the benchmark.")] = None,
    condition: Annotated[Optional[list[str]], typer.Option(help="With --blind: run only this condition (repeatable): light, medium, heavy, light-png, heavy-png, clean.")] = None,
    role: Annotated[Optional[list[str]], typer.Option(help="With --blind: run only the photos of this role (repeatable): natural, held out, tuned (natural-fitted with --natural-part fit).")] = None,
    natural_part: Annotated[NaturalPart, typer.Option(help="With --blind and --natural: the natural photos' part that joins: held-out (the benchmark), or fit (the photos the brightness step was fitted and the network trained on, role natural-fitted: to tell their errors apart, never for the targets).")] = NaturalPart.held_out,
    as_json: JsonOpt = False,
) -> None:
    """PSNR/SSIM of the bundled model against classical baselines on photos held out from training."""
    def typed(name: str) -> bool:  # given on the command line (by name: Typer has a ParameterSource of its own)
        return getattr(ctx.get_parameter_source(name), "name", None) == "COMMANDLINE"

    given = [f"--{name.replace('_', '-')}" for name in ("side", "natural", "condition", "role", "natural_part")
             if typed(name)]
    if given and not blind:  # it would run the other benchmark and say nothing of them
        raise OptionError(f"{given[0]} applies to the blind benchmark only: add --blind")
    if typed("size") and blind:
        raise OptionError("--size applies without --blind only (the blind benchmark scales photos to --side)")
    if size and size < MIN_SIDE or blind and side < MIN_SIDE:
        raise OptionError(f"{'--side' if blind else '--size'} must be {MIN_SIDE} pixels or more"
                          f"{'' if blind else ' (or 0, the whole photos)'}")
    if blind:
        import sys

        from ..restore.bench_blind import run_blind_bench

        def progress(r: dict) -> None:
            print(f"{r['photo']} {r['condition']}: {r['psnr']:.2f} dB (blind {r['margin']:+.2f}, told "
                  f"{r['told_margin']:+.2f}), gain {r['gain']:.2f}, strength {r['strength']:.2f}", file=sys.stderr)

        report = run_blind_bench(weights=weights, side=side, settings=settings_of(ctx), natural=natural,
                                 conditions=tuple(condition) if condition else None,
                                 roles=tuple(role) if role else None, progress=progress, part=natural_part.value)
    else:
        from ..restore.bench import run_bench

        report = run_bench(weights=weights, size=size, settings=settings_of(ctx))
    emit(json.dumps({k: v for k, v in report.items() if k != "table"}, indent=1) if as_json else report["table"])


@app.command("fit-exposure")
def fit_exposure_command(
    out: Annotated[Path, typer.Argument(parser=path_arg, help="Where to write the fitted constants (a .json file); an existing file of exposure constants is refitted in place (the bundled ones are scientist/weights/exposure.json).")],
    samples: Annotated[int, typer.Option(help="Degraded crops to fit on (at least 20).")] = 3000,
    seed: Annotated[int, typer.Option(help="Seed of the crops and degradations (0 or more).")] = 7,
    photos: Annotated[Optional[Path], typer.Option(parser=path_arg, help="Folder with the training photos (default: scikit-image's).")] = None,
    natural: NaturalOpt = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace OUT even when it exists and holds something other than exposure constants.")] = False,
) -> None:
    """Fit the brightness step's regression on synthetic degradations of the fitting photos."""
    from ..restore.exposure import fit_exposure_to
    from ..restore.train import TRAIN_PHOTOS

    model = fit_exposure_to(out, overwrite=overwrite, samples=samples, seed=seed, photos_dir=photos,
                            natural=natural)
    names = model.fitted_on["photos"]
    natural_count = len([n for n in names if n not in TRAIN_PHOTOS])
    emit(f"wrote {out}: {len(model.coef)} terms over {len(names)} photos"
         f"{f' ({natural_count} of them natural)' if natural_count else ''}, "
         f"leave {model.leave[0]}-{model.leave[1]}, aim {model.aim}")
