"""Reading a policy file from disk; YAML syntax errors become policy errors with a line number."""

from __future__ import annotations

from pathlib import Path

import yaml

from inloop.errors import PolicyError, Problem


def read_policy_file(path: str | Path) -> object:
    """The decoded content of a YAML or JSON policy file."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PolicyError(source, [Problem("", "file not found")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(source, [Problem("", f"cannot read file: {exc}")]) from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise PolicyError(source, [Problem("", f"not valid YAML: {where}{problem}")]) from None
