"""What-if replay: route the stored items again through a candidate policy; compare it with the current one.

**Current** is, by default, the routes the items actually took (``items.route`` and the stored audit sample):
what happened, whatever policy versions were in force over the window. Given a current policy (``--current
FILE``), every item is routed through it too, which compares two policies on equal terms (the same checks
re-run on both sides, the same audit hashing). The arithmetic and its estimates are
:mod:`inloop.domain.replay`; the human labels are :func:`inloop.domain.labels.label_of`'s.

An item keeps its audit sampling key: it was hashed by id only if it was submitted with one (the stored
routing says), else by content, so replaying the current policy reproduces the stored samples.

Everything is read in one read transaction (a consistent snapshot) and streamed; items are routed in chunks,
in-process or, with ``workers > 1``, in a process pool whose workers build the same gates from the policies
(a gate's compiled rules cannot be pickled; a policy can). Routing dominates the time (each item runs the
policy's checks; two policies with the same checks share one run), but each worker takes about two seconds
to start, so the pool pays off only on a long replay with idle cores (see bench/replay_bench.py).
"""

from __future__ import annotations

import dataclasses
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from itertools import islice
from multiprocessing import get_context
from typing import Any

from inloop.domain.item import Item
from inloop.domain.labels import LabelFacts, label_of
from inloop.domain.replay import STORED, Handling, Replay, ReplayReport
from inloop.domain.routes import Route
from inloop.domain.routing import decide
from inloop.errors import InvalidRequest, ItemError, Problem
from inloop.gate import Gate
from inloop.services.context import Context
from inloop.storage import replay as stored
from inloop.storage.replay import StoredItem

CHUNK = 500
"""Items routed per chunk (one progress step; one task for a pool worker)."""

Progress = Callable[[int, int], None]
"""Called with (items done, items in total) after every chunk."""

Outcome = tuple[tuple[Route, bool], ...]
"""(route, sampled for audit) under each gate, in the order of the gates."""


def replay(
    ctx: Context,
    candidate: Gate,
    current: Gate | None = None,
    *,
    since_ms: int | None = None,
    until_ms: int | None = None,
    task: str | None = None,
    progress: Progress | None = None,
    workers: int = 1,
    candidate_source: str = "candidate",
    current_source: str | None = None,
) -> ReplayReport:
    """Replay every stored, non-gold item created in ``[since_ms, until_ms)`` (of ``task`` if given) through
    ``candidate`` and, if given, ``current`` (else the stored routes are the current side)."""
    if since_ms is not None and until_ms is not None and since_ms >= until_ms:
        raise InvalidRequest([Problem("until", "must be later than since")])
    if workers < 1:
        raise InvalidRequest([Problem("workers", "must be at least 1")])
    gates = [candidate] if current is None else [candidate, current]
    tally = Replay(
        candidate.policy,
        None if current is None else current.policy,
        candidate_source=candidate_source,
        current_source=current_source or (STORED if current is None else "current"),
    )
    with ctx.db.read() as conn:
        total = stored.count(conn, since_ms, until_ms, task)
        handling = {t: Handling(n, ms) for t, (n, ms) in stored.handling_times(conn, task).items()}
        rows = stored.stream(conn, since_ms, until_ms, task)
        done = 0
        for chunk, outcomes in _routed(_chunks(rows), gates, workers):
            for row, outcome in zip(chunk, outcomes, strict=True):
                if isinstance(outcome, str):
                    tally.skip(outcome)
                    continue
                now = outcome[1] if current is not None else (Route(row.route), row.audit_sampled)
                tally.add(row.task_type, human_label(row.facts), row.facts.confidence, now, outcome[0])
            done += len(chunk)
            if progress is not None:
                progress(done, total)
    return tally.report(handling)


def human_label(facts: LabelFacts) -> bool | None:
    """True (correct), False (error) or None (no human verdict yet), as calibration labels them.

    :func:`label_of` skips items without a confidence because calibration needs one; whether a person found
    an error does not depend on it, so such items are labelled here as if they had one."""
    if facts.confidence is None:
        facts = dataclasses.replace(facts, confidence=0.0)
    label = label_of(facts)
    return label if isinstance(label, bool) else None


def _chunks(rows: Iterable[StoredItem]) -> Iterator[list[StoredItem]]:
    it = iter(rows)
    while chunk := list(islice(it, CHUNK)):
        yield chunk


def _body(row: StoredItem) -> dict[str, Any]:
    """The item as it was routed: with its id only if it was submitted with one (the audit hash key)."""
    return {**row.body, "id": row.id} if row.routed_with_id else row.body


class _Router:
    """Routes bodies through every gate. Gates whose policies list the same checks share one cascade run
    (checks depend only on the item and their spec), so comparing two policies that differ in thresholds,
    risks or rules costs barely more than routing through one."""

    def __init__(self, gates: list[Gate]) -> None:
        self.gates = gates
        self.shared = all(gate.policy.checks == gates[0].policy.checks for gate in gates[1:])

    def route(self, bodies: list[dict[str, Any]]) -> list[Outcome | str]:
        """Each body's outcome; a body that no longer parses is a skip reason instead."""
        out: list[Outcome | str] = []
        gates = self.gates
        for body in bodies:
            try:
                item = Item.parse(body)
            except ItemError:
                out.append("stored body is no longer a valid item")
                continue
            if self.shared:
                ran = gates[0].cascade.run(item)
                routings = [decide(g.policy, item, ran.findings, stopped_by=ran.stopped_by) for g in gates]
            else:
                routings = [gate.route(item) for gate in gates]
            out.append(tuple((r.route, r.audit_sampled) for r in routings))
        return out


def _routed(
    chunks: Iterator[list[StoredItem]], gates: list[Gate], workers: int
) -> Iterator[tuple[list[StoredItem], list[Outcome | str]]]:
    """Each chunk with its outcomes, in order."""
    if workers == 1:
        router = _Router(gates)
        for chunk in chunks:
            yield chunk, router.route([_body(row) for row in chunk])
        return
    policies = [gate.policy.model_dump(by_alias=True) for gate in gates]
    with ProcessPoolExecutor(
        workers, mp_context=get_context("spawn"), initializer=_init_worker, initargs=(policies,)
    ) as pool:
        pending: deque[tuple[list[StoredItem], Future[list[Outcome | str]]]] = deque()
        for chunk in chunks:
            pending.append((chunk, pool.submit(_route_in_worker, [_body(row) for row in chunk])))
            if len(pending) >= 2 * workers:  # bounded: memory stays constant however many items
                head, future = pending.popleft()
                yield head, future.result()
        while pending:
            head, future = pending.popleft()
            yield head, future.result()


_worker_router: list[_Router] = []  # the one router of a pool worker process


def _init_worker(policies: list[dict[str, Any]]) -> None:
    _worker_router[:] = [_Router([Gate.from_dict(policy) for policy in policies])]


def _route_in_worker(bodies: list[dict[str, Any]]) -> list[Outcome | str]:
    return _worker_router[0].route(bodies)
