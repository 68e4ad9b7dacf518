"""Python clients for the inloop API: :class:`Client` (sync) and :class:`AsyncClient`, both on httpx.

Submits carry an idempotency key (generated when not given), so a submit retried after a connection error can
never create a second item. Errors are raised as :class:`ApiError` subclasses carrying the problem+json body.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Mapping
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict

from inloop.errors import InloopError


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


def _submit_args(
    item: Mapping[str, Any] | BaseModel, idempotency_key: str | None
) -> tuple[dict[str, Any], str]:
    body = item.model_dump(mode="json", exclude_none=True) if isinstance(item, BaseModel) else dict(item)
    return body, idempotency_key or str(uuid.uuid4())


class Client:
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
        self._http = httpx.Client(
            base_url=url.rstrip("/"),
            timeout=timeout,
            transport=transport,
            headers={"Authorization": f"Bearer {api_key}"},
        )
        self.retries = retries

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _request(self, method: str, path: str, *, replay_safe: bool = True, **kwargs: Any) -> httpx.Response:
        for attempt in range(self.retries + 1):
            try:
                response = self._http.request(method, path, **kwargs)
            except (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError) as exc:
                if attempt == self.retries or not _may_retry(exc, replay_safe):
                    raise
                time.sleep(0.2 * 2**attempt)
                continue
            _raise_for(response)
            return response
        raise AssertionError("unreachable")

    def submit(
        self, item: Mapping[str, Any] | BaseModel, *, idempotency_key: str | None = None
    ) -> ItemResource:
        body, key = _submit_args(item, idempotency_key)
        response = self._request("POST", "/v1/items", json=body, headers={"Idempotency-Key": key})
        return ItemResource.model_validate(response.json())

    def get(self, item_id: str) -> ItemResource:
        return ItemResource.model_validate(self._request("GET", f"/v1/items/{item_id}").json())

    def wait(self, item_id: str, timeout: float = 60.0) -> ItemResource:
        """Long-poll until the item's decision is final or ``timeout`` passes; returns the item either way."""
        deadline = time.monotonic() + timeout
        while True:
            left = max(0.0, deadline - time.monotonic())
            response = self._request(
                "GET",
                f"/v1/items/{item_id}/decision",
                params={"wait": min(left, 30.0)},
                timeout=min(left, 30.0) + 10,
            )
            if response.status_code == 200 or time.monotonic() >= deadline:
                return self.get(item_id)

    def claim(
        self, *, queue: str | None = None, limit: int = 1, lease_seconds: float | None = None
    ) -> list[ReviewTask]:
        body = {"queue": queue, "limit": limit, "lease_seconds": lease_seconds}
        response = self._request(
            "POST",
            "/v1/reviews/claim",
            replay_safe=False,
            json={k: v for k, v in body.items() if v is not None},
        )
        return [ReviewTask.model_validate(t) for t in response.json()["tasks"]]

    def decide(
        self,
        task: ReviewTask | str,
        verdict: str,
        *,
        lease_token: str | None = None,
        output: str | None = None,
        reason: str | None = None,
        category: str | None = None,
    ) -> ItemResource:
        task_id, token = _task_and_token(task, lease_token)
        body = {
            "lease_token": token,
            "verdict": verdict,
            "output": output,
            "reason": reason,
            "category": category,
        }
        response = self._request(
            "POST",
            f"/v1/reviews/{task_id}/decision",
            replay_safe=False,
            json={k: v for k, v in body.items() if v is not None},
        )
        return ItemResource.model_validate(response.json())

    def heartbeat(
        self, task: ReviewTask | str, *, lease_token: str | None = None, lease_seconds: float | None = None
    ) -> dict[str, Any]:
        task_id, token = _task_and_token(task, lease_token)
        body: dict[str, Any] = {"lease_token": token}
        if lease_seconds is not None:
            body["lease_seconds"] = lease_seconds
        result: dict[str, Any] = self._request(
            "POST", f"/v1/reviews/{task_id}/heartbeat", replay_safe=False, json=body
        ).json()
        return result

    def release(self, task: ReviewTask | str, *, lease_token: str | None = None) -> None:
        task_id, token = _task_and_token(task, lease_token)
        self._request(
            "POST", f"/v1/reviews/{task_id}/release", replay_safe=False, json={"lease_token": token}
        )

    def queues(self) -> dict[str, Any]:
        result: dict[str, Any] = self._request("GET", "/v1/queues").json()
        return result

    def audit_verify(self) -> dict[str, Any]:
        result: dict[str, Any] = self._request("GET", "/v1/audit/verify").json()
        return result

    def create_webhook(self, url: str, events: list[str], secret: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"url": url, "events": events}
        if secret is not None:
            body["secret"] = secret
        result: dict[str, Any] = self._request("POST", "/v1/webhooks", replay_safe=False, json=body).json()
        return result


def _task_and_token(task: ReviewTask | str, lease_token: str | None) -> tuple[str, str]:
    if isinstance(task, ReviewTask):
        return task.id, lease_token or task.lease_token
    if lease_token is None:
        raise ValueError("lease_token is required when the task is given by id")
    return task, lease_token


class AsyncClient:
    """The asynchronous twin of :class:`Client` for the calls a pipeline makes: submit, get, wait."""

    def __init__(
        self,
        url: str,
        api_key: str,
        *,
        timeout: float = 30.0,
        retries: int = 3,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._http = httpx.AsyncClient(
            base_url=url.rstrip("/"),
            timeout=timeout,
            transport=transport,
            headers={"Authorization": f"Bearer {api_key}"},
        )
        self.retries = retries

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _request(
        self, method: str, path: str, *, replay_safe: bool = True, **kwargs: Any
    ) -> httpx.Response:
        for attempt in range(self.retries + 1):
            try:
                response = await self._http.request(method, path, **kwargs)
            except (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError) as exc:
                if attempt == self.retries or not _may_retry(exc, replay_safe):
                    raise
                await asyncio.sleep(0.2 * 2**attempt)
                continue
            _raise_for(response)
            return response
        raise AssertionError("unreachable")

    async def submit(
        self, item: Mapping[str, Any] | BaseModel, *, idempotency_key: str | None = None
    ) -> ItemResource:
        body, key = _submit_args(item, idempotency_key)
        response = await self._request("POST", "/v1/items", json=body, headers={"Idempotency-Key": key})
        return ItemResource.model_validate(response.json())

    async def get(self, item_id: str) -> ItemResource:
        return ItemResource.model_validate((await self._request("GET", f"/v1/items/{item_id}")).json())

    async def wait(self, item_id: str, timeout: float = 60.0) -> ItemResource:
        deadline = time.monotonic() + timeout
        while True:
            left = max(0.0, deadline - time.monotonic())
            response = await self._request(
                "GET",
                f"/v1/items/{item_id}/decision",
                params={"wait": min(left, 30.0)},
                timeout=min(left, 30.0) + 10,
            )
            if response.status_code == 200 or time.monotonic() >= deadline:
                return await self.get(item_id)
