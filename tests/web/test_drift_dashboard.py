"""The dashboard's drift panel over HTTP: the report the drift job kept (or one computed when it never ran),
each signal against its limit, and names escaped like any other text."""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml
from argon2 import PasswordHasher

from inloop.api import create_app
from inloop.clock import ManualClock
from inloop.services import accounts, drift
from inloop.services.context import Context
from inloop.settings import Settings
from inloop.storage import jobs, users
from testkit.drift import DRIFT_POLICY, a_week_then_a_day, clock_of
from testkit.service import make_context

with warnings.catch_warnings():  # Starlette would rather have httpx2, which is not installed
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

PASSWORD = "a-good-long-password"
START = 1_700_000_000_000

Dashboard = Callable[[], str]


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[Context]:
    context = make_context(f"sqlite:///{tmp_path / 'inloop.db'}", DRIFT_POLICY, ManualClock(START))
    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    user = accounts.add_user(context, "aude", "auditor")
    with context.db.write() as conn:
        users.update_user(conn, user.id, password_hash=cheap.hash(PASSWORD))
    yield context
    context.db.close()


@pytest.fixture
def dashboard(ctx: Context, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[], str]]:
    """Log in as the auditor and return a function that fetches the dashboard's HTML."""
    monkeypatch.setenv("INLOOP_SESSION_SECRET", "unit-test-secret-" + "x" * 20)
    policy = tmp_path / "policy.yaml"
    policy.write_text(yaml.safe_dump(DRIFT_POLICY))
    settings = Settings(db=ctx.db.url, policy=str(policy), background=False)
    with TestClient(create_app(settings, clock=clock_of(ctx))) as client:
        page = client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token is not None
        login = {"username": "aude", "password": PASSWORD, "csrf_token": token.group(1), "next": "/dashboard"}
        assert client.post("/login", data=login, follow_redirects=False).status_code == 303

        def get() -> str:
            r = client.get("/dashboard")
            assert r.status_code == 200
            return r.text

        yield get


def row(html: str, signal: str) -> str:
    match = re.search(rf'<tr data-signal="{re.escape(signal)}">(.*?)</tr>', html, re.S)
    assert match is not None, signal
    return match.group(1)


def test_the_panel_shows_the_stored_report(ctx: Context, dashboard: Dashboard) -> None:
    a_week_then_a_day(ctx, shifted=True)
    report = drift.run_due(ctx)
    assert report is not None
    html = dashboard()
    assert 'data-testid="drift"' in html
    assert "drifted: confidence, check:long, escalation" in html
    assert "by the drift job" in html
    confidence = row(html, "confidence")
    psi = next(s.psi for s in report.signals if s.name == "confidence")
    assert psi is not None
    assert f"{psi:.3f}" in confidence
    assert "0.2" in confidence
    assert "badge bad" in confidence
    escalation = row(html, "escalation")
    assert "4.8% → 25.0% (+20.2 points)" in escalation
    assert "±10 points" in escalation


def test_without_a_run_the_panel_is_computed_now(ctx: Context, dashboard: Dashboard) -> None:
    a_week_then_a_day(ctx, shifted=False)
    html = dashboard()
    assert "computed now (the drift job has not run yet)" in html
    assert '<span class="badge ok" data-testid="drift-status">stable</span>' in html
    assert "badge bad" not in row(html, "confidence")
    with ctx.db.read() as conn:
        assert jobs.load(conn, drift.JOB) is None  # showing it stores nothing


def test_names_in_the_panel_are_escaped(ctx: Context, dashboard: Dashboard) -> None:
    report = drift.to_json(drift.check(ctx))
    report["signals"] = [
        {
            "name": "check:<script>alert(1)</script>",
            "psi": 0.5,
            "limit": 0.2,
            "n_reference": 300,
            "n_recent": 300,
            "drifted": True,
            "skipped": False,
        }
    ]
    with ctx.db.write() as conn:
        jobs.save_state(conn, drift.JOB, report, START)
    html = dashboard()
    assert "<script>alert(1)</script>" not in html
    assert "check:&lt;script&gt;alert(1)&lt;/script&gt;" in html
