"""API keys: ``Authorization: Bearer <key>`` → the key's project.

Keys are 256-bit random tokens, so a single SHA-256 is a sufficient one-way
hash (no password stretching needed); only the hash and a short display prefix
are stored. Until the first key is created, loopback callers are served
without one. From then on every caller needs a key, also after the last one is
revoked (behind a reverse proxy every caller looks like loopback); only
:func:`allow_keyless` (``observatory keys allow-keyless``) goes back.
"""

from __future__ import annotations

import hashlib
import ipaddress
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from . import models
from .db import DEFAULT_PROJECT, get_meta, now_us, set_meta

KEY_PREFIX = "obs_"
PREFIX_LENGTH = 12
"""Characters of a key kept for display (``obs_`` and 8 more)."""
KEYS_REQUIRED = "auth.keys_required"
"""``meta`` flag: ``yes`` once a key was created or revoked, ``no`` after
:func:`allow_keyless`; absent on a store that never had keys."""


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the project every read and write is confined to."""

    project_id: int
    project_name: str
    default_app: str


class AuthError(Exception):
    """Refused caller; ``status`` is 401 or 403."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def hash_key(key: str) -> str:
    """The stored form of a key."""
    return hashlib.sha256(key.encode()).hexdigest()


def is_loopback(host: str | None) -> bool:
    """True for 127.0.0.0/8 and ::1 (and ``testclient``-style names never)."""
    if not host:
        return False
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return host == "localhost"


def any_active_key(conn: Connection) -> bool:
    """True when at least one unrevoked key exists."""
    k = models.api_keys
    return conn.execute(select(k.c.id).where(k.c.revoked_at.is_(None)).limit(1)).first() is not None


def keys_required(conn: Connection) -> bool:
    """True when every caller needs a key: a key is active, or keys were in use
    and keyless access was not explicitly allowed again."""
    return any_active_key(conn) or get_meta(conn, KEYS_REQUIRED) == "yes"


def allow_keyless(conn: Connection) -> None:
    """Serve loopback callers without a key again; ValueError while a key is active."""
    k = models.api_keys
    active = conn.execute(select(k.c.id).where(k.c.revoked_at.is_(None))).scalars().all()
    if active:
        raise ValueError(
            f"{len(active)} key(s) still active (ids {', '.join(map(str, active))}); "
            "revoke them first: a key in use always requires keys"
        )
    set_meta(conn, KEYS_REQUIRED, "no")


def authenticate(conn: Connection, authorization: str | None, client_host: str | None) -> Principal:
    """The caller's project, or :class:`AuthError`."""
    if authorization:
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise AuthError(401, "Authorization header must be 'Bearer <api key>'")
        k, p = models.api_keys, models.projects
        row = conn.execute(
            select(p.c.id, p.c.name, p.c.default_app_id, k.c.revoked_at)
            .join(p, p.c.id == k.c.project_id)
            .where(k.c.key_hash == hash_key(token))
        ).first()
        if row is None:
            raise AuthError(401, "unknown API key")
        if row.revoked_at is not None:
            raise AuthError(401, "this API key has been revoked")
        return Principal(row.id, row.name, row.default_app_id)
    if any_active_key(conn):
        raise AuthError(401, "missing Authorization: Bearer <api key> (this receiver has API keys)")
    if get_meta(conn, KEYS_REQUIRED) == "yes":
        raise AuthError(
            401,
            "every API key of this receiver is revoked, so no caller is served: create one "
            "with `observatory keys create --project NAME` (or serve keyless loopback callers "
            "again with `observatory keys allow-keyless`)",
        )
    if not is_loopback(client_host):
        raise AuthError(
            403,
            "no API key exists yet, so only loopback callers are served; "
            "create one with `observatory keys create --project NAME`",
        )
    return default_principal(conn)


def default_principal(conn: Connection) -> Principal:
    """The ``default`` project (loopback mode)."""
    p = models.projects
    row = conn.execute(select(p).where(p.c.name == DEFAULT_PROJECT)).one()
    return Principal(row.id, row.name, row.default_app_id)


