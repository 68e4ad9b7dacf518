"""Exports on every backend, from a history made by driving the real service: each format selects the right
items, every line validates against the format's schema, and the dpo file loads as a preference dataset."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from inloop.domain.export_schemas import SCHEMAS
from inloop.errors import InvalidRequest
from inloop.services import export
from inloop.services.context import Context
from inloop.storage import audit, items
from testkit.history import CHECKS, History


@pytest.fixture
def ctx(loop_ctx: Context) -> Context:
    return loop_ctx


def run(ctx: Context, fmt: str, **filters: Any) -> list[dict[str, Any]]:
    records = list(export.stream(ctx, export.ExportRequest(fmt, **filters), actor="test"))
    validator = jsonschema.Draft202012Validator(SCHEMAS[fmt])
    for record in records:
        validator.validate(record)
    return records


def by_item(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["metadata"]["item_id"]: r for r in records}


def test_sft_holds_what_people_approved(ctx: Context, history: History) -> None:
    records = by_item(run(ctx, "sft"))
    h = history
    assert set(records) == {h.approved, h.edited, h.audit_approved, h.audit_revised, h.adjudicated}
    last = {item: r["messages"][-1] for item, r in records.items()}
    assert last[h.approved] == {"role": "assistant", "content": "Use the reset link on the login page."}
    assert last[h.edited]["content"] == "Refunds are accepted within 30 days."
    assert last[h.audit_revised]["content"] == "Your order ships Tuesday.", "the audit's correction wins"
    assert last[h.adjudicated]["content"] == "Refund 10 USD."
    chat = records[h.edited]["messages"]
    assert [m["role"] for m in chat] == ["system", "system", "user", "assistant"]
    assert chat[1]["content"] == "Context:\n\n[1] Refunds are accepted within 30 days."
    meta = records[h.edited]["metadata"]
    assert meta["verdict"] == "edit"
    assert meta["categories"] == ["hallucination"]
    assert meta["model"] == "m-1"
    assert meta["policy_version"] == ctx.policy.version_hash


def test_dpo_pairs_every_correction(ctx: Context, history: History, tmp_path: Path) -> None:
    records = run(ctx, "dpo")
    pairs = {r["metadata"]["item_id"]: r for r in records}
    h = history
    assert set(pairs) == {h.edited, h.audit_revised, h.adjudicated}, "rejected-then-edited is a pair too"
    edited = pairs[h.edited]
    assert edited["chosen"] == [{"role": "assistant", "content": "Refunds are accepted within 30 days."}]
    assert edited["rejected"] == [{"role": "assistant", "content": "Refunds are accepted within 60 days."}]
    assert edited["prompt"][-1] == {"role": "user", "content": "Refund window?"}

    datasets = pytest.importorskip("datasets")
    path = tmp_path / "dpo.jsonl"
    path.write_text("".join(export.jsonl(records)))
    data = datasets.load_dataset("json", data_files=str(path), split="train")
    assert {"prompt", "chosen", "rejected"} <= set(data.column_names)
    assert len(data) == 3
    row = data[0]
    assert row["chosen"][0]["role"] == "assistant"
    assert row["prompt"][-1]["role"] == "user"


def test_labels_give_each_check_the_human_label(ctx: Context, history: History) -> None:
    records = run(ctx, "labels")
    h = history
    assert len(records) == CHECKS * len(h.reviewed)
    labels = {r["item_id"]: r["label"] for r in records}
    assert labels == {
        h.approved: "ok",
        h.edited: "error",
        h.rejected: "error",
        h.audit_approved: "ok",
        h.audit_revised: "error",
        h.adjudicated: "error",
    }
    assert {r["check"] for r in records} == {"length", "keywords"}


def test_reviews_carry_agreement_groups(ctx: Context, history: History) -> None:
    records = run(ctx, "reviews")
    assert len(records) == 8  # three single reviews, two audits, two independent reviews and an adjudication
    group = [r for r in records if r["item_id"] == history.adjudicated]
    assert [r["kind"] for r in group] == ["review", "review", "adjudication"]
    assert {r["agreement_group"] for r in group} == {history.adjudicated}
    assert all(r["agreement_group"] is None for r in records if r["item_id"] != history.adjudicated)
    assert {r["reviewer"] for r in group} == {"ann", "ben", "lee"}
    audits = [r for r in records if r["kind"] == "audit"]
    assert [r["verdict"] for r in audits] == ["approve", "edit"]
    assert all(r["handling_ms"] == 60_000 for r in records)


def test_filters_by_task_and_time(ctx: Context, history: History) -> None:
    assert {r["metadata"]["item_id"] for r in run(ctx, "sft", task="refund_approval")} == {
        history.adjudicated
    }
    with ctx.db.read() as conn:
        cut = items.get(conn, history.audit_approved)
    assert cut is not None
    assert cut.decided_ms is not None
    later = {r["metadata"]["item_id"] for r in run(ctx, "sft", since_ms=cut.decided_ms + 1)}
    assert later == {history.audit_revised, history.adjudicated}
    earlier = {r["metadata"]["item_id"] for r in run(ctx, "sft", until_ms=cut.decided_ms + 1)}
    assert earlier == {history.approved, history.edited, history.audit_approved}


def test_each_finished_export_is_recorded(ctx: Context, history: History) -> None:
    run(ctx, "dpo")
    abandoned = export.stream(ctx, export.ExportRequest("sft"), actor="test")
    next(abandoned)
    abandoned.close()
    with ctx.db.read() as conn:
        events = [e for e in audit.recent_events(conn, 50) if e.event == "export.created"]
    assert [(e.data["format"], e.data["rows"]) for e in events] == [("dpo", 3)]


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (export.ExportRequest("parquet"), "format"),
        (export.ExportRequest("sft", since_ms=10, until_ms=5), "until"),
    ],
)
def test_bad_requests_name_the_field(ctx: Context, request_: export.ExportRequest, field: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        list(export.stream(ctx, request_, actor="test"))
    assert [p.path for p in caught.value.problems] == [field]


def test_empty_database_exports_nothing(ctx: Context) -> None:
    assert run(ctx, "sft") == []
    assert json.dumps(run(ctx, "reviews")) == "[]"
