"""What the question-set benchmarks share: their command line and the run of each set beside its baseline."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import yaml


def measured(doc: str, default: list[Path], run: Callable[[list[dict], bool], list]
             ) -> Iterator[tuple[list[dict], list, list, bool]]:
    """For each set the command line names (``default`` when it names none): its items, ``run(items, True)``,
    ``run(items, False)`` (the baseline, in the same run) and whether the questions missed are to be printed
    (not with ``--no-misses``: a set measured once keeps its questions unread until then); a line naming the set,
    its size and the time both runs took is printed first.  A set holds its items under ``questions`` (or
    ``items``, a set of texts)."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("sets", nargs="*", type=Path, default=default)
    parser.add_argument("--no-misses", action="store_true", help="print the figures only, not the questions missed "
                        "(for a set measured once: its questions stay unread until then)")
    args = parser.parse_args()
    for path in args.sets:
        data = yaml.safe_load(path.read_text("utf-8"))
        items = data["questions"] if "questions" in data else data["items"]
        start = time.perf_counter()
        now, base = run(items, True), run(items, False)
        what = "questions" if "questions" in data else "items"
        print(f"{path.name}: {len(items)} {what} ({time.perf_counter() - start:.0f} s)")
        yield items, now, base, not args.no_misses


def measured_groups(doc: str, default: list[Path], run: Callable[[dict[str, list[str]], bool], dict[str, list]]
                    ) -> Iterator[tuple[dict[str, list[str]], dict[str, list], dict[str, list], bool]]:
    """As :func:`measured`, for a set that holds its questions in groups (a mapping of a group to its questions):
    the groups, ``run(groups, True)`` and ``run(groups, False)`` (each group's answers now and in the baseline) and
    whether the questions missed are to be printed."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("sets", nargs="*", type=Path, default=default)
    parser.add_argument("--no-misses", action="store_true", help="print the figures only")
    args = parser.parse_args()
    for path in args.sets:
        groups = yaml.safe_load(path.read_text("utf-8"))
        start = time.perf_counter()
        now, base = run(groups, True), run(groups, False)
        print(f"{path.name}: {sum(map(len, groups.values()))} questions, each asked twice "
              f"({time.perf_counter() - start:.0f} s)")
        yield groups, now, base, not args.no_misses


def only_model_run(right: Callable[[dict, object, str], bool]) -> Callable[[list[dict], bool], list[bool]]:
    """A set's run for :func:`measured`: each item's question asked with the ``only_model`` setting on or off, and
    ``right(item, answer, model_id)`` of its answer (``model_id``: the corpus's model)."""

    def run(items: list[dict], only_model: bool) -> list[bool]:
        from scientist import Scientist
        from scientist.settings import load_settings

        sci = Scientist(settings=load_settings().model_copy(update={"only_model": only_model}))
        model_id = next(r.id for r in sci.corpus.records if r.kind == "model")
        return [right(item, sci.ask(item["question"]), model_id) for item in items]

    return run


def outside_group(item: dict) -> str | None:
    """The groups every set of questions about the model shares: ``controls`` (asks nothing of it) and ``other
    model`` (about another model); None for a question about the model itself, which each set groups its own way."""
    if item["asks"] == "none":
        return "controls"
    return "other model" if item["refers"] == "other" else None


def print_groups(items: list[dict], now: list[bool], base: list[bool], groups: tuple[str, ...],
                 group_of: Callable[[dict], str], misses: bool, columns: tuple[str, str] = ("only_model on",
                                                                                           "off (baseline)")) -> None:
    """Each group's right answers now and in the baseline (``columns``: their headings; by default ``only_model``
    on and off), and (``misses``) the questions missed."""
    print(f"  {'group':<12} {columns[0]:>14} {columns[1]:>15} {'ratio':>6}")
    for group in groups:
        at = [i for i, item in enumerate(items) if group_of(item) == group]
        a, b = sum(now[i] for i in at), sum(base[i] for i in at)
        ratio = f"{a / b:.2f}" if b else "-"
        print(f"  {group:<12} {f'{a} of {len(at)}':>14} {f'{b} of {len(at)}':>15} {ratio:>6}")
    for i in [i for i in range(len(items)) if not now[i]] if misses else []:
        print(f"  miss: {group_of(items[i])}: {' '.join(items[i]['question'].split())[:100]}")


def what(answer) -> str:
    """How an answer read its question, in a few words: about the tool, another language, a list of records, or its
    task (and whether it was refused)."""
    if answer.about:
        return f"about {answer.about}"
    if not answer.language.english:
        return f"read as {answer.language.name}"
    if answer.listing:
        return "listed"
    return (answer.task.id if answer.task else "no task") + ("" if answer.in_scope else ", refused")


def print_right(sets: dict[str, list], now: dict[str, list], base: dict[str, list],
                right: Callable[[str, object], bool], misses: bool, width: int = 12) -> None:
    """Each group's right answers (``right(group, answer)``) now and in the baseline, and (``misses``) the questions
    missed now, with how they were read."""
    print(f"  {'group':<{width}} {'right':>9} {'baseline':>9}")
    for g, qs in sets.items():
        ok, bok = sum(right(g, a) for a in now[g]), sum(right(g, a) for a in base[g])
        print(f"  {g:<{width}} {f'{ok} of {len(qs)}':>9} {f'{bok} of {len(qs)}':>9}")
    for g, qs in sets.items() if misses else ():
        for q, a in zip(qs, now[g], strict=True):
            if not right(g, a):
                print(f"  miss ({g}: {what(a)}): {' '.join(q.split())[:110]}")


def without_figure_run(label: str) -> tuple[object, Callable[[dict[str, list[str]], bool], dict[str, list]]]:
    """A :class:`~scientist.Scientist` and a set's run for :func:`measured_groups`: each group's answers now, and (the
    baseline) from the same code with the figure ``label`` left out of ``corpus/figures.yaml``'s."""
    import scientist.core as core
    import scientist.corpus as corpus
    from scientist import Scientist

    sci = Scientist()
    figures = corpus.load_figures

    def run(groups: dict[str, list[str]], reading: bool) -> dict[str, list]:
        if reading:
            return {g: [sci.ask(q) for q in qs] for g, qs in groups.items()}
        corpus.load_figures = core.load_figures = lambda: tuple(f for f in figures() if f.label != label)
        try:  # the baseline: no such figure
            return {g: [Scientist().ask(q) for q in qs] for g, qs in groups.items()}
        finally:
            corpus.load_figures = core.load_figures = figures

    return sci, run


def figure_bench(doc: str, sets: list[Path], label: str, right: Callable[[str, object, str], bool]) -> int:
    """A benchmark of follow-ups that ask for the figure ``label`` of the corpus's only model: each set of
    ``sets`` (the command line's, else these) run now and without the figure (:func:`without_figure_run`), and
    each group's right answers printed (``right(group, answer, model_id)``)."""
    sci, run = without_figure_run(label)
    model = next(r.id for r in sci.corpus.records if r.kind == "model")
    for groups, now, base, misses in measured_groups(doc, sets, run):
        print_right(groups, now, base, lambda g, a: right(g, a, model), misses, width=10)
    return 0
