"""One module per family of offer kinds: each states its condition and its benefit, and nothing
about stacking, caps or allocation, which are the same for every kind."""
