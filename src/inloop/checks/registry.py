"""Find the class behind a check's ``type`` in a policy: a built-in name or a user's ``module:Class``.

Built-ins are imported on first use, so a policy without ``toxicity`` never loads scikit-learn.
"""

from __future__ import annotations

import importlib
from typing import Any

from inloop.checks.base import Check

BUILTIN: dict[str, str] = {
    "grounding": "inloop.checks.grounding:GroundingCheck",
    "injection": "inloop.checks.injection:InjectionCheck",
    "json_schema": "inloop.checks.structure:JsonSchemaCheck",
    "keywords": "inloop.checks.keywords:KeywordsCheck",
    "length": "inloop.checks.structure:LengthCheck",
    "pii": "inloop.checks.pii:PiiCheck",
    "regex": "inloop.checks.regex:RegexCheck",
    "toxicity": "inloop.checks.toxicity:ToxicityCheck",
}


def check_class(kind: str) -> type[Check[Any]]:
    """The class for ``kind``; raises ``ValueError`` with a message fit for a policy error."""
    target = BUILTIN.get(kind, kind)
    if ":" not in target:
        known = ", ".join(sorted(BUILTIN))
        raise ValueError(f"unknown check type {kind!r} (built-in: {known}; or a custom 'module:Class')")
    module_name, _, attr = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ValueError(f"cannot import {module_name!r} for check type {kind!r}: {exc}") from None
    cls = getattr(module, attr, None)
    if not (isinstance(cls, type) and issubclass(cls, Check)):
        raise ValueError(f"{target!r} is not a subclass of inloop.checks.Check")
    return cls
