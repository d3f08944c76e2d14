"""Supply: suppliers, purchase orders and carriers."""
