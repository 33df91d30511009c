"""The tables the workers share beyond the domain's (revision 0011): spends against the
per-minute limits, failed sign-in counts and page tasks. Registered on the models' metadata by
the storage package, so that migrations and checks see them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Float, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from tremplin.store.models import Base, BigId
from tremplin.store.widths import (
    LIMIT_KEY_LENGTH,
    LIMIT_SCOPE_LENGTH,
    TASK_ERROR_LENGTH,
    TASK_TEXT_LENGTH,
    UUID_LENGTH,
)


class LimitEventRow(Base):
    """A spend against a per-minute limit, or a failed sign-in (the service's count), seen by
    every worker; the key is a keyed hash (no username or address stored)."""

    __tablename__ = "limit_event"
    __table_args__ = (Index("ix_limit_event_scope_key_at", "scope", "key", "at"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(String(LIMIT_SCOPE_LENGTH))
    key: Mapped[str] = mapped_column(String(LIMIT_KEY_LENGTH))
    at: Mapped[float] = mapped_column(Float)  # seconds since the epoch
    cost: Mapped[int] = mapped_column(Integer)


class SignInFailureRow(Base):
    """Failed sign-ins of a pair, an account or an address (keyed hash), and the last one."""

    __tablename__ = "signin_failure"
    key: Mapped[str] = mapped_column(String(LIMIT_KEY_LENGTH), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    last_at: Mapped[float] = mapped_column(Float, index=True)


class PageTaskRow(Base):
    """A page task (import, plan…): owner, progress, outcome, and the worker whose heartbeat
    shows it still runs it; any worker answers its poll."""

    __tablename__ = "page_task"
    id: Mapped[str] = mapped_column(String(UUID_LENGTH), primary_key=True)
    owner: Mapped[int] = mapped_column(Integer, index=True)
    label: Mapped[str] = mapped_column(String(TASK_TEXT_LENGTH))
    step: Mapped[str] = mapped_column(String(TASK_TEXT_LENGTH))
    fraction: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16), index=True)
    result: Mapped[Any] = mapped_column(JSON, nullable=True)
    retry: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    error: Mapped[str | None] = mapped_column(String(TASK_ERROR_LENGTH))
    redirect: Mapped[str | None] = mapped_column(String(TASK_TEXT_LENGTH))
    result_template: Mapped[str | None] = mapped_column(String(TASK_TEXT_LENGTH))
    kept: Mapped[str | None] = mapped_column(String(TASK_TEXT_LENGTH))
    worker: Mapped[str] = mapped_column(String(UUID_LENGTH))
    started_at: Mapped[float] = mapped_column(Float)
    heartbeat_at: Mapped[float] = mapped_column(Float)
    finished_at: Mapped[float | None] = mapped_column(Float, index=True)
