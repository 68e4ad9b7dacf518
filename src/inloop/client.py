"""Python clients for the inloop API: :class:`Client` (sync) and :class:`AsyncClient`, both on httpx, with
the same methods (each endpoint is written once, as a plan both drive).

Submits carry an idempotency key (generated when not given), so a submit retried after a connection error can
never create a second item. Errors are raised as :class:`ApiError` subclasses carrying the problem+json body.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable, Coroutine, Generator, Mapping
from dataclasses import dataclass
from typing import Any, Generic, ParamSpec, TypeVar, overload

import httpx
from pydantic import BaseModel, ConfigDict

from inloop.errors import InloopError

P = ParamSpec("P")
T = TypeVar("T")


class Decision(BaseModel):
    model_config = ConfigDict(extra="allow")

    verdict: str
    output: str | None = None
    by: str
    reason: str | None = None
    category: str | None = None
    provisional: bool = False
    decided_at: str | None = None


class ItemResource(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str
    task_type: str
    status: str
    route: str
    risk: str
    reasons: list[str]
    checks: list[dict[str, Any]]
    deadline: str | None = None
    decision: Decision | None = None
    item: dict[str, Any] = {}


class ReviewTask(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str
    kind: str
    item: ItemResource
    lease_token: str
    lease_expires_at: str


class ApiError(InloopError):
    """The API answered with an error; ``problem`` is its problem+json body."""

    code = "api_error"

    def __init__(self, status: int, problem: Mapping[str, Any]) -> None:
        self.status = status
        self.problem = dict(problem)
        self.code = str(problem.get("code", f"http_{status}"))
        super().__init__(f"HTTP {status}: {problem.get('detail') or problem.get('title') or ''}")


class AuthError(ApiError):
    """401 or 403."""


class NotFoundError(ApiError):
    """404."""


class ConflictError(ApiError):
    """409: a stale lease, a reused idempotency key, an already-decided task."""


class RequestError(ApiError):
    """400, 413 or 422: the request was refused; ``problem["errors"]`` names the fields."""


def _may_retry(exc: httpx.HTTPError, replay_safe: bool) -> bool:
    """A request that never connected may always be sent again; one that may have reached the server only
    when repeating it is harmless (reads, and submits, which carry an idempotency key)."""
    return replay_safe or isinstance(exc, httpx.ConnectError)


def _raise_for(response: httpx.Response) -> None:
    if response.status_code < 400:
        return
    try:
        problem = response.json()
    except ValueError:
        problem = {"detail": response.text[:500]}
    status = response.status_code
    cls = (
        AuthError
        if status in (401, 403)
        else NotFoundError
        if status == 404
        else ConflictError
        if status == 409
        else RequestError
        if status < 500
        else ApiError
    )
    raise cls(status, problem)


Plan = Generator["Call", httpx.Response, T]
"""One API operation, written once for both clients: it yields the requests to send, receives each answer,
and returns the typed result. :class:`Client` drives plans with blocking I/O, :class:`AsyncClient` with
``await``; neither knows any endpoint."""


@dataclass(frozen=True, slots=True)
class Call:
    """One HTTP request of a plan. ``replay_safe``: sending it twice does no harm (reads, keyed submits)."""

    method: str
    path: str
    json: Any = None
    params: dict[str, Any] | None = None
    headers: dict[str, str] | None = None
    timeout: float | None = None
    replay_safe: bool = True

    def kwargs(self) -> dict[str, Any]:
        options: dict[str, Any] = {"json": self.json, "params": self.params, "headers": self.headers}
        if self.timeout is not None:
            options["timeout"] = self.timeout
        return options


def _json(response: httpx.Response) -> dict[str, Any]:
    result: dict[str, Any] = response.json()
    return result


def _present(**fields: Any) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if v is not None}


def _task_and_token(task: ReviewTask | str, lease_token: str | None) -> tuple[str, str]:
    if isinstance(task, ReviewTask):
        return task.id, lease_token or task.lease_token
    if lease_token is None:
        raise ValueError("lease_token is required when the task is given by id")
    return task, lease_token


def submit(item: Mapping[str, Any] | BaseModel, *, idempotency_key: str | None = None) -> Plan[ItemResource]:
    """Submit an item; a retry after a lost answer reuses the idempotency key, so it never makes a second."""
    body = item.model_dump(mode="json", exclude_none=True) if isinstance(item, BaseModel) else dict(item)
    headers = {"Idempotency-Key": idempotency_key or str(uuid.uuid4())}
    response = yield Call("POST", "/v1/items", json=body, headers=headers)
    return ItemResource.model_validate(response.json())


def get(item_id: str) -> Plan[ItemResource]:
    """An item with its routing and, once final, its decision."""
    return ItemResource.model_validate((yield Call("GET", f"/v1/items/{item_id}")).json())


def wait(item_id: str, timeout: float = 60.0) -> Plan[ItemResource]:
    """Long-poll until the item's decision is final or ``timeout`` passes; returns the item either way."""
    deadline = time.monotonic() + timeout
    while True:
        left = min(max(0.0, deadline - time.monotonic()), 30.0)
        path = f"/v1/items/{item_id}/decision"
        response = yield Call("GET", path, params={"wait": left}, timeout=left + 10)
        if response.status_code == 200 or time.monotonic() >= deadline:
            return (yield from get(item_id))


