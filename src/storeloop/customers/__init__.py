"""Customers: accounts and the profile fields personas are built from."""
