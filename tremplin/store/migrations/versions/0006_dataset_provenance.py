"""dataset provenance: where a bulk load came from (the sample generator, with its digest)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 04:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dataset_provenance",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("manifest", sa.JSON(), nullable=False),
        sa.Column("outcomes", sa.Integer(), nullable=False),
        sa.Column("outcomes_digest", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dataset_provenance")),
    )
    op.create_index(
        op.f("ix_dataset_provenance_source"), "dataset_provenance", ["source"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_dataset_provenance_source"), table_name="dataset_provenance")
    op.drop_table("dataset_provenance")
