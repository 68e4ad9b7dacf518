"""Custom checks used by the tests, loaded through the policy's ``type: testkit.checks:Name``."""

from __future__ import annotations

from inloop import Check, CheckResult, Item
from inloop.checks import Options


class FlagOptions(Options):
    word: str


class FlagWord(Check[FlagOptions]):
    """Flags an output that contains ``word``."""

    cost = 3
    options_model = FlagOptions

    def run(self, item: Item) -> CheckResult:
        hit = self.options.word in item.output
        return self.result(
            score=float(hit), flagged=hit, explanation=f"output contains {self.options.word!r}"
        )


class Crashes(Check[Options]):
    """Always raises, to prove that a broken check fails closed."""

    def run(self, item: Item) -> CheckResult:
        raise RuntimeError("boom")


class NotACheck:
    pass
