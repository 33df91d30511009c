"""users, credentials, audit trail, shortlist history

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 10:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
NOW = sa.func.now()


def upgrade() -> None:
    op.create_table(
        "app_user",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column(
            "cpas_id", sa.String(64), sa.ForeignKey("cpas.id", name="fk_app_user_cpas_id_cpas")
        ),
        sa.Column("employer_id", sa.String(64)),
        sa.Column("partner_cpas", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_app_user"),
        sa.UniqueConstraint("username", name="uq_app_user_username"),
    )
    op.create_index("ix_app_user_cpas_id", "app_user", ["cpas_id"])
    op.create_table(
        "credential",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column(
            "user_id",
            BigId,
            sa.ForeignKey("app_user.id", ondelete="CASCADE", name="fk_credential_user_id_app_user"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("label", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True)),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("id", name="pk_credential"),
        sa.UniqueConstraint("digest", name="uq_credential_digest"),
    )
    op.create_index("ix_credential_user_id", "credential", ["user_id"])
    op.create_table(
        "audit_record",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("request_id", sa.String(36), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("tenant", sa.String(64)),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("subject", sa.String(64)),
        sa.Column("engine_version", sa.String(100)),
        sa.Column("model_version", sa.String(100)),
        sa.Column("index_version", sa.String(100)),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("returned_ids", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_record"),
    )
    for column in ("at", "tenant", "action", "subject"):
        op.create_index(f"ix_audit_record_{column}", "audit_record", [column])
    _append_only("audit_record")
    op.create_table(
        "shortlist",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column(
            "cpas_id",
            sa.String(64),
            sa.ForeignKey("cpas.id", name="fk_shortlist_cpas_id_cpas"),
            nullable=False,
        ),
        sa.Column(
            "beneficiary_id",
            BigId,
            sa.ForeignKey(
                "beneficiary.id", ondelete="CASCADE", name="fk_shortlist_beneficiary_id_beneficiary"
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("engine_version", sa.String(100), nullable=False),
        sa.Column("model_version", sa.String(100)),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_shortlist"),
    )
    op.create_index("ix_shortlist_cpas_id", "shortlist", ["cpas_id"])
    op.create_index("ix_shortlist_beneficiary_id", "shortlist", ["beneficiary_id"])


def _append_only(table: str) -> None:
    """Refuse UPDATE and DELETE on ``table`` in the database itself."""
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
            )
    else:
        op.execute(
            f"CREATE FUNCTION {table}_append_only() RETURNS trigger AS $$ BEGIN "
            f"RAISE EXCEPTION '{table} is append-only'; END $$ LANGUAGE plpgsql"
        )
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only()"
        )


def downgrade() -> None:
    op.drop_table("shortlist")
    if op.get_bind().dialect.name != "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_record_append_only ON audit_record")
        op.execute("DROP FUNCTION IF EXISTS audit_record_append_only()")
    op.drop_table("audit_record")
    op.drop_table("credential")
    op.drop_table("app_user")
