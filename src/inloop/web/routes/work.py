"""Queues, the review desk, adjudication and audit samples.

``/review/next``, ``/adjudication/next`` and ``/audits/next`` resume the task of that kind the viewer holds,
or claim the next one, and show it. A decision (``POST /review/{task}/decide``) answers with the next task of
the same kind and queue at once; a skip claims the next task first and then releases the skipped one, so the
skip never hands the same task straight back.
"""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import JSONResponse, Response

from inloop.domain.access import Action
from inloop.domain.review import TaskKind
from inloop.errors import InvalidRequest, LeaseConflict
from inloop.services import console, review
from inloop.services.console import ADJUDICATION_KINDS, AUDIT_KINDS, REVIEW_KINDS
from inloop.web.pages import ConsoleRoute, Viewer, ctx_of, needs, render
from inloop.web.views import item_view, review_views

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)

KINDS = {
    TaskKind.REVIEW.value: REVIEW_KINDS,
    TaskKind.ADJUDICATION.value: ADJUDICATION_KINDS,
    TaskKind.AUDIT.value: AUDIT_KINDS,
}
NEXT_URL = {
    TaskKind.REVIEW.value: "/review/next",
    TaskKind.ADJUDICATION.value: "/adjudication/next",
    TaskKind.AUDIT.value: "/audits/next",
}
QueueReader = Annotated[Viewer, Depends(needs(Action.READ_QUEUES))]
Reviewer = Annotated[Viewer, Depends(needs(Action.REVIEW))]
Lead = Annotated[Viewer, Depends(needs(Action.ADJUDICATE))]


@router.get("/queues")
def queues(request: Request, v: QueueReader) -> Response:
    overview = console.queue_overview(ctx_of(request), v.who)
    return render(request, "queues.html", v, title="Queues", overview=overview)


def _timed(request: Request, name: str, started: float) -> None:
    timings: list[str] = request.state.__dict__.setdefault("timings", [])
    timings.append(f"{name};dur={(time.perf_counter() - started) * 1000:.2f}")


