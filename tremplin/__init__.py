"""Tremplin's core, below every use case: settings and the one clock, storage (SQLAlchemy,
Alembic), domain errors, actors and the audit trail, anonymity, reference data (taxonomy,
geography), feeds and imports, and the sample data."""

__version__ = "0.1.0"
