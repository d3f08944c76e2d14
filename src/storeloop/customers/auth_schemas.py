"""Request and response bodies of customer sign-up, sign-in and the admin's password reset."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from storeloop.customers.schemas import Channel, CustomerRead, Email, Province, Region
from storeloop.schemas import ReadModel, WriteModel, text

MIN_PASSWORD_LENGTH = 8
# argon2 takes any length, but a megabyte "password" is a denial of service, not a password.
MAX_PASSWORD_LENGTH = 256

# Not trimmed: a space is a character the customer chose.
Password = Annotated[
    str,
    StringConstraints(
        min_length=MIN_PASSWORD_LENGTH, max_length=MAX_PASSWORD_LENGTH, pattern=r"^[^\x00]*$"
    ),
]


class Registration(WriteModel):
    email: Email
    password: Password
    name: Annotated[str, text(128, min_length=1)]
    province: Province
    region: Region | None = Field(
        None, description="macro region; derived from a mainland province when omitted"
    )
    city: Annotated[str, text(64)] = ""
    channel: Channel = Field("direct", description="how the customer found the shop")


class SignIn(WriteModel):
    email: Email
    # Any length is checked (and fails) the same way, so the rules leak nothing at sign-in.
    password: Annotated[str, StringConstraints(max_length=MAX_PASSWORD_LENGTH)]


class PasswordSet(WriteModel):
    password: Password


class CustomerSession(ReadModel):
    """A signed-in customer: send ``Authorization: Bearer <token>`` on storefront requests."""

    token: str = Field(description="the bearer token (sc_…); shown once, stored only as a hash")
    expires_at: datetime
    customer: CustomerRead
    merged_cart_id: int | None = Field(
        None, description="the customer's cart the anonymous cart (X-Cart-Token) was merged into"
    )