# -- key management (CLI) ---------------------------------------------------------


def ensure_project(conn: Connection, name: str) -> int:
    """The id of project ``name``, created (default app = its name) if missing."""
    p = models.projects
    found = conn.execute(select(p.c.id).where(p.c.name == name)).scalar()
    if found is not None:
        return int(found)
    app_owner = conn.execute(
        select(models.apps.c.project_id).where(models.apps.c.app_id == name)
    ).scalar()
    if app_owner is not None:
        raise ValueError(f"app id {name!r} is already used by another project")
    result = conn.execute(insert(p).values(name=name, default_app_id=name, created_at=now_us()))
    assert result.inserted_primary_key is not None
    project_id = int(result.inserted_primary_key[0])
    conn.execute(insert(models.apps).values(app_id=name, project_id=project_id))
    return project_id


def create_key(conn: Connection, project: str) -> tuple[int, str]:
    """A new key for ``project`` (created if needed): ``(key id, key)``. The key is
    shown once; only its hash is stored."""
    if not project or len(project) > 200:
        raise ValueError("project name must be 1-200 characters")
    project_id = ensure_project(conn, project)
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    result = conn.execute(
        insert(models.api_keys).values(
            project_id=project_id,
            key_hash=hash_key(key),
            prefix=key[:PREFIX_LENGTH],
            created_at=now_us(),
        )
    )
    assert result.inserted_primary_key is not None
    set_meta(conn, KEYS_REQUIRED, "yes")
    return int(result.inserted_primary_key[0]), key


def list_keys(conn: Connection) -> list[dict[str, Any]]:
    """Every key (never the key itself): id, project, prefix, created, revoked."""
    k, p = models.api_keys, models.projects
    rows = conn.execute(
        select(k.c.id, p.c.name, k.c.prefix, k.c.created_at, k.c.revoked_at)
        .join(p, p.c.id == k.c.project_id)
        .order_by(k.c.id)
    )
    return [
        {
            "id": r.id,
            "project": r.name,
            "prefix": r.prefix,
            "created_at": r.created_at,
            "revoked_at": r.revoked_at,
        }
        for r in rows
    ]


def revoke_key(conn: Connection, ident: str) -> int:
    """Revoke by key id, by the key itself, or by the start of its displayed prefix
    (``obs_TQXK``: it must match one active key). Returns the key id; ValueError if
    nothing matches or the prefix is ambiguous (the message lists the matches).
    Authentication stays required afterwards, even with no active key left."""
    k, p = models.api_keys, models.projects
    ident = ident.strip().rstrip("…")
    if not ident:
        raise ValueError("name the key by its id, the key itself, or its prefix")
    if ident.isdigit():
        where = k.c.id == int(ident)
    elif ident.startswith(KEY_PREFIX) and len(ident) > PREFIX_LENGTH:
        where = k.c.key_hash == hash_key(ident)
    else:
        where = k.c.prefix.startswith(ident, autoescape=True)
    rows = conn.execute(
        select(k.c.id, k.c.prefix, k.c.revoked_at, p.c.name)
        .join(p, p.c.id == k.c.project_id)
        .where(where)
        .order_by(k.c.id)
    ).all()
    if not rows:
        raise ValueError(
            f"no key matches {ident!r} (`observatory keys list` shows ids and prefixes)"
        )
    active = [r for r in rows if r.revoked_at is None]
    if len(active) > 1:
        listed = ", ".join(f"{r.id} ({r.name}, {r.prefix}…)" for r in active)
        raise ValueError(
            f"{len(active)} active keys match {ident!r}: {listed}; give more of the prefix or the id"
        )
    if not active and len(rows) > 1:
        raise ValueError(f"no active key matches {ident!r} ({len(rows)} revoked ones do)")
    chosen = (active or rows)[0]
    conn.execute(
        update(k).where(k.c.id == chosen.id, k.c.revoked_at.is_(None)).values(revoked_at=now_us())
    )
    set_meta(conn, KEYS_REQUIRED, "yes")
    return int(chosen.id)
