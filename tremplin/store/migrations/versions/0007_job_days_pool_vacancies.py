"""job days (participants, plan versions, interviews), the offer history (vacancies) and
the pool's contact requests

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 07:22:47.893135
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "vacancy",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("employer_id", sa.String(length=64), nullable=False),
        sa.Column("rome_code", sa.String(length=5), nullable=False),
        sa.Column("posted_on", sa.Date(), nullable=False),
        sa.Column("places", sa.Integer(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vacancy")),
        sa.UniqueConstraint("external_id", name=op.f("uq_vacancy_external_id")),
    )
    with op.batch_alter_table("vacancy", schema=None) as batch_op:
        batch_op.create_index(
            "ix_vacancy_employer_rome_posted",
            ["employer_id", "rome_code", "posted_on"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_vacancy_posted_on"), ["posted_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_vacancy_rome_code"), ["rome_code"], unique=False)

    op.create_table(
        "job_day_plan",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column(
            "job_day_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_day_id"],
            ["job_day.id"],
            name=op.f("fk_job_day_plan_job_day_id_job_day"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_day_plan")),
    )
    with op.batch_alter_table("job_day_plan", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_job_day_plan_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_job_day_plan_job_day_id"), ["job_day_id"], unique=False
        )

    op.create_table(
        "contact_request",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("employer_id", sa.String(length=64), nullable=False),
        sa.Column("requested_by", sa.String(length=64), nullable=False),
        sa.Column("cpas_id", sa.String(length=64), nullable=False),
        sa.Column(
            "beneficiary_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("card", sa.String(length=16), nullable=False),
        sa.Column("opportunity_id", sa.String(length=64), nullable=True),
        sa.Column("message", sa.String(length=1000), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("shared", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["beneficiary_id"],
            ["beneficiary.id"],
            name=op.f("fk_contact_request_beneficiary_id_beneficiary"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["cpas_id"], ["cpas.id"], name=op.f("fk_contact_request_cpas_id_cpas")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_request")),
    )
    with op.batch_alter_table("contact_request", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_contact_request_beneficiary_id"), ["beneficiary_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_contact_request_cpas_id"), ["cpas_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_contact_request_employer_id"), ["employer_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_contact_request_status"), ["status"], unique=False)

    op.create_table(
        "job_day_interview",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("plan_id", sa.String(length=36), nullable=False),
        sa.Column(
            "beneficiary_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("cpas_id", sa.String(length=64), nullable=False),
        sa.Column("employer_id", sa.String(length=64), nullable=False),
        sa.Column("opportunity_id", sa.String(length=64), nullable=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("good", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["beneficiary_id"],
            ["beneficiary.id"],
            name=op.f("fk_job_day_interview_beneficiary_id_beneficiary"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["cpas_id"], ["cpas.id"], name=op.f("fk_job_day_interview_cpas_id_cpas")
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["job_day_plan.id"],
            name=op.f("fk_job_day_interview_plan_id_job_day_plan"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_day_interview")),
    )
    with op.batch_alter_table("job_day_interview", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_job_day_interview_beneficiary_id"), ["beneficiary_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_job_day_interview_cpas_id"), ["cpas_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_job_day_interview_plan_id"), ["plan_id"], unique=False)

    op.create_table(
        "job_day_participant",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "job_day_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "beneficiary_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("cpas_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["beneficiary_id"],
            ["beneficiary.id"],
            name=op.f("fk_job_day_participant_beneficiary_id_beneficiary"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["cpas_id"], ["cpas.id"], name=op.f("fk_job_day_participant_cpas_id_cpas")
        ),
        sa.ForeignKeyConstraint(
            ["job_day_id"],
            ["job_day.id"],
            name=op.f("fk_job_day_participant_job_day_id_job_day"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_day_participant")),
        sa.UniqueConstraint("job_day_id", "beneficiary_id", name="uq_job_day_participant_person"),
    )
    with op.batch_alter_table("job_day_participant", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_job_day_participant_beneficiary_id"), ["beneficiary_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_job_day_participant_cpas_id"), ["cpas_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_job_day_participant_job_day_id"), ["job_day_id"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("job_day_participant", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_job_day_participant_job_day_id"))
        batch_op.drop_index(batch_op.f("ix_job_day_participant_cpas_id"))
        batch_op.drop_index(batch_op.f("ix_job_day_participant_beneficiary_id"))

    op.drop_table("job_day_participant")
    with op.batch_alter_table("job_day_interview", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_job_day_interview_plan_id"))
        batch_op.drop_index(batch_op.f("ix_job_day_interview_cpas_id"))
        batch_op.drop_index(batch_op.f("ix_job_day_interview_beneficiary_id"))

    op.drop_table("job_day_interview")
    with op.batch_alter_table("contact_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contact_request_status"))
        batch_op.drop_index(batch_op.f("ix_contact_request_employer_id"))
        batch_op.drop_index(batch_op.f("ix_contact_request_cpas_id"))
        batch_op.drop_index(batch_op.f("ix_contact_request_beneficiary_id"))

    op.drop_table("contact_request")
    with op.batch_alter_table("job_day_plan", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_job_day_plan_job_day_id"))
        batch_op.drop_index(batch_op.f("ix_job_day_plan_created_at"))

    op.drop_table("job_day_plan")
    with op.batch_alter_table("vacancy", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_vacancy_rome_code"))
        batch_op.drop_index(batch_op.f("ix_vacancy_posted_on"))
        batch_op.drop_index("ix_vacancy_employer_rome_posted")

    op.drop_table("vacancy")
