"""The SQLite edition: every table in one file that Datasette (or any SQLite client) can browse.

Why a SQLite file besides Parquet: journalists and analysts explore data in Datasette, which
turns declared foreign keys into links between rows, full-text indexes into search boxes and
views into ready-made joins. So this module declares every primary and foreign key from the
Table Schemas (never a hand-written column list), indexes the foreign-key columns, adds FTS5
indexes on names, aliases, titles, summaries and excerpts, and creates the views users ask
for most. The file is a release artifact: the same tables always give the same bytes.
"""

from __future__ import annotations

import graphlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ca_militancy.__about__ import __version__
from ca_militancy.core.catalog import Catalog, constraint
from ca_militancy.core.edition import LICENSE, NAME_SEARCH, RELEASE_TABLE, TITLE

if TYPE_CHECKING:
    import pyarrow as pa
    import sqlite_utils

# Tokenizer of every full-text index: Unicode-aware, case-folded and with diacritics removed, so
# that "Khilāfah" finds "Khilafah"; hyphens and apostrophes split words, so "al-Khilafah" finds
# "al Khilafah".
FTS_TOKENIZE = "unicode61 remove_diacritics 2"

# Full-text indexes on the tables' own columns (Datasette detects them and shows a search box).
# These are choices of what is worth searching, not column lists of the tables.
TABLE_FTS: dict[str, list[str]] = {
    "aliases": ["alias", "note"],
    "incidents": ["title", "summary", "place", "province", "date_note"],
    "citations": ["excerpt", "value_as_stated"],
    "sources": ["title", "label"],
    "publications": ["title", "label"],
    "conflicts": ["summary"],
}

# --- column types -------------------------------------------------------------------------


def _sqlite_type(field: dict[str, Any]) -> type:
    """Python type that sqlite-utils maps to the column's SQLite type. Dates are ISO text
    (SQLite has no date type and ISO text sorts and compares correctly)."""
    return {"integer": int, "number": float, "boolean": bool}.get(field.get("type", "string"), str)


INSERT_BLOCK_ROWS = 50_000


def _sqlite_values(col: pa.Array) -> list[Any]:
    """A column as the Python values sqlite3 stores: dates as ISO text (SQLite has no date
    type, and ISO text sorts and compares correctly), the rest as they are."""
    import pyarrow as pa

    if pa.types.is_date(col.type):
        col = col.cast(pa.string())
    return col.to_pylist()


def _creation_order(catalog: Catalog, names: list[str]) -> list[str]:
    """Referenced tables first (sqlite-utils resolves a foreign key against the other table's
    columns); ties broken alphabetically so the file's layout never changes."""
    graph = graphlib.TopologicalSorter()
    for name in sorted(names):
        deps = {ref for _, ref, _ in catalog[name].foreign_keys if ref != name and ref in names}
        graph.add(name, *sorted(deps))
    graph.prepare()
    order: list[str] = []
    while graph.is_active():
        ready = sorted(graph.get_ready())
        order.extend(ready)
        graph.done(*ready)
    return order


# --- tables, keys, indexes ------------------------------------------------------------------


def _create_table(
    catalog: Catalog, db: sqlite_utils.Database, name: str, present: set[str]
) -> None:
    flds = catalog[name].fields
    db.create_table(
        name,
        {f["name"]: _sqlite_type(f) for f in flds},
        pk=tuple(catalog[name].primary_key)
        if len(catalog[name].primary_key) > 1
        else catalog[name].primary_key[0],
        foreign_keys=[fk for fk in catalog[name].foreign_keys if fk[1] in present],
        not_null={f["name"] for f in flds if constraint(f, "required", False)},
    )


