"""Identifiers and secrets: URL-safe (no ``+``, ``/`` or ``=``) so they survive links in e-mail and chat."""

from __future__ import annotations

import hashlib
import secrets


def new_id(prefix: str) -> str:
    """``itm_Xq3…``: a prefix naming the kind, then 96 random bits."""
    return f"{prefix}_{secrets.token_urlsafe(12)}"


def new_secret(prefix: str, nbytes: int = 24) -> str:
    return f"{prefix}_{secrets.token_urlsafe(nbytes)}"


def key_hash(key: str) -> str:
    """API keys are long random strings, so one SHA-256 is enough (no salt or stretching needed)."""
    return hashlib.sha256(key.encode()).hexdigest()
