"""sha256 of bytes and files: one hasher for the build (manifest, SHA256SUMS, archived texts)
and the reader (fetch verifies downloads and its cache against the registry)."""

from __future__ import annotations

import hashlib
from pathlib import Path


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_path(path: Path) -> str:
    """sha256 of a file, read in blocks (release artifacts can be large)."""
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()
