"""inloop: human-in-the-loop review for LLM outputs.

Route an item in-process::

    from inloop import Gate, Item
    gate = Gate.from_file("policy.yaml")
    routing = gate.route(Item(task_type="support_reply", output="...", confidence=0.93))
"""

from inloop.checks.base import Check
from inloop.client import AsyncClient, Client
from inloop.domain.findings import CheckResult, Span
from inloop.domain.item import Item, Message
from inloop.domain.policy import Policy, parse_policy
from inloop.domain.routes import Route
from inloop.domain.routing import Routing
from inloop.errors import InloopError, ItemError, PolicyError, Problem
from inloop.gate import Gate

__all__ = [
    "AsyncClient",
    "Check",
    "CheckResult",
    "Client",
    "Gate",
    "InloopError",
    "Item",
    "ItemError",
    "Message",
    "Policy",
    "PolicyError",
    "Problem",
    "Route",
    "Routing",
    "Span",
    "parse_policy",
]
__version__ = "0.1.0"
