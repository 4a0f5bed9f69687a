"""Audit trail: who did what to whom, and how it ended."""
