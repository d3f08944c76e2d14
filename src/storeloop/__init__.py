"""storeloop: an e-commerce operations and marketing platform."""

__version__ = "0.1.0"
