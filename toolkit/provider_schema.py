"""The typed provider schemas bundled with the toolkit (`toolkit/data/provider_schemas/<provider>.json.gz`).

Each file is Terraform's own `terraform providers schema -json` document for one provider, extracted from the
cdktn npm package by `python -m toolkit.checks.schema_extract` (see there and the overlay files). The offline
stub provider and `toolkit check --schema` both read them with stub_provider.schema_file, so the project has one
schema and one reader.

Loading is lazy: `resource("aws_db_instance")` decompresses the file (~15 ms) and decodes only that type's
JSON, because Terraform starts a provider several times per plan and decoding all of AWS takes ~0.3 s.
The whole document is decoded only when something needs every type (`names()`, `document()`).

    schema = load("aws")
    block = schema.resource("aws_db_instance")          # {"attributes": {...}, "block_types": {...}}
    schema.provider_version                              # "6.66.0"
"""

from __future__ import annotations

import os
from pathlib import Path

from stub_provider.schema_file import ProviderSchema, read
from toolkit.errors import ToolkitError

DATA_DIR = Path(__file__).resolve().parent / "data" / "provider_schemas"
# A user-supplied `providers schema -json` file (e.g. from a real `terraform providers schema -json`) for aws.
SCHEMA_FILE_VARIABLE = "TOOLKIT_AWS_SCHEMA"


class SchemaError(ToolkitError):
    """A provider schema (or the npm package it is extracted from) is missing or cannot be read."""


def bundled_path(name: str) -> Path:
    return DATA_DIR / f"{name}.json.gz"


def schema_path(name: str) -> Path:
    """The file `load(name)` reads: $TOOLKIT_AWS_SCHEMA for aws when set, else the bundled one."""
    explicit = os.environ.get(SCHEMA_FILE_VARIABLE) if name == "aws" else None
    if explicit:
        path = Path(explicit)
        if not path.exists():
            raise SchemaError(f"{SCHEMA_FILE_VARIABLE}={explicit}: no such file")
        if not path.is_file():
            raise SchemaError(f"{SCHEMA_FILE_VARIABLE}={explicit}: not a file")
        return path
    path = bundled_path(name)
    if not path.is_file():
        known = sorted(p.name.removesuffix(".json.gz") for p in DATA_DIR.glob("*.json.gz"))
        raise SchemaError(f"no bundled schema for provider {name!r} (have: {', '.join(known) or 'none'})")
    return path


def load(name: str = "aws", path: Path | None = None) -> ProviderSchema:
    """One provider's schema (cached per file for the process; reading it takes ~15 ms)."""
    return read(name, path or schema_path(name), SchemaError)
