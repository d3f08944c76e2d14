"""Behavioural events: the visit → view → cart → checkout → pay stream analytics reads."""
