"""Deterministic, realistic sample data for the Liège basin and Brussels."""

from tremplin.sample.generator import SampleData, generate, suitability, write_sample

__all__ = ["SampleData", "generate", "suitability", "write_sample"]
