"""Sessions, CSRF tokens and the login back-off, without a server."""

from __future__ import annotations

from inloop.web.security import ABSOLUTE_MS, IDLE_MS, LoginThrottle, Sessions


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def sessions(clock: Clock | None = None, secret: bytes = b"k" * 32) -> Sessions:
    c = clock or Clock(1_700_000_000_000)
    return Sessions(secret, clock=lambda: int(c()))


def test_a_session_round_trips_and_forgeries_fail() -> None:
    s = sessions()
    cookie = s.issue("usr_1", "fp")
    session = s.read(cookie)
    assert session is not None
    assert (session.user_id, session.fingerprint) == ("usr_1", "fp")
    body, signature = cookie.rsplit(".", 1)
    assert s.read(body + "." + signature[::-1]) is None
    assert s.read(body[:-2] + "AA." + signature) is None
    assert s.read("not a cookie") is None
    assert s.read(None) is None
    assert sessions(secret=b"other" * 8).read(cookie) is None  # another secret


def test_sessions_expire_when_idle_or_old_and_can_be_revoked() -> None:
    clock = Clock(1_700_000_000_000)
    s = sessions(clock)
    cookie = s.issue("usr_1", "fp")
    clock.now += IDLE_MS + 1
    assert s.read(cookie) is None
    clock.now = 1_700_000_000_000
    session = s.read(cookie)
    while session is not None:  # busy all day: refreshed hourly, it still ends at the absolute limit
        clock.now += 3_600_000
        session = s.read(s.refreshed(session))
    assert ABSOLUTE_MS < clock.now - 1_700_000_000_000 <= ABSOLUTE_MS + 3_600_000
    clock.now = 1_700_000_000_000
    fresh = s.read(cookie)
    assert fresh is not None
    s.revoke(fresh)
    assert s.read(cookie) is None


def test_csrf_tokens_belong_to_one_session() -> None:
    s = sessions()
    one, two = s.read(s.issue("usr_1", "fp")), s.read(s.issue("usr_1", "fp"))
    assert one is not None
    assert two is not None
    assert s.check_csrf(one, s.csrf_token(one))
    assert not s.check_csrf(one, s.csrf_token(two))
    assert not s.check_csrf(one, None)
    assert not s.check_csrf(one, "")


def test_login_form_token_is_a_signed_double_submit() -> None:
    s = sessions()
    token = s.login_token()
    assert s.check_login_token(token, token)
    assert not s.check_login_token(token, s.login_token())
    assert not s.check_login_token(None, token)
    forged = "abc.def"
    assert not s.check_login_token(forged, forged)


def test_back_off_per_name_and_per_address() -> None:
    clock = Clock()
    throttle = LoginThrottle(clock)
    for _ in range(4):
        throttle.failed("alice", "10.0.0.1")
    assert throttle.retry_after("alice", "10.0.0.1") == 0
    throttle.failed("alice", "10.0.0.1")
    assert throttle.retry_after("alice", "10.0.0.9") == 30  # the name is locked from any address
    assert throttle.retry_after("ALICE", "10.0.0.9") == 30
    assert throttle.retry_after("bob", "10.0.0.1") == 0  # the address is not, yet
    clock.now += 31
    assert throttle.retry_after("alice", "10.0.0.1") == 0
    throttle.failed("alice", "10.0.0.1")
    assert throttle.retry_after("alice", "10.0.0.1") == 60  # doubling
    throttle.succeeded("alice")
    assert throttle.retry_after("alice", "10.0.0.1") == 0

    for i in range(LoginThrottle.ADDRESS_LIMIT):
        throttle.failed(f"user{i}", "10.0.0.66")  # one address guessing many names
    assert throttle.retry_after("someone-else", "10.0.0.66") > 0
    assert throttle.retry_after("someone-else", "10.0.0.67") == 0


def test_back_off_is_capped_and_forgets_old_failures() -> None:
    clock = Clock()
    throttle = LoginThrottle(clock)
    for _ in range(30):
        throttle.failed("carol", "10.0.0.2")
        clock.now += 1
    assert throttle.retry_after("carol", "10.0.0.2") <= LoginThrottle.MAX_S
    clock.now += LoginThrottle.MAX_S + LoginThrottle.WINDOW_S + 1
    throttle.failed("carol", "10.0.0.2")
    assert throttle.retry_after("carol", "10.0.0.2") == 0  # the old failures fell out of the window
