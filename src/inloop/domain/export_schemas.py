"""JSON Schemas (draft 2020-12) of the export records, one per format: the contract a training pipeline can
validate a file against, and the one the tests hold every exported line to."""

from __future__ import annotations

from typing import Any


def _object(properties: dict[str, Any]) -> dict[str, Any]:
    """An object with exactly these keys, every one required."""
    return {
        "type": "object",
        "required": list(properties),
        "additionalProperties": False,
        "properties": properties,
    }


def _record(properties: dict[str, Any]) -> dict[str, Any]:
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **_object(properties)}


_TEXT = {"type": "string"}
_MAYBE_TEXT = {"type": ["string", "null"]}
_TIME = {"type": ["string", "null"], "format": "date-time"}
_MESSAGE = _object({"role": {"enum": ["system", "user", "assistant"]}, "content": _TEXT})
_ASSISTANT = {
    "type": "array",
    "minItems": 1,
    "maxItems": 1,
    "items": _object({"role": {"const": "assistant"}, "content": _TEXT}),
}
_ITEM = {"item_id": _TEXT, "task_type": _TEXT, "model": _MAYBE_TEXT, "policy_version": _TEXT}
_CATEGORIES = {"type": "array", "items": _TEXT}
_ITEM_METADATA = _object(
    {
        **_ITEM,
        "verdict": {"enum": ["approve", "reject", "edit", None]},
        "categories": _CATEGORIES,
        "created_at": _TIME,
        "decided_at": _TIME,
    }
)
_REVIEW_METADATA = _object({**_ITEM, "categories": _CATEGORIES, "claimed_at": _TIME, "decided_at": _TIME})

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
            "category": _MAYBE_TEXT,
            "reason": _TEXT,
            "output": _MAYBE_TEXT,
            "claimed_at": _TIME,
            "decided_at": _TIME,
            "handling_ms": {"type": "integer", "minimum": 0},
            "agreement_group": _MAYBE_TEXT,
            "metadata": _REVIEW_METADATA,
        }
    ),
}