def _show(
    request: Request,
    v: Viewer,
    task: dict[str, Any] | None,
    *,
    kind: str,
    queue: str | None,
    status: int = 200,
    notice: str | None = None,
    errors: list[str] | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    """The review desk for ``task``, or the page saying the queue is empty."""
    started = time.perf_counter()
    ctx = ctx_of(request)
    context: dict[str, Any] = {
        "kind": kind,
        "queue": queue or "",
        "next_url": NEXT_URL[kind],
        "notice": notice,
        "errors": errors or [],
        "form": form or {},
    }
    if task is None:
        response = render(request, "empty.html", v, status_code=status, title="Nothing to do", **context)
    else:
        item = item_view(ctx, v, task["item"])
        reviews = review_views(item, task["item"].get("reviews") or [])
        lease_ms = max(1, ctx.lease_seconds) * 1000
        response = render(
            request,
            "review.html",
            v,
            status_code=status,
            title=f"{kind.capitalize()} {item['id']}",
            task=task,
            item=item,
            reviews=reviews,
            categories=ctx.policy.categories,
            heartbeat_ms=int(min(60_000, max(1000, lease_ms // 3))),
            now_ms=ctx.clock(),
            **context,
        )
    _timed(request, "render", started)
    response.headers["Server-Timing"] = ", ".join(request.state.timings)
    return response


def _next(request: Request, v: Viewer, kind: str, queue: str | None, *, resume: bool = True) -> Any:
    started = time.perf_counter()
    task = console.claim_next(ctx_of(request), v.who, kinds=KINDS[kind], queue=queue or None, resume=resume)
    _timed(request, "claim", started)
    return task


@router.get("/review/next")
def review_next(request: Request, v: Reviewer, queue: str | None = None) -> Response:
    kind = TaskKind.REVIEW.value
    return _show(request, v, _next(request, v, kind, queue), kind=kind, queue=queue)


@router.get("/adjudication/next")
def adjudication_next(request: Request, v: Lead) -> Response:
    kind = TaskKind.ADJUDICATION.value
    return _show(request, v, _next(request, v, kind, None), kind=kind, queue=None)


@router.get("/audits/next")
def audits_next(request: Request, v: Reviewer) -> Response:
    kind = TaskKind.AUDIT.value
    return _show(request, v, _next(request, v, kind, None), kind=kind, queue=None)


@router.get("/review/{task_id}")
def review_task(request: Request, v: Reviewer, task_id: str, queue: str | None = None) -> Response:
    task = console.held_task(ctx_of(request), v.who, task_id)
    return _show(request, v, task, kind=task["kind"], queue=queue)


@router.post("/review/{task_id}/decide")
def decide(
    request: Request,
    v: Reviewer,
    task_id: str,
    lease_token: Annotated[str, Form(max_length=200)] = "",
    verdict: Annotated[str, Form(max_length=20)] = "",
    reason: Annotated[str, Form(max_length=10_000)] = "",
    category: Annotated[str, Form(max_length=100)] = "",
    output: Annotated[str | None, Form(max_length=200_000)] = None,
    queue: Annotated[str, Form(max_length=200)] = "",
    mode: Annotated[str, Form(max_length=20)] = "",
    kind: Annotated[str, Form(max_length=20)] = TaskKind.REVIEW.value,
) -> Response:
    ctx = ctx_of(request)
    kind = kind if kind in KINDS else TaskKind.REVIEW.value  # what to show next; the claim checks the role
    started = time.perf_counter()
    try:
        item = review.decide(
            ctx,
            v.who,
            task_id,
            lease_token=lease_token,
            verdict=verdict,
            output=output if verdict == "edit" else None,
            reason=reason or None,
            category=category or None,
        )
    except InvalidRequest as exc:
        try:
            task = console.held_task(ctx, v.who, task_id)
        except LeaseConflict as gone:
            return _gone(request, v, kind, queue, gone)
        errors = [str(p) for p in exc.problems]
        form = {"reason": reason, "category": category, "output": output or "", "mode": mode or verdict}
        return _show(request, v, task, kind=task["kind"], queue=queue, status=422, errors=errors, form=form)
    except LeaseConflict as exc:
        return _gone(request, v, kind, queue, exc)
    _timed(request, "decide", started)
    label = {"approve": "Approved", "reject": "Rejected", "edit": "Edited"}.get(verdict, verdict)
    if kind == TaskKind.AUDIT.value:
        label = "Marked correct" if verdict == "approve" else "Marked as an escaped error"
    # The next task at once, in the same response (resume=False: a fresh claim, one read fewer).
    next_task = _next(request, v, kind, queue, resume=False)
    notice = f"{label}: {item['id']}"
    return _show(request, v, next_task, kind=kind, queue=queue, notice=notice, form={"done": item["id"]})


def _gone(request: Request, v: Viewer, kind: str, queue: str, exc: LeaseConflict) -> Response:
    """The task is no longer the viewer's (expired, decided elsewhere): say so and go on with the next one."""
    return _show(request, v, _next(request, v, kind, queue), kind=kind, queue=queue, notice=str(exc))


@router.post("/review/{task_id}/skip")
def skip(
    request: Request,
    v: Reviewer,
    task_id: str,
    lease_token: Annotated[str, Form(max_length=200)] = "",
    queue: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    ctx = ctx_of(request)
    task = console.held_task(ctx, v.who, task_id)
    kind = task["kind"]
    next_task = _next(request, v, kind, queue, resume=False)
    review.release(ctx, v.who, task_id, lease_token)
    notice = f"Skipped {task['item']['id']}: it is back in the queue."
    return _show(request, v, next_task, kind=kind, queue=queue, notice=notice)


@router.post("/review/{task_id}/heartbeat")
def heartbeat(
    request: Request, v: Reviewer, task_id: str, lease_token: Annotated[str, Form(max_length=200)] = ""
) -> Response:
    ctx = ctx_of(request)
    review.heartbeat(ctx, v.who, task_id, lease_token)
    task = console.held_task(ctx, v.who, task_id)
    return JSONResponse({"lease_expires_ms": task["lease_expires_ms"]})


@router.get("/adjudication")
def adjudication(request: Request, v: Lead) -> Response:
    ctx = ctx_of(request)
    kind = TaskKind.ADJUDICATION.value
    return render(
        request,
        "tasklist.html",
        v,
        title="Adjudication",
        heading="Adjudication",
        intro="Items whose reviewers disagreed. The lead sees every review side by side and decides.",
        kind=kind,
        start_url="/adjudication/next",
        start_label="Adjudicate next",
        can_start=True,
        tasks=console.open_tasks(ctx, v.who, kind),
        recent=console.recent_reviews(ctx, v.who, kind),
    )


@router.get("/audits")
def audits(request: Request, v: QueueReader) -> Response:
    ctx = ctx_of(request)
    kind = TaskKind.AUDIT.value
    return render(
        request,
        "tasklist.html",
        v,
        title="Audit samples",
        heading="Audit samples",
        intro="Outputs released without a review and sampled for a post-hoc audit: mark each correct, or an "
        "escaped error (the caller is told with an item.revised event).",
        kind=kind,
        start_url="/audits/next",
        start_label="Audit next sample",
        can_start=v.can(Action.REVIEW),
        tasks=console.open_tasks(ctx, v.who, kind),
        recent=console.recent_reviews(ctx, v.who, kind),
    )
