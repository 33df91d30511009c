"""Tremplin core: settings, storage, reference data (taxonomy, geography), sample data, CLI."""

__version__ = "0.1.0"
