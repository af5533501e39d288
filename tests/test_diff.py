"""scripts/diff.py: records added, removed and changed by primary key, from zips or
directories, as text and JSON; the suggested version bump."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import zipfile
from pathlib import Path

from conftest import FIXTURE_ROWS, REPO, csv_text, write_fixture_package

from ca_militancy.build import diff


def _release(root: Path, rows: dict[str, list[dict[str, str]]]) -> Path:
    root.mkdir(parents=True)
    write_fixture_package(root)
    for name, table_rows in rows.items():
        (root / "data" / f"{name}.csv").write_bytes(csv_text(name, table_rows).encode())
    return root


def _zip(directory: Path, out: Path) -> Path:
    with zipfile.ZipFile(out, "w") as zf:
        for p in sorted(directory.rglob("*")):
            if p.is_file():
                zf.write(p, p.relative_to(directory).as_posix())
    return out


def test_added_removed_changed_by_primary_key(tmp_path):
    old = _release(tmp_path / "old", {})
    people = copy.deepcopy(FIXTURE_ROWS["people"])
    people[0]["status"] = "detained"
    people.append({"person_id": "per-new", "name": "New", "status": "NA", "description": "x"})
    orgs = copy.deepcopy(FIXTURE_ROWS["organizations"])[1:]
    new = _release(tmp_path / "new", {"people": people, "organizations": orgs})
    diffs = diff.diff_releases(_zip(old, tmp_path / "old.zip"), new)
    assert diffs["people"].added == ["per-new"]
    assert diffs["people"].changed == {"per-ahmad": {"status": ["alive", "detained"]}}
    assert diffs["organizations"].removed == ["org-gov-af"]
    assert diffs["incidents"].empty
    assert diff.suggested_bump(diffs) == "minor"
    text = diff.to_text(diffs)
    assert "people: 1 added, 0 removed, 1 changed" in text
    assert "~ per-ahmad: status" in text


def test_script_prints_json(tmp_path):
    old = _release(tmp_path / "old", {})
    new = _release(tmp_path / "new", {"people": []})
    proc = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "diff.py"), str(old), str(new), "--json"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["people"]["removed"] == ["per-ahmad"]
    assert out["people"]["added"] == [] and out["people"]["changed"] == []


def test_vanished_ids_need_a_tombstone(tmp_path):
    current = _release(tmp_path / "cur", {"people": []})
    manifest = {"tables": {"people": {"primary_key": ["person_id"], "keys": ["per-ahmad"]}}}
    release = diff.Release(current)
    assert diff.vanished_ids(manifest, release, set()) == [("people", "per-ahmad")]
    assert diff.vanished_ids(manifest, release, {("people", "per-ahmad")}) == []
