"""Console sessions, CSRF tokens, the login back-off and the security headers.

**Sessions** are signed cookies (HMAC-SHA256 over a small JSON payload: user id, session id, issue and
last-seen times, a fingerprint of the user's password hash). They are HttpOnly, SameSite=Lax, Secure on https,
expire 12 hours after login or 2 hours after the last request, and every request reloads the user, so a
disabled user, a changed password or a changed role takes effect at once. Logout clears the cookie and
revokes the session id in this process.

**CSRF**: every form and every htmx request carries a token, ``HMAC(secret, "csrf" + session id)``, in the
``csrf_token`` field or the ``X-CSRF-Token`` header; a POST without the right one is refused with 403. The
login form (no session yet) uses a signed double-submit cookie. A POST whose ``Origin`` is another origin is
refused too.

**Login back-off** (in memory, per process): after 5 failures for a user name, or 20 from one address, within
15 minutes, further attempts are refused for 30 s, doubling with each further failure up to 15 minutes; a
success clears the name's count.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SESSION_COOKIE = "inloop_session"
LOGIN_CSRF_COOKIE = "inloop_login"
ABSOLUTE_MS = 12 * 3_600_000
IDLE_MS = 2 * 3_600_000
REFRESH_MS = 5 * 60_000


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def secret_from_env() -> bytes:
    """``INLOOP_SESSION_SECRET`` (share it between processes behind one address), else a random secret for
    this process: sessions then end when it restarts."""
    raw = os.environ.get("INLOOP_SESSION_SECRET")
    return raw.encode() if raw else secrets.token_bytes(32)


@dataclass(frozen=True, slots=True)
class Session:
    user_id: str
    sid: str
    issued_ms: int
    seen_ms: int
    fingerprint: str


class Sessions:
    """Signs and checks session cookies and CSRF tokens with one secret."""

    def __init__(self, secret: bytes, clock: Callable[[], int] | None = None) -> None:
        self._key = hashlib.sha256(b"inloop-console-session" + secret).digest()
        self._clock = clock or (lambda: time.time_ns() // 1_000_000)
        self._revoked: OrderedDict[str, int] = OrderedDict()
        self._lock = threading.Lock()

    def now(self) -> int:
        return self._clock()

    def _sign(self, data: bytes) -> str:
        return _b64(hmac.new(self._key, data, hashlib.sha256).digest())

    def issue(
        self, user_id: str, fingerprint: str, *, sid: str | None = None, issued_ms: int | None = None
    ) -> str:
        now = self.now()
        payload = {
            "u": user_id,
            "s": sid or _b64(secrets.token_bytes(16)),
            "i": issued_ms if issued_ms is not None else now,
            "t": now,
            "f": fingerprint,
        }
        body = _b64(json.dumps(payload, separators=(",", ":")).encode())
        return f"{body}.{self._sign(body.encode())}"

    def refreshed(self, session: Session) -> str:
        return self.issue(session.user_id, session.fingerprint, sid=session.sid, issued_ms=session.issued_ms)

    def read(self, cookie: str | None) -> Session | None:
        """The session a cookie carries, or None when it is absent, forged, expired or revoked."""
        if not cookie or "." not in cookie or len(cookie) > 4096:
            return None
        body, signature = cookie.rsplit(".", 1)
        if not hmac.compare_digest(signature, self._sign(body.encode())):
            return None
        try:
            data = json.loads(_unb64(body))
            session = Session(str(data["u"]), str(data["s"]), int(data["i"]), int(data["t"]), str(data["f"]))
        except (ValueError, KeyError, TypeError):
            return None
        now = self.now()
        if now - session.issued_ms > ABSOLUTE_MS or now - session.seen_ms > IDLE_MS:
            return None
        with self._lock:
            if session.sid in self._revoked:
                return None
        return session

    def revoke(self, session: Session) -> None:
        with self._lock:
            self._revoked[session.sid] = session.issued_ms + ABSOLUTE_MS
            horizon = self.now()
            while self._revoked and next(iter(self._revoked.values())) < horizon:
                self._revoked.popitem(last=False)
            while len(self._revoked) > 100_000:
                self._revoked.popitem(last=False)

    def csrf_token(self, session: Session) -> str:
        return self._sign(b"csrf:" + session.sid.encode())

    def check_csrf(self, session: Session, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(str(token), self.csrf_token(session))

    # The login form has no session yet: a random value, signed, in a cookie and in the form (double submit).
    def login_token(self) -> str:
        nonce = _b64(secrets.token_bytes(16))
        return f"{nonce}.{self._sign(b'login:' + nonce.encode())}"

    def check_login_token(self, cookie: str | None, form: str | None) -> bool:
        if not cookie or not form or not hmac.compare_digest(cookie, form) or "." not in form:
            return False
        nonce, signature = form.rsplit(".", 1)
        return hmac.compare_digest(signature, self._sign(b"login:" + nonce.encode()))


class LoginThrottle:
    """Back-off after repeated login failures, per user name and per client address (in memory)."""

    WINDOW_S = 15 * 60
    NAME_LIMIT = 5
    ADDRESS_LIMIT = 20
    BASE_S = 30.0
    MAX_S = 15 * 60.0
    MAX_KEYS = 50_000

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._failures: OrderedDict[str, list[float]] = OrderedDict()
        self._locked: dict[str, float] = {}
        self._lock = threading.Lock()

    def _keys(self, name: str, address: str) -> list[tuple[str, int]]:
        return [(f"name:{name.lower()}", self.NAME_LIMIT), (f"addr:{address}", self.ADDRESS_LIMIT)]

    def retry_after(self, name: str, address: str) -> float:
        """Seconds until this name and address may try again (0 when they may now)."""
        now = self._clock()
        with self._lock:
            waits = [self._locked.get(k, 0.0) - now for k, _ in self._keys(name, address)]
        return max(0.0, *waits)

    def failed(self, name: str, address: str) -> None:
        now = self._clock()
        with self._lock:
            for key, limit in self._keys(name, address):
                recent = [t for t in self._failures.pop(key, []) if now - t < self.WINDOW_S]
                recent.append(now)
                self._failures[key] = recent
                if len(recent) >= limit:
                    wait = min(self.MAX_S, self.BASE_S * 2 ** (len(recent) - limit))
                    self._locked[key] = now + wait
            while len(self._failures) > self.MAX_KEYS:
                old, _ = self._failures.popitem(last=False)
                self._locked.pop(old, None)

    def succeeded(self, name: str) -> None:
        with self._lock:
            key = f"name:{name.lower()}"
            self._failures.pop(key, None)
            self._locked.pop(key, None)


CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
_DOCS = ("/docs", "/redoc")


class SecurityHeaders:
    """Adds CSP (not to FastAPI's interactive docs, which load their own scripts), frame and sniffing
    protection and a referrer policy to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        docs = str(scope.get("path", "")).startswith(_DOCS)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "same-origin")
                if not docs:
                    headers.setdefault("Content-Security-Policy", CSP)
                    headers.setdefault("X-Frame-Options", "DENY")
                    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
            await send(message)

        await self.app(scope, receive, send_with_headers)
