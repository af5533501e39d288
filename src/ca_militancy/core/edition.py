"""Datasette metadata generated from the Table Schemas.

Why: `datasette ca-militancy-<version>.sqlite -m metadata.json` should open a site that explains
itself, table by table and column by column, in the words of the Table Schemas (the one place
they are written), names the licence and the source, links rows by their names rather than
bare ids, searches organizations and people by any alias, and offers the questions users ask
most as ready-made ("canned") queries.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ca_militancy.__about__ import __version__
from ca_militancy.core.catalog import Catalog, TableSchema, constraint

# Tables whose records have names in `aliases`. Their search index also holds every alias, so
# that a search box on the organizations page finds a group by any spelling a source used.
# Datasette is pointed at these indexes by `fts_table` in the metadata (see datasette_meta).
NAME_SEARCH: dict[str, str] = {
    "organizations": "organizations_names_fts",
    "people": "people_names_fts",
    "places": "places_names_fts",
}

# Table holding the release's own facts (version, licence); Datasette shows it like any table.
RELEASE_TABLE = "_release"
LICENSE = "CC-BY-4.0"
TITLE = "Central Asian militant organizations (ca-militancy)"

# Name of the copy a wheel may ship in ca_militancy/_data (no version: the package has one).
PACKAGED_NAME = "ca-militancy.sqlite"


def release_file_name(version: str = __version__) -> str:
    """The SQLite edition's name in dist/ and on a release page."""
    return f"ca-militancy-{version}.sqlite"


# Name under which `serve` publishes the database (see make_datasette for why it has no dots).
SERVED_NAME = "ca-militancy"
LICENSE_URL = "https://creativecommons.org/licenses/by/4.0/"
SOURCE = "ca-militancy: curated CSVs with Frictionless Table Schemas; every row cites a source"
DESCRIPTION = (
    "An evidence-first dataset of the organizations, people, incidents and ties described in "
    "archived English-language articles about Central Asian militant groups. Every record "
    "carries at least one citation (a verbatim excerpt with its line number); disagreements "
    "between sources are kept as data. It is not a complete catalogue of events. "
    "Search organizations by any spelling on the organizations page; follow the links between "
    "rows; the views at the bottom join what belongs together."
)

# Column shown instead of a bare id wherever a foreign key points at the table, in order of
# preference (the first the table's schema has wins).
LABEL_PREFERENCE = ("name", "title", "alias", "label")

# Descriptions of the views made by sqlite_edition (views have no Table Schema).
VIEW_DESCRIPTIONS: dict[str, tuple[str, str]] = {
    "organization_profiles": (
        "Organization profiles",
        "One row per organization with its aliases, members, ties, incidents and the number "
        "of citations of the organization record itself.",
    ),
    "organization_ties": (
        "Ties of each organization",
        "Every relationship seen from both ends: outgoing (the organization is the subject) "
        "and incoming (it is the object), with the other organization's name.",
    ),
    "organization_members": (
        "Members of each organization",
        "People tied to organizations by memberships, with role, title and dates.",
    ),
    "organization_incidents": (
        "Incidents of each organization",
        "Every incident an organization took part in, with its role (perpetrator, claimed "
        "responsibility, suspected, target, ...) and how certain the tie is.",
    ),
    "incident_actors_named": (
        "Actors of each incident",
        "Who did what in each incident, by name, and who made an attribution.",
    ),
    "incident_profiles": (
        "Incident profiles",
        "One row per incident with all its actors and the number of its citations.",
    ),
    "record_citations": (
        "Citations of every record",
        "Every citation with the table and id of the record it backs and its source's title.",
    ),
    "names": (
        "All names and aliases",
        "Every name and alias of every organization and person, with the name this dataset "
        "uses for it.",
    ),
}

