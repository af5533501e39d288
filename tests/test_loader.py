"""The loader's promises: typed DataFrames from the Table Schemas, a data dictionary, clear
errors, an injectable data directory, and a light `import ca_militancy`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from test_loader_fixture import ROWS, make_dataset

import ca_militancy
from ca_militancy.__about__ import __version__
from ca_militancy.core.catalog import catalog, constraint
from ca_militancy.reader import loader

SRC = Path(__file__).resolve().parents[1] / "src"


@pytest.fixture(scope="module")
def ds(tmp_path_factory):
    return make_dataset(tmp_path_factory)


def test_version_is_the_dataset_version():
    assert ca_militancy.__version__ == __version__


def test_tables_lists_every_schema_with_row_counts_and_descriptions(ds):
    df = ds.tables()
    assert list(df["table"]) == catalog().names
    counts = dict(zip(df["table"], df["rows"], strict=True))
    for name in catalog().names:
        assert counts[name] == len(ROWS.get(name, []))
        assert (
            df.set_index("table").loc[name, "description"]
            == catalog()[name].descriptor["description"]
        )


@pytest.mark.parametrize("name", catalog().names)
def test_load_types_every_column_from_the_schema(ds, name):
    df = ds.load(name)
    assert list(df.columns) == catalog()[name].field_names
    for field in catalog()[name].fields:
        col, enum = df[field["name"]], constraint(field, "enum")
        if enum:
            assert isinstance(col.dtype, pd.CategoricalDtype)
            assert list(col.cat.categories) == enum, "categories are the schema's full enum list"
        elif field["type"] == "date":
            assert pd.api.types.is_datetime64_any_dtype(col)
        elif field["type"] == "integer":
            assert col.dtype == pd.Int64Dtype()
        elif field["type"] == "boolean":
            assert col.dtype == pd.BooleanDtype()


def test_load_values_and_missing_values(ds):
    inc = ds.load("incidents").set_index("incident_id")
    row = inc.loc["inc-2011-10-31-atyrau"]
    assert row["date_start"] == pd.Timestamp("2011-10-31")
    assert row["killed_low"] == 1 and row["killed_high"] is pd.NA
    assert bool(row["suicide"]) is True
    assert inc.loc["inc-2011-11-threat", "suicide"] is pd.NA
    assert row["type"] == "bombing"


def test_load_returns_a_fresh_copy(ds):
    df = ds.load("organizations")
    df.loc[0, "name"] = "changed"
    assert "changed" not in set(ds.load("organizations")["name"])


def test_load_all_gives_every_table(ds):
    assert sorted(ds.load_all()) == catalog().names


def test_unknown_table_names_the_known_tables(ds):
    with pytest.raises(loader.UnknownTableError) as err:
        ds.load("organisations")
    msg = str(err.value)
    assert "organisations" in msg and "organizations" in msg and "people" in msg
    assert isinstance(err.value, KeyError)


def test_unknown_id_names_the_closest_ids(ds):
    with pytest.raises(loader.UnknownIdError, match="org-jund-al-khilafah"):
        ds.record("organizations", "org-jund")


def test_schema_is_a_data_dictionary(ds):
    df = ds.schema("aliases")
    assert list(df["field"]) == catalog()["aliases"].field_names
    by = df.set_index("field")
    pk = catalog()["aliases"].primary_key[0]
    assert by.loc[pk, "primary_key"] and by.loc[pk, "required"]
    for col, ref, ref_col in catalog()["aliases"].foreign_keys:
        assert by.loc[col, "foreign_key"] == f"{ref}.{ref_col}"
    for field in catalog()["aliases"].fields:
        assert by.loc[field["name"], "description"] == field.get("description", "")
        if constraint(field, "enum"):
            assert by.loc[field["name"], "enum"] == constraint(field, "enum")
            assert by.loc[field["name"], "dtype"] == "category"
    assert df.attrs["description"] == catalog()["aliases"].descriptor["description"]


def test_data_directory_is_injectable_by_environment(ds, monkeypatch):
    monkeypatch.setenv(loader.DATA_ENV, str(ds.root))
    assert loader.default_root() == ds.root.resolve()
    assert set(ca_militancy.load("people")["person_id"]) == {r["person_id"] for r in ROWS["people"]}
    assert ca_militancy.lookup("Kusaynuv").iloc[0]["entity_id"] == "per-rawil-kusaynov"


def test_missing_data_directory_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv(loader.DATA_ENV, str(tmp_path / "nope"))
    with pytest.raises(loader.DataNotFoundError, match=loader.DATA_ENV):
        ca_militancy.tables()


def test_missing_table_file_is_a_clear_error(tmp_path):
    from test_loader_fixture import write_fixture

    root = write_fixture(tmp_path / "d")
    (root / "parquet" / "people.parquet").unlink()
    (root / "datapackage.json").unlink()
    with pytest.raises(loader.DataNotFoundError, match="people"):
        loader.Dataset(root).load("people")


def test_value_outside_enum_is_refused(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq
    from test_loader_fixture import write_fixture

    root = write_fixture(tmp_path / "d")
    path = root / "parquet" / "people.parquet"
    table = pq.read_table(path)
    idx = table.schema.get_field_index("status")
    bad = pa.array(["zombie"] * table.num_rows).dictionary_encode()
    pq.write_table(table.set_column(idx, "status", bad), path)
    with pytest.raises(ValueError, match="zombie"):
        loader.Dataset(root).load("people")


def test_import_is_light():
    """`import ca_militancy` must not pull in pandas, pyarrow or frictionless."""
    code = (
        "import sys, ca_militancy; "
        "print(ca_militancy.__version__); "
        "print(sorted(m for m in ('pandas', 'pyarrow', 'polars', 'frictionless', 'rapidfuzz') "
        "if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(SRC)},
    ).stdout.splitlines()
    assert out == [__version__, "[]"]


def test_api_functions_survive_importing_their_modules():
    """`ca_militancy.lookup`/`cite`/`fetch` stay functions after the reader's modules of the
    same names are imported."""
    import ca_militancy.reader.cite
    import ca_militancy.reader.fetch
    import ca_militancy.reader.lookup

    for name in ("lookup", "cite", "fetch"):
        assert callable(getattr(ca_militancy, name)), name
    from ca_militancy.reader.lookup import normalize

    assert normalize("Al-Qaeda") == "qaeda"
