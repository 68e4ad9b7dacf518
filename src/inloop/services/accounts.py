"""Users, API keys and passwords. Keys are random and stored as SHA-256; passwords are stored as argon2."""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from inloop.domain.access import Action, Role, allowed
from inloop.errors import Conflict, Forbidden, InvalidRequest, NotFound, Problem, Unauthorized
from inloop.ids import key_hash, new_id, new_secret
from inloop.services.context import Context, record
from inloop.storage import users
from inloop.storage.users import UserRow

_NAME = re.compile(r"^[A-Za-z0-9_.@-]{1,100}$")
_hasher = PasswordHasher()


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated user, as the services see them."""

    id: str
    name: str
    role: Role
    tier: str | None
    skills: frozenset[str]

    @property
    def actor(self) -> str:
        return f"user:{self.name}"

    def require(self, action: Action) -> None:
        if not allowed(self.role, action):
            raise Forbidden(self.role.value, action.value)

    def can(self, action: Action) -> bool:
        return allowed(self.role, action)


def principal(row: UserRow) -> Principal:
    return Principal(row.id, row.name, Role(row.role), row.tier, frozenset(row.skills))


def add_user(
    ctx: Context,
    name: str,
    role: str,
    *,
    tier: str | None = None,
    skills: Iterable[str] = (),
    password: str | None = None,
    actor: str = "system",
) -> Principal:
    problems = []
    if not _NAME.match(name):
        problems.append(Problem("name", "use 1-100 letters, digits and _ . @ - only"))
    if role not in {r.value for r in Role}:
        problems.append(Problem("role", f"must be one of {', '.join(r.value for r in Role)}"))
    tiers = ctx.tiers
    if tier is not None and tier not in tiers:
        problems.append(Problem("tier", f"unknown tier {tier!r} (tiers: {', '.join(tiers)})"))
    skill_list = sorted({s.strip() for s in skills if s.strip()})
    if password is not None and len(password) < 8:
        problems.append(Problem("password", "at least 8 characters"))
    if problems:
        raise InvalidRequest(problems)
    row = UserRow(
        id=new_id("usr"),
        name=name,
        role=role,
        tier=tier,
        skills=skill_list,
        password_hash=_hasher.hash(password) if password else None,
        disabled=False,
        created_ms=ctx.clock(),
    )
    with ctx.db.write() as conn:
        if users.by_name(conn, name) is not None:
            raise Conflict(f"user {name!r} exists")
        users.insert(conn, row)
        record(
            conn,
            ctx,
            "user.created",
            actor=actor,
            data={"name": name, "role": role, "tier": tier, "skills": skill_list},
        )
    return principal(row)


def create_key(ctx: Context, user_name: str, *, actor: str = "system") -> tuple[str, str]:
    """A new API key for ``user_name``: ``(key_id, key)``. The key is returned once and never stored."""
    key = new_secret("ilk", 32)
    key_id = new_id("key")
    with ctx.db.write() as conn:
        user = users.by_name(conn, user_name)
        if user is None:
            raise NotFound("user", user_name)
        users.insert_key(
            conn, key_id=key_id, user_id=user.id, key_hash=key_hash(key), prefix=key[:8], now_ms=ctx.clock()
        )
        record(conn, ctx, "key.created", actor=actor, data={"user": user_name, "key_id": key_id})
    return key_id, key


def revoke_key(ctx: Context, key_id: str, *, actor: str) -> None:
    with ctx.db.write() as conn:
        if not users.revoke_key(conn, key_id, ctx.clock()):
            raise NotFound("key", key_id)
        _key_cache.clear()
        record(conn, ctx, "key.revoked", actor=actor, data={"key_id": key_id})


KEY_CACHE_SECONDS = 5.0
_key_cache: dict[str, tuple[float, Principal]] = {}


def remembered_key(key: str) -> Principal | None:
    """The key's user if :func:`authenticate_key` still remembers it, else None; never reads the database,
    so an event loop may call it."""
    cached = _key_cache.get(key_hash(key))
    return cached[1] if cached is not None and cached[0] > time.monotonic() else None


def authenticate_key(ctx: Context, key: str | None) -> Principal:
    """The key's user. Valid keys are remembered for ``KEY_CACHE_SECONDS`` (a database read per request costs
    more than the request): a key revoked in another process stops working within that time."""
    if not key:
        raise Unauthorized("an API key is required: Authorization: Bearer <key>")
    digest = key_hash(key)
    cached = _key_cache.get(digest)
    now = time.monotonic()
    if cached is not None and cached[0] > now:
        return cached[1]
    with ctx.db.read() as conn:
        row = users.user_for_key(conn, digest)
    if row is None:
        _key_cache.pop(digest, None)
        raise Unauthorized("the API key is not valid")
    if len(_key_cache) > 10_000:
        _key_cache.clear()
    who = principal(row)
    _key_cache[digest] = (now + KEY_CACHE_SECONDS, who)
    return who


def authenticate_password(ctx: Context, name: str, password: str) -> Principal | None:
    with ctx.db.read() as conn:
        row = users.by_name(conn, name)
    if row is None or row.password_hash is None or row.disabled:
        _hasher.hash(password)  # spend the same time, so a missing user is not revealed by timing
        return None
    try:
        _hasher.verify(row.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    return principal(row)


def by_name(ctx: Context, name: str) -> Principal:
    with ctx.db.read() as conn:
        row = users.by_name(conn, name)
    if row is None:
        raise NotFound("user", name)
    return principal(row)