def _insert(catalog: Catalog, db: sqlite_utils.Database, name: str, table: pa.Table) -> None:
    names = catalog[name].field_names
    missing = [c for c in names if c not in table.column_names]
    if missing:
        raise ValueError(f"table {name!r}: columns {missing} of its schema are missing")
    table = table.select(names).sort_by([(c, "ascending") for c in catalog[name].primary_key])
    # One executemany of plain tuples per block, inside the build's one transaction: the
    # rows never become dicts (sqlite-utils' insert_all builds a dict and an INSERT per
    # batch of rows), and dates are ISO text converted by Arrow, column by column.
    columns = ", ".join(f"[{c}]" for c in names)
    sql = f"INSERT INTO [{name}] ({columns}) VALUES ({', '.join('?' * len(names))})"
    for batch in table.to_batches(max_chunksize=INSERT_BLOCK_ROWS):
        cols = [_sqlite_values(batch.column(i)) for i in range(batch.num_columns)]
        db.conn.executemany(sql, zip(*cols, strict=True))


def _index_foreign_keys(catalog: Catalog, db: sqlite_utils.Database, names: list[str]) -> None:
    """One index per foreign-key column, named <table>_<column>: joins and Datasette's
    "links from other tables" stay fast as the data grows."""
    for name in names:
        for column, ref, _ in catalog[name].foreign_keys:
            if ref in names:
                db[name].create_index([column], index_name=f"idx_{name}_{column}")


# --- full-text search -----------------------------------------------------------------------


def _enable_table_fts(catalog: Catalog, db: sqlite_utils.Database, names: list[str]) -> None:
    for name, columns in TABLE_FTS.items():
        if name in names:
            missing = set(columns) - set(catalog[name].field_names)
            if missing:
                raise ValueError(f"full-text columns {sorted(missing)} not in schema of {name}")
            db[name].enable_fts(columns, fts_version="FTS5", tokenize=FTS_TOKENIZE)
            db[name].populate_fts(columns)


def _alias_column(catalog: Catalog, owner: str) -> str | None:
    """The column of `aliases` that points at `owner` (from the schema's foreign keys)."""
    for column, ref, _ in catalog["aliases"].foreign_keys:
        if ref == owner:
            return column
    return None


def _enable_name_search(catalog: Catalog, db: sqlite_utils.Database, names: list[str]) -> None:
    """An FTS5 index per named entity table whose rowid is the entity row's rowid and whose
    text is the name plus every alias: a search on the entity table by any spelling finds it."""
    for owner, fts in NAME_SEARCH.items():
        if owner not in names:
            continue
        pk = catalog[owner].primary_key[0]
        alias_col = _alias_column(catalog, owner) if "aliases" in names else None
        db.execute(
            f"CREATE VIRTUAL TABLE [{fts}] USING FTS5 (name, aliases, tokenize='{FTS_TOKENIZE}')"
        )
        aliases_sql = (
            f"(SELECT group_concat(alias, ' | ') FROM (SELECT alias FROM aliases a "
            f"WHERE a.[{alias_col}] = o.[{pk}] ORDER BY alias))"
            if alias_col
            else "''"
        )
        db.execute(
            f"INSERT INTO [{fts}] (rowid, name, aliases) "
            f"SELECT o.rowid, o.name, coalesce({aliases_sql}, '') FROM [{owner}] o ORDER BY o.rowid"
        )


# --- views ----------------------------------------------------------------------------------


def _citation_target_union(catalog: Catalog) -> str:
    """One SELECT per reference column of citations: (cited_table, record_id, citation)."""
    parts = [
        f"SELECT '{ref}' AS cited_table, c.[{column}] AS record_id, c.citation_id "
        f"FROM citations c WHERE c.[{column}] IS NOT NULL"
        for column, ref, _ in catalog["citations"].foreign_keys
        if column in catalog["citations"].exactly_one_of
    ]
    return "\nUNION ALL\n".join(parts)


