"""Admin API tokens."""
