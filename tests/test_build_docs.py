"""Generated files are committed fresh: the data dictionary, the README coverage block, the
root datapackage.json and the figures equal what the build would write from the current tree (run
`python scripts/build.py` and commit when one of these fails)."""

from __future__ import annotations

import json
import shutil

import pytest
from conftest import REPO

from ca_militancy import __about__
from ca_militancy.build import checks, descriptor, docs_gen, figures
from ca_militancy.core.catalog import catalog

HINT = "stale: run `python scripts/build.py` and commit the regenerated file"


def test_data_dictionary_is_fresh():
    path = REPO / "docs" / "data-dictionary.md"
    assert path.is_file(), f"docs/data-dictionary.md is missing; {HINT}"
    assert path.read_text(encoding="utf-8") == docs_gen.data_dictionary(catalog(REPO)), HINT


@pytest.fixture(scope="module")
def tables():
    result = checks.check_repository(REPO)
    if not result.ok:
        pytest.skip("the data has problems (see test_data_rules); nothing to compare")
    return result.tables


def test_readme_coverage_block_is_fresh(tables):
    readme = REPO / "README.md"
    if not readme.is_file():
        pytest.skip("README.md does not exist yet")
    text = readme.read_text(encoding="utf-8")
    if docs_gen.COVERAGE_START not in text:
        pytest.skip("README.md has no coverage markers")
    assert docs_gen.update_readme(text, tables) == text, HINT


def test_root_datapackage_is_fresh(tables):
    path = REPO / "datapackage.json"
    assert path.is_file(), f"datapackage.json is missing; {HINT}"
    committed = json.loads(path.read_text(encoding="utf-8"))
    expected = descriptor.build_descriptor(catalog(REPO), REPO, tables, existing=committed)
    assert committed["version"] == __about__.__version__
    assert committed == expected, HINT


def test_figures_are_fresh(tables, tmp_path):
    """docs/figures holds exactly the figures the data gives, byte for byte: the same two until
    the places data lands, then the map as well."""
    folder = REPO / "docs" / "figures"
    written = figures.render_all(tables, tmp_path)
    assert sorted(p.name for p in written) == sorted(p.name for p in folder.glob("*.svg")), HINT
    for path in written:
        assert path.read_bytes() == (folder / path.name).read_bytes(), f"{path.name}: {HINT}"


def test_figures_record_the_inputs_they_were_drawn_from(tmp_path):
    """A build keeps the figures only while the key stored beside them matches the tree: any
    change of a data file makes them stale, so the next build draws them again."""
    assert figures.figures_current(REPO, REPO / "docs" / "figures"), HINT
    root = tmp_path / "repo"
    shutil.copytree(REPO / "data", root / "data")
    shutil.copytree(REPO / "schemas", root / "schemas")
    shutil.copytree(REPO / "docs" / "figures", root / "figures")
    assert figures.figures_current(root, root / "figures")
    incidents = root / "data" / "incidents.csv"
    incidents.write_bytes(incidents.read_bytes().replace(b"Taraz", b"Tara", 1))
    assert not figures.figures_current(root, root / "figures")


def test_coverage_block_lists_every_table_and_source(tables):
    block = docs_gen.coverage(tables)
    for name, t in tables.items():
        assert f"| `{name}` | {t.num_rows} |" in block
    for sid in tables["sources"]["source_id"].to_pylist():
        assert f"`{sid}`" in block


def test_readme_without_markers_is_left_alone(tables):
    text = "# Title\n\nno markers here\n"
    assert docs_gen.update_readme(text, tables) == text
