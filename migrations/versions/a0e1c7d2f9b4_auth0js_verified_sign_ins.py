"""auth0.js: verified sign-ins waiting for the browser (hosted verify_redirect and
cross-origin login tickets), and the apps' cross-origin verification fallback URL

Revision ID: a0e1c7d2f9b4
Revises: d8a3f6b2c4e1
Create Date: 2026-11-30 06:15:00

"""

import sqlalchemy as sa
from alembic import op

revision = "a0e1c7d2f9b4"
down_revision = "d8a3f6b2c4e1"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "verified_sign_ins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("login_ticket_hash", sa.String(length=64), nullable=True),
        sa.Column("verifier_hash", sa.String(length=64), nullable=False),
        sa.Column("co_id", sa.String(length=64), nullable=True),
        sa.Column("origin", sa.String(length=300), nullable=True),
        sa.Column("client_pk", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("auth_time", sa.Integer(), nullable=False),
        sa.Column("amr", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["client_pk"], ["clients.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["ticket_id"], ["login_tickets.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("login_ticket_hash"),
    )
    with op.batch_alter_table("verified_sign_ins", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_verified_sign_ins_verifier_hash"), ["verifier_hash"], unique=False
        )
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cross_origin_loc", sa.String(length=2000), nullable=True))


def downgrade():
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.drop_column("cross_origin_loc")
    with op.batch_alter_table("verified_sign_ins", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_verified_sign_ins_verifier_hash"))
    op.drop_table("verified_sign_ins")
