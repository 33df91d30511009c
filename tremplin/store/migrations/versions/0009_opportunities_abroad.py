"""opportunities abroad: an offer of a foreign feed keeps its place by name, with no postcode

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 23:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("opportunity", schema=None) as batch_op:
        batch_op.alter_column("postcode", existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    abroad = op.get_bind().execute(
        sa.text("SELECT count(*) FROM opportunity WHERE postcode IS NULL")
    )
    if abroad.scalar_one():
        raise RuntimeError(
            "des offres situées hors de Belgique sont stockées : supprimez-les avant de revenir "
            "à la révision 0008 / opportunities abroad are stored: remove them first"
        )
    with op.batch_alter_table("opportunity", schema=None) as batch_op:
        batch_op.alter_column("postcode", existing_type=sa.Integer(), nullable=False)
