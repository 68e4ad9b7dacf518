"""Malformed bodies of every kind, on every POST endpoint: always a 4xx problem+json naming the field, never a
500, and nothing stored. The server's body limit is 20,000 bytes (``SERVER_ENV`` in conftest)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx
import pytest

if TYPE_CHECKING:
    from conftest import Api


TASK_TYPE = f"malformed_{uuid.uuid4().hex[:10]}"

ENDPOINTS = {
    "submit": "/v1/items",
    "claim": "/v1/reviews/claim",
    "decision": "/v1/reviews/{task}/decision",
    "heartbeat": "/v1/reviews/{task}/heartbeat",
    "release": "/v1/reviews/{task}/release",
    "assign": "/v1/items/{item}/assign",
    "webhook": "/v1/webhooks",
    "user": "/v1/users",
    "key": "/v1/keys",
}

# A body each endpoint accepts ({token} is the live lease on the target task), and the string field to spoil.
VALID: dict[str, tuple[dict[str, Any], str]] = {
    "submit": ({"task_type": TASK_TYPE, "output": "x"}, "output"),
    "claim": ({"queue": "malformed_nothing"}, "queue"),
    "decision": ({"lease_token": "{token}", "verdict": "approve", "reason": "ok"}, "reason"),
    "heartbeat": ({"lease_token": "{token}"}, "lease_token"),
    "release": ({"lease_token": "{token}"}, "lease_token"),
    "assign": ({"reviewer": "bob"}, "reviewer"),
    "webhook": ({"url": "http://127.0.0.1:9/", "events": ["sla.breached"]}, "url"),
    "user": ({"name": "malformed_user", "role": "reviewer"}, "name"),
    "key": ({"user": "junior"}, "user"),
}


@dataclass(frozen=True)
class Case:
    name: str
    json: Any = None
    raw: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    status: int | None = None  # None: any 4xx
    fields: tuple[str, ...] = ()
    chunked: bool = False


def _generic(endpoint: str) -> Iterator[Case]:
    valid, spoil = VALID[endpoint]
    yield Case("not_json", raw=b'{"task_type": ', status=400)
    yield Case("trailing_garbage", raw=b"{} {}", status=400)
    yield Case("single_quotes", raw=b"{'a': 1}", status=400)
    yield Case("invalid_utf8", raw=b'{"a": "\xff\xfe"}', status=400)
    yield Case("too_deep", raw=b'{"a": ' + b"[" * 5000 + b"]" * 5000 + b"}", status=400)
    yield Case("array", json=[], status=422)
    yield Case("array_of_object", json=[valid], status=422)
    yield Case("string", json="text", status=422)
    yield Case("number", json=7, status=422)
    yield Case("null", json=None, raw=b"null", status=422)
    yield Case("empty", raw=b"", status=422)
    yield Case("unknown_key", json={**valid, "bogus": 1}, status=422, fields=("bogus",))
    yield Case("nested_unknown_key", json={**valid, "meta": {"x": 1}}, status=422, fields=("meta",))
    yield Case(
        "text_plain", raw=str(valid).replace("'", '"').encode(), headers={"content-type": "text/plain"}
    )
    yield Case("form", raw=b"a=1&b=2", headers={"content-type": "application/x-www-form-urlencoded"})
    yield Case("too_large", json={**valid, "pad": "x" * 30_000}, status=413)
    yield Case("too_large_chunked", json={**valid, "pad": "x" * 30_000}, status=413, chunked=True)
    yield Case("nul", json={**valid, spoil: "a\x00b"}, status=422, fields=(spoil,))
    yield Case(
        "lone_surrogate",
        raw=f'{{"{spoil}": "a\\ud800b"}}'.encode(),
        status=422,
        fields=(spoil,),
    )


SPECIFIC: dict[str, list[Case]] = {
    "submit": [
        Case("missing", json={}, status=422, fields=("task_type", "output")),
        Case(
            "wrong_types",
            json={"task_type": 5, "output": ["x"], "confidence": "high", "attributes": [], "tags": "t"},
            status=422,
            fields=("task_type", "output", "confidence", "attributes", "tags"),
        ),
        Case(
            "confidence_1_5",
            json={"task_type": "x", "output": "y", "confidence": 1.5},
            status=422,
            fields=("confidence",),
        ),
        Case(
            "confidence_negative",
            json={"task_type": "x", "output": "y", "confidence": -0.1},
            status=422,
            fields=("confidence",),
        ),
        Case(
            "confidence_bool",
            json={"task_type": "x", "output": "y", "confidence": True},
            status=422,
            fields=("confidence",),
        ),
        Case(
            "confidence_nan",
            raw=b'{"task_type": "x", "output": "y", "confidence": NaN}',
            status=422,
            fields=("confidence",),
        ),
        Case(
            "chat_bad_role",
            json={"task_type": "x", "output": "y", "input": [{"role": "god", "content": "hi"}]},
            status=422,
            fields=("input[0].role",),
        ),
        Case(
            "chat_no_content",
            json={"task_type": "x", "output": "y", "input": [{"role": "user"}]},
            status=422,
            fields=("input[0].content",),
        ),
        Case(
            "chat_extra_key",
            json={"task_type": "x", "output": "y", "input": [{"role": "user", "content": "a", "x": 1}]},
            status=422,
            fields=("input[0].x",),
        ),
        Case(
            "chat_not_a_list",
            json={"task_type": "x", "output": "y", "input": {"role": "user"}},
            status=422,
            fields=("input",),
        ),
        Case("empty_task_type", json={"task_type": "", "output": "y"}, status=422, fields=("task_type",)),
        Case("unsafe_id", json={"id": "a/b c", "task_type": "x", "output": "y"}, status=422, fields=("id",)),
        Case("long_id", json={"id": "a" * 65, "task_type": "x", "output": "y"}, status=422, fields=("id",)),
        Case(
            "empty_idempotency_key",
            json={"task_type": "x", "output": "y", "idempotency_key": ""},
            status=422,
            fields=("idempotency_key",),
        ),
        Case(
            "numeric_idempotency_key",
            json={"task_type": "x", "output": "y", "idempotency_key": 5},
            status=422,
            fields=("idempotency_key",),
        ),
        Case(
            "long_idempotency_header",
            json={"task_type": "x", "output": "y"},
            headers={"Idempotency-Key": "k" * 201},
            status=422,
            fields=("idempotency-key",),
        ),
        Case(
            "nul_in_attribute_key",
            json={"task_type": "x", "output": "y", "attributes": {"a\x00": 1}},
            status=422,
        ),
    ],
    "claim": [
        Case("limit_0", json={"limit": 0}, status=422, fields=("limit",)),
        Case("limit_101", json={"limit": 101}, status=422, fields=("limit",)),
        Case("limit_fraction", json={"limit": 1.5}, status=422, fields=("limit",)),
        Case("lease_0", json={"lease_seconds": 0}, status=422, fields=("lease_seconds",)),
        Case("lease_half_second", json={"lease_seconds": 0.5}, status=422, fields=("lease_seconds",)),
        Case("lease_too_long", json={"lease_seconds": 4000}, status=422, fields=("lease_seconds",)),
        Case("queue_number", json={"queue": 5}, status=422, fields=("queue",)),
    ],
    "decision": [
        Case("missing", json={}, status=422, fields=("lease_token", "verdict")),
        Case(
            "bad_verdict",
            json={"lease_token": "{token}", "verdict": "maybe"},
            status=422,
            fields=("verdict",),
        ),
        Case(
            "empty_token", json={"lease_token": "", "verdict": "approve"}, status=422, fields=("lease_token",)
        ),
        Case(
            "reason_number",
            json={"lease_token": "{token}", "verdict": "approve", "reason": 5},
            status=422,
            fields=("reason",),
        ),
        Case(
            "reject_without_category",
            json={"lease_token": "{token}", "verdict": "reject"},
            status=422,
            fields=("category",),
        ),
        Case(
            "unknown_category",
            json={"lease_token": "{token}", "verdict": "reject", "category": "vibes"},
            status=422,
            fields=("category",),
        ),
        Case(
            "edit_without_output",
            json={"lease_token": "{token}", "verdict": "edit", "category": "tone"},
            status=422,
            fields=("output",),
        ),
    ],
    "heartbeat": [
        Case("missing", json={}, status=422, fields=("lease_token",)),
        Case(
            "lease_negative",
            json={"lease_token": "{token}", "lease_seconds": -1},
            status=422,
            fields=("lease_seconds",),
        ),
        Case(
            "lease_words",
            json={"lease_token": "{token}", "lease_seconds": "long"},
            status=422,
            fields=("lease_seconds",),
        ),
    ],
    "release": [
        Case("missing", json={}, status=422, fields=("lease_token",)),
        Case("token_number", json={"lease_token": 1}, status=422, fields=("lease_token",)),
    ],
    "assign": [
        Case("missing", json={}, status=422, fields=("reviewer",)),
        Case("reviewer_number", json={"reviewer": 5}, status=422, fields=("reviewer",)),
        Case("reviewer_too_long", json={"reviewer": "r" * 101}, status=422, fields=("reviewer",)),
    ],
    "webhook": [
        Case("missing", json={}, status=422, fields=("url", "events")),
        Case(
            "ftp", json={"url": "ftp://example.com/", "events": ["item.decided"]}, status=422, fields=("url",)
        ),
        Case("not_a_url", json={"url": "not a url", "events": ["item.decided"]}, status=422, fields=("url",)),
        Case("no_events", json={"url": "http://127.0.0.1:9/", "events": []}, status=422, fields=("events",)),
        Case(
            "unknown_event",
            json={"url": "http://127.0.0.1:9/", "events": ["item.eaten"]},
            status=422,
            fields=("events",),
        ),
        Case(
            "events_string",
            json={"url": "http://127.0.0.1:9/", "events": "item.decided"},
            status=422,
            fields=("events",),
        ),
        Case(
            "bad_secret",
            json={"url": "http://127.0.0.1:9/", "events": ["item.decided"], "secret": "nope"},
            status=422,
            fields=("secret",),
        ),
    ],
    "user": [
        Case("missing", json={}, status=422, fields=("name", "role")),
        Case("bad_role", json={"name": "m_role", "role": "king"}, status=422, fields=("role",)),
        Case(
            "bad_tier",
            json={"name": "m_tier", "role": "reviewer", "tier": "overlord"},
            status=422,
            fields=("tier",),
        ),
        Case(
            "short_password",
            json={"name": "m_pw", "role": "reviewer", "password": "short"},
            status=422,
            fields=("password",),
        ),
        Case("bad_name", json={"name": "bad name!", "role": "reviewer"}, status=422, fields=("name",)),
        Case(
            "skills_string",
            json={"name": "m_sk", "role": "reviewer", "skills": "finance"},
            status=422,
            fields=("skills",),
        ),
        Case("existing_name", json={"name": "bob", "role": "reviewer"}, status=409),
    ],
    "key": [
        Case("missing", json={}, status=422, fields=("user",)),
        Case("user_number", json={"user": 5}, status=422, fields=("user",)),
        Case("unknown_user", json={"user": "nobody_at_all"}, status=404),
    ],
}

CASES = [(endpoint, case) for endpoint in ENDPOINTS for case in [*_generic(endpoint), *SPECIFIC[endpoint]]]


@dataclass
class Target:
    """A pending item and a task leased to the admin: every malformed request aims at them."""

    item_id: str
    task_id: str
    token: str
    before: dict[str, int]


@pytest.fixture(scope="module")
def target(api: Api) -> Target:
    item = api.submit(task_type=TASK_TYPE, output="The target.", confidence=0.1)
    [task] = api.claim("admin", TASK_TYPE)
    return Target(item["id"], task["id"], task["lease_token"], api.snapshot())


def _fill(value: Any, target: Target) -> Any:
    if isinstance(value, str):
        return value.replace("{token}", target.token)
    if isinstance(value, dict):
        return {k: _fill(v, target) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, target) for v in value]
    return value


def _send(api: Api, target: Target, path: str, case: Case) -> httpx.Response:
    url = path.format(task=target.task_id, item=target.item_id)
    headers = {"content-type": "application/json", **case.headers}
    if case.raw is not None:
        content = case.raw
    else:
        content = httpx.Request("POST", "/", json=_fill(case.json, target)).read()
    if case.chunked:
        chunks = [content[i : i + 4096] for i in range(0, len(content), 4096)]
        with httpx.Client(
            verify=False, base_url=api.url, headers={"Authorization": f"Bearer {api.keys['admin']}"}
        ) as http:
            return http.post(url, content=iter(chunks), headers=headers)
    return api.http("admin").post(url, content=content, headers=headers)


@pytest.mark.parametrize(("endpoint", "case"), CASES, ids=[f"{e}-{c.name}" for e, c in CASES])
def test_malformed_body(api: Api, target: Target, endpoint: str, case: Case) -> None:
    response = _send(api, target, ENDPOINTS[endpoint], case)
    assert 400 <= response.status_code < 500, response.text
    if case.status is not None:
        api.problem(response, case.status, *case.fields)
    else:
        api.problem(response, response.status_code)


def test_a_body_where_none_is_expected_is_ignored(api: Api, target: Target) -> None:
    response = api.http("admin").post(
        "/v1/webhooks/deliveries/msg_none/resend",
        content=b"{not json",
        headers={"content-type": "text/plain"},
    )
    api.problem(response, 404)


def test_nothing_was_stored(api: Api, target: Target) -> None:
    """After every malformed request: no item, task, review, user, key or webhook more, no audit event more,
    and the target task still leased to the admin (no malformed decision, heartbeat or release took)."""
    assert api.snapshot() == target.before
    item = api.item(target.item_id)
    assert (item["status"], item["decision"]) == ("pending", None)
    assert api.count("items", task_type=TASK_TYPE) == 1
    verify = api.http("auditor").get("/v1/audit/verify").json()
    assert verify["ok"] is True
    decided = api.decide("admin", {"id": target.task_id, "lease_token": target.token}, "approve")
    assert decided.status_code == 200, decided.text