CANNED_QUERIES: dict[str, dict[str, str]] = {
    "organizations_by_name": {
        "title": "Organizations by name or alias",
        "description": "Finds organizations whose name or any alias contains the words typed "
        "(case, accents and hyphens ignored), e.g. 'Djund Al-Khalifat'.",
        "sql": f"""SELECT o.organization_id, o.name, o.kind, o.country_code,
  f.aliases AS all_names, o.description
FROM organizations o
JOIN [{NAME_SEARCH["organizations"]}] f ON f.rowid = o.rowid
WHERE :name <> '' AND [{NAME_SEARCH["organizations"]}] MATCH escape_fts(:name)
ORDER BY rank""",
    },
    "incidents_of_organization": {
        "title": "Incidents of an organization",
        "description": "Incidents in which an organization (by id, name or alias) took part, "
        "with its role, oldest first.",
        "sql": """SELECT oi.organization, oi.role, oi.certainty, oi.incident_id, oi.title,
  oi.date_start, oi.date_end, oi.date_precision, oi.country_code, oi.place
FROM organization_incidents oi
WHERE oi.organization_id IN (
  SELECT entity_id FROM names
  WHERE entity = 'organization'
    AND (entity_id = :organization OR name LIKE '%' || :organization || '%'))
ORDER BY oi.date_start, oi.incident_id""",
    },
    "ties_of_organization": {
        "title": "Ties of an organization",
        "description": "Every relationship of an organization (by id, name or alias), both "
        "directions; contested ties are marked.",
        "sql": """SELECT t.name, t.direction, t.type, t.other_name, t.contested, t.certainty,
  t.date_start, t.date_end, t.date_precision, t.relationship_id
FROM organization_ties t
WHERE t.organization_id IN (
  SELECT entity_id FROM names
  WHERE entity = 'organization'
    AND (entity_id = :organization OR name LIKE '%' || :organization || '%'))
ORDER BY t.direction DESC, t.type, t.other_name""",
    },
    "citations_of_record": {
        "title": "Citations of a record",
        "description": "The sources and verbatim excerpts behind one record, by its id "
        "(org-..., inc-..., rel-..., ...).",
        "sql": """SELECT cited_table, record_id, stance, field, value_as_stated, excerpt, line,
  source_title, source_published, source_url, citation_id
FROM record_citations WHERE record_id = :record_id
ORDER BY citation_id""",
    },
    "contested_ties": {
        "title": "Contested ties",
        "description": "Relationships between organizations that some source disputes.",
        "sql": """SELECT s.name AS subject, r.type, o.name AS object, r.certainty,
  r.relationship_id, r.note
FROM org_relationships r
JOIN organizations s ON s.organization_id = r.subject_organization_id
JOIN organizations o ON o.organization_id = r.object_organization_id
WHERE r.contested
ORDER BY s.name, r.type, o.name""",
    },
}


def database_names(version: str) -> list[str]:
    """Datasette names a database after its file's stem. The metadata describes the release
    file (ca-militancy-<version>.sqlite) and the unversioned copy a package may ship."""
    return [f"ca-militancy-{version}", SERVED_NAME]


def _column_description(field: dict[str, Any]) -> str:
    text = field.get("description", "")
    enum = constraint(field, "enum")
    if enum:
        text += " One of: " + ", ".join(enum) + "."
    return text.strip()


def _table_meta(table: TableSchema) -> dict[str, Any]:
    name, names = table.name, table.field_names
    meta: dict[str, Any] = {
        "title": table.descriptor.get("title", name),
        "description": table.description,
        "columns": {f["name"]: _column_description(f) for f in table.fields},
        "sort": table.primary_key[0],
    }
    label = next((c for c in LABEL_PREFERENCE if c in names), None)
    if label:
        meta["label_column"] = label
    if name in NAME_SEARCH:
        meta["fts_table"] = NAME_SEARCH[name]
        meta["fts_pk"] = "rowid"
    return meta


def metadata(catalog: Catalog, version: str = __version__) -> dict[str, Any]:
    """The Datasette metadata as a dict (see write_metadata)."""
    tables = {t.name: _table_meta(t) for t in catalog}
    for view, (title, description) in VIEW_DESCRIPTIONS.items():
        tables[view] = {"title": title, "description": description}
    database = {
        "title": f"{TITLE}, version {version}",
        "description": DESCRIPTION,
        "tables": tables,
        "queries": CANNED_QUERIES,
    }
    return {
        "title": f"{TITLE}, version {version}",
        "description": DESCRIPTION,
        "license": LICENSE,
        "license_url": LICENSE_URL,
        "source": SOURCE,
        "databases": {db: database for db in database_names(version)},
    }


def write_metadata(path: Path, catalog: Catalog, version: str = __version__) -> None:
    """Write Datasette's metadata.json to ``path`` (sorted keys: the same version always gives
    the same bytes)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = (
        json.dumps(metadata(catalog, version), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    )
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