def claim(
    *, queue: str | None = None, limit: int = 1, lease_seconds: float | None = None
) -> Plan[list[ReviewTask]]:
    """Lease the next tasks this key's reviewer may take (an empty list when there are none)."""
    body = _present(queue=queue, limit=limit, lease_seconds=lease_seconds)
    response = yield Call("POST", "/v1/reviews/claim", json=body, replay_safe=False)
    return [ReviewTask.model_validate(t) for t in response.json()["tasks"]]


def decide(
    task: ReviewTask | str,
    verdict: str,
    *,
    lease_token: str | None = None,
    output: str | None = None,
    reason: str | None = None,
    category: str | None = None,
) -> Plan[ItemResource]:
    """Decide a task held under a lease: ``approve``, ``reject`` or ``edit`` (with ``output``)."""
    task_id, token = _task_and_token(task, lease_token)
    body = _present(lease_token=token, verdict=verdict, output=output, reason=reason, category=category)
    response = yield Call("POST", f"/v1/reviews/{task_id}/decision", json=body, replay_safe=False)
    return ItemResource.model_validate(response.json())


def heartbeat(
    task: ReviewTask | str, *, lease_token: str | None = None, lease_seconds: float | None = None
) -> Plan[dict[str, Any]]:
    """Extend a lease; returns the new expiry."""
    task_id, token = _task_and_token(task, lease_token)
    body = _present(lease_token=token, lease_seconds=lease_seconds)
    return _json((yield Call("POST", f"/v1/reviews/{task_id}/heartbeat", json=body, replay_safe=False)))


def release(task: ReviewTask | str, *, lease_token: str | None = None) -> Plan[None]:
    """Give a held task back to its queue."""
    task_id, token = _task_and_token(task, lease_token)
    yield Call("POST", f"/v1/reviews/{task_id}/release", json={"lease_token": token}, replay_safe=False)


def assign(item_id: str, reviewer: str | None) -> Plan[dict[str, Any]]:
    """Send an item's open tasks to one reviewer (``None`` gives them back to everyone)."""
    body = {"reviewer": reviewer}
    return _json((yield Call("POST", f"/v1/items/{item_id}/assign", json=body, replay_safe=False)))


def queues() -> Plan[dict[str, Any]]:
    """Queue depth, oldest age, SLA pressure and per-reviewer progress."""
    return _json((yield Call("GET", "/v1/queues")))


def audit_events(item_id: str | None = None, limit: int = 500) -> Plan[list[dict[str, Any]]]:
    """The audit events of one item, or the latest ones."""
    params = _present(item_id=item_id, limit=limit)
    events: list[dict[str, Any]] = (yield Call("GET", "/v1/audit/events", params=params)).json()["events"]
    return events


def audit_verify() -> Plan[dict[str, Any]]:
    """Verify every audit chain: ``{"ok", "events", "first_bad", "checkpoint"}``."""
    return _json((yield Call("GET", "/v1/audit/verify")))


def create_webhook(url: str, events: list[str], secret: str | None = None) -> Plan[dict[str, Any]]:
    """Subscribe ``url`` to events; the answer carries the signing secret."""
    body = _present(url=url, events=events, secret=secret)
    return _json((yield Call("POST", "/v1/webhooks", json=body, replay_safe=False)))


