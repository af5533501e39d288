"""lookup(): any spelling of a name finds its entity, ranked, with the alias that matched."""

from __future__ import annotations

import pytest
from test_loader_fixture import make_dataset

from ca_militancy.reader.lookup import RESULT_COLUMNS, normalize, skeleton

JAK, KUSAYNOV = "org-jund-al-khilafah", "per-rawil-kusaynov"


@pytest.fixture(scope="module")
def ds(tmp_path_factory):
    return make_dataset(tmp_path_factory)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Jund al-Khilafah", "JUND AL KHILAFAH"),  # case, hyphen
        ("Jund al-Khilafah", "Jund Khilafah"),  # the article
        ("Nasr ad-Din", "Nasr Din"),  # an assimilated article
        ("Ṭāhir Yo‘ldosh", "Tahir Yoldosh"),  # diacritics, a typographic apostrophe
        ("Mu'min", "Mumin"),  # apostrophe
        ("Джунд аль-Халифат", "Dzhund Khalifat"),  # Cyrillic through anyascii
    ],
)
def test_normalize_folds_spelling_differences(a, b):
    assert normalize(a) == normalize(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Khilafah", "Khalifat"),
        ("Khilafah", "Khalifa"),
        ("Kusaynov", "Kusaynuv"),
        ("Djund", "Jund"),
        ("Dzhund", "Jund"),
        ("Qaeda", "Kaida"),
    ],
)
def test_skeleton_folds_transliteration_variants(a, b):
    assert skeleton(normalize(a)) == skeleton(normalize(b))


def test_skeleton_keeps_different_names_apart():
    assert skeleton(normalize("Jund al-Khilafah")) != skeleton(normalize("Islamic Jihad Union"))


@pytest.mark.parametrize(
    ("query", "entity_id"),
    [
        ("Djund Al-Khalifat", JAK),  # an alias, verbatim
        ("djund al khalifat", JAK),  # the alias, case and hyphen changed
        ("Jund al Khalifat", JAK),  # a spelling in no row: name and alias mixed
        ("JUND AL-KHILAFA", JAK),  # the name without its final h
        ("Kusaynuv", KUSAYNOV),
        ("Rawil Kusaynov", KUSAYNOV),
        ("rawil kusaynuv", KUSAYNOV),
        ("JaK", JAK),  # an acronym
    ],
)
def test_lookup_finds_the_entity_first(ds, query, entity_id):
    df = ds.lookup(query)
    assert list(df.columns) == RESULT_COLUMNS
    assert df.iloc[0]["entity_id"] == entity_id


def test_lookup_reports_the_matched_alias_and_canonical_name(ds):
    top = ds.lookup("Djund Al-Khalifat").iloc[0]
    assert top["entity_type"] == "organization"
    assert top["name"] == "Jund al-Khilafah"
    assert top["matched_alias"] == "Djund Al-Khalifat"
    assert top["alias_kind"] == "transliteration"
    assert top["score"] == 100


def test_exact_spelling_outranks_a_variant(ds):
    exact = ds.lookup("Rawil Kusaynov").iloc[0]
    variant = ds.lookup("Rawil Kusaynev").iloc[0]
    assert exact["score"] == 100 and variant["entity_id"] == KUSAYNOV
    assert variant["score"] < exact["score"]


def test_one_row_per_entity_ranked(ds):
    df = ds.lookup("Jund al-Khalifat", min_score=0, limit=None)
    assert not df.duplicated(["entity_type", "entity_id"]).any()
    assert list(df["score"]) == sorted(df["score"], reverse=True)


def test_entity_type_filter_and_limit(ds):
    assert set(ds.lookup("Kusaynov", entity_type="organization", min_score=0)["entity_type"]) == {
        "organization"
    }
    assert len(ds.lookup("a", min_score=0, limit=2)) == 2
    with pytest.raises(ValueError, match="entity_type"):
        ds.lookup("x", entity_type="group")


def test_no_match_is_empty_and_empty_query_is_an_error(ds):
    assert ds.lookup("Zzyzx Qqq").empty
    with pytest.raises(ValueError, match="nothing to look up"):
        ds.lookup(" - ")
