"""Closing the loop over HTTP: the streamed export (and its errors) on a real server."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conftest import Api


def test_export_streams_json_lines(api: Api) -> None:
    task_type = api.unique("export")
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
    api.problem(http.get("/v1/export", params={"format": "csv"}), 422, "format")
    api.problem(http.get("/v1/export", params={"format": "sft", "since": "yesterday"}), 422, "since")
    both = http.get("/v1/export", params={"format": "sft", "since": "2026-02-01", "until": "2026-01-01"})
    api.problem(both, 422, "until")
    api.problem(http.get("/v1/export"), 422, "format")
    assert api.http("bob").get("/v1/export", params={"format": "sft"}).status_code == 403


def test_metrics_summary_counts_what_the_server_did(api: Api) -> None:
    task_type = api.unique("metrics")
    api.submit(task_type=task_type, output="fine", confidence=0.1)
    (task,) = api.claim("bob", task_type)
    assert api.decide("bob", task, "reject", category="tone").status_code == 200
    response = api.http("lead").get("/v1/metrics/summary", params={"task": task_type})
    assert response.status_code == 200, response.text
    s = response.json()
    assert s["routes"] == {"queue": 1}
    assert s["reviewers"][0]["reviewer"] == "bob"
    assert s["corrections"] == {"total": 1, "exported": 0, "exported_share": 0.0}
    assert s["error_escape"]["audited"] == 0
    api.problem(api.http("lead").get("/v1/metrics/summary", params={"since": "nope"}), 422, "since")
    assert api.http("bob").get("/v1/metrics/summary").status_code == 403


def test_prometheus_scrape(api: Api) -> None:
    task_type = api.unique("prom")
    api.submit(task_type=task_type, output="fine", confidence=0.1)
    (task,) = api.claim("carol", task_type)
    assert api.decide("carol", task, "approve").status_code == 200
    assert api.http().get("/metrics").status_code == 401
    assert api.http("bob").get("/metrics").status_code == 403
    response = api.http("auditor").get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    from prometheus_client.parser import text_string_to_metric_families

    families = {f.name: f for f in text_string_to_metric_families(response.text)}
    routed = families["inloop_items_routed"].samples
    assert any(s.labels["route"] == "queue" and s.value >= 1 for s in routed)
    reviews = families["inloop_reviews"].samples
    assert any(s.labels == {"kind": "review", "verdict": "approve"} and s.value >= 1 for s in reviews)
    handling = [s for s in families["inloop_review_handling_seconds"].samples if s.name.endswith("_count")]
    assert sum(s.value for s in handling) >= 1
    assert "inloop_queue_depth" in families
    http = families["inloop_http_request_duration_seconds"].samples
    assert any(s.labels.get("route") == "/v1/items" for s in http), "labelled by route template"
    assert not any("itm_" in s.labels.get("route", "") for s in http), "never by raw path"
