"""Inventory: warehouses, stock levels and the append-only stock-movement ledger."""
