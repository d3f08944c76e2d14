"""carts, customer sign-in, points, shipment lines and refunds

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storeloop.db

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "customer_credentials",
        sa.Column(
            "customer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("password_hash", sa.String(length=255), nullable=False, comment="argon2"),
        sa.Column("updated_at", storeloop.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_customer_credentials_customer_id_customers"),
        ),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_customer_credentials")),
    )
    op.create_table(
        "customer_tokens",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "customer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", storeloop.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", storeloop.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", storeloop.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_customer_tokens_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_customer_tokens_token_hash")),
    )
    op.create_index(
        op.f("ix_customer_tokens_customer_id"), "customer_tokens", ["customer_id"], unique=False
    )
    op.create_table(
        "points_accounts",
        sa.Column(
            "customer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("balance", sa.BigInteger(), nullable=False),
        sa.Column("lifetime_earned", sa.BigInteger(), nullable=False),
        sa.Column("tier", sa.String(length=16), nullable=False),
        sa.Column("updated_at", storeloop.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("balance >= 0", name=op.f("ck_points_accounts_balance_non_negative")),
        sa.CheckConstraint(
            "lifetime_earned >= 0", name=op.f("ck_points_accounts_lifetime_non_negative")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_points_accounts_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_points_accounts")),
    )
    op.create_table(
        "carts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "token_hash",
            sa.String(length=64),
            nullable=True,
            comment="sha256 of an anonymous cart's token",
        ),
        sa.Column(
            "customer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("coupon_codes", sa.JSON(), nullable=False),
        sa.Column(
            "merged_into_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("order_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("created_at", storeloop.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", storeloop.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('open', 'merged', 'ordered')", name=op.f("ck_carts_status_known")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_carts_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["merged_into_id"], ["carts.id"], name=op.f("fk_carts_merged_into_id_carts")
        ),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_carts_order_id_orders")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_carts")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_carts_token_hash")),
    )
    op.create_index(op.f("ix_carts_customer_id"), "carts", ["customer_id"], unique=False)
    op.create_index(
        "uq_carts_open_per_customer",
        "carts",
        ["customer_id"],
        unique=True,
        sqlite_where=sa.text("status = 'open' AND customer_id IS NOT NULL"),
        postgresql_where=sa.text("status = 'open' AND customer_id IS NOT NULL"),
    )
    op.create_table(
        "points_ledger",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "customer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "delta", sa.BigInteger(), nullable=False, comment="signed: + earned/returned, - spent"
        ),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("order_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column(
            "remaining",
            sa.BigInteger(),
            nullable=True,
            comment="earned points not yet spent or expired (FIFO); null otherwise",
        ),
        sa.Column("expires_at", storeloop.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "dedupe_key",
            sa.String(length=128),
            nullable=True,
            comment="at most one entry per key, e.g. earn:order:7",
        ),
        sa.Column("note", sa.String(length=255), nullable=False),
        sa.Column("created_at", storeloop.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "reason IN ('earn', 'spend', 'refund', 'reverse', 'expire', 'adjust')",
            name=op.f("ck_points_ledger_reason_known"),
        ),
        sa.CheckConstraint("delta <> 0", name=op.f("ck_points_ledger_delta_non_zero")),
        sa.CheckConstraint(
            "remaining IS NULL OR remaining >= 0",
            name=op.f("ck_points_ledger_remaining_non_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_points_ledger_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_points_ledger_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_points_ledger")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_points_ledger_dedupe_key")),
    )
    op.create_index(
        "ix_points_ledger_customer_created",
        "points_ledger",
        ["customer_id", "created_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_points_ledger_expires_at"), "points_ledger", ["expires_at"], unique=False
    )
    op.create_index(op.f("ix_points_ledger_order_id"), "points_ledger", ["order_id"], unique=False)
    op.create_table(
        "cart_lines",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("cart_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("sku_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("added_at", storeloop.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_cart_lines_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["cart_id"], ["carts.id"], name=op.f("fk_cart_lines_cart_id_carts")
        ),
        sa.ForeignKeyConstraint(["sku_id"], ["skus.id"], name=op.f("fk_cart_lines_sku_id_skus")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cart_lines")),
        sa.UniqueConstraint("cart_id", "sku_id", name="uq_cart_lines_cart_sku"),
    )
    op.create_index(op.f("ix_cart_lines_cart_id"), "cart_lines", ["cart_id"], unique=False)
    op.create_table(
        "shipment_lines",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "shipment_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "order_line_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_shipment_lines_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["order_line_id"],
            ["order_lines.id"],
            name=op.f("fk_shipment_lines_order_line_id_order_lines"),
        ),
        sa.ForeignKeyConstraint(
            ["shipment_id"], ["shipments.id"], name=op.f("fk_shipment_lines_shipment_id_shipments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipment_lines")),
        sa.UniqueConstraint("shipment_id", "order_line_id", name="uq_shipment_lines_shipment_line"),
    )
    op.create_index(
        op.f("ix_shipment_lines_order_line_id"), "shipment_lines", ["order_line_id"], unique=False
    )
    op.create_index(
        op.f("ix_shipment_lines_shipment_id"), "shipment_lines", ["shipment_id"], unique=False
    )
    op.create_table(
        "refunds",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("order_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("return_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=False, comment="minor units paid back"),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False, comment="points given back"),
        sa.Column("reason", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("gateway_refund_id", sa.String(length=128), nullable=True),
        sa.Column("created_at", storeloop.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'succeeded', 'failed')", name=op.f("ck_refunds_status_known")
        ),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_refunds_amount_non_negative")),
        sa.CheckConstraint("points >= 0", name=op.f("ck_refunds_points_non_negative")),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_refunds_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["return_id"], ["returns.id"], name=op.f("fk_refunds_return_id_returns")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refunds")),
        sa.UniqueConstraint("gateway_refund_id", name=op.f("uq_refunds_gateway_refund_id")),
    )
    op.create_index(op.f("ix_refunds_order_id"), "refunds", ["order_id"], unique=False)
    op.create_index(op.f("ix_refunds_return_id"), "refunds", ["return_id"], unique=False)
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "points_amount",
                sa.BigInteger(),
                server_default="0",
                nullable=False,
                comment="part of discount_amount paid by points",
            )
        )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("points_spent", sa.BigInteger(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column(
                "points_amount",
                sa.BigInteger(),
                server_default="0",
                nullable=False,
                comment="part of discount_amount paid by points",
            )
        )
    with op.batch_alter_table("returns", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "refund_points",
                sa.BigInteger(),
                server_default="0",
                nullable=False,
                comment="points given back",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("returns", schema=None) as batch_op:
        batch_op.drop_column("refund_points")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("points_amount")
        batch_op.drop_column("points_spent")
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.drop_column("points_amount")
    op.drop_index(op.f("ix_refunds_return_id"), table_name="refunds")
    op.drop_index(op.f("ix_refunds_order_id"), table_name="refunds")
    op.drop_table("refunds")
    op.drop_index(op.f("ix_shipment_lines_shipment_id"), table_name="shipment_lines")
    op.drop_index(op.f("ix_shipment_lines_order_line_id"), table_name="shipment_lines")
    op.drop_table("shipment_lines")
    op.drop_index(op.f("ix_cart_lines_cart_id"), table_name="cart_lines")
    op.drop_table("cart_lines")
    op.drop_index(op.f("ix_points_ledger_order_id"), table_name="points_ledger")
    op.drop_index(op.f("ix_points_ledger_expires_at"), table_name="points_ledger")
    op.drop_index("ix_points_ledger_customer_created", table_name="points_ledger")
    op.drop_table("points_ledger")
    op.drop_index(
        "uq_carts_open_per_customer",
        table_name="carts",
        sqlite_where=sa.text("status = 'open' AND customer_id IS NOT NULL"),
        postgresql_where=sa.text("status = 'open' AND customer_id IS NOT NULL"),
    )
    op.drop_index(op.f("ix_carts_customer_id"), table_name="carts")
    op.drop_table("carts")
    op.drop_table("points_accounts")
    op.drop_index(op.f("ix_customer_tokens_customer_id"), table_name="customer_tokens")
    op.drop_table("customer_tokens")
    op.drop_table("customer_credentials")
