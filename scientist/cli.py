"""Command line: ``ask`` and ``scientist``.  A thin layer over the library.

Every :class:`~scientist.errors.ScientistError` becomes one line on stderr and
exit code 2; anything else is an internal error (exit code 1).  ``--debug``
shows the traceback.
"""

from __future__ import annotations

import json
import sys
import traceback
import warnings
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from .errors import ScientistError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Grounded answers about AI photo models, from a restricted corpus.")
corpus_app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                         help="Inspect and extend the corpus.")
app.add_typer(corpus_app, name="corpus")


class Format(str, Enum):
    md = "md"
    text = "text"


def _warn_line(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"warning: {message}", file=sys.stderr)


def _run(fn: Callable[[], int | None], debug: bool) -> None:
    """Run a command body; map errors to exit codes."""
    warnings.showwarning = _warn_line
    try:
        code = fn() or 0
    except ScientistError as exc:
        if debug:
            traceback.print_exc()
        print(f"error: {exc}", file=sys.stderr)
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        print("interrupted: nothing was left half-written", file=sys.stderr)
        raise typer.Exit(130) from None
    except typer.Exit:
        raise
    except Exception as exc:  # noqa: BLE001 - the one place internal errors are reported
        if debug:
            traceback.print_exc()
        msg = str(exc).splitlines()[0] if str(exc) else ""
        print(f"internal error: {exc.__class__.__name__}: {msg} (run with --debug for details)",
              file=sys.stderr)
        raise typer.Exit(1) from None
    raise typer.Exit(code)


def _emit(text: str) -> None:
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    sys.stdout.flush()


DebugOpt = Annotated[bool, typer.Option("--debug", help="Show tracebacks.")]
CorpusOpt = Annotated[Optional[Path], typer.Option("--corpus", help="Answer from this corpus (folder, catalog or seed) instead of the default.")]
WeightsOpt = Annotated[Optional[Path], typer.Option("--weights", help="MIMO-UNet weights (.pkl/.pth official checkpoint or .safetensors). Default: $SCIENTIST_WEIGHTS, then the bundled weights.")]
DeviceOpt = Annotated[str, typer.Option("--device", help="auto, cpu or cuda.")]
MaxSideOpt = Annotated[Optional[int], typer.Option("--max-side", help="Downscale so the longer side is at most this (quick preview).")]


def ask_command(
    question: Annotated[Optional[str], typer.Argument(help="The question, in quotes.")] = None,
    seed: Annotated[Optional[Path], typer.Option("--seed", help="Answer the question inside this seed document, from its records only.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer as JSON.")] = False,
    fmt: Annotated[Format, typer.Option("--format", help="md (default) or text.")] = Format.md,
    corpus: CorpusOpt = None,
    photo: Annotated[Optional[Path], typer.Option("--photo", help="Also run the model on this photo.")] = None,
    out_dir: Annotated[Optional[Path], typer.Option("--out-dir", help="Where the demo writes its images (default: beside the photo).")] = None,
    weights: WeightsOpt = None,
    device: DeviceOpt = "auto",
    max_side: MaxSideOpt = None,
    k: Annotated[int, typer.Option("--k", min=1, max=50, help="Records to retrieve.")] = 5,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace existing demo outputs.")] = False,
    debug: DebugOpt = False,
) -> None:
    """Answer a question in three parts: the task, the workflow, the supporting records."""

    def body() -> None:
        from .core import Scientist
        from .errors import QuestionError

        if seed is not None:
            if corpus is not None:
                raise QuestionError("use either --seed or --corpus, not both")
            sci, seed_q = Scientist.from_seed(seed, weights=weights, device=device)
            q = question if question is not None else seed_q
        else:
            if question is None:
                raise QuestionError("give a question (or --seed FILE)")
            sci, q = Scientist(corpus, weights=weights, device=device), question
        options = {"k": k}
        if photo is not None:
            options.update(out_dir=out_dir, max_side=max_side, overwrite=overwrite,
                           progress=not as_json)
        answer = sci.ask(q, photo=photo, **options)
        if as_json:
            _emit(answer.model_dump_json(indent=2))
        else:
            _emit(answer.markdown if fmt is Format.md else answer.text)

    _run(body, debug)


app.command("ask")(ask_command)


@corpus_app.command("list")
def corpus_list(
    corpus: CorpusOpt = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    debug: DebugOpt = False,
) -> None:
    """List the records of the corpus."""

    def body() -> None:
        from .corpus import load_corpus

        c = load_corpus(corpus)
        if as_json:
            _emit(json.dumps([r.model_dump(exclude_none=True, exclude={"card"}) for r in c.records], indent=1))
            return
        for r in c.records:
            links = "  ".join(r.links())
            _emit(f"{r.id}\t{r.kind}\t{r.title}\t{links}")
        print(f"{len(c)} records", file=sys.stderr)

    _run(body, debug)


@corpus_app.command("add")
def corpus_add(
    files: Annotated[list[Path], typer.Argument(help="Seed documents or JSON/JSONL/YAML catalogs.")],
    debug: DebugOpt = False,
) -> None:
    """Add the records of catalogs or seed documents to your corpus."""

    def body() -> None:
        from .corpus import add_to_user_corpus

        added = add_to_user_corpus(list(files))
        for r in added:
            _emit(f"added {r.id}\t{r.kind}\t{r.title}")
        print(f"{len(added)} records added", file=sys.stderr)

    _run(body, debug)


