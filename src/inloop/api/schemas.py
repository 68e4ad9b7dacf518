"""Request bodies of the API. Responses are the services' resources (documented in the README)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from inloop.domain.item import Item


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SubmitItem(Item):
    """An item, optionally with the idempotency key in the body instead of the header."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    idempotency_key: str | None = Field(default=None, min_length=1, max_length=200)


class ClaimRequest(_Body):
    queue: str | None = Field(default=None, max_length=200)
    limit: int = Field(default=1, ge=1, le=100)
    lease_seconds: float | None = Field(default=None, gt=0, le=3600)


class DecisionRequest(_Body):
    lease_token: str = Field(min_length=1, max_length=200)
    verdict: Literal["approve", "reject", "edit"]
    output: str | None = Field(default=None, max_length=200_000)
    reason: str | None = Field(default=None, max_length=10_000)
    category: str | None = Field(default=None, max_length=100)


class LeaseRequest(_Body):
    lease_token: str = Field(min_length=1, max_length=200)
    lease_seconds: float | None = Field(default=None, gt=0, le=3600)


class AssignRequest(_Body):
    reviewer: str | None = Field(max_length=100)


class WebhookRequest(_Body):
    url: str = Field(min_length=1, max_length=2000)
    events: list[str] = Field(min_length=1, max_length=10)
    secret: str | None = Field(default=None, max_length=200)


class UserRequest(_Body):
    name: str = Field(min_length=1, max_length=100)
    role: Literal["admin", "lead", "reviewer", "auditor", "submitter"]
    tier: str | None = Field(default=None, max_length=60)
    skills: list[str] = Field(default_factory=list, max_length=50)
    password: str | None = Field(default=None, min_length=8, max_length=500)


class KeyRequest(_Body):
    user: str = Field(min_length=1, max_length=100)
