"""Orders: orders, lines, payments, shipments and returns."""
