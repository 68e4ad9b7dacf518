"""Automated checks run on every item before routing, cheapest first."""

from inloop.checks.base import Check, NoOptions, Options, field_texts
from inloop.domain.findings import CheckResult, Span

__all__ = ["Check", "CheckResult", "NoOptions", "Options", "Span", "field_texts"]
