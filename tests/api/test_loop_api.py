"""Closing the loop over HTTP: the streamed export (and its errors) on a real server."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from conftest import assert_problem, unique

if TYPE_CHECKING:
    from conftest import Api


def test_export_streams_json_lines(api: Api) -> None:
    task_type = unique("export")
    item = api.submit(task_type=task_type, input="Refund window?", output="60 days.", confidence=0.1)
    (task,) = api.claim("bob", task_type)
    edited = api.decide("bob", task, "edit", output="30 days.", category="hallucination")
    assert edited.status_code == 200, edited.text

    with api.http("auditor").stream("GET", "/v1/export", params={"format": "dpo", "task": task_type}) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("application/x-ndjson")
        lines = [json.loads(line) for line in r.iter_lines() if line]
    assert len(lines) == 1
    assert lines[0]["chosen"] == [{"role": "assistant", "content": "30 days."}]
    assert lines[0]["rejected"] == [{"role": "assistant", "content": "60 days."}]
    assert lines[0]["metadata"]["item_id"] == item["id"]

    later = api.http("admin").get(
        "/v1/export", params={"format": "sft", "task": task_type, "since": "2999-01-01T00:00:00Z"}
    )
    assert later.status_code == 200
    assert later.text == ""


def test_export_errors_name_the_parameter(api: Api) -> None:
    http = api.http("admin")
    assert_problem(http.get("/v1/export", params={"format": "csv"}), 422, "format")
    assert_problem(http.get("/v1/export", params={"format": "sft", "since": "yesterday"}), 422, "since")
    both = http.get("/v1/export", params={"format": "sft", "since": "2026-02-01", "until": "2026-01-01"})
    assert_problem(both, 422, "until")
    assert_problem(http.get("/v1/export"), 422, "format")
    assert api.http("bob").get("/v1/export", params={"format": "sft"}).status_code == 403
