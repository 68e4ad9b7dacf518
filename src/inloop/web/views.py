"""View models: an item resource turned into what the templates show (escaped, highlighted, masked)."""

from __future__ import annotations

import json
from typing import Any

from markupsafe import Markup

from inloop.domain.access import Action
from inloop.services.context import Context
from inloop.web.pages import Viewer
from inloop.web.text import Flags, collect_flags, diff, highlight, mask_text, render_diff

HIDDEN = "[hidden: may contain personal data]"


def pii_checks(ctx: Context) -> set[str]:
    """Names of the policy's PII checks (their spans are what a viewer without ``pii.view`` must not see)."""
    names = {"pii"}
    if ctx.gate is not None:
        for spec in ctx.policy.checks:
            if spec.type == "pii":
                names.add(spec.name or "pii")
    return names


def item_view(ctx: Context, v: Viewer, resource: dict[str, Any]) -> dict[str, Any]:
    body = resource["item"]
    checks = resource.get("checks") or []
    flags: Flags = collect_flags(checks, pii_checks(ctx))
    mask = not v.can(Action.VIEW_PII)
    has_pii = any(f.pii for f in flags.all)
    output = str(body.get("output", ""))

    raw_input = body.get("input")
    messages: list[dict[str, Any]] = []
    if isinstance(raw_input, str):
        messages.append({"role": None, "html": highlight(raw_input, flags.of("input"), mask_pii=mask)})
    elif isinstance(raw_input, list):
        for i, m in enumerate(raw_input):
            text = str(m.get("content", "")) if isinstance(m, dict) else str(m)
            role = str(m.get("role", "")) if isinstance(m, dict) else ""
            messages.append({"role": role, "html": highlight(text, flags.of(f"input[{i}]"), mask_pii=mask)})
    passages = [
        highlight(str(p), flags.of(f"context[{i}]"), mask_pii=mask)
        for i, p in enumerate(body.get("context") or [])
    ]
    check_rows = []
    for index, c in enumerate(checks):
        numbers = [f.n for f in flags.all if f.check_index == index]
        check_rows.append({**c, "index": index, "flag_numbers": numbers})
    attributes = [
        (str(k), v_ if isinstance(v_, str) else json.dumps(v_, ensure_ascii=False))
        for k, v_ in sorted((body.get("attributes") or {}).items())
    ]
    decision = resource.get("decision")
    decision_output = None
    if decision and decision.get("output") is not None:
        text = str(decision["output"])
        if not mask:
            decision_output = text
        elif text == output:
            decision_output = mask_text(text, flags.of("output"))
        else:
            decision_output = HIDDEN if has_pii else text
    return {
        "id": resource["id"],
        "resource": resource,
        "task_type": resource.get("task_type"),
        "status": resource.get("status"),
        "route": resource.get("route"),
        "risk": resource.get("risk"),
        "queue": resource.get("queue"),
        "reasons": resource.get("reasons") or [],
        "confidence": body.get("confidence"),
        "model": body.get("model"),
        "tags": body.get("tags") or [],
        "attributes": attributes,
        "messages": messages,
        "passages": passages,
        "output_html": highlight(output, flags.of("output"), mask_pii=mask),
        # The editor gets the raw text only for viewers who may see it all.
        "output_raw": None if mask else output,
        "checks": check_rows,
        "flag_count": len(flags.all),
        "masked": mask and has_pii,
        "decision": decision,
        "decision_output": decision_output,
        "deadline": resource.get("deadline"),
        "sla_state": resource.get("sla_state"),
        "escaped_error": resource.get("escaped_error"),
        "audit_sampled": resource.get("audit_sampled"),
        "created_at": resource.get("created_at"),
        "has_pii": has_pii,
        "mask": mask,
    }


def review_views(item: dict[str, Any], reviews: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Reviews with the diff of each edit against the model's output (hidden from viewers who may not see
    PII)."""
    model_output = str(item["resource"]["item"].get("output", ""))
    out = []
    for r in reviews:
        edited = r.get("output")
        diff_html: Markup | None = None
        if edited is not None:
            if item["mask"] and item["has_pii"]:
                diff_html = Markup.escape(HIDDEN)
            else:
                diff_html = render_diff(diff(model_output, str(edited)))
        out.append({**r, "diff_html": diff_html})
    return out
