"""audit request ids up to 64 characters (the X-Request-ID the service accepts)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 17:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    _resize(36, 64)


def downgrade() -> None:
    _resize(64, 36)


def _resize(before: int, after: int) -> None:
    if op.get_bind().dialect.name == "postgresql":
        # widening a VARCHAR rewrites no row; the append-only trigger fires on UPDATE/DELETE only
        op.alter_column(
            "audit_record", "request_id", type_=sa.String(after), existing_type=sa.String(before)
        )
        return
    # SQLite rebuilds the table (rows copied as they are); its append-only triggers go with
    # the old table, so they are dropped first and created again on the new one
    for verb in ("update", "delete"):
        op.execute(f"DROP TRIGGER IF EXISTS audit_record_no_{verb}")
    with op.batch_alter_table("audit_record", recreate="always") as batch:
        batch.alter_column("request_id", type_=sa.String(after), existing_type=sa.String(before))
    for verb in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER audit_record_no_{verb.lower()} BEFORE {verb} ON audit_record "
            "BEGIN SELECT RAISE(ABORT, 'audit_record is append-only'); END"
        )
