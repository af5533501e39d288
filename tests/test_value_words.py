"""The value checks read dates and counts in the languages of the archive (issue 13): month
names and number words in Russian, Kazakh and Arabic, Arabic-Indic digits, and a Russian date
line on an English page. Each example is worded as a text in the archive words it."""

from __future__ import annotations

import datetime as dt

import pytest

from ca_militancy.build.evidence import _has_number, date_in_words, excerpt_languages

DAY, MONTH = "day", "month"


@pytest.mark.parametrize(
    ("excerpt", "value", "precision", "language"),
    [
        ("Soldiers of Khalifat keep threatening Kazakhstan 10 ноября 2011, 16:17",
         dt.date(2011, 11, 10), DAY, "en"),  # 002/014: a Russian date line on an English page
        ("25 қарашада Атырау қалалық соты", dt.date(2011, 11, 25), DAY, "kk"),  # 018: Kazakh
        ("в ночь на 1 ноября", dt.date(2011, 11, 1), DAY, "ru"),  # 009: Russian genitive
        ("في 12 تشرين الثاني", dt.date(2011, 11, 12), DAY, "ar"),  # Levantine month name
        ("يوم 12 نوفمبر", dt.date(2011, 11, 12), DAY, "ar"),  # Egyptian month name
        ("on 31.10.2011 in Atyrau", dt.date(2011, 10, 31), DAY, "en"),
        ("in October 2011", dt.date(2011, 10, 1), MONTH, "en"),
    ],
)  # fmt: skip
def test_a_date_is_read_in_the_words_of_its_excerpt(excerpt, value, precision, language):
    assert date_in_words(excerpt.casefold(), value, precision, language)


def test_a_different_day_is_not_read_as_the_date():
    assert not date_in_words("10 ноября 2011", dt.date(2011, 11, 11), DAY, "ru")
    assert not date_in_words("2011-1", dt.date(2011, 10, 1), MONTH, "en")


@pytest.mark.parametrize(
    ("excerpt", "n", "language"),
    [
        ("مقتل ٧ أشخاص", 7, "ar"),  # 017: Arabic-Indic digits
        ("мақсатында жеті адам", 7, "kk"),
        ("погибли семь человек", 7, "ru"),
        ("seven people were killed", 7, "en"),
        ("at least 1,000 fighters", 1000, "en"),
    ],
)
def test_a_count_is_read_in_digits_or_number_words(excerpt, n, language):
    assert _has_number(excerpt, n, language)


def test_a_count_inside_a_longer_number_is_not_read():
    assert not _has_number("in 2017 the group", 7, "en")


def test_the_script_of_an_excerpt_adds_its_languages():
    assert excerpt_languages("10 ноября", "en") == ("en", "ru", "kk")
    assert excerpt_languages("مقتل", "en") == ("en", "ar")
