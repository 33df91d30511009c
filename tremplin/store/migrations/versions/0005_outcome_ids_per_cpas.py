"""outcome event ids unique per CPAS (another CPAS's id never collides, nor reveals itself)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 19:30:00
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outcome_event") as batch:
        batch.drop_constraint("uq_outcome_event_external_id", type_="unique")
        batch.create_unique_constraint(
            "uq_outcome_event_tenant_external_id", ["cpas_id", "external_id"]
        )


def downgrade() -> None:
    # fails, as it should, if two CPAS have used the same event id since the upgrade
    with op.batch_alter_table("outcome_event") as batch:
        batch.drop_constraint("uq_outcome_event_tenant_external_id", type_="unique")
        batch.create_unique_constraint("uq_outcome_event_external_id", ["external_id"])
