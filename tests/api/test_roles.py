"""The role matrix: for every endpoint of the app and every role, the roles allowed get past authorisation and
every other role gets 403; no key or a bad key gets 401, even with a body that would not validate."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from fastapi.routing import APIRoute

from inloop.api import create_app
from inloop.domain.access import PERMISSIONS, Action, Role
from inloop.settings import Settings

if TYPE_CHECKING:
    from conftest import Api

URL_SAFE = re.compile(r"^[A-Za-z0-9_-]+$")
# the user of each role (see USERS in conftest)
ROLE_USER = {
    "admin": "admin",
    "lead": "lead",
    "reviewer": "bob",
    "auditor": "auditor",
    "submitter": "submitter",
}

# Every endpoint and the action it needs (None: public). A new endpoint fails test_every_route_is_listed until
# it is listed here, so nobody adds an endpoint without deciding who may call it.
ENDPOINTS: dict[tuple[str, str], Action | None] = {
    ("GET", "/healthz"): None,
    ("POST", "/v1/items"): Action.SUBMIT,
    ("GET", "/v1/items/{item_id}"): Action.READ_ITEMS,
    ("GET", "/v1/items/{item_id}/decision"): Action.READ_ITEMS,
    ("POST", "/v1/items/{item_id}/assign"): Action.ASSIGN,
    ("POST", "/v1/reviews/claim"): Action.REVIEW,
    ("POST", "/v1/reviews/{task_id}/decision"): Action.REVIEW,
    ("POST", "/v1/reviews/{task_id}/heartbeat"): Action.REVIEW,
    ("POST", "/v1/reviews/{task_id}/release"): Action.REVIEW,
    ("GET", "/v1/queues"): Action.READ_QUEUES,
    ("GET", "/v1/audit/events"): Action.READ_AUDIT,
    ("GET", "/v1/audit/verify"): Action.READ_AUDIT,
    ("POST", "/v1/webhooks"): Action.MANAGE_WEBHOOKS,
    ("GET", "/v1/webhooks"): Action.MANAGE_WEBHOOKS,
    ("DELETE", "/v1/webhooks/{webhook_id}"): Action.MANAGE_WEBHOOKS,
    ("GET", "/v1/webhooks/deliveries"): Action.MANAGE_WEBHOOKS,
    ("POST", "/v1/webhooks/deliveries/{delivery_id}/resend"): Action.MANAGE_WEBHOOKS,
    ("POST", "/v1/users"): Action.MANAGE_USERS,
    ("POST", "/v1/keys"): Action.MANAGE_USERS,
    ("DELETE", "/v1/keys/{key_id}"): Action.MANAGE_USERS,
    ("GET", "/v1/export"): Action.EXPORT,
    ("GET", "/v1/metrics/summary"): Action.READ_METRICS,
    ("GET", "/metrics"): Action.READ_METRICS,
    ("POST", "/v1/gold"): Action.MANAGE_GOLD,
    ("GET", "/v1/gold"): Action.MANAGE_GOLD,
    ("DELETE", "/v1/gold/{item_id}"): Action.MANAGE_GOLD,
    ("GET", "/v1/gold/accuracy"): Action.READ_METRICS,
}
# FastAPI's own documentation routes, public.
DOCS = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}

# The app object only, to enumerate its routes: nothing is opened until its lifespan starts.
APP = create_app(Settings(db="sqlite://", policy="unused.yaml"))

PATH_VALUES = {
    "item_id": "itm_none",
    "task_id": "tsk_none",
    "webhook_id": "whk_none",
    "delivery_id": "msg_none",
    "key_id": "key_none",
}


def _flatten(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """``(path, route)`` for every route, looking inside included routers (FastAPI >= 0.16x keeps them as
    ``_IncludedRouter`` entries in ``app.routes``)."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _flatten(inner.routes, prefix + route.include_context.prefix)
        else:
            yield prefix + getattr(route, "path", ""), route


def _routes() -> dict[tuple[str, str], APIRoute]:
    found = {}
    for path, route in _flatten(APP.routes):
        if isinstance(route, APIRoute):
            for method in route.methods or ():
                found[(method, path)] = route
    return found


def _required_action(route: APIRoute) -> Action | None:
    """The action named by the route's ``allow(...)`` dependency, found by walking its dependencies."""
    stack = list(route.dependant.dependencies)
    while stack:
        dep = stack.pop()
        action = getattr(dep.call, "required_action", None)
        if action is not None:
            return Action(action)
        stack.extend(dep.dependencies)
    return None


def _is_api(path: str) -> bool:
    """The JSON API (key auth); the reviewer console mounted beside it has its own (session) auth."""
    return path.startswith("/v1/") or path in ("/healthz", "/metrics")


