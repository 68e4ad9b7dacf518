"""Roles and what each may do. One table, so a reader sees every permission at once."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    LEAD = "lead"
    REVIEWER = "reviewer"
    AUDITOR = "auditor"
    SUBMITTER = "submitter"


class Action(StrEnum):
    SUBMIT = "items.submit"
    READ_ITEMS = "items.read"
    REVIEW = "reviews.work"
    ADJUDICATE = "reviews.adjudicate"
    ASSIGN = "reviews.assign"
    READ_QUEUES = "queues.read"
    READ_AUDIT = "audit.read"
    MANAGE_WEBHOOKS = "webhooks.manage"
    MANAGE_USERS = "users.manage"
    EXPORT = "export"
    READ_METRICS = "metrics.read"
    MANAGE_GOLD = "gold.manage"
    VIEW_PII = "pii.view"


_A, _L, _R, _U, _S = Role.ADMIN, Role.LEAD, Role.REVIEWER, Role.AUDITOR, Role.SUBMITTER

PERMISSIONS: dict[Action, frozenset[Role]] = {
    Action.SUBMIT: frozenset({_A, _L, _S}),
    Action.READ_ITEMS: frozenset({_A, _L, _R, _U, _S}),
    Action.REVIEW: frozenset({_A, _L, _R}),
    Action.ADJUDICATE: frozenset({_A, _L}),
    Action.ASSIGN: frozenset({_A, _L}),
    Action.READ_QUEUES: frozenset({_A, _L, _R, _U}),
    Action.READ_AUDIT: frozenset({_A, _L, _U}),
    Action.MANAGE_WEBHOOKS: frozenset({_A}),
    Action.MANAGE_USERS: frozenset({_A}),
    Action.EXPORT: frozenset({_A, _U}),
    Action.READ_METRICS: frozenset({_A, _L, _U}),
    Action.MANAGE_GOLD: frozenset({_A}),
    Action.VIEW_PII: frozenset({_A, _L, _R, _U}),
}


def allowed(role: Role, action: Action) -> bool:
    return role in PERMISSIONS[action]
