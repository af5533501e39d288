"""Figures of the dataset (first minimal version; network and timeline follow)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa


def render_all(tables: dict[str, pa.Table], out_dir: Path) -> list[Path]:
    """Render every figure as SVG into ``out_dir``; return the paths written."""
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    return []
