"""payments: gateway transaction ids, presale deposit terms, outbox dedupe keys

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storeloop.db

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "gateway_transaction_id",
                sa.String(length=128),
                nullable=True,
                comment="the gateway's id: a replayed callback hits this",
            )
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_payments_gateway_transaction_id"), ["gateway_transaction_id"]
        )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "deposit_amount",
                sa.BigInteger(),
                nullable=False,
                server_default="0",
                comment="presale deposit due, 0 if none",
            )
        )
        batch_op.add_column(
            sa.Column("balance_starts_at", storeloop.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("balance_ends_at", storeloop.db.UTCDateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "dedupe_key",
                sa.String(length=128),
                nullable=True,
                comment="at most one event per key, e.g. order.unpaid_1h:7",
            )
        )
        batch_op.create_unique_constraint(batch_op.f("uq_outbox_dedupe_key"), ["dedupe_key"])


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_outbox_dedupe_key"), type_="unique")
        batch_op.drop_column("dedupe_key")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("balance_ends_at")
        batch_op.drop_column("balance_starts_at")
        batch_op.drop_column("deposit_amount")
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_payments_gateway_transaction_id"), type_="unique")
        batch_op.drop_column("gateway_transaction_id")
