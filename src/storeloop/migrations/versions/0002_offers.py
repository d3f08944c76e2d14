"""offers: stored offers, coupon codes, usage counters; product tags

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storeloop.db

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "offers",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False, comment="the engine's offer id"),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column(
            "level",
            sa.String(length=16),
            nullable=False,
            comment="stacking level: item, shop, coupon…",
        ),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("exclusive", sa.Boolean(), nullable=False),
        sa.Column(
            "definition",
            sa.JSON(),
            nullable=False,
            comment="the engine's offer JSON, without coupon codes (see coupon_codes)",
        ),
        sa.Column("starts_at", storeloop.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ends_at", storeloop.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", storeloop.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", storeloop.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deactivated_at", storeloop.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "kind IN ('flash_sale', 'limited_time', 'member_price', 'subscription', 'quantity_tiers', 'spend_tiers', 'spend_repeat', 'bundle', 'gift', 'coupon', 'presale')",
            name=op.f("ck_offers_kind_known"),
        ),
        sa.CheckConstraint(
            "level IN ('item', 'shop', 'coupon', 'deposit')", name=op.f("ck_offers_level_known")
        ),
        sa.CheckConstraint(
            "(is_active AND deactivated_at IS NULL) OR (NOT is_active AND deactivated_at IS NOT NULL)",
            name=op.f("ck_offers_deactivation_recorded"),
        ),
        sa.CheckConstraint(
            "starts_at IS NULL OR ends_at IS NULL OR ends_at > starts_at",
            name=op.f("ck_offers_window_ordered"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offers")),
        sa.UniqueConstraint("code", name=op.f("uq_offers_code")),
    )
    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_offers_is_active"), ["is_active"], unique=False)
        batch_op.create_index(batch_op.f("ix_offers_kind"), ["kind"], unique=False)

    op.create_table(
        "coupon_codes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("offer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "customer_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
            comment="bound to this customer; null: open",
        ),
        sa.Column(
            "max_uses",
            sa.Integer(),
            nullable=True,
            comment="copy of uses_per_code; null: unlimited",
        ),
        sa.Column("uses", sa.Integer(), nullable=False),
        sa.Column("created_at", storeloop.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "max_uses IS NULL OR uses <= max_uses", name=op.f("ck_coupon_codes_uses_within_cap")
        ),
        sa.CheckConstraint("uses >= 0", name=op.f("ck_coupon_codes_uses_non_negative")),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_coupon_codes_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["offer_id"], ["offers.id"], name=op.f("fk_coupon_codes_offer_id_offers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coupon_codes")),
        sa.UniqueConstraint("code", name=op.f("uq_coupon_codes_code")),
    )
    with op.batch_alter_table("coupon_codes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_coupon_codes_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_coupon_codes_offer_id"), ["offer_id"], unique=False)

    op.create_table(
        "offer_customer_usage",
        sa.Column("offer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "customer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("uses", sa.Integer(), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("max_uses", sa.Integer(), nullable=True, comment="copy of max_uses_per_customer"),
        sa.Column("max_units", sa.Integer(), nullable=True, comment="copy of per_customer_limit"),
        sa.CheckConstraint(
            "max_units IS NULL OR units <= max_units",
            name=op.f("ck_offer_customer_usage_units_within_cap"),
        ),
        sa.CheckConstraint(
            "max_uses IS NULL OR uses <= max_uses",
            name=op.f("ck_offer_customer_usage_uses_within_cap"),
        ),
        sa.CheckConstraint("units >= 0", name=op.f("ck_offer_customer_usage_units_non_negative")),
        sa.CheckConstraint("uses >= 0", name=op.f("ck_offer_customer_usage_uses_non_negative")),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_offer_customer_usage_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["offer_id"], ["offers.id"], name=op.f("fk_offer_customer_usage_offer_id_offers")
        ),
        sa.PrimaryKeyConstraint("offer_id", "customer_id", name=op.f("pk_offer_customer_usage")),
    )
    with op.batch_alter_table("offer_customer_usage", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_offer_customer_usage_customer_id"), ["customer_id"], unique=False
        )

    op.create_table(
        "offer_usage",
        sa.Column("offer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("uses", sa.Integer(), nullable=False, comment="orders that used the offer"),
        sa.Column(
            "units", sa.Integer(), nullable=False, comment="units sold under it (flash, limited)"
        ),
        sa.Column("spent", sa.BigInteger(), nullable=False, comment="discount given, minor units"),
        sa.Column(
            "max_uses", sa.Integer(), nullable=True, comment="copy of the definition's max_uses"
        ),
        sa.Column("max_units", sa.Integer(), nullable=True, comment="copy of total_quantity"),
        sa.Column("budget", sa.BigInteger(), nullable=True, comment="copy of budget, minor units"),
        sa.Column(
            "max_uses_per_customer",
            sa.Integer(),
            nullable=True,
            comment="copied into offer_customer_usage rows as they are created",
        ),
        sa.Column(
            "max_units_per_customer",
            sa.Integer(),
            nullable=True,
            comment="copy of per_customer_limit",
        ),
        sa.CheckConstraint(
            "budget IS NULL OR spent <= budget", name=op.f("ck_offer_usage_spent_within_budget")
        ),
        sa.CheckConstraint(
            "max_units IS NULL OR units <= max_units", name=op.f("ck_offer_usage_units_within_cap")
        ),
        sa.CheckConstraint(
            "max_uses IS NULL OR uses <= max_uses", name=op.f("ck_offer_usage_uses_within_cap")
        ),
        sa.CheckConstraint("spent >= 0", name=op.f("ck_offer_usage_spent_non_negative")),
        sa.CheckConstraint("units >= 0", name=op.f("ck_offer_usage_units_non_negative")),
        sa.CheckConstraint("uses >= 0", name=op.f("ck_offer_usage_uses_non_negative")),
        sa.ForeignKeyConstraint(
            ["offer_id"], ["offers.id"], name=op.f("fk_offer_usage_offer_id_offers")
        ),
        sa.PrimaryKeyConstraint("offer_id", name=op.f("pk_offer_usage")),
    )
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("tags", sa.JSON(), server_default=sa.text("'[]'"), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_column("tags")

    op.drop_table("offer_usage")
    with op.batch_alter_table("offer_customer_usage", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_offer_customer_usage_customer_id"))

    op.drop_table("offer_customer_usage")
    with op.batch_alter_table("coupon_codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coupon_codes_offer_id"))
        batch_op.drop_index(batch_op.f("ix_coupon_codes_customer_id"))

    op.drop_table("coupon_codes")
    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_offers_kind"))
        batch_op.drop_index(batch_op.f("ix_offers_is_active"))

    op.drop_table("offers")
