"""Ids never disappear silently: every id in a published release's manifest
(releases/<version>.json, a copy of that release's dist/manifest.json with its full key
lists) is still in data/ or has a tombstone in releases/retired-ids.csv."""

from __future__ import annotations

import json

import pytest
from conftest import REPO

from ca_militancy.build import diff

MANIFESTS = sorted((REPO / "releases").glob("*.json"))


def test_retired_ids_file_has_the_documented_columns():
    path = REPO / "releases" / diff.RETIRED_IDS
    assert path.is_file(), "releases/retired-ids.csv must exist (header only is fine)"
    header = path.read_text(encoding="utf-8").splitlines()[0].split(",")
    assert header == diff.RETIRED_COLUMNS


@pytest.mark.skipif(not MANIFESTS, reason="no release published yet (releases/*.json is empty)")
@pytest.mark.parametrize("manifest", MANIFESTS, ids=lambda p: p.name)
def test_no_published_id_vanished_without_a_tombstone(manifest):
    m = json.loads(manifest.read_text(encoding="utf-8"))
    assert m.get("tables"), f"{manifest.name} has no key lists"
    gone = diff.vanished_ids(m, diff.Release(REPO), diff.read_retired(REPO / "releases"))
    assert not gone, (
        f"ids of release {m.get('version')} are missing from data/ without a row in "
        f"releases/retired-ids.csv: {gone[:20]}"
    )
