"""Catalog: categories, products (SPU), SKUs and their certificates."""