@app.command("eval")
def eval_command(
    questions: Annotated[Path, typer.Argument(help="YAML list of {question, task, in_scope, references}.")],
    corpus: CorpusOpt = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    debug: DebugOpt = False,
) -> None:
    """Task accuracy, reference precision and refusal accuracy over a question set."""

    def body() -> None:
        from .core import Scientist
        from .evaluate import evaluate, load_questions

        report = evaluate(Scientist(corpus), load_questions(questions))
        _emit(json.dumps(report.model_dump(), indent=1) if as_json else report.table())

    _run(body, debug)


@app.command("restore")
def restore_command(
    photo: Annotated[Path, typer.Argument(help="The photo to restore (never modified).")],
    out: Annotated[Optional[Path], typer.Option("--out", help="Output PNG (default: <stem>_restored.png beside the photo).")] = None,
    weights: WeightsOpt = None,
    device: DeviceOpt = "auto",
    max_side: MaxSideOpt = None,
    tile: Annotated[Optional[int], typer.Option("--tile", help="Square tiles of this side in pixels (default: the fewest pixels under a 768 MiB working-memory budget).")] = None,
    backend: Annotated[str, typer.Option("--backend", help="auto (onnxruntime on CPU when installed), onnx, torch or eager.")] = "auto",
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace existing outputs.")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    debug: DebugOpt = False,
) -> None:
    """Run MIMO-UNet on a photo; write the restored image and a comparison."""

    def body() -> None:
        from .restore.pipeline import run_demo

        demo = run_demo(photo, out=out, weights=weights, device=device, max_side=max_side,
                        tile=tile, overwrite=overwrite, progress=not as_json, backend=backend)
        if as_json:
            _emit(demo.model_dump_json(indent=2))
        else:
            _emit(f"restored:   {demo.output}\ncomparison: {demo.comparison}\n"
                  f"{demo.variant} ({demo.weights}) on {demo.device}, {demo.tiles} tile(s), "
                  f"{demo.seconds:.1f} s ({demo.backend}: {demo.model_seconds:.1f} s, estimated {demo.estimated_seconds:.0f} s); gain x{demo.gain:.2f}; noise sigma {demo.noise_before:.2f} (input), "
                  f"{demo.noise_brightened:.2f} (brightened) -> {demo.noise_after:.2f}")

    _run(body, debug)


@app.command("train")
def train_command(
    out: Annotated[Path, typer.Argument(help="Weights file to write (.safetensors).")],
    minutes: Annotated[float, typer.Option(help="Training time budget.")] = 60.0,
    steps: Annotated[Optional[int], typer.Option(help="Step budget (overrides minutes).")] = None,
    batch: int = 4,
    patch: int = 96,
    variant: str = "MIMO-UNet",
    threads: Annotated[Optional[int], typer.Option()] = None,
    lr: float = 5e-4,
    save_every: Annotated[int, typer.Option(help="Validate and save every this many steps.")] = 25,
    device: Annotated[str, typer.Option(help="Torch device to train on (cpu, cuda).")] = "cpu",
    workers: Annotated[int, typer.Option(help="Processes making training batches (0 = in the main one).")] = 0,
    init: Annotated[Optional[Path], typer.Option(help="Start from these weights instead of random ones.")] = None,
    photos: Annotated[Optional[Path], typer.Option(help="Folder with the training photos (default: scikit-image's).")] = None,
    debug: DebugOpt = False,
) -> None:
    """Train MIMO-UNet on synthetic low-light degradations (resumes from OUT's state file)."""

    def body() -> None:
        from .restore.train import train

        train(out, variant=variant, minutes=minutes, max_steps=steps, batch=batch, patch=patch,
              threads=threads, lr=lr, device=device, workers=workers, init=init, photos_dir=photos,
              save_every=save_every)

    _run(body, debug)


@app.command("bench-restore")
def bench_restore_command(
    weights: WeightsOpt = None,
    size: Annotated[int, typer.Option(help="Crop the evaluation photos to this square size (0 = whole).")] = 0,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    debug: DebugOpt = False,
) -> None:
    """PSNR/SSIM of the bundled model against classical baselines on the evaluation photos."""

    def body() -> None:
        from .restore.bench import run_bench

        report = run_bench(weights=weights, size=size)
        _emit(json.dumps(report, indent=1) if as_json else report["table"])

    _run(body, debug)


@app.command("prompt")
def prompt_command(
    question: Annotated[str, typer.Argument(help="The question.")],
    corpus: CorpusOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Print a grounded prompt (seed-document shape) for a chatbot's own LLM."""

    def body() -> None:
        from .core import Scientist

        _emit(Scientist(corpus).prompt(question))

    _run(body, debug)


@app.command("verify")
def verify_command(
    file: Annotated[Path, typer.Argument(help="A text file, e.g. an LLM's answer; - for stdin.")],
    corpus: CorpusOpt = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    debug: DebugOpt = False,
) -> None:
    """Check a text's links and model/paper names against the corpus; exit 1 when something is ungrounded."""

    def body() -> int:
        from .core import Scientist
        from .errors import CorpusError

        if str(file) == "-":
            text = sys.stdin.read()
        else:
            try:
                text = file.read_text("utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise CorpusError(f"{file}: cannot read ({exc.__class__.__name__})") from None
        verdict = Scientist(corpus).verify(text)
        _emit(verdict.model_dump_json(indent=2) if as_json else verdict.summary())
        return 0 if verdict.grounded else 1

    _run(body, debug)


@app.command("schema")
def schema_command(debug: DebugOpt = False) -> None:
    """Print the JSON Schema of the answer."""

    def body() -> None:
        from .answer import Answer

        _emit(json.dumps(Answer.model_json_schema(), indent=2))

    _run(body, debug)


def ask_main() -> None:
    """Entry point of the ``ask`` console script: the same command as ``scientist ask``."""
    single = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    single.command()(ask_command)
    single()


def main() -> None:
    """Entry point of the ``scientist`` console script."""
    app()
