"""Imports every domain's tables so ``Base.metadata`` is complete (Alembic, tests, create_all)."""

from storeloop.auth.models import ApiToken
from storeloop.catalog.models import Category, Certificate, Product, Sku
from storeloop.customers.auth_models import CustomerCredential, CustomerToken
from storeloop.customers.models import Customer
from storeloop.db import Base
from storeloop.events.models import Event
from storeloop.inventory.models import StockLevel, StockMovement, Warehouse
from storeloop.inventory.reservation_models import StockReservation
from storeloop.loyalty.models import PointsAccount, PointsEntry
from storeloop.orders.cart_models import Cart, CartLine
from storeloop.orders.checkout_models import IdempotencyKey, OrderStatusHistory, OutboxEvent
from storeloop.orders.fulfilment_models import Refund, ShipmentLine
from storeloop.orders.models import Order, OrderLine, Payment, Return, Shipment
from storeloop.pricing.models import (
    StoredCouponCode,
    StoredCustomerUsage,
    StoredOffer,
    StoredOfferUsage,
    StoredPricingSettings,
)
from storeloop.supply.models import Carrier, PurchaseOrder, PurchaseOrderLine, Supplier

__all__ = [
    "ApiToken",
    "Base",
    "Carrier",
    "Cart",
    "CartLine",
    "Category",
    "Certificate",
    "Customer",
    "CustomerCredential",
    "CustomerToken",
    "Event",
    "IdempotencyKey",
    "Order",
    "OrderLine",
    "OrderStatusHistory",
    "OutboxEvent",
    "Payment",
    "PointsAccount",
    "PointsEntry",
    "Product",
    "PurchaseOrder",
    "PurchaseOrderLine",
    "Refund",
    "Return",
    "Shipment",
    "ShipmentLine",
    "Sku",
    "StockLevel",
    "StockMovement",
    "StockReservation",
    "StoredCouponCode",
    "StoredCustomerUsage",
    "StoredOffer",
    "StoredOfferUsage",
    "StoredPricingSettings",
    "Supplier",
    "Warehouse",
]
