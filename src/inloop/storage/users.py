"""Users and their API keys. Only a hash of each key is stored; the key itself is shown once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select, update

from inloop.storage.tables import api_keys, users


@dataclass(frozen=True, slots=True)
class UserRow:
    id: str
    name: str
    role: str
    tier: str | None
    skills: list[str]
    password_hash: str | None
    disabled: bool
    created_ms: int


def _row(r: Any) -> UserRow:
    return UserRow(**r._mapping)


def insert(conn: Connection, row: UserRow) -> None:
    conn.execute(users.insert().values(**{f: getattr(row, f) for f in UserRow.__slots__}))


def by_name(conn: Connection, name: str) -> UserRow | None:
    r = conn.execute(select(users).where(users.c.name == name)).first()
    return _row(r) if r else None


def by_id(conn: Connection, user_id: str) -> UserRow | None:
    r = conn.execute(select(users).where(users.c.id == user_id)).first()
    return _row(r) if r else None


def all_users(conn: Connection) -> list[UserRow]:
    return [_row(r) for r in conn.execute(select(users).order_by(users.c.name))]


def update_user(conn: Connection, user_id: str, **values: Any) -> None:
    conn.execute(update(users).where(users.c.id == user_id).values(**values))


def insert_key(
    conn: Connection, *, key_id: str, user_id: str, key_hash: str, prefix: str, now_ms: int
) -> None:
    conn.execute(
        api_keys.insert().values(
            id=key_id, user_id=user_id, key_hash=key_hash, prefix=prefix, created_ms=now_ms
        )
    )


def user_for_key(conn: Connection, key_hash: str) -> UserRow | None:
    query = (
        select(users)
        .join(api_keys, api_keys.c.user_id == users.c.id)
        .where(api_keys.c.key_hash == key_hash, api_keys.c.revoked_ms.is_(None), users.c.disabled.is_(False))
    )
    r = conn.execute(query).first()
    return _row(r) if r else None


def keys_of(conn: Connection, user_id: str) -> list[Any]:
    query = select(api_keys.c.id, api_keys.c.prefix, api_keys.c.created_ms, api_keys.c.revoked_ms).where(
        api_keys.c.user_id == user_id
    )
    return list(conn.execute(query))


def revoke_key(conn: Connection, key_id: str, now_ms: int) -> bool:
    result = conn.execute(
        update(api_keys)
        .where(api_keys.c.id == key_id, api_keys.c.revoked_ms.is_(None))
        .values(revoked_ms=now_ms)
    )
    return result.rowcount == 1
