"""ROME 4.0 + ESCO (French) reference taxonomy, vendored with the project."""

from tremplin.taxonomy.loader import (
    Appellation,
    BelgianTitle,
    EscoOccupation,
    Metier,
    MetierSkill,
    Skill,
    SkillResolution,
    Taxonomy,
    load_taxonomy,
)

__all__ = [
    "Appellation",
    "BelgianTitle",
    "EscoOccupation",
    "Metier",
    "MetierSkill",
    "Skill",
    "SkillResolution",
    "Taxonomy",
    "load_taxonomy",
]
