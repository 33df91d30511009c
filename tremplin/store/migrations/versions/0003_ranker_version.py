"""ranker version on audit records and stored shortlists

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 13:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Adding a nullable column rewrites no row: the audit trail's append-only triggers hold.
    op.add_column("audit_record", sa.Column("ranker_version", sa.String(100), nullable=True))
    op.add_column("shortlist", sa.Column("ranker_version", sa.String(100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("shortlist") as batch:
        batch.drop_column("ranker_version")
    with op.batch_alter_table("audit_record") as batch:
        batch.drop_column("ranker_version")
