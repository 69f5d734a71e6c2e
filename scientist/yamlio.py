"""YAML reading through libyaml when PyYAML was built with it (about ten times faster), else pure Python."""

from __future__ import annotations

from typing import Any

import yaml

__all__ = ["YAMLError", "safe_load"]

YAMLError = yaml.YAMLError
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str) -> Any:
    """Parse one YAML document with the safe loader (plain data only)."""
    return yaml.load(text, Loader=_LOADER)  # noqa: S506 - a safe loader
