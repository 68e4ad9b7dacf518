"""Test helpers, importable from every test (``tests/`` is on pytest's pythonpath)."""

from __future__ import annotations

from typing import Any

MATRIX_POLICY: dict[str, Any] = {
    "version": 1,
    "levels": {
        "low": {"threshold": 0.70, "confident": "auto", "unsure": "queue", "audit_rate": 0.0},
        "medium": {"threshold": 0.85, "confident": "auto", "unsure": "queue", "audit_rate": 0.05},
        "high": {"threshold": 0.92, "confident": "audit", "unsure": "escalate", "audit_rate": 0.20},
        "critical": {"confident": "escalate", "unsure": "escalate"},
    },
    "default_task": {"risk": "medium"},
    "tasks": {
        "support_reply": {"risk": "low", "sla": "4h", "on_sla_breach": "release"},
        "refund_approval": {
            "risk": "high",
            "irreversible": True,
            "rules": [
                {"if": "attributes.amount > 10000", "risk": "critical"},
                {"if": "attributes.is_new_user", "min_risk": "high"},
            ],
            "sla": "15m",
            "on_sla_breach": "reject",
            "reviewers": 2,
            "requires": {"tier": "senior", "skills": ["finance"]},
        },
    },
}
