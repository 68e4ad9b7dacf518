"""Gold items in the console, over HTTP in-process: the admin's form on the item page (CSRF, roles, errors),
and a gold task on the review desk that reads like any review."""

from __future__ import annotations

import random
import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from argon2 import PasswordHasher

from inloop.api import create_app
from inloop.services import accounts, gold, intake
from inloop.services.context import Context
from inloop.settings import Settings
from inloop.storage import open_database, users

with warnings.catch_warnings():  # Starlette would rather have httpx2, which is not installed
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

PASSWORD = "a-good-long-password"
POLICY: dict[str, Any] = {
    "version": 1,
    "levels": {"low": {"threshold": 0.7, "confident": "auto", "unsure": "queue"}},
    "default_task": {"risk": "low"},
    "gold": {"rate": 0.5},
}


class Always(random.Random):
    def random(self) -> float:
        return 0.0


class Console:
    def __init__(self, client: TestClient, ctx: Context) -> None:
        self.client, self.ctx = client, ctx

    def login(self, name: str) -> None:
        self.client.cookies.clear()
        page = self.client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token is not None
        r = self.client.post(
            "/login",
            data={"username": name, "password": PASSWORD, "csrf_token": token.group(1), "next": "/queues"},
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text

    def csrf(self) -> str:
        match = re.search(r'name="csrf-token" content="([^"]+)"', self.client.get("/queues").text)
        assert match is not None
        return match.group(1)

    def submit(self, output: str, confidence: float) -> dict[str, Any]:
        data = {"task_type": "t", "output": output, "confidence": confidence}
        return intake.submit(self.ctx, data, actor="test")[0]


@pytest.fixture
def console(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Console]:
    monkeypatch.setenv("INLOOP_SESSION_SECRET", "unit-test-secret-" + "x" * 20)
    policy = tmp_path / "policy.yaml"
    policy.write_text(yaml.safe_dump(POLICY))
    from inloop import Gate

    ctx = Context(db=open_database(db_url), gate=Gate.from_dict(POLICY))
    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    for name, role in (("rita", "reviewer"), ("adam", "admin"), ("lena", "lead")):
        user = accounts.add_user(ctx, name, role, tier="specialist")
        with ctx.db.write() as conn:
            users.update_user(conn, user.id, password_hash=cheap.hash(PASSWORD))
    with TestClient(create_app(Settings(db=db_url, policy=str(policy), background=False))) as client:
        yield Console(client, ctx)
    ctx.db.close()


def test_admin_marks_and_unmarks_on_the_item_page(console: Console) -> None:
    item = console.submit("Your parcel ships on Monday.", 0.95)  # released by the policy: decided
    path = f"/items/{item['id']}"
    console.login("adam")
    page = console.client.get(path).text
    assert 'data-testid="gold-form"' in page
    assert '<option value="approve" selected>' in page, "defaults to the item's final decision"
    csrf = console.csrf()
    refused = console.client.post(f"{path}/gold", data={"verdict": "approve"}, follow_redirects=False)
    assert refused.status_code == 403
    bad = console.client.post(f"{path}/gold", data={"verdict": "reject", "csrf_token": csrf})
    assert bad.status_code == 422
    assert "a reject needs a category" in bad.text
    assert gold.answer_of(console.ctx, item["id"]) is None
    marked = console.client.post(
        f"{path}/gold",
        data={"verdict": "edit", "output": "Ships Tuesday.", "category": "hallucination", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert marked.status_code == 303
    page = console.client.get(marked.headers["location"]).text
    assert "Marked as gold." in page
    assert 'data-testid="gold-answer"' in page
    assert "Ships Tuesday." in page
    answer = gold.answer_of(console.ctx, item["id"])
    assert answer is not None
    assert (answer["verdict"], answer["category"]) == ("edit", "hallucination")
    assert console.client.post(f"{path}/gold/unmark", data={}, follow_redirects=False).status_code == 403
    unmarked = console.client.post(f"{path}/gold/unmark", data={"csrf_token": csrf}, follow_redirects=False)
    assert unmarked.status_code == 303
    page = console.client.get(unmarked.headers["location"]).text
    assert 'data-testid="gold-answer"' not in page
    assert 'data-testid="gold-form"' in page
    assert (gold.answer_of(console.ctx, item["id"]) or {}).get("active") is False


def test_others_neither_see_nor_post_it(console: Console) -> None:
    item = console.submit("Your parcel ships on Monday.", 0.95)
    gold.mark(console.ctx, item["id"], verdict="approve", actor="test")
    path = f"/items/{item['id']}"
    for name in ("rita", "lena"):
        console.login(name)
        page = console.client.get(path)
        assert page.status_code == 200
        assert 'data-testid="gold' not in page.text
        refused = console.client.post(
            f"{path}/gold", data={"verdict": "approve", "csrf_token": console.csrf()}
        )
        assert refused.status_code == 403
        unmark = console.client.post(f"{path}/gold/unmark", data={"csrf_token": console.csrf()})
        assert unmark.status_code == 403
    answer = gold.answer_of(console.ctx, item["id"])
    assert answer is not None
    assert (answer["verdict"], answer["active"]) == ("approve", True)


def test_the_review_desk_shows_gold_as_a_review(console: Console, monkeypatch: pytest.MonkeyPatch) -> None:
    known = console.submit("Known answer text.", 0.95)
    gold.mark(console.ctx, known["id"], verdict="approve", actor="test")
    real = console.submit("Real pending text.", 0.1)
    monkeypatch.setattr(gold, "_rng", Always(0))
    console.login("rita")
    desk = console.client.get("/review/next")
    assert desk.status_code == 200
    assert "Known answer text." in desk.text
    assert 'data-kind="review"' in desk.text
    assert "gold" not in desk.text.lower()
    assert "decided" not in desk.text.lower()
    task_id = re.search(r'data-task-id="([^"]+)"', desk.text)
    token = re.search(r'name="lease_token" value="([^"]+)"', desk.text)
    assert task_id is not None
    assert token is not None
    item_page = console.client.get(f"/items/{known['id']}").text
    assert 'data-testid="status">pending<' in item_page, "the item page, while held, shows it pending"
    assert "Pending: no final decision yet." in item_page
    assert "gold" not in item_page.lower()
    again = console.client.get("/review/next")
    assert f'data-task-id="{task_id.group(1)}"' in again.text, "a reload resumes the gold task"
    done = console.client.post(
        f"/review/{task_id.group(1)}/decide",
        data={
            "lease_token": token.group(1),
            "verdict": "approve",
            "csrf_token": console.csrf(),
            "kind": "review",
        },
    )
    assert done.status_code == 200
    assert f"Approved: {known['id']}" in done.text
    assert "Real pending text." in done.text, "the displaced real task comes next"
    assert gold.accuracy(console.ctx)["reviewers"]["rita"]["correct"] == 1
    assert intake.get_item(console.ctx, real["id"])["status"] == "pending"
