"""JSON Schemas (draft 2020-12) of the export records, one per format: the contract a training pipeline can
validate a file against, and the one the tests hold every exported line to."""

from __future__ import annotations

from typing import Any

_TEXT = {"type": "string"}
_TIME = {"type": ["string", "null"], "format": "date-time"}
_MESSAGE = {
    "type": "object",
    "required": ["role", "content"],
    "additionalProperties": False,
    "properties": {"role": {"enum": ["system", "user", "assistant"]}, "content": _TEXT},
}
_ASSISTANT = {
    "type": "array",
    "minItems": 1,
    "maxItems": 1,
    "items": {**_MESSAGE, "properties": {"role": {"const": "assistant"}, "content": _TEXT}},
}
_ITEM_METADATA = {
    "type": "object",
    "required": [
        "item_id",
        "task_type",
        "model",
        "policy_version",
        "verdict",
        "categories",
        "created_at",
        "decided_at",
    ],
    "additionalProperties": False,
    "properties": {
        "item_id": _TEXT,
        "task_type": _TEXT,
        "model": {"type": ["string", "null"]},
        "policy_version": _TEXT,
        "verdict": {"enum": ["approve", "reject", "edit", None]},
        "categories": {"type": "array", "items": _TEXT},
        "created_at": _TIME,
        "decided_at": _TIME,
    },
}


def _record(properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "required": list(properties),
        "additionalProperties": False,
        "properties": properties,
    }


SCHEMAS: dict[str, dict[str, Any]] = {
    "sft": _record(
        {
            "messages": {
                "type": "array",
                "minItems": 1,
                "items": _MESSAGE,
                "contains": {"properties": {"role": {"const": "assistant"}}},
            },
            "metadata": _ITEM_METADATA,
        }
    ),
    "dpo": _record(
        {
            "prompt": {"type": "array", "items": _MESSAGE},
            "chosen": _ASSISTANT,
            "rejected": _ASSISTANT,
            "metadata": _ITEM_METADATA,
        }
    ),
    "labels": _record(
        {
            "item_id": _TEXT,
            "task_type": _TEXT,
            "check": _TEXT,
            "score": {"type": "number", "minimum": 0, "maximum": 1},
            "flagged": {"type": "boolean"},
            "judged": {"type": "boolean"},
            "confidence": {"type": ["number", "null"], "minimum": 0, "maximum": 1},
            "label": {"enum": ["ok", "error"]},
            "metadata": _ITEM_METADATA,
        }
    ),
    "reviews": _record(
        {
            "review_id": _TEXT,
            "item_id": _TEXT,
            "kind": {"enum": ["review", "adjudication", "audit"]},
            "reviewer": _TEXT,
            "verdict": {"enum": ["approve", "reject", "edit"]},
            "category": {"type": ["string", "null"]},
            "reason": {"type": "string"},
            "output": {"type": ["string", "null"]},
            "claimed_at": _TIME,
            "decided_at": _TIME,
            "handling_ms": {"type": "integer", "minimum": 0},
            "agreement_group": {"type": ["string", "null"]},
            "metadata": {
                "type": "object",
                "required": [
                    "item_id",
                    "task_type",
                    "model",
                    "policy_version",
                    "categories",
                    "claimed_at",
                    "decided_at",
                ],
                "additionalProperties": False,
                "properties": {
                    "item_id": _TEXT,
                    "task_type": _TEXT,
                    "model": {"type": ["string", "null"]},
                    "policy_version": _TEXT,
                    "categories": {"type": "array", "items": _TEXT},
                    "claimed_at": _TIME,
                    "decided_at": _TIME,
                },
            },
        }
    ),
}
