"""Persistence: table definitions, engine factory and schema migrations."""
