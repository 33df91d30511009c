"""Password hashing (argon2id) and opaque credentials stored as SHA-256 digests."""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_HASHER = PasswordHasher()
TOKEN_PREFIX = "tpl_"  # bearer tokens
API_KEY_PREFIX = "tpk_"  # API keys for feeds


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` (salted, with the library's current parameters)."""
    return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``password_hash`` (never raises on a wrong password)."""
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def new_secret(prefix: str) -> str:
    """A fresh random credential (256 bits), shown once to its owner."""
    return prefix + secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    """What is stored of a credential: its SHA-256 (a leaked table reveals no credential)."""
    return hashlib.sha256(secret.encode()).hexdigest()
