"""Commands about questions and the corpus: ask, prompt, verify, schema, eval, corpus, settings."""

from __future__ import annotations

import json
import os
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..fileio import is_dir, is_file
from .app import app, corpus_app, emit, json_text, settings_of
from .options import CorpusOpt, DemoOptions, JsonOpt, path_arg, with_demo_options


class Format(str, Enum):
    md = "md"
    text = "text"


@app.command("ask")
@with_demo_options(format_flag=False)
def ask_command(
    ctx: typer.Context,
    question: Annotated[Optional[list[str]], typer.Argument(metavar="QUESTION [PHOTO]", show_default=False, help="The question (quotes are optional), then optionally a photo file to run the model on, as --photo does.")] = None,
    seed: Annotated[Optional[Path], typer.Option("--seed", parser=path_arg, help="Answer the question inside this seed document, from its records only (a record that is a packaged one, by link and name, takes its summary and card).")] = None,
    as_json: JsonOpt = False,
    fmt: Annotated[Optional[Format], typer.Option("--format", help="md (default) or text.", show_default=False)] = None,
    corpus: CorpusOpt = None,
    k: Annotated[Optional[int], typer.Option("--k", help="Records to retrieve, 1 to 50 (default: the `k` setting).")] = None,
    photo: Annotated[Optional[Path], typer.Option("--photo", parser=path_arg, help="Also run the model on this photo (with the options `restore` takes for one photo; its --format is --image-format).")] = None,
    demo: DemoOptions = None,
) -> None:
    """Answer a question in three parts: the task, the workflow, the supporting records."""
    from ..core import Scientist
    from ..errors import OptionError, QuestionError

    if as_json and fmt is not None:  # the JSON was printed, and the format asked for silently not
        raise OptionError(f"--json and --format {fmt.value}: the JSON holds the answer in both formats (its markdown "
                          "and text); give one of the two")
    settings = settings_of(ctx)
    question, photo = _question_and_photo(question, photo, seed is not None)
    if photo is None and demo:
        flags = {p.name: p.opts[0] for p in ctx.command.params}
        names = ", ".join(flags[k] for k in demo)
        raise OptionError(f"{names}: {'this option is' if len(demo) == 1 else 'these options are'} for the photo "
                            "the model runs on; give one (ask \"how does it reduce noise?\" IMG.jpg) or leave "
                            f"{'it' if len(demo) == 1 else 'them'} out")
    options = demo.options()  # a bad --device or --tile is named as the option typed, before anything loads
    if seed is not None:
        if corpus is not None:
            raise QuestionError("use either --seed or --corpus, not both")
        sci, seed_q = Scientist.from_seed(seed, settings=settings, weights=demo.weights, device=demo.device)
        q = question if question is not None else seed_q
    else:
        if question is None:
            raise QuestionError("give a question (or --seed FILE)")
        sci, q = Scientist(corpus, settings=settings, weights=demo.weights, device=demo.device), question
    try:
        answer = sci.ask(q, photo=photo, k=k, progress=not as_json, options=options)
    except OptionError as exc:  # the library's argument k is this command's option --k
        if exc.option != "k":
            raise
        raise OptionError(f"invalid option --k: {exc.problem}") from None
    if as_json:
        emit(json_text(answer))
    else:
        emit(answer.text if fmt is Format.text else answer.markdown)


def _question_and_photo(words: list[str] | None, photo: Path | None, has_seed: bool) -> tuple[str | None, Path | None]:
    """The question from its words (a shell passes an unquoted question as several), and the photo: the last word
    when it names one (see :func:`_names_a_photo`), after a question or ``--seed``; ``--photo`` may give it
    instead, not as well.  A folder or a second photo there is a mistake, said in one line."""
    from ..errors import QuestionError

    words = list(words or [])
    # a folder named with a separator, or any folder after a question given in quotes (a word with a space): a
    # question's own last word ("... of my photos") is read as a folder only when written so
    quoted = len(words) > 1 and any(c.isspace() for c in words[0])
    if words and (_has_folder(words[-1]) or quoted) and is_dir(Path(words[-1])):
        raise QuestionError(f"{words[-1]} is a folder: ask runs the model on one photo (`scientist restore "
                            f"{words[-1]}` restores a folder's photos)")
    if not words or not _names_a_photo(words[-1]):
        return (" ".join(words) if words else None), photo
    if len(words) == 1 and not has_seed:
        raise QuestionError(f"give a question before the photo: ask \"how does it reduce noise?\" {words[0]}")
    last = words.pop()
    other = f"--photo {photo}" if photo is not None else words[-1] if len(words) > 1 and _names_a_photo(words[-1]) \
        else None
    if other is not None:
        raise QuestionError(f"give one photo: {other} and {last} are two (ask runs the model on one; "
                            "`scientist restore` takes many)")
    return (" ".join(words) if words else None), Path(last)


