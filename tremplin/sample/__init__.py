"""Deterministic, realistic sample data for the Liège basin and Brussels."""

from tremplin.sample.draw import SampleData
from tremplin.sample.generator import generate, write_sample
from tremplin.sample.truth import suitability

__all__ = ["SampleData", "generate", "suitability", "write_sample"]
