"""Runtime settings, read from ``STORELOOP_*`` environment variables.

One place for them so the CLI, the server and the tests agree on where the store lives.
"""

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///storeloop.db"
DEV_PAYMENT_SECRET = "storeloop-dev-payment-secret"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="STORELOOP_", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    currency: str = "CNY"
    host: str = "127.0.0.1"
    port: int = 8000
    # HMAC-SHA256 key of the payment gateway's callbacks; override in production with
    # STORELOOP_PAYMENT_SECRET (the default is public, for development and tests only)
    payment_secret: str = DEV_PAYMENT_SECRET


@lru_cache
def get_settings() -> Settings:
    return Settings()
