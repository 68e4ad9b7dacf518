"""The Gate: a loaded policy and its checks, routing items in-process.

>>> gate = Gate.from_file("examples/policy.yaml")          # doctest: +SKIP
>>> gate.route({"task_type": "support_reply", "output": "Hi!", "confidence": 0.95}).route   # doctest: +SKIP
<Route.AUTO: 'auto'>
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from inloop.checks.cascade import Cascade
from inloop.domain.item import Item
from inloop.domain.policy import Policy, parse_policy
from inloop.domain.routing import Routing, decide
from inloop.errors import PolicyError
from inloop.policy_file import read_policy_file


class Gate:
    """Routes items under one policy. Thread-safe once built: checks hold no per-item state (their memos
    of recurring texts, words and numbers are bounded and hold only values derived from the text)."""

    def __init__(self, policy: Policy, cascade: Cascade) -> None:
        self.policy = policy
        self.cascade = cascade

    @classmethod
    def from_dict(cls, data: object, source: str = "<policy>") -> Gate:
        """Build from decoded policy data; raises :class:`PolicyError` naming every faulty field."""
        policy = parse_policy(data, source)
        cascade, problems = Cascade.build(policy.checks)
        if problems:
            raise PolicyError(source, problems)
        return cls(policy, cascade)

    @classmethod
    def from_file(cls, path: str | Path) -> Gate:
        """Build from a YAML (or JSON) policy file."""
        return cls.from_dict(read_policy_file(path), str(path))

    @property
    def policy_version(self) -> str:
        return self.policy.version_hash

    def route(self, item: Item | Mapping[str, Any]) -> Routing:
        """Run the checks and decide the route of one item (a dict is validated into an :class:`Item`)."""
        if not isinstance(item, Item):
            item = Item.parse(item)
        outcome = self.cascade.run(item)
        return decide(self.policy, item, outcome.findings, stopped_by=outcome.stopped_by)
