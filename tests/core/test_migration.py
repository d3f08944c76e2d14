"""The one migration builds exactly the models' schema, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from storeloop.db import make_engine
from storeloop.migrate import downgrade, upgrade
from storeloop.models import Base


def test_upgrade_builds_every_table_and_matches_models(empty_db_url: str) -> None:
    engine = make_engine(empty_db_url)
    try:
        assert inspect(engine).get_table_names() == []
        upgrade(engine)
        tables = set(inspect(engine).get_table_names())
        assert set(Base.metadata.tables) <= tables
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, Base.metadata)
        assert diff == []
    finally:
        engine.dispose()


def test_downgrade_removes_everything_and_upgrade_is_repeatable(empty_db_url: str) -> None:
    engine = make_engine(empty_db_url)
    try:
        upgrade(engine)
        downgrade(engine, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        upgrade(engine)
        upgrade(engine)  # already at head: a no-op, not an error
        assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrading_a_store_that_holds_data_keeps_it(empty_db_url: str) -> None:
    """SQLite rebuilds altered tables; with data and foreign keys that must still work."""
    from sqlalchemy import text

    engine = make_engine(empty_db_url)
    try:
        upgrade(engine, "0001")
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO categories (id, slug, name, name_en, created_at) "
                    "VALUES (1, 'a', '甲', 'A', '2026-01-01 00:00:00')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO products (id, category_id, name, name_en, brand, description, "
                    "is_active, created_at) VALUES (1, 1, 'p', 'p', '', '', TRUE, "
                    "'2026-01-01 00:00:00')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO skus (id, product_id, code, name, list_price, cost, currency, "
                    "weight_g, attributes, is_presale, is_dropship, is_active, created_at) "
                    "VALUES (1, 1, 'S1', 's', 100, 50, 'CNY', 1, '{}', FALSE, FALSE, TRUE, "
                    "'2026-01-01 00:00:00')"
                )
            )
        upgrade(engine)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT COUNT(*) FROM skus")).scalar_one() == 1
            assert conn.execute(text("SELECT COUNT(*) FROM products")).scalar_one() == 1
    finally:
        engine.dispose()
