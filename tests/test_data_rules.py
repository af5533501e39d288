"""The repository's real data passes every check, one test per named check so a failure says
which check broke (issue 2, section 4). The tests against the archived texts need them
(CA_MILITANCY_SOURCES) and are skipped with that reason without them."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import REPO

from ca_militancy.build.checks import CHECKS, CHECKS_BY_NAME, check_repository
from ca_militancy.build.provenance import sources_dir_from_env
from ca_militancy.core.catalog import catalog

# every check that reads the curated tables (those against the archived texts are below)
RULES = [c.name for c in CHECKS if c.stage in ("read", "table", "package")]

pytestmark = pytest.mark.skipif(
    not (REPO / "data").is_dir() or not any((REPO / "data").glob("*.csv")),
    reason="data/ has no CSV yet",
)


@pytest.fixture(scope="module")
def result():
    return check_repository(REPO, None, limit=1000)


@pytest.mark.parametrize("rule", RULES)
def test_real_data_follows_rule(result, rule):
    found = [p for p in result.log.all() if p.check == rule]
    assert not found, f"{len(found)} problem(s):\n" + "\n".join(map(str, found[:30]))


def test_real_data_has_no_problem_of_any_kind(result):
    assert result.ok, result.log.report()


def test_every_table_has_a_csv(result):
    assert sorted(result.tables) == catalog(REPO).names


def test_excerpts_and_archived_texts():
    sources: Path | None = sources_dir_from_env()
    if sources is None:
        pytest.skip("CA_MILITANCY_SOURCES is not set: excerpts and archived-text hashes unchecked")
    res = check_repository(REPO, sources, limit=1000)
    found = [p for p in res.log.all() if CHECKS_BY_NAME[p.check].stage == "sources"]
    assert not found, "\n".join(map(str, found[:30]))


def test_summaries_and_descriptions_are_in_own_words():
    """Rule 12 on the real data: no summary, description, label or note copies the sources."""
    sources: Path | None = sources_dir_from_env()
    if sources is None:
        pytest.skip("CA_MILITANCY_SOURCES is not set: the archived texts are needed to compare")
    res = check_repository(REPO, sources, limit=1000)
    found = [p for p in res.log.all() if p.check == "own-words"]
    assert not found, "\n".join(map(str, found[:30]))