def test_every_route_is_listed() -> None:
    routes = {key: route for key, route in _routes().items() if _is_api(key[1])}
    assert set(routes) == set(ENDPOINTS)
    for key, route in routes.items():
        assert _required_action(route) == ENDPOINTS[key], key
    # the same list as the OpenAPI document publishes
    published = {
        (m.upper(), p) for p, methods in APP.openapi()["paths"].items() for m in methods if _is_api(p)
    }
    assert published == set(ENDPOINTS)
    # nothing else answers under /v1 (a plain Starlette route there would escape this matrix)
    others = {path for path, route in _flatten(APP.routes) if not isinstance(route, APIRoute)}
    assert others >= DOCS
    assert not [path for path in others if _is_api(path)]


def _valid_body(method: str, path: str, role: str) -> dict[str, Any] | None:
    """A body that passes validation, so that an allowed role reaches the handler (mostly a 404 there)."""
    bodies: dict[str, dict[str, Any]] = {
        "/v1/items": {"task_type": f"roles_{uuid.uuid4().hex[:10]}", "output": "x", "confidence": 0.1},
        "/v1/items/{item_id}/assign": {"reviewer": "bob"},
        "/v1/reviews/claim": {"queue": "roles_nothing_here"},
        "/v1/reviews/{task_id}/decision": {"lease_token": "lease_x", "verdict": "approve"},
        "/v1/reviews/{task_id}/heartbeat": {"lease_token": "lease_x"},
        "/v1/reviews/{task_id}/release": {"lease_token": "lease_x"},
        # sla.breached does not happen during the tests: nothing is delivered to this dead address
        "/v1/webhooks": {"url": "http://127.0.0.1:9/hook", "events": ["sla.breached"]},
        "/v1/users": {"name": f"u_{role}_{uuid.uuid4().hex[:10]}", "role": "reviewer"},
        "/v1/keys": {"user": "junior"},
        "/v1/gold": {"item_id": "itm_none", "verdict": "approve"},
    }
    return bodies.get(path) if method == "POST" else None


def _call(http: httpx.Client, method: str, path: str, body: Any) -> httpx.Response:
    url = path.format(**PATH_VALUES)
    if body is None:
        return http.request(method, url)
    return http.request(method, url, json=body)


@pytest.mark.parametrize(("method", "path"), sorted(ENDPOINTS), ids=lambda v: str(v))
def test_role_matrix(api: Api, method: str, path: str) -> None:
    action = ENDPOINTS[(method, path)]
    if action is None:
        for http in (api.http(), api.http(key="ilk_bogus"), api.http("submitter")):
            assert _call(http, method, path, None).status_code == 200
        return
    invalid = {"bogus": [1]} if method == "POST" else None
    for role in Role:
        http = api.http(ROLE_USER[role.value])
        if role in PERMISSIONS[action]:
            response = _call(http, method, path, _valid_body(method, path, role.value))
            assert response.status_code not in (401, 403), (role, response.text)
            assert response.status_code < 500, (role, response.text)
            if response.status_code == 201 and path == "/v1/webhooks":
                http.delete(f"/v1/webhooks/{response.json()['id']}")
        else:
            # 403 with a valid body, and with a body that would fail validation: auth comes first
            for body in (_valid_body(method, path, role.value), invalid):
                problem = api.problem(_call(http, method, path, body), 403)
                assert problem["code"] == "forbidden"
    for http in (api.http(), api.http(key="ilk_bogus")):
        for body in (_valid_body(method, path, "nobody"), invalid):
            response = _call(http, method, path, body)
            problem = api.problem(response, 401)
            assert problem["code"] == "unauthorized"
            assert response.headers["www-authenticate"] == "Bearer"


def test_a_wrong_scheme_is_401(api: Api) -> None:
    with httpx.Client(verify=False, base_url=api.url) as http:
        basic = http.get("/v1/queues", headers={"Authorization": f"Basic {api.keys['admin']}"})
        api.problem(basic, 401)
        api.problem(http.get("/v1/queues", headers={"Authorization": api.keys["admin"]}), 401)
        api.problem(http.get("/v1/queues", headers={"Authorization": "Bearer"}), 401)


def test_a_revoked_key_is_401(api: Api) -> None:
    created = api.http("admin").post("/v1/keys", json={"user": "carol"})
    assert created.status_code == 201
    key = created.json()["key"]
    assert key.startswith("ilk_")
    assert URL_SAFE.match(key)
    with httpx.Client(verify=False, base_url=api.url, headers={"Authorization": f"Bearer {key}"}) as http:
        assert http.get("/v1/queues").status_code == 200
        assert api.http("admin").delete(f"/v1/keys/{created.json()['id']}").status_code == 204
        api.problem(http.get("/v1/queues"), 401)
    api.problem(api.http("admin").delete(f"/v1/keys/{created.json()['id']}"), 404)


def test_keys_are_url_safe(api: Api) -> None:
    for key in api.keys.values():
        assert key.startswith("ilk_")
        assert URL_SAFE.match(key), key
        assert len(key) > 40
