"""Membership: points accounts, the points ledger and member tiers."""
