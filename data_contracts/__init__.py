"""Tremplin's data contracts: pydantic models, their JSON Schemas and tabular schemas."""

from data_contracts.models import (
    CONTRACTS,
    SCHEMA_VERSION,
    BeneficiaryProfile,
    Contract,
    Employer,
    JobDay,
    LanguageNeed,
    Location,
    Opportunity,
    OutcomeEvent,
    Vacancy,
    Workplace,
)
from data_contracts.readers import FileFormatError, read_table
from data_contracts.tabular import (
    RowError,
    TableValidation,
    flat_columns,
    pandera_schema,
    validate_table,
)

__all__ = [
    "CONTRACTS",
    "SCHEMA_VERSION",
    "BeneficiaryProfile",
    "Contract",
    "Employer",
    "FileFormatError",
    "JobDay",
    "LanguageNeed",
    "Location",
    "Opportunity",
    "OutcomeEvent",
    "RowError",
    "TableValidation",
    "Vacancy",
    "Workplace",
    "flat_columns",
    "pandera_schema",
    "read_table",
    "validate_table",
]
