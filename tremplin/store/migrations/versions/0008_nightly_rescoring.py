"""nightly rescoring: runs and the fresh opportunities they found per person

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 14:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "rescore_run",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fresh_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("engine", sa.String(length=100), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rescore_run")),
    )
    with op.batch_alter_table("rescore_run", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rescore_run_started_at"), ["started_at"])
        batch_op.create_index(batch_op.f("ix_rescore_run_finished_at"), ["finished_at"])
    op.create_table(
        "fresh_match",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("run_id", sa.String(length=36), nullable=False),
        sa.Column("cpas_id", sa.String(length=64), nullable=False),
        sa.Column("beneficiary_id", BIG_ID, nullable=False),
        sa.Column("opportunity_id", BIG_ID, nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["rescore_run.id"],
            name=op.f("fk_fresh_match_run_id_rescore_run"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["cpas_id"], ["cpas.id"], name=op.f("fk_fresh_match_cpas_id_cpas")),
        sa.ForeignKeyConstraint(
            ["beneficiary_id"],
            ["beneficiary.id"],
            name=op.f("fk_fresh_match_beneficiary_id_beneficiary"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["opportunity_id"],
            ["opportunity.id"],
            name=op.f("fk_fresh_match_opportunity_id_opportunity"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fresh_match")),
    )
    with op.batch_alter_table("fresh_match", schema=None) as batch_op:
        for column in ("run_id", "cpas_id", "beneficiary_id", "opportunity_id"):
            batch_op.create_index(batch_op.f(f"ix_fresh_match_{column}"), [column])


def downgrade() -> None:
    op.drop_table("fresh_match")
    op.drop_table("rescore_run")
