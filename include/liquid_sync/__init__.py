"""Liquid Sync: Liquid exchange histories into a DuckDB warehouse."""
