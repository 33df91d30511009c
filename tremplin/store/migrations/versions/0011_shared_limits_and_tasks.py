"""shared state of the workers: spends against per-minute limits, failed sign-in counts and
page tasks, so that every worker and host sees the same counts and the same tasks

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 08:00:00

New tables only; the rows are short-lived (swept after their window, tasks after a day).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "limit_event",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("cost", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_limit_event")),
    )
    op.create_index("ix_limit_event_scope_key_at", "limit_event", ["scope", "key", "at"])
    op.create_table(
        "signin_failure",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_signin_failure")),
    )
    op.create_index("ix_signin_failure_last_at", "signin_failure", ["last_at"])
    op.create_table(
        "page_task",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("owner", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(300), nullable=False),
        sa.Column("step", sa.String(300), nullable=False),
        sa.Column("fraction", sa.Float(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error", sa.String(1000), nullable=True),
        sa.Column("redirect", sa.String(300), nullable=True),
        sa.Column("result_template", sa.String(300), nullable=True),
        sa.Column("retry", sa.JSON(), nullable=True),
        sa.Column("kept", sa.String(300), nullable=True),
        sa.Column("worker", sa.String(36), nullable=False),
        sa.Column("started_at", sa.Float(), nullable=False),
        sa.Column("heartbeat_at", sa.Float(), nullable=False),
        sa.Column("finished_at", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_page_task")),
    )
    op.create_index("ix_page_task_owner", "page_task", ["owner"])
    op.create_index("ix_page_task_status", "page_task", ["status"])
    op.create_index("ix_page_task_finished_at", "page_task", ["finished_at"])


def downgrade() -> None:
    op.drop_table("page_task")
    op.drop_table("signin_failure")
    op.drop_index("ix_limit_event_scope_key_at", table_name="limit_event")
    op.drop_table("limit_event")
