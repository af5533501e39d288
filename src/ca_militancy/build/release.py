"""Release artifacts: the reproducible zip, the manifest, SHA256SUMS, and the atomic move of
everything into place.

Why so fussy: users trust a release when they can check it. Same tree -> same bytes (sorted
members, fixed timestamps and permissions), every artifact in SHA256SUMS, and nothing in
``dist/`` or the tree changes unless the whole build passed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pyarrow as pa

from ca_militancy.build.checks import key_strings
from ca_militancy.core.catalog import Catalog
from ca_militancy.core.hashing import sha256_path

ZIP_LEVEL = 9
# Entries this large need zip64 headers, which ZipFile.open must be told of in advance.
ZIP64_THRESHOLD = zipfile.ZIP64_LIMIT - (1 << 20)
ZIP_MODE = 0o644


def zip_name(version: str) -> str:
    return f"ca-militancy-{version}.zip"


def write_zip(path: Path, members: dict[str, Path], date: dt.date) -> None:
    """Zip ``{archive name: file}`` with sorted members, one fixed timestamp, mode 0644, and
    fixed deflate level: the bytes depend only on the contents."""
    stamp = (date.year, date.month, date.day, 0, 0, 0)
    with zipfile.ZipFile(path, "w") as zf:
        for arcname in sorted(members):
            info = zipfile.ZipInfo(arcname, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = (0o100000 | ZIP_MODE) << 16
            # ZipFile.open ignores writestr's compresslevel argument: set it on the entry
            # (`compress_level` from Python 3.13, `_compresslevel` before).
            level_attr = "compress_level" if hasattr(info, "compress_level") else "_compresslevel"
            setattr(info, level_attr, ZIP_LEVEL)
            src = members[arcname]
            # Streamed in blocks, not read whole: a table of a million rows is large.
            with (
                src.open("rb") as fin,
                zf.open(info, "w", force_zip64=src.stat().st_size > ZIP64_THRESHOLD) as fout,
            ):
                shutil.copyfileobj(fin, fout, 1 << 20)


def key_list(table: pa.Table, primary_key: list[str]) -> list[str]:
    """Sorted primary keys (composite keys tab-joined)."""
    return sorted(key_strings(table, primary_key).to_pylist())


def keys_sha256(keys: list[str]) -> str:
    return hashlib.sha256("".join(k + "\n" for k in keys).encode()).hexdigest()


def build_manifest(
    version: str,
    tables: dict[str, pa.Table],
    files: dict[str, Path],
    catalog: Catalog,
) -> dict[str, Any]:
    """Release manifest. It carries the full sorted key lists (``keys``) besides their hash,
    because ``releases/<version>.json`` (a copy of it) is what the id-retirement test reads
    to prove that no id of a published release disappears without a tombstone."""
    out_tables = {}
    for name in sorted(tables):
        pk = catalog[name].primary_key
        keys = key_list(tables[name], pk)
        out_tables[name] = {
            "rows": tables[name].num_rows,
            "primary_key": pk,
            "keys_sha256": keys_sha256(keys),
            "keys": keys,
        }
    return {
        "name": "ca-militancy",
        "version": version,
        "zip": zip_name(version),
        "tables": out_tables,
        "files": {rel: sha256_path(p) for rel, p in sorted(files.items())},
    }


def write_sha256sums(dist: Path) -> Path:
    """``sha256sum -c`` format over every file in ``dist`` (recursively), sorted."""
    lines = []
    for p in sorted(dist.rglob("*")):
        if p.is_file() and p.name != "SHA256SUMS":
            lines.append(f"{sha256_path(p)}  {p.relative_to(dist).as_posix()}\n")
    out = dist / "SHA256SUMS"
    out.write_text("".join(lines), encoding="utf-8")
    return out


def commit(moves: list[tuple[Path, Path]]) -> None:
    """Move staged outputs into place. Directories are swapped whole (old one renamed aside
    first, removed last), files replaced with ``os.replace``; called only after every stage
    passed, so a failed build never reaches here."""
    trash: list[Path] = []
    for staged, target in moves:
        target.parent.mkdir(parents=True, exist_ok=True)
        if staged.is_dir():
            if target.exists():
                aside = target.with_name(f".{target.name}.old-{os.getpid()}")
                if aside.exists():
                    shutil.rmtree(aside)
                os.replace(target, aside)
                trash.append(aside)
            shutil.move(str(staged), str(target))
        else:
            if staged.parent.stat().st_dev == target.parent.stat().st_dev:
                os.replace(staged, target)
            else:
                tmp = target.with_name(f".{target.name}.new-{os.getpid()}")
                shutil.copy2(staged, tmp)
                os.replace(tmp, target)
    for aside in trash:
        shutil.rmtree(aside, ignore_errors=True)


def write_json(path: Path, obj: Any) -> None:
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