def _names_a_photo(word: str) -> bool:
    """Whether a word of the command line names a photo: it ends like one (with a space in it only when the file is
    there, as a quoted question may end in "photo.png" too), or it is a file that is there and has an ending or a
    folder in its name (so that a question's last word is not taken for a file of that name)."""
    path = Path(word)
    if not path.suffix:  # most questions' last word: nothing to import or look up
        return _has_folder(word) and is_file(path)
    from ..restore.filetypes import PHOTO_SUFFIXES, RAW_SUFFIXES

    if path.suffix.lower() in PHOTO_SUFFIXES | RAW_SUFFIXES:
        return not any(c.isspace() for c in word) or is_file(path)
    return is_file(path)


def _has_folder(word: str) -> bool:
    return os.sep in word or (os.altsep is not None and os.altsep in word)


@app.command("prompt")
def prompt_command(
    ctx: typer.Context,
    question: Annotated[str, typer.Argument(help="The question.")],
    corpus: CorpusOpt = None,
) -> None:
    """Print a grounded prompt (seed-document shape) for a chatbot's own LLM."""
    from ..core import Scientist

    emit(Scientist(corpus, settings=settings_of(ctx)).prompt(question))


@app.command("verify")
def verify_command(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(parser=path_arg, help="A text file, e.g. an LLM's answer; - for stdin.")],
    corpus: CorpusOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Check a text's links, model/paper names and figures of results against the corpus; exit 1 when something is
    ungrounded."""
    from ..core import Scientist
    from ..errors import CorpusError
    from ..fileio import MAX_INPUT_MB
    from ..ingest import read_text

    if str(file) == "-":
        limit = MAX_INPUT_MB * 2**20
        text = sys.stdin.read(limit + 1)
        if len(text) > limit:
            raise CorpusError(f"the text on stdin is longer than the {MAX_INPUT_MB} MiB this tool reads")
    else:
        text = read_text(file)
    verdict = Scientist(corpus, settings=settings_of(ctx)).verify(text)
    emit(json_text(verdict) if as_json else verdict.summary())
    if not verdict.grounded:
        raise typer.Exit(1)


@app.command("schema")
def schema_command() -> None:
    """Print the JSON Schema of the answer."""
    from ..answer import Answer

    emit(json.dumps(Answer.model_json_schema(), indent=2))


@app.command("eval")
def eval_command(
    ctx: typer.Context,
    questions: Annotated[Path, typer.Argument(parser=path_arg, help="YAML list of {question, task, in_scope, references, also, kind}; only question is required.")],
    corpus: CorpusOpt = None,
    key: Annotated[Optional[Path], typer.Option("--key", parser=path_arg, help="YAML answer key: record id -> task id (default: the tool's own record tasks).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Task and top-2 accuracy, calibration, confident mistakes, two-task answers, category@1, MRR, reference
    precision and refusal accuracy over a question set, overall and per kind of question."""
    from ..core import Scientist
    from ..errors import shown
    from ..evaluate import evaluate, known_tasks, load_key, load_questions

    sci = Scientist(corpus, settings=settings_of(ctx))
    items = known_tasks(load_questions(questions), sci.corpus, shown(questions.name))  # before any is asked
    report = evaluate(sci, items, load_key(key) if key is not None else None)
    emit(json.dumps(report.model_dump(), indent=1) if as_json else report.table())


@app.command("settings")
def settings_command(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Print the settings in force (defaults, settings file, SCIENTIST_* variables), with their meaning."""
    from ..settings import ENV_PREFIX

    settings = settings_of(ctx)
    values = settings.model_dump(mode="json")
    if as_json:
        emit(json.dumps(values, indent=1))
        return
    # where the folders left unset are on this machine: what the tool writes, and what to remove after an uninstall
    in_use = {"home": settings.user_dir, "cache": settings.cache_dir,
              "mcp_out_dir": settings.mcp_out_dir or settings.user_dir / "restored"}
    for name, field in type(settings).model_fields.items():
        now = f"  # here: {in_use[name]}" if name in in_use and values[name] is None else ""
        emit(f"{name} = {json.dumps(values[name])}{now}\n    {field.description} ({ENV_PREFIX}{name.upper()})")


@corpus_app.command("list")
def corpus_list(ctx: typer.Context, corpus: CorpusOpt = None, as_json: JsonOpt = False) -> None:
    """List the records of the corpus."""
    from ..corpus import load_corpus

    c = load_corpus(corpus, settings=settings_of(ctx))
    if as_json:
        emit(json.dumps([r.model_dump(exclude_none=True, exclude={"card"}) for r in c.records], indent=1))
        return
    for r in c.records:
        emit(f"{r.id}\t{r.kind}\t{r.title}\t{'  '.join(r.links())}")
    print(f"{len(c)} record{'s' if len(c) != 1 else ''}", file=sys.stderr)


@corpus_app.command("add")
def corpus_add(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(parser=path_arg, help="Seed documents or JSON/JSONL/YAML catalogs.")],
) -> None:
    """Add the records of catalogs or seed documents to your corpus."""
    from ..corpus import add_to_user_corpus

    added = add_to_user_corpus(list(files), settings=settings_of(ctx))
    for r in added:
        emit(f"added {r.id}\t{r.kind}\t{r.title}")
    print(f"{len(added)} record{'s' if len(added) != 1 else ''} added", file=sys.stderr)
