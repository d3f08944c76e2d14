"""The promotions engine: pure functions from a cart, offers, a moment and a customer to a priced
cart that explains every fen (docs/pricing.md)."""

from storeloop.pricing.allocation import refund_for_return
from storeloop.pricing.engine import price_cart
from storeloop.pricing.errors import PricingInputError
from storeloop.pricing.index import OfferBook
from storeloop.pricing.kinds.coupon import issue_codes
from storeloop.pricing.result import PricedCart
from storeloop.pricing.schemas import Cart, Customer, OffersDocument

__all__ = [
    "Cart",
    "Customer",
    "OfferBook",
    "OffersDocument",
    "PricedCart",
    "PricingInputError",
    "issue_codes",
    "price_cart",
    "refund_for_return",
]