def webhooks() -> Plan[list[dict[str, Any]]]:
    """The webhook subscriptions."""
    hooks: list[dict[str, Any]] = (yield Call("GET", "/v1/webhooks")).json()["webhooks"]
    return hooks


def delete_webhook(webhook_id: str) -> Plan[None]:
    """Unsubscribe."""
    yield Call("DELETE", f"/v1/webhooks/{webhook_id}")


def deliveries(status: str | None = None) -> Plan[list[dict[str, Any]]]:
    """Recent webhook deliveries, e.g. ``status="failed"``."""
    params = _present(status=status)
    found: list[dict[str, Any]] = (yield Call("GET", "/v1/webhooks/deliveries", params=params)).json()[
        "deliveries"
    ]
    return found


def resend(delivery_id: str) -> Plan[None]:
    """Send a failed delivery again."""
    yield Call("POST", f"/v1/webhooks/deliveries/{delivery_id}/resend", replay_safe=False)


def add_user(
    name: str,
    role: str,
    *,
    tier: str | None = None,
    skills: list[str] | None = None,
    password: str | None = None,
) -> Plan[dict[str, Any]]:
    """Add a user."""
    body = _present(name=name, role=role, tier=tier, skills=skills, password=password)
    return _json((yield Call("POST", "/v1/users", json=body, replay_safe=False)))


def create_key(user: str) -> Plan[dict[str, Any]]:
    """Create an API key for ``user``; the key is in the answer, and only there."""
    return _json((yield Call("POST", "/v1/keys", json={"user": user}, replay_safe=False)))


def revoke_key(key_id: str) -> Plan[None]:
    """Revoke an API key."""
    yield Call("DELETE", f"/v1/keys/{key_id}")


def mark_gold(
    item_id: str, verdict: str, *, output: str | None = None, category: str | None = None
) -> Plan[dict[str, Any]]:
    """Mark a decided item as gold with its known answer (or replace the answer)."""
    body = _present(item_id=item_id, verdict=verdict, output=output, category=category)
    return _json((yield Call("POST", "/v1/gold", json=body, replay_safe=False)))


def unmark_gold(item_id: str) -> Plan[None]:
    """Stop mixing a gold item into queues; its past answers stay scored."""
    yield Call("DELETE", f"/v1/gold/{item_id}")


def gold(include_inactive: bool = False) -> Plan[list[dict[str, Any]]]:
    """The gold items, with their known answers and how often each was answered."""
    params = {"include_inactive": "true"} if include_inactive else None
    found: list[dict[str, Any]] = (yield Call("GET", "/v1/gold", params=params)).json()["gold"]
    return found


def gold_accuracy(since: str | None = None, until: str | None = None) -> Plan[dict[str, Any]]:
    """Reviewer accuracy on gold items: ``{"reviewers": {name: score}, "overall": score}``."""
    return _json((yield Call("GET", "/v1/gold/accuracy", params=_present(since=since, until=until))))


def export(
    format: str,
    *,
    task: str | None = None,
    since: str | None = None,
    until: str | None = None,
) -> Plan[list[dict[str, Any]]]:
    """An export's records (``sft``, ``dpo``, ``labels`` or ``reviews``), read whole: for millions of rows,
    stream ``GET /v1/export`` or run ``inloop export`` instead."""
    params = _present(format=format, task=task, since=since, until=until)
    response = yield Call("GET", "/v1/export", params=params, timeout=600.0)
    return [json.loads(line) for line in response.text.splitlines() if line]


def metrics_summary(
    *, since: str | None = None, until: str | None = None, task: str | None = None
) -> Plan[dict[str, Any]]:
    """Rates, error escape, latency, agreement, gold accuracy, cost and exported share over a window."""
    return _json(
        (yield Call("GET", "/v1/metrics/summary", params=_present(since=since, until=until, task=task)))
    )


