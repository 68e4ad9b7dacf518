"""Shared fixtures."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from testkit import MATRIX_POLICY

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


@pytest.fixture
def policy_data() -> dict[str, Any]:
    """A fresh deep copy of the issue's example risk matrix, safe to mutate."""
    return copy.deepcopy(MATRIX_POLICY)


@pytest.fixture
def write_policy(tmp_path: Path):  # type: ignore[no-untyped-def]
    def write(data: Any, name: str = "policy.yaml") -> Path:
        path = tmp_path / name
        path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False))
        return path

    return write
