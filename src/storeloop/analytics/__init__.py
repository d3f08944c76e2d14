"""The operations analytics engine: pure functions from Ibis tables to Ibis expressions.

Everything here runs on whichever Ibis backend holds the data — DuckDB by default, Spark when the
data outgrows one machine — so no analysis may assume pandas or a particular SQL dialect.
Inputs are the canonical transaction columns of :mod:`storeloop.analytics.canonical`.
"""