class Endpoint(Generic[P, T]):
    """A plan as a method of both clients: blocking on :class:`Client`, awaitable on :class:`AsyncClient`."""

    def __init__(self, plan: Callable[P, Plan[T]]) -> None:
        self.plan = plan
        self.__doc__ = plan.__doc__

    @overload
    def __get__(self, client: Client, owner: type | None = None) -> Callable[P, T]: ...
    @overload
    def __get__(
        self, client: AsyncClient, owner: type | None = None
    ) -> Callable[P, Coroutine[Any, Any, T]]: ...
    @overload
    def __get__(self, client: None, owner: type | None = None) -> Endpoint[P, T]: ...
    def __get__(self, client: object, owner: type | None = None) -> object:
        if client is None:
            return self
        drive = client._drive  # type: ignore[attr-defined]

        def method(*args: P.args, **kwargs: P.kwargs) -> object:
            return drive(self.plan(*args, **kwargs))

        method.__doc__ = self.__doc__
        return method


class _Api:
    """Every endpoint, once. Subclasses say how a plan's requests are sent."""

    submit = Endpoint(submit)
    get = Endpoint(get)
    wait = Endpoint(wait)
    claim = Endpoint(claim)
    decide = Endpoint(decide)
    heartbeat = Endpoint(heartbeat)
    release = Endpoint(release)
    assign = Endpoint(assign)
    queues = Endpoint(queues)
    audit_events = Endpoint(audit_events)
    audit_verify = Endpoint(audit_verify)
    create_webhook = Endpoint(create_webhook)
    webhooks = Endpoint(webhooks)
    delete_webhook = Endpoint(delete_webhook)
    deliveries = Endpoint(deliveries)
    resend = Endpoint(resend)
    add_user = Endpoint(add_user)
    create_key = Endpoint(create_key)
    revoke_key = Endpoint(revoke_key)
    mark_gold = Endpoint(mark_gold)
    unmark_gold = Endpoint(unmark_gold)
    gold = Endpoint(gold)
    gold_accuracy = Endpoint(gold_accuracy)
    export = Endpoint(export)
    metrics_summary = Endpoint(metrics_summary)

    def __init__(self, api_key: str, retries: int) -> None:
        self.retries = retries
        self._auth = {"Authorization": f"Bearer {api_key}"}

    def _backoff(self, call: Call, attempt: int, exc: httpx.HTTPError) -> float:
        """Seconds to wait before sending ``call`` again; re-raises when it must not be sent again."""
        if attempt == self.retries or not _may_retry(exc, call.replay_safe):
            raise exc
        return 0.2 * 2.0**attempt


_TRANSIENT = (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError)


class Client(_Api):
    """A synchronous client. ``retries`` applies to connection errors only, never to an HTTP answer."""

    def __init__(
        self,
        url: str,
        api_key: str,
        *,
        timeout: float = 30.0,
        retries: int = 3,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        super().__init__(api_key, retries)
        self._http = httpx.Client(
            base_url=url.rstrip("/"), timeout=timeout, transport=transport, headers=self._auth
        )

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _send(self, call: Call) -> httpx.Response:
        for attempt in range(self.retries + 1):
            try:
                response = self._http.request(call.method, call.path, **call.kwargs())
            except _TRANSIENT as exc:
                time.sleep(self._backoff(call, attempt, exc))
                continue
            _raise_for(response)
            return response
        raise AssertionError("unreachable")

    def _drive(self, plan: Plan[T]) -> T:
        try:
            call = next(plan)
            while True:
                call = plan.send(self._send(call))
        except StopIteration as done:
            result: T = done.value
            return result


class AsyncClient(_Api):
    """The asynchronous twin of :class:`Client`: the same methods, awaited."""

    def __init__(
        self,
        url: str,
        api_key: str,
        *,
        timeout: float = 30.0,
        retries: int = 3,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__(api_key, retries)
        self._http = httpx.AsyncClient(
            base_url=url.rstrip("/"), timeout=timeout, transport=transport, headers=self._auth
        )

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _send(self, call: Call) -> httpx.Response:
        for attempt in range(self.retries + 1):
            try:
                response = await self._http.request(call.method, call.path, **call.kwargs())
            except _TRANSIENT as exc:
                await asyncio.sleep(self._backoff(call, attempt, exc))
                continue
            _raise_for(response)
            return response
        raise AssertionError("unreachable")

    async def _drive(self, plan: Plan[T]) -> T:
        try:
            call = next(plan)
            while True:
                call = plan.send(await self._send(call))
        except StopIteration as done:
            result: T = done.value
            return result
