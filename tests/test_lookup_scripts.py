"""Lookup across scripts (issue 13): a spelling copied from any archived text, Cyrillic, Kazakh
or Arabic, finds its entity through `lookup`, the CLI and the SQLite edition's full-text
search. Every spelling below is taken from the archive and recorded as an alias of the entity
it names; the tests run on the built release data, as a user's install would."""

from __future__ import annotations

import csv
import json
import sqlite3
import subprocess
import sys

import pytest
from conftest import REPO

import ca_militancy
from ca_militancy.core.edition import NAME_SEARCH

# (spelling as an archived text writes it, the entity it names, the text it comes from)
ACROSS_SCRIPTS = [
    ("Солдаты Халифата", "org-jund-al-khilafah", "012: Russian"),
    ("Джунд әл-Халифат", "org-jund-al-khilafah", "018: Kazakh"),
    ("Халифат сарбаздары", "org-jund-al-khilafah", "018: Kazakh"),
    ("Кариев", "per-kariev", "016: Russian"),
    ("كارييف", "per-kariev", "017: Arabic"),
    ("Михаил Шах", "per-mikhail-shakh", "037: Russian"),
    ("صلاح الدين البخاري", "per-salahadin-al-uzbeki", "023: Arabic"),
    ("تاراز", "plc-taraz", "017: Arabic"),
    ("Атырау", "plc-atyrau", "009: Russian; 018: Kazakh"),
    ("طالبان", "org-taliban", "Arabic"),
]


def _alias_rows() -> list[dict[str, str]]:
    with (REPO / "data" / "aliases.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.parametrize(("spelling", "entity_id", "where"), ACROSS_SCRIPTS)
def test_the_spelling_is_a_recorded_alias_in_its_script(spelling, entity_id, where):
    """The test spellings are the data's own: recorded aliases, marked with their script."""
    rows = [r for r in _alias_rows() if r["alias"] == spelling]
    assert rows, f"{spelling!r} ({where}) is not an alias in data/aliases.csv"
    owners = {r["organization_id"] or r["person_id"] or r["place_id"] for r in rows}
    assert owners == {entity_id}
    expected = "Arab" if any("\u0600" <= ch <= "\u06ff" for ch in spelling) else "Cyrl"
    assert {r["script"] for r in rows} == {expected}


@pytest.mark.parametrize(("spelling", "entity_id", "where"), ACROSS_SCRIPTS)
def test_lookup_finds_the_entity_first(spelling, entity_id, where):
    found = ca_militancy.lookup(spelling)
    assert not found.empty, f"nothing found for {spelling!r} ({where})"
    assert found.iloc[0]["entity_id"] == entity_id
    assert found.iloc[0]["matched_alias"] == spelling


def test_an_inflected_russian_form_still_finds_the_attacker():
    """Russian inflects names ("Кариева", of Kariev): the fuzzy match ranks him first."""
    assert ca_militancy.lookup("Кариева").iloc[0]["entity_id"] == "per-kariev"


def test_the_cli_finds_an_arabic_spelling():
    out = subprocess.run(
        [sys.executable, "-m", "ca_militancy.reader.cli", "lookup", "كارييف", "--json"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert json.loads(out)[0]["entity_id"] == "per-kariev"


@pytest.mark.parametrize(("spelling", "entity_id", "where"), ACROSS_SCRIPTS)
def test_the_datasette_full_text_search_finds_it(spelling, entity_id, where):
    """The name index behind each entity page's search box holds every alias."""
    table = entity_id.split("-")[0]
    owner = {"org": "organizations", "per": "people", "plc": "places"}[table]
    key = {"organizations": "organization_id", "people": "person_id", "places": "place_id"}[owner]
    fts = NAME_SEARCH[owner]
    query = " ".join(f'"{word}"' for word in spelling.replace("“", " ").replace("”", " ").split())
    with sqlite3.connect(ca_militancy.sqlite_path()) as db:
        ids = {
            row[0]
            for row in db.execute(
                f"SELECT [{key}] FROM [{owner}] WHERE rowid IN "
                f"(SELECT rowid FROM [{fts}] WHERE [{fts}] MATCH ?)",
                (query,),
            )
        }
    assert entity_id in ids