def _views(catalog: Catalog, names: set[str]) -> dict[str, str]:
    """The joins users ask for most. Each view needs certain tables; a view whose tables are
    absent is skipped (a partial build still opens)."""
    out: dict[str, tuple[set[str], str]] = {}
    out["record_citations"] = (
        {"citations", "sources"},
        f"""SELECT t.cited_table, t.record_id, c.citation_id, c.stance, c.field,
       c.value_as_stated, c.excerpt, c.line, c.source_id, s.title AS source_title,
       s.published_start AS source_published, s.url AS source_url
FROM ({_citation_target_union(catalog)}) t
JOIN citations c ON c.citation_id = t.citation_id
JOIN sources s ON s.source_id = c.source_id""",
    )
    out["names"] = (
        {"organizations", "people", "aliases"},
        """SELECT 'organization' AS entity, o.organization_id AS entity_id, o.name AS name,
       o.name AS canonical_name, 'name' AS name_kind, NULL AS alias_id
FROM organizations o
UNION ALL
SELECT 'organization', a.organization_id, a.alias, o.name, a.kind, a.alias_id
FROM aliases a JOIN organizations o ON o.organization_id = a.organization_id
UNION ALL
SELECT 'person', p.person_id, p.name, p.name, 'name', NULL FROM people p
UNION ALL
SELECT 'person', a.person_id, a.alias, p.name, a.kind, a.alias_id
FROM aliases a JOIN people p ON p.person_id = a.person_id""",
    )
    out["organization_ties"] = (
        {"organizations", "org_relationships"},
        """SELECT o.organization_id, o.name, 'outgoing' AS direction, r.type,
       r.object_organization_id AS other_organization_id, other.name AS other_name,
       r.contested, r.certainty, r.date_start, r.date_end, r.date_precision, r.relationship_id
FROM org_relationships r
JOIN organizations o ON o.organization_id = r.subject_organization_id
JOIN organizations other ON other.organization_id = r.object_organization_id
UNION ALL
SELECT o.organization_id, o.name, 'incoming', r.type,
       r.subject_organization_id, other.name,
       r.contested, r.certainty, r.date_start, r.date_end, r.date_precision, r.relationship_id
FROM org_relationships r
JOIN organizations o ON o.organization_id = r.object_organization_id
JOIN organizations other ON other.organization_id = r.subject_organization_id""",
    )
    out["organization_members"] = (
        {"organizations", "people", "memberships"},
        """SELECT o.organization_id, o.name AS organization, p.person_id, p.name AS person,
       m.role, m.title, m.date_start, m.date_end, m.date_precision, m.certainty,
       m.membership_id
FROM memberships m
JOIN organizations o ON o.organization_id = m.organization_id
JOIN people p ON p.person_id = m.person_id""",
    )
    out["incident_actors_named"] = (
        {"incidents", "incident_actors", "organizations", "people"},
        """SELECT i.incident_id, i.title, i.date_start, i.date_end, i.date_precision,
       i.country_code, ia.role, ia.certainty,
       CASE WHEN ia.organization_id IS NOT NULL THEN 'organization' ELSE 'person' END
         AS actor_kind,
       coalesce(ia.organization_id, ia.person_id) AS actor_id,
       coalesce(o.name, p.name) AS actor_name,
       ia.attributed_by_organization_id, ab.name AS attributed_by, ia.incident_actor_id
FROM incident_actors ia
JOIN incidents i ON i.incident_id = ia.incident_id
LEFT JOIN organizations o ON o.organization_id = ia.organization_id
LEFT JOIN people p ON p.person_id = ia.person_id
LEFT JOIN organizations ab ON ab.organization_id = ia.attributed_by_organization_id""",
    )
    out["organization_incidents"] = (
        {"incidents", "incident_actors", "organizations"},
        """SELECT o.organization_id, o.name AS organization, ia.role, ia.certainty,
       i.incident_id, i.title, i.type, i.date_start, i.date_end, i.date_precision,
       i.country_code, i.place, i.killed_best, i.wounded_best, ia.incident_actor_id
FROM incident_actors ia
JOIN organizations o ON o.organization_id = ia.organization_id
JOIN incidents i ON i.incident_id = ia.incident_id""",
    )
    out["organization_profiles"] = (
        {
            "organizations",
            "aliases",
            "memberships",
            "people",
            "org_relationships",
            "incident_actors",
            "incidents",
            "citations",
            "sources",
        },
        """SELECT o.organization_id, o.name, o.kind, o.country_code, o.description,
  (SELECT group_concat(alias, ' | ') FROM (SELECT alias FROM aliases a
     WHERE a.organization_id = o.organization_id ORDER BY alias)) AS aliases,
  (SELECT group_concat(x, ' | ') FROM (SELECT p.name || ' (' || m.role || ')' AS x
     FROM memberships m JOIN people p ON p.person_id = m.person_id
     WHERE m.organization_id = o.organization_id ORDER BY p.name, m.role)) AS members,
  (SELECT group_concat(x, ' | ') FROM (SELECT t.direction || ' ' || t.type || ' '
     || t.other_name || CASE WHEN t.contested THEN ' (contested)' ELSE '' END AS x
     FROM organization_ties t WHERE t.organization_id = o.organization_id
     ORDER BY t.direction DESC, t.type, t.other_name)) AS ties,
  (SELECT count(DISTINCT ia.incident_id) FROM incident_actors ia
     WHERE ia.organization_id = o.organization_id) AS incidents,
  (SELECT group_concat(x, ' | ') FROM (SELECT DISTINCT coalesce(i.date_start, '?') || ' '
     || i.title AS x FROM incident_actors ia JOIN incidents i ON i.incident_id = ia.incident_id
     WHERE ia.organization_id = o.organization_id ORDER BY x)) AS incident_titles,
  (SELECT count(*) FROM citations c WHERE c.organization_id = o.organization_id)
    AS citations
FROM organizations o""",
    )
    out["incident_profiles"] = (
        {"incidents", "incident_actors", "organizations", "people", "citations", "sources"},
        """SELECT i.incident_id, i.title, i.type, i.date_start, i.date_end, i.date_precision,
       i.country_code, i.place, i.killed_best, i.wounded_best,
  (SELECT group_concat(x, ' | ') FROM (SELECT a.actor_name || ' (' || a.role || ', '
     || a.certainty || ')' AS x FROM incident_actors_named a
     WHERE a.incident_id = i.incident_id ORDER BY a.role, a.actor_name)) AS actors,
  (SELECT count(*) FROM citations c WHERE c.incident_id = i.incident_id) AS citations,
  i.summary
FROM incidents i""",
    )
    return {v: sql for v, (needs, sql) in out.items() if needs <= names}


