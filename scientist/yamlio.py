"""YAML reading through libyaml when PyYAML was built with it (about ten times faster), else pure Python."""

from __future__ import annotations

from typing import Any

import yaml

__all__ = ["AliasError", "YAMLError", "problem", "safe_load"]

YAMLError = yaml.YAMLError
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class AliasError(YAMLError):
    """A document that reuses a node through an alias (``*name``) where aliases are refused."""


class _NoAliasLoader(_LOADER):
    """The safe loader, refusing aliases: nested aliases (a "billion laughs" file of a few hundred bytes)
    build a structure that is small in memory but expands to gigabytes when its texts are joined."""

    def construct_object(self, node, deep=False):
        # an alias hands the constructor a node it has already seen (or is still building)
        if node in self.constructed_objects or node in self.recursive_objects:
            where = f" (the value anchored at line {node.start_mark.line + 1} is reused)" if node.start_mark else ""
            raise AliasError(f"YAML aliases are not accepted in a catalog{where}; write each value out")
        return super().construct_object(node, deep)


def safe_load(text: str, *, aliases: bool = True) -> Any:
    """Parse one YAML document with the safe loader (plain data only); ``aliases=False`` refuses
    anchors reused through aliases (:class:`AliasError`)."""
    return yaml.load(text, Loader=_LOADER if aliases else _NoAliasLoader)  # noqa: S506 - a safe loader


def problem(exc: YAMLError) -> str:
    """What the parser met and where, for a message: "invalid YAML at line 2, column 9 (found unexpected end of
    stream)"."""
    mark = getattr(exc, "problem_mark", None)
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    said = getattr(exc, "problem", None) or str(exc).split("\n", 1)[0]
    return f"invalid YAML{where} ({said})"
