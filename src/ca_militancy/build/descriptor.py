"""Writes ``datapackage.json`` (Data Package v2) from the schemas, the data and the version.

Why regenerated, not hand-edited: bytes, hashes and row counts must match the files, and the
version must match ``__about__``. Human-curated metadata (title, description, contributors,
keywords) is kept from the existing root descriptor when there is one, so editing those by
hand still works. ``created`` is derived from the data (the date of the current version's
CHANGELOG entry, else the latest date in the data), never from the clock, so a build of an
unchanged tree leaves ``git status`` clean.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from ca_militancy import __about__
from ca_militancy.core.catalog import SCHEMA_SUFFIX, Catalog
from ca_militancy.core.hashing import sha256_bytes
from ca_militancy.core.problems import ProblemLog

PROFILE = "https://datapackage.org/profiles/2.0/datapackage.json"
ROWS_PROPERTY = "x-rows"
PARQUET_SUFFIX = "_parquet"
PARQUET_MEDIATYPE = "application/vnd.apache.parquet"
FALLBACK_DATE = dt.date(2020, 1, 1)

DEFAULTS: dict[str, Any] = {
    "title": "Central Asian militancy: organizations, people, incidents and sources",
    "description": (
        "An open, versioned dataset of Central Asian militant organizations, their people, "
        "aliases, incidents, relationships and designations, every row cited to a verbatim "
        "excerpt of an archived source."
    ),
    "homepage": None,
    "contributors": [{"title": "ca-militancy contributors", "roles": ["author"]}],
    "keywords": [
        "Central Asia",
        "militant organizations",
        "terrorism",
        "conflict data",
        "provenance",
    ],
}
CURATED_KEYS = ("title", "description", "homepage", "contributors", "keywords")


def changelog_date(root: Path, version: str) -> dt.date | None:
    """Date of ``## [version] - YYYY-MM-DD`` in CHANGELOG.md, if present."""
    path = Path(root) / "CHANGELOG.md"
    if not path.is_file():
        return None
    pattern = rf"^##\s*\[{re.escape(version)}\]\s*-\s*(\d{{4}}-\d{{2}}-\d{{2}})"
    m = re.search(pattern, path.read_text(encoding="utf-8"), flags=re.M)
    return dt.date.fromisoformat(m.group(1)) if m else None


def latest_data_date(tables: dict[str, pa.Table]) -> dt.date | None:
    latest = None
    for t in tables.values():
        for f in t.schema:
            if pa.types.is_date32(f.type):
                m = pc.max(t[f.name]).as_py()
                if m is not None and (latest is None or m > latest):
                    latest = m
    return latest


def release_date(root: Path, tables: dict[str, pa.Table], version: str) -> dt.date:
    """The build's one notion of "when": reproducible, from the tree, never the clock."""
    date = changelog_date(root, version) or latest_data_date(tables) or FALLBACK_DATE
    return max(date, dt.date(1980, 1, 1))  # zip timestamps cannot be earlier


def _sources(tables: dict[str, pa.Table]) -> list[dict[str, str]]:
    if "sources" not in tables:
        return []
    out = []
    for row in tables["sources"].to_pylist():
        item = {"title": row.get("title") or row.get("label") or row["source_id"]}
        if row.get("url"):
            item["path"] = row["url"]
        out.append(item)
    return out


def _resource(
    root: Path, name: str, path: str, rows: int, fmt: str, mediatype: str, title: str | None
) -> dict[str, Any]:
    data = (Path(root) / path).read_bytes()
    res: dict[str, Any] = {"name": name, "path": path}
    if title:
        res["title"] = title
    res |= {
        "format": fmt,
        "mediatype": mediatype,
        "encoding": "utf-8",
        "schema": f"schemas/{name.removesuffix(PARQUET_SUFFIX)}{SCHEMA_SUFFIX}",
        "bytes": len(data),
        "hash": f"sha256:{sha256_bytes(data)}",
        ROWS_PROPERTY: rows,
    }
    if fmt == "parquet":
        # frictionless cannot count a Parquet file's bytes or hash (it reports "actual None"),
        # so they are kept under custom names; the release's own check compares them.
        res["x-bytes"] = res.pop("bytes")
        res["x-hash"] = res.pop("hash")
    return res


def build_descriptor(
    catalog: Catalog,
    root: Path,
    tables: dict[str, pa.Table],
    *,
    parquet_root: Path | None = None,
    include_csv: bool = True,
    existing: dict[str, Any] | None = None,
    created: dt.date | None = None,
) -> dict[str, Any]:
    """The descriptor: CSV resources under ``root`` and/or Parquet resources under
    ``parquet_root`` (paths ``parquet/<table>.parquet``)."""
    version = __about__.__version__
    existing = existing or {}
    desc: dict[str, Any] = {"$schema": PROFILE, "name": "ca-militancy"}
    for key in CURATED_KEYS:
        value = existing.get(key, DEFAULTS[key])
        if value is not None:
            desc[key] = value
    created = created or release_date(root, tables, version)
    desc |= {
        "version": version,
        "created": f"{created.isoformat()}T00:00:00Z",
        "licenses": [
            {
                "name": "CC-BY-4.0",
                "path": "https://creativecommons.org/licenses/by/4.0/",
                "title": "Creative Commons Attribution 4.0 International",
            }
        ],
        "sources": _sources(tables),
    }
    resources = []
    for table in catalog:
        name, title = table.name, table.title or None
        rows = tables[name].num_rows
        if include_csv:
            resources.append(
                _resource(root, name, f"data/{name}.csv", rows, "csv", "text/csv", title)
            )
        if parquet_root is not None:
            resources.append(
                _resource(
                    parquet_root,
                    f"{name}{PARQUET_SUFFIX}",
                    f"parquet/{name}.parquet",
                    rows,
                    "parquet",
                    PARQUET_MEDIATYPE,
                    title,
                )
            )
    desc["resources"] = resources
    return desc


def dumps(desc: dict[str, Any]) -> str:
    return json.dumps(desc, indent=2, ensure_ascii=False) + "\n"


def read_existing(root: Path) -> dict[str, Any]:
    path = Path(root) / "datapackage.json"
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        return {}


def check_with_frictionless(
    desc: dict[str, Any], catalog: Catalog, where: str, log: ProblemLog
) -> None:
    """Report what frictionless's own descriptor validation rejects in ``desc``.

    Why: users run ``frictionless validate`` on what we publish, so the build must not write a
    descriptor that it rejects. Each resource is validated with its Table Schema inlined (the
    schema files are what the build read), so a problem is located in the schema file it comes
    from; the package's own properties are validated after that."""
    from frictionless import Package, Resource

    by_path = {f"schemas/{t.path.name}": t for t in catalog}
    inlined = []
    for res in desc["resources"]:
        table = by_path.get(res.get("schema"))  # type: ignore[arg-type]
        res = {**res, "schema": table.descriptor} if table is not None else res
        inlined.append(res)
        place = f"schemas/{table.path.name}" if table is not None else where
        for error in Resource.validate_descriptor(res).errors:
            log.add(
                res["name"], place, None, None, None, "frictionless-descriptor",
                f"{where} resource {res['name']!r}: {error.message}",
            )  # fmt: skip
    if log:
        return
    for error in Package.validate_descriptor({**desc, "resources": inlined}).errors:
        log.add(where, where, None, None, None, "frictionless-descriptor", error.message)
