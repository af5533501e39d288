"""Datasette metadata generated from the Table Schemas (first minimal version)."""

from __future__ import annotations

import json
from pathlib import Path


def write_metadata(path: Path, version: str) -> None:
    """Write Datasette's metadata.json to ``path``."""
    meta = {"title": f"ca-militancy {version}", "license": "CC-BY-4.0"}
    Path(path).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
