"""The FollowTheMoney edition: every record as an entity of the FtM model, one JSON object a
line (the format the ``ftm`` tools and Aleph read).

Why through the ``followthemoney`` library and not hand-written JSON: its model knows which
schemata and properties exist, cleans every value to its type (dates, countries, languages,
URLs) and says which properties a schema requires, so an entity this module writes is one
that FtM tools accept. A value the library refuses is reported as a problem of the build, not
dropped in silence.

Why stable ids and sorted output: the entity id is ``ca-militancy-<record id>``, so users can
merge a later release over an earlier one, and entities, their properties and each property's
values are sorted, so the same tables give the same bytes. The README section "FollowTheMoney
edition" says how each table is mapped and what FtM cannot say.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from followthemoney import model
from followthemoney.exc import InvalidData
from followthemoney.proxy import EntityProxy

from ca_militancy.core.catalog import Catalog
from ca_militancy.core.problems import ProblemLog

ID_PREFIX = "ca-militancy-"
CHECK = "ftm-entity-valid"
# FtM types whose cleaning reads the entity the value is added to (an entity may not
# point at itself; a phone number is read in the entity's countries)
CLEANED_WITH_ENTITY = frozenset({"entity", "phone"})
STREAM_BLOCK_ROWS = 65_536  # rows of a large table made dictionaries at a time

# org_relationships.type -> (FtM schema, property of the subject, property of the object).
# A unit, body or media arm is part of its parent organization, which FtM says with
# Membership; a renaming is a Succession; FtM has no schema for the other ties between
# organizations (allegiance, alliance, rivalry, hosting, backing...), so they are UnknownLinks
# whose role names the type.
RELATIONSHIP_SCHEMATA: dict[str, tuple[str, str, str]] = {
    "subunit_of": ("Membership", "member", "organization"),
    "body_of": ("Membership", "member", "organization"),
    "media_arm_of": ("Membership", "member", "organization"),
    "renamed_from": ("Succession", "successor", "predecessor"),
}
UNKNOWN_LINK = ("UnknownLink", "subject", "object")

# aliases.kind -> FtM name property: names an entity no longer goes by are previousName;
# acronyms, short forms and descriptions are weakAlias (FtM does not match on them, as they
# name other things too), and so is an alias the dataset marks ambiguous.
ALIAS_PROPERTIES = {
    "former_name": "previousName",
    "superseded_by_correction": "previousName",
    "acronym": "weakAlias",
    "short_form": "weakAlias",
    "descriptive_name": "weakAlias",
}

# Who organized an incident, in FtM's sense, is only what a source reports in its own voice
# or an authority states: a claim of responsibility, a suspicion or an inference is not a
# finding, so those actors are `involved` only.
ORGANIZER_ROLES = frozenset({"perpetrator"})
ORGANIZER_CERTAINTY = frozenset({"reported", "officials_said"})

# Sources and publications: FtM's Document stands for a file (it requires a fileName) and the
# dataset holds none, so a recording is a Video or Audio and everything else (the articles,
# reader comments, statements, reports, magazine issues) an Article.
DOCUMENT_SCHEMATA = {"video": "Video", "broadcast": "Video", "audio_message": "Audio"}
# (table, primary key, prefix of its partial date)
DOCUMENT_TABLES = (
    ("sources", "source_id", "published"),
    ("publications", "publication_id", "date"),
)


def entity_id(record_id: str) -> str:
    """The FtM id of a record: stable across releases, so entities can be merged over them."""
    return f"{ID_PREFIX}{record_id}"


def partial_date(value: dt.date, precision: str) -> str:
    """An FtM partial date as precise as the record: YYYY, YYYY-MM or YYYY-MM-DD."""
    if precision == "year":
        return f"{value.year:04d}"
    if precision == "month":
        return f"{value.year:04d}-{value.month:02d}"
    return value.isoformat()


@dataclass(frozen=True)
class PartialDates:
    """A record's partial date in FtM's terms: one date at the record's precision (day, month,
    year), or the known bounds of a range, each a day."""

    date: str | None = None
    start: str | None = None
    end: str | None = None

    @classmethod
    def of(cls, row: dict[str, Any], prefix: str) -> PartialDates:
        start, end = row.get(f"{prefix}_start"), row.get(f"{prefix}_end")
        precision = row.get(f"{prefix}_precision") or "unknown"
        if precision in ("day", "month", "year") and start is not None:
            return cls(date=partial_date(start, precision))
        return cls(
            start=start.isoformat() if start is not None else None,
            end=end.isoformat() if end is not None else None,
        )

    def as_interval(self) -> dict[str, str | None]:
        """startDate/endDate of an FtM interval: a single day, month or year is both."""
        return {"startDate": self.date or self.start, "endDate": self.date or self.end}

    def as_event(self) -> dict[str, str | None]:
        return {"date": self.date, "startDate": self.start, "endDate": self.end}


class Provenance:
    """The sources cited for each record, read from the citations table through its
    ``x-exactly-one-of`` columns and their foreign keys (which table each column cites).
    Built one table at a time when first asked for, with Arrow's group-by, and dropped with
    ``forget`` once that table's entities are made: a dictionary of every record's sources
    would not fit in memory at millions of records."""

    def __init__(self, catalog: Catalog, citations: pa.Table) -> None:
        cits = catalog["citations"]
        self.column = {ref: col for col, ref, _ in cits.foreign_keys if col in cits.exactly_one_of}
        self.citations = citations
        self.sources: dict[str, dict[str, list[str]]] = {}

    def _of_table(self, table: str) -> dict[str, list[str]]:
        if table not in self.sources:
            col = self.column.get(table)
            if col is None or col not in self.citations.column_names:
                self.sources[table] = {}
            else:
                t = self.citations.select([col, "source_id"]).filter(
                    pc.is_valid(self.citations[col])
                )
                grouped = t.group_by(col).aggregate([("source_id", "distinct")])
                self.sources[table] = dict(
                    zip(
                        grouped[col].to_pylist(),
                        grouped["source_id_distinct"].to_pylist(),
                        strict=True,
                    )
                )
        return self.sources[table]

    def of_records(self, records: Iterable[tuple[str, str]]) -> list[str]:
        return sorted({s for t, rid in records for s in self._of_table(t).get(rid, ())})

    def forget(self, *tables: str) -> None:
        for table in tables:
            self.sources.pop(table, None)


class EntityWriter:
    """Makes entities through the FtM model, refusing (as problems) what the library refuses."""

    def __init__(self, version: str, provenance: Provenance, urls: dict[str, str], log: ProblemLog):
        self.version = version
        self.provenance = provenance
        self.urls = urls
        self.log = log
        # each entity as its JSON line, by id: the line is a fraction of the proxy's size
        self.lines: dict[str, str] = {}
        # a value's cleaned form and verdict, by (type, value): the same dates, countries
        # and URLs recur on thousands of entities (types whose cleaning reads the entity
        # itself are not cached)
        self._cleaned: dict[tuple[str, str], str | None] = {}
        self._valid: dict[tuple[str, str], bool] = {}

    def make(
        self,
        schema: str,
        table: str,
        record_id: str,
        properties: dict[str, Any],
        cited: Iterable[tuple[str, str]] = (),
    ) -> EntityProxy:
        """One entity for one record, with its provenance: the cited sources as `proof`
        (their entities) and `sourceUrl`, and where to read the record and its citations."""
        proxy = model.make_entity(schema)
        proxy.id = entity_id(record_id)
        sources = self.provenance.of_records([(table, record_id), *cited])
        pointer = (
            f"Record {record_id} of table {table} in ca-militancy {self.version}; "
            f"its sources and excerpts: ca-militancy cite {table} {record_id}"
        )
        # links and events have a recordId and no notes; things have notes
        has_record_id = proxy.schema.get("recordId") is not None
        text_prop = "description" if has_record_id else "notes"
        extra: dict[str, Any] = {
            "proof": [entity_id(s) for s in sources if s != record_id],
            "sourceUrl": [self.urls[s] for s in sources if self.urls.get(s)],
            "recordId": record_id if has_record_id else None,
            text_prop: [*_values(properties.get(text_prop)), pointer],
        }
        for name, values in {**properties, **extra}.items():
            for value in _values(values):
                self._add(proxy, table, record_id, name, value)
        self._validate(proxy, table, record_id)
        self.lines[proxy.id] = entity_line(proxy)
        return proxy

    def _add(self, proxy: EntityProxy, table: str, record_id: str, name: str, value: str) -> None:
        prop = proxy.schema.get(name)
        if prop is None:
            raise InvalidData(f"FtM schema {proxy.schema.name} has no property {name!r}")
        if prop.type.name in CLEANED_WITH_ENTITY:
            cleaned = prop.type.clean(value, proxy=proxy)
        else:
            key = (prop.type.name, value)
            if key not in self._cleaned:
                self._cleaned[key] = prop.type.clean(value)
            cleaned = self._cleaned[key]
        if cleaned is None:
            self.log.add(
                table, f"data/{table}.csv", None, record_id, value, CHECK,
                f"FollowTheMoney refuses this value as the {prop.type.name} of "
                f"{proxy.schema.name}.{name}",
            )  # fmt: skip
            return
        proxy.add(prop, cleaned, cleaned=True)

    def _validate(self, proxy: EntityProxy, table: str, record_id: str) -> None:
        """What ``Schema.validate`` checks (required properties present, no stub written,
        every value valid for its type), with each (type, value) verdict asked of FtM once."""
        missing = [p for p in proxy.schema.required if not proxy.has(p)]
        for prop in proxy.iterprops():
            if prop.stub:
                missing.append(f"{prop.name}: property cannot be written")
                continue
            for value in proxy.get(prop):
                key = (prop.type.name, value)
                if key not in self._valid:
                    self._valid[key] = bool(prop.type.validate(value))
                if not self._valid[key]:
                    missing.append(f"{prop.name}: invalid value {value!r}")
        for problem in missing:
            self.log.add(
                table, f"data/{table}.csv", None, record_id, None, CHECK,
                f"FollowTheMoney rejects the {proxy.schema.name} entity: {problem}",
            )  # fmt: skip


def _values(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list | tuple | set | frozenset):
        return [v for item in value for v in _values(item)]
    if isinstance(value, dt.date):
        return [value.isoformat()]
    text = str(value)
    return [text] if text else []


def _words(code: str | None) -> str | None:
    return code.replace("_", " ") if code else None


class _Rows:
    """Each table's rows as dictionaries, made when a table is first read and dropped with
    ``forget``: every table at once as Python objects would not fit at millions of rows."""

    def __init__(self, tables: dict[str, pa.Table]) -> None:
        self.tables = tables
        self.rows: dict[str, list[dict[str, Any]]] = {}

    def __getitem__(self, name: str) -> list[dict[str, Any]]:
        if name not in self.rows:
            self.rows[name] = self.tables[name].to_pylist()
        return self.rows[name]

    def forget(self, *names: str) -> None:
        for name in names:
            self.rows.pop(name, None)

    def stream(self, name: str, columns: list[str] | None = None) -> Iterator[dict[str, Any]]:
        """The rows of a large table block by block, never all at once as dictionaries."""
        table = self.tables[name]
        if columns is not None:
            table = table.select([c for c in columns if c in table.column_names])
        for batch in table.to_batches(max_chunksize=STREAM_BLOCK_ROWS):
            yield from batch.to_pylist()


def build_entities(
    catalog: Catalog, tables: dict[str, pa.Table], version: str, log: ProblemLog
) -> dict[str, str]:
    """Every record of the entity and tie tables as an FtM entity, by id: its JSON line."""
    rows = _Rows(tables)
    urls = {r["source_id"]: r["url"] for r in rows["sources"] if r.get("url")}
    provenance = Provenance(catalog, tables["citations"])
    writer = EntityWriter(version, provenance, urls, log)
    org_names = {r["organization_id"]: r["name"] for r in rows["organizations"]}
    person_names = {r["person_id"]: r["name"] for r in rows["people"]}

    names: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    alias_records: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for r in rows["aliases"]:
        owner = r["organization_id"] or r["person_id"]
        prop = "weakAlias" if r["ambiguous"] else ALIAS_PROPERTIES.get(r["kind"], "alias")
        names[owner][prop].append(r["alias"])
        alias_records[owner].append(("aliases", r["alias_id"]))

    for r in rows["organizations"]:
        oid = r["organization_id"]
        writer.make(
            "Organization", "organizations", oid,
            {
                "name": r["name"],
                "classification": _words(r["kind"]),
                "country": r["country_code"],
                "description": r["description"],
                "incorporationDate": PartialDates.of(r, "founded").date,
                **names.get(oid, {}),
            },
            alias_records.get(oid, []),
        )  # fmt: skip
    for r in rows["people"]:
        pid = r["person_id"]
        status = r["status"] if r["status"] != "unknown" else None
        writer.make(
            "Person", "people", pid,
            {"name": r["name"], "status": status, "description": r["description"],
             **names.get(pid, {})},
            alias_records.get(pid, []),
        )  # fmt: skip
    del names, alias_records
    rows.forget("aliases", "people")
    provenance.forget("aliases", "people", "organizations")

    for r in rows["memberships"]:
        writer.make(
            "Membership", "memberships", r["membership_id"],
            {
                "member": entity_id(r["person_id"]),
                "organization": entity_id(r["organization_id"]),
                "role": [_words(r["role"]), r["title"]],
                **_tie(r, org_names),
            },
        )  # fmt: skip
    for r in rows["org_relationships"]:
        schema, subject, obj = RELATIONSHIP_SCHEMATA.get(r["type"], UNKNOWN_LINK)
        role = {} if schema == "Succession" else {"role": _words(r["type"])}
        writer.make(
            schema, "org_relationships", r["relationship_id"],
            {
                subject: entity_id(r["subject_organization_id"]),
                obj: entity_id(r["object_organization_id"]),
                **role,
                **_tie(r, org_names),
            },
        )  # fmt: skip

    countries = {r["organization_id"]: r["country_code"] for r in rows["organizations"]}
    for r in rows["designations"]:
        by = r["designating_organization_id"]
        writer.make(
            "Sanction", "designations", r["designation_id"],
            {
                "entity": entity_id(r["designated_organization_id"]),
                "authority": org_names[by],
                "country": countries.get(by),
                "program": r["list_name"],
                "provisions": _words(r["type"]),
                "summary": r["note"],
                **PartialDates.of(r, "date").as_interval(),
            },
        )  # fmt: skip

    rows.forget("memberships", "org_relationships", "designations")
    provenance.forget("memberships", "org_relationships", "designations")
    _incidents(writer, rows)
    rows.forget("incidents", "incident_actors")
    provenance.forget("incidents", "incident_actors")
    _documents(writer, rows, org_names, person_names)
    return writer.lines


def _tie(row: dict[str, Any], org_names: dict[str, str]) -> dict[str, Any]:
    """What a membership and a tie between organizations share: the note, who is speaking,
    and the period in which the sources attest it."""
    return {
        "summary": row["note"],
        "description": _as_stated(row, org_names),
        **PartialDates.of(row, "date").as_interval(),
    }


def _as_stated(row: dict[str, Any], org_names: dict[str, str]) -> str:
    """What FtM has no property for, in words: who is speaking, and whether it is contested."""
    parts = [f"certainty: {_words(row['certainty'])}"]
    by = row.get("attributed_by_organization_id")
    if by:
        parts.append(f"attributed by {org_names[by]}")
    if row.get("contested"):
        parts.append("contested by a source")
    return "; ".join(parts)


def _incidents(writer: EntityWriter, rows: _Rows) -> None:
    involved: dict[str, set[str]] = defaultdict(set)
    organizers: dict[str, set[str]] = defaultdict(set)
    actor_records: dict[str, list[tuple[str, str]]] = defaultdict(list)
    actor_columns = [
        "incident_actor_id", "incident_id", "organization_id", "person_id", "role", "certainty",
    ]  # fmt: skip
    for r in rows.stream("incident_actors", actor_columns):
        actor = entity_id(r["organization_id"] or r["person_id"])
        involved[r["incident_id"]].add(actor)
        if r["role"] in ORGANIZER_ROLES and r["certainty"] in ORGANIZER_CERTAINTY:
            organizers[r["incident_id"]].add(actor)
        actor_records[r["incident_id"]].append(("incident_actors", r["incident_actor_id"]))
    for r in rows.stream("incidents"):
        iid = r["incident_id"]
        writer.make(
            "Event", "incidents", iid,
            {
                "name": r["title"],
                "summary": r["summary"],
                "keywords": _words(r["type"]),
                "country": r["country_code"],
                "location": [r["place"], r["province"]],
                "involved": sorted(involved.get(iid, ())),
                "organizer": sorted(organizers.get(iid, ())),
                **PartialDates.of(r, "date").as_event(),
            },
            actor_records.get(iid, []),
        )  # fmt: skip


def _documents(
    writer: EntityWriter,
    rows: _Rows,
    org_names: dict[str, str],
    person_names: dict[str, str],
) -> None:
    """Sources and publications as Articles, Videos or Audios (DOCUMENT_SCHEMATA)."""
    for table, key, prefix in DOCUMENT_TABLES:
        for r in rows[table]:
            about = r.get("about_incident_id")
            writer.make(
                DOCUMENT_SCHEMATA.get(r["kind"], "Article"), table, r[key],
                {
                    "name": r["title"] or r["label"],
                    "title": r["title"],
                    "alias": r["label"] if r["title"] else None,
                    "keywords": _words(r["kind"]),
                    "publisher": org_names.get(r["publisher_organization_id"] or ""),
                    "author": person_names.get(r["author_person_id"] or ""),
                    "publishedAt": PartialDates.of(r, prefix).date,
                    "language": r.get("language"),
                    "sourceUrl": r.get("url"),
                    "notes": f"About the incident {about} ({entity_id(about)})" if about else None,
                },
            )  # fmt: skip


def entity_line(proxy: EntityProxy) -> str:
    """One entity's JSON line, with sorted keys and sorted values."""
    data = proxy.to_dict()
    data["properties"] = {k: sorted(v) for k, v in sorted(data["properties"].items())}
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def file_name(version: str) -> str:
    return f"ca-militancy-{version}.ftm.json"


def write_ftm(
    catalog: Catalog, tables: dict[str, pa.Table], path: Path, version: str, log: ProblemLog
) -> int:
    """Write the edition to ``path``; returns the number of entities. Problems go to ``log``
    (nothing is written when there are any)."""
    lines = build_entities(catalog, tables, version, log)
    if not log:
        with path.open("w", encoding="utf-8", newline="\n") as out:
            for eid in sorted(lines):  # sorted by id, so the same tables give the same bytes
                out.write(lines[eid])
                out.write("\n")
    return len(lines)
