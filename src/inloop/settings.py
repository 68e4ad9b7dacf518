"""Settings for the service, built once at start-up from arguments and ``INLOOP_*`` environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from typing import Any

DEFAULT_URL = "sqlite:///./inloop.db"
"""The embedded default: a SQLite file in the working directory."""


@dataclass(frozen=True)
class Settings:
    db: str = DEFAULT_URL
    policy: str = "policy.yaml"
    host: str = "127.0.0.1"
    port: int = 8000
    lease_seconds: int = 300
    max_body_bytes: int = 1_048_576
    sweep_interval_seconds: float = 1.0
    webhook_attempts: int = 8
    webhook_backoff_seconds: float = 2.0
    background: bool = True

    @classmethod
    def from_env(cls, **overrides: Any) -> Settings:
        """Defaults, then ``INLOOP_DB``, ``INLOOP_POLICY``, …, then explicit (non-None) overrides."""
        base = cls()
        values: dict[str, Any] = {}
        for name, default in base.__dict__.items():
            raw = os.environ.get(f"INLOOP_{name.upper()}")
            if raw is None:
                continue
            values[name] = (
                type(default)(raw) if not isinstance(default, bool) else raw.lower() in ("1", "true")
            )
        values.update({k: v for k, v in overrides.items() if v is not None})
        return replace(base, **values)
