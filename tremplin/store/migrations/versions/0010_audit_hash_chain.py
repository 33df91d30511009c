"""audit hash chain: each record carries its place, the previous record's hash and its own;
the chain's head (one row, locked by every append) and the verifications made

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 05:00:00

Columns are added (no row is rewritten: the append-only triggers stay in force and the records
written before keep their content; they are reported as "before the chain").
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
GENESIS = "0" * 64


def upgrade() -> None:
    kept = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("audit_record")}
    for column in (
        sa.Column("seq", sa.BigInteger(), nullable=True),
        sa.Column("prev_hash", sa.String(64), nullable=True),
        sa.Column("record_hash", sa.String(64), nullable=True),
    ):
        if column.name not in kept:  # a SQLite downgrade leaves them in place
            op.add_column("audit_record", column)
    op.create_index("ix_audit_record_seq", "audit_record", ["seq"], unique=True)
    chain = op.create_table(
        "audit_chain",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("last_hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_chain")),
    )
    op.bulk_insert(chain, [{"id": 1, "seq": 0, "last_hash": GENESIS}])
    op.create_table(
        "audit_verification",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("checked", sa.BigInteger(), nullable=False),
        sa.Column("before_chain", sa.BigInteger(), nullable=False),
        sa.Column("intact", sa.Boolean(), nullable=False),
        sa.Column("first_bad_id", sa.BigInteger(), nullable=True),
        sa.Column("problem", sa.String(500), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_verification")),
    )
    op.create_index("ix_audit_verification_at", "audit_verification", ["at"])


def downgrade() -> None:
    op.drop_index("ix_audit_verification_at", table_name="audit_verification")
    op.drop_table("audit_verification")
    op.drop_table("audit_chain")
    op.drop_index("ix_audit_record_seq", table_name="audit_record")
    # SQLite drops a column by copying the table, which would lose the append-only triggers:
    # the chain's columns stay there (empty on new records) after a downgrade
    if op.get_bind().dialect.name != "sqlite":
        for column in ("record_hash", "prev_hash", "seq"):
            op.drop_column("audit_record", column)