# --- the file -------------------------------------------------------------------------------


def write_sqlite(
    catalog: Catalog, tables: dict[str, pa.Table], path: Path, version: str = __version__
) -> None:
    """Write every table into one SQLite file at ``path``, atomically (a temporary file is
    renamed into place, so a failed build never leaves half a database)."""
    import sqlite_utils

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    unknown = sorted(set(tables) - set(catalog.names))
    if unknown:
        raise KeyError(f"no Table Schema for tables {unknown}")
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    db = sqlite_utils.Database(tmp)
    # a scratch file renamed into place only when complete needs no journal or fsync
    db.execute("PRAGMA journal_mode = OFF")
    db.execute("PRAGMA synchronous = OFF")
    ok = False
    try:
        names = _creation_order(catalog, list(tables))
        present: set[str] = set()
        for name in names:
            present.add(name)
            _create_table(catalog, db, name, present | {name})
            _insert(catalog, db, name, tables[name])
        _index_foreign_keys(catalog, db, names)
        _enable_table_fts(catalog, db, names)
        _enable_name_search(catalog, db, names)
        for view, sql in _views(catalog, set(names)).items():
            db.create_view(view, sql)
        db[RELEASE_TABLE].insert_all(
            [
                {"key": "title", "value": TITLE},
                {"key": "version", "value": version},
                {"key": "license", "value": LICENSE},
            ],
            pk="key",
        )
        db.execute("PRAGMA user_version = 1")
        db.conn.commit()
        db.vacuum()
        ok = True
    finally:
        db.conn.close()
        if not ok:
            tmp.unlink(missing_ok=True)
    tmp.replace(path)
