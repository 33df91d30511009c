"""Export of the contracts' JSON Schemas (versioned files under data_contracts/schemas/)."""

from __future__ import annotations

import json
from pathlib import Path

from data_contracts.models import CONTRACTS, SCHEMA_VERSION

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"


def render_schemas() -> dict[str, str]:
    """File name → JSON Schema text for every contract, stamped with SCHEMA_VERSION."""
    out: dict[str, str] = {}
    for name, model in CONTRACTS.items():
        schema = model.model_json_schema()
        schema["$id"] = f"https://tremplin.be/schemas/{SCHEMA_VERSION}/{name}.json"
        schema["x-schema-version"] = SCHEMA_VERSION
        out[f"{name}.schema.json"] = (
            json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
        )
    return out


def export_schemas(directory: Path) -> list[Path]:
    """Write every contract's JSON Schema into ``directory``; return the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for file_name, text in render_schemas().items():
        path = directory / file_name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
