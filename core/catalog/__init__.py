"""Canonical catalog: schema, storage, importers, demo generation, profiling and splits."""
