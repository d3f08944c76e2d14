"""The synthetic demo-store generator."""
