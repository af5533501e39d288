"""Datasette metadata: generated from the Table Schemas, and what a Datasette user sees with it
(served in-process, no browser: searching by alias, named links, canned queries)."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import pytest

from ca_militancy.build.sqlite_edition import write_sqlite
from ca_militancy.core.catalog import catalog
from ca_militancy.core.edition import CANNED_QUERIES, SERVED_NAME, metadata, write_metadata
from ca_militancy.reader.browse import make_datasette

sys.path.insert(0, str(Path(__file__).parent))
from test_sqlite_edition import sample_tables

pytest.importorskip("datasette.app", reason="datasette is not installed")

VERSION = "0.0.0"
DB_NAME = f"ca-militancy-{VERSION}"
DB = SERVED_NAME


def test_metadata_describes_every_table_and_column_from_the_schemas():
    meta = metadata(catalog(), VERSION)
    assert meta["license"] == "CC-BY-4.0"
    tables = meta["databases"][DB_NAME]["tables"]
    for name in catalog().names:
        schema = catalog()[name].descriptor
        assert tables[name]["title"] == schema["title"]
        assert tables[name]["description"] == schema["description"]
        assert list(tables[name]["columns"]) == catalog()[name].field_names
        for field in catalog()[name].fields:
            assert tables[name]["columns"][field["name"]].startswith(field["description"])


def test_metadata_file_is_json_and_reproducible(tmp_path):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    write_metadata(a, catalog(), VERSION)
    write_metadata(b, catalog(), VERSION)
    assert a.read_bytes() == b.read_bytes()
    assert json.loads(a.read_text(encoding="utf-8"))["databases"][DB_NAME]["queries"]


def _get_all(path: Path, urls: list[str]) -> list:
    async def run():
        ds = make_datasette(path)
        await ds.invoke_startup()
        return [await ds.client.get(u) for u in urls]

    return asyncio.run(run())


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("ds") / f"{DB_NAME}.sqlite"
    write_sqlite(catalog(), sample_tables(), path, VERSION)
    return path


def test_search_box_on_organizations_finds_a_group_by_an_alias(served):
    (resp,) = _get_all(served, [f"/{DB}/organizations.json?_search=Djund+Al-Khalifat&_shape=array"])
    assert resp.status_code == 200, resp.text
    assert [r["organization_id"] for r in resp.json()] == ["org-jund-al-khilafah"]


def test_foreign_keys_render_as_named_links(served):
    (resp,) = _get_all(served, [f"/{DB}/incident_actors?incident_id=inc-2011-atyrau"])
    assert resp.status_code == 200
    assert f'href="/{DB}/organizations/org-jund-al-khilafah"' in resp.text
    assert "Jund al Khilafah" in resp.text
    (org,) = _get_all(served, [f"/{DB}/organizations/org-jund-al-khilafah"])
    assert org.status_code == 200
    # "Links from other tables" lead on to the group's incidents and aliases.
    assert f"/{DB}/incident_actors?organization_id=org-jund-al-khilafah" in org.text
    assert f"/{DB}/aliases?organization_id=org-jund-al-khilafah" in org.text


def test_every_canned_query_runs(served):
    params = {
        "organizations_by_name": "name=Jund+al-Khalifat",
        "incidents_of_organization": "organization=Khalifat",
        "ties_of_organization": "organization=IMU",
        "citations_of_record": "record_id=rel-jak-allied-taliban",
        "contested_ties": "",
    }
    assert set(params) == set(CANNED_QUERIES)
    urls = [f"/{DB}/{q}.json?_shape=array&{p}" for q, p in params.items()]
    results = dict(zip(params, _get_all(served, urls), strict=True))
    for name, resp in results.items():
        assert resp.status_code == 200, (name, resp.text)
        assert resp.json(), f"canned query {name} returned no rows"
    assert {r["incident_id"] for r in results["incidents_of_organization"].json()} == {
        "inc-2011-taraz",
        "inc-2011-atyrau",
        "inc-2011-khost",
    }
    assert [r["other_name"] for r in results["ties_of_organization"].json()] == [
        "Taliban",
        "Islamic Jihad Union",
    ]


def test_full_text_indexes_are_hidden_from_the_table_list(served):
    (resp,) = _get_all(served, [f"/{DB}.json"])
    visible = {t["name"] for t in resp.json()["tables"] if not t["hidden"]}
    assert "organizations" in visible
    assert not {t for t in visible if "_fts" in t}
