"""The FollowTheMoney edition: what a user of the `ftm` tools or Aleph relies on. Every line is
an entity FtM's own model reads, one per record of the mapped tables, with a stable id, links
that resolve inside the file, names and dates mapped as the README says, and the same bytes
from the same tables."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pytest
from followthemoney import model

from ca_militancy.build import ftm_edition
from ca_militancy.build.ftm_edition import (
    DOCUMENT_SCHEMATA,
    RELATIONSHIP_SCHEMATA,
    UNKNOWN_LINK,
    entity_id,
    partial_date,
)
from ca_militancy.core.problems import ProblemLog
from ca_militancy.reader.loader import Dataset

REPO = Path(__file__).resolve().parents[1]
VERSION = "9.9.9"


@pytest.fixture(scope="module")
def tables() -> dict[str, pa.Table]:
    ds = Dataset(REPO)
    return {name: ds.arrow(name) for name in ds.table_names()}


@pytest.fixture(scope="module")
def edition(tables, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("ftm") / ftm_edition.file_name(VERSION)
    log = ProblemLog()
    ftm_edition.write_ftm(Dataset(REPO).catalog, tables, path, VERSION, log)
    assert not log, log.report()
    return path


@pytest.fixture(scope="module")
def entities(edition) -> dict[str, dict]:
    out = {}
    for line in edition.read_text(encoding="utf-8").splitlines():
        data = json.loads(line)
        out[data["id"]] = data
    return out


def _rows(tables: dict[str, pa.Table], name: str) -> list[dict]:
    return tables[name].to_pylist()


def test_every_line_is_an_entity_that_ftm_s_model_reads_unchanged(entities):
    for data in entities.values():
        proxy = model.get_proxy(data, cleaned=False)  # cleans every value again
        assert proxy.id == data["id"]
        assert proxy.schema.name == data["schema"]
        assert {k: sorted(v) for k, v in proxy.properties.items()} == data["properties"]
        assert all(proxy.has(p) for p in proxy.schema.required), data["id"]


def test_counts_per_schema_match_the_tables(entities, tables):
    rel_schema = Counter(
        RELATIONSHIP_SCHEMATA.get(r["type"], UNKNOWN_LINK)[0]
        for r in _rows(tables, "org_relationships")
    )
    doc_schema = Counter(
        DOCUMENT_SCHEMATA.get(r["kind"], "Article")
        for name in ("sources", "publications")
        for r in _rows(tables, name)
    )
    expected = Counter(
        {
            "Organization": tables["organizations"].num_rows,
            "Person": tables["people"].num_rows,
            "Sanction": tables["designations"].num_rows,
            "Event": tables["incidents"].num_rows,
        }
    )
    expected["Membership"] += tables["memberships"].num_rows
    expected += rel_schema + doc_schema
    assert Counter(d["schema"] for d in entities.values()) == expected
    mapped = ("organizations", "people", "memberships", "org_relationships", "designations")
    mapped += ("incidents", "sources", "publications")
    assert len(entities) == sum(tables[n].num_rows for n in mapped)


def test_ids_are_record_ids_and_every_link_resolves_in_the_file(entities, tables):
    record_ids = {
        entity_id(row[tables[name].column_names[0]])
        for name in tables
        for row in _rows(tables, name)
    }
    assert set(entities) <= record_ids
    for data in entities.values():
        proxy = model.get_proxy(data)
        for prop, value in proxy.itervalues():
            if prop.type.name == "entity":
                assert value in entities, f"{data['id']}.{prop.name} -> {value}"


def test_the_ftm_command_validates_the_file_and_changes_nothing(edition, entities, tmp_path):
    ftm = shutil.which("ftm", path=str(Path(sys.executable).parent)) or shutil.which("ftm")
    assert ftm, "the `ftm` command of followthemoney is not installed"
    out = tmp_path / "validated.json"
    result = subprocess.run(
        [ftm, "validate", "-i", str(edition), "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    back = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(back) == len(entities)
    for data in back:
        mine = entities[data["id"]]
        assert data["schema"] == mine["schema"]
        assert {k: sorted(v) for k, v in data["properties"].items()} == mine["properties"]


def test_alias_kinds_map_to_ftm_name_properties(entities, tables):
    expected_prop = {"former_name": "previousName", "acronym": "weakAlias"}
    seen = set()
    for row in _rows(tables, "aliases"):
        if row["ambiguous"] or row["kind"] not in expected_prop | {"translation": None}:
            continue
        prop = expected_prop.get(row["kind"], "alias")
        owner = entities[entity_id(row["organization_id"] or row["person_id"])]
        assert row["alias"] in owner["properties"][prop], (row["alias_id"], prop)
        seen.add(row["kind"])
    assert {"acronym", "translation"} <= seen


def test_dates_are_as_precise_as_the_record(entities, tables):
    for row in _rows(tables, "incidents"):
        props = entities[entity_id(row["incident_id"])]["properties"]
        precision = row["date_precision"]
        if precision in ("day", "month", "year"):
            assert props["date"] == [partial_date(row["date_start"], precision)]
            assert len(props["date"][0]) == {"day": 10, "month": 7, "year": 4}[precision]
        elif precision == "on_or_before":
            assert "startDate" not in props and props["endDate"] == [row["date_end"].isoformat()]
        elif precision == "unknown":
            assert not {"date", "startDate", "endDate"} & set(props)


def test_partial_date_strings():
    day = dt.date(2011, 10, 31)
    assert partial_date(day, "day") == "2011-10-31"
    assert partial_date(day, "month") == "2011-10"
    assert partial_date(day, "year") == "2011"


def test_a_claim_of_responsibility_is_involvement_not_organization(entities, tables):
    involved, organizers = {}, {}
    for row in _rows(tables, "incident_actors"):
        actor = entity_id(row["organization_id"] or row["person_id"])
        involved.setdefault(row["incident_id"], set()).add(actor)
        if row["role"] == "perpetrator" and row["certainty"] in ("reported", "officials_said"):
            organizers.setdefault(row["incident_id"], set()).add(actor)
    claimed_only = 0
    for row in _rows(tables, "incidents"):
        iid = row["incident_id"]
        props = entities[entity_id(iid)]["properties"]
        assert set(props.get("involved", [])) == involved.get(iid, set())
        assert set(props.get("organizer", [])) == organizers.get(iid, set())
    for row in _rows(tables, "incident_actors"):
        actor = entity_id(row["organization_id"] or row["person_id"])
        if row["role"] == "claimed_responsibility":
            claimed_only += actor not in organizers.get(row["incident_id"], set())
    assert claimed_only, "no claim of responsibility without a reported perpetrator to test"


def test_each_entity_points_to_its_sources_and_to_the_cite_command(entities, tables):
    cited = {(r["source_id"], r["incident_id"]) for r in _rows(tables, "citations")}
    for row in _rows(tables, "incidents"):
        props = entities[entity_id(row["incident_id"])]["properties"]
        for source, incident in cited:
            if incident == row["incident_id"]:
                assert entity_id(source) in props["proof"]
        assert any(
            f"ca-militancy cite incidents {row['incident_id']}" in d for d in props["description"]
        )


def test_same_tables_same_bytes_sorted_by_id(edition, tables, tmp_path):
    again = tmp_path / "again.ftm.json"
    ftm_edition.write_ftm(Dataset(REPO).catalog, tables, again, VERSION, ProblemLog())
    assert again.read_bytes() == edition.read_bytes()
    lines = edition.read_text(encoding="utf-8").splitlines()
    ids = [json.loads(line)["id"] for line in lines]
    assert ids == sorted(ids)
    assert all(line == json.dumps(json.loads(line), sort_keys=True, ensure_ascii=False,
                                  separators=(",", ":")) for line in lines)  # fmt: skip


def test_a_value_ftm_refuses_is_a_located_problem_and_nothing_is_written(tables, tmp_path):
    sources = tables["sources"]
    bad = sources.set_column(
        sources.column_names.index("url"),
        "url",
        pa.array(["not a url at all"] * sources.num_rows, sources.schema.field("url").type),
    )
    log = ProblemLog()
    path = tmp_path / "bad.ftm.json"
    ftm_edition.write_ftm(Dataset(REPO).catalog, {**tables, "sources": bad}, path, VERSION, log)
    assert not path.exists()
    lines = log.report().splitlines()
    assert any("data/sources.csv" in ln and "ftm-entity-valid" in ln for ln in lines), lines
