"""Loading without pandas: `engine="arrow"` gives the Arrow table typed from the Table Schema,
`engine="polars"` a polars DataFrame with the schema's enums, the same rows as pandas; polars is
an optional extra, and the README's DuckDB query over the Parquet copies runs as printed."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from test_loader_fixture import ROWS, make_dataset, write_fixture

import ca_militancy
from ca_militancy.core.catalog import catalog, constraint
from ca_militancy.reader import loader
from ca_militancy.reader.errors import MissingExtraError

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


@pytest.fixture(scope="module")
def ds(tmp_path_factory):
    return make_dataset(tmp_path_factory)


def test_arrow_engine_returns_the_table_cast_to_the_schema_s_arrow_types(ds):
    table = ds.load("incidents", engine="arrow")
    assert isinstance(table, pa.Table)
    assert table.schema.remove_metadata() == catalog()["incidents"].arrow_schema()
    assert table.num_rows == len(ROWS["incidents"])


def test_polars_engine_gives_the_same_rows_with_enums_of_the_schema(ds):
    frame = ds.load("incidents", engine="polars")
    assert isinstance(frame, pl.DataFrame)
    fields = catalog()["incidents"].fields
    for field in fields:
        enum = constraint(field, "enum")
        if enum:
            assert frame.schema[field["name"]] == pl.Enum(enum), field["name"]
    assert frame.schema["date_start"] == pl.Date
    assert frame.schema["killed_best"] == pl.Int64
    pandas = ds.load("incidents")
    assert frame["incident_id"].to_list() == pandas["incident_id"].tolist()
    assert frame["type"].cast(pl.String).to_list() == pandas["type"].astype(str).tolist()


def test_pandas_stays_the_default_and_load_all_takes_the_engine(ds):
    assert isinstance(ds.load("incidents"), pd.DataFrame)
    tables = ds.load_all(engine="arrow")
    assert set(tables) == set(catalog().names)
    assert all(isinstance(t, pa.Table) for t in tables.values())


def test_module_level_load_takes_the_engine(ds, monkeypatch):
    monkeypatch.setenv(loader.DATA_ENV, str(ds.root))
    assert isinstance(ca_militancy.load("people", engine="polars"), pl.DataFrame)
    assert isinstance(ca_militancy.load_all(engine="arrow")["people"], pa.Table)


def test_an_unknown_engine_is_refused_with_the_choices(ds):
    with pytest.raises(ValueError, match="pandas, arrow, polars"):
        ds.load("incidents", engine="spark")


def test_without_polars_the_error_names_the_extra(ds, monkeypatch):
    monkeypatch.setitem(sys.modules, "polars", None)  # import polars raises ImportError
    with pytest.raises(MissingExtraError, match=re.escape('pip install "ca-militancy[polars]"')):
        ds.load("incidents", engine="polars")
    assert issubclass(MissingExtraError, ImportError)


def _readme_block(marker: str) -> str:
    block = re.search(
        rf"<!-- {marker}:start -->\s*```python\n(.*?)```\s*<!-- {marker}:end -->",
        README.read_text(encoding="utf-8"),
        re.S,
    )
    assert block, f"README has no {marker} block"
    return block[1]


def test_readme_duckdb_query_runs_on_the_installed_parquet_copies(tmp_path):
    """The README's DuckDB example, run as printed on a data directory laid out like the
    installed package's (`CA_MILITANCY_DATA`), counts the incidents by type."""
    data = write_fixture(tmp_path / "data")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), *sys.path]),
        loader.DATA_ENV: str(data),
    }
    result = subprocess.run(
        [sys.executable, "-c", _readme_block("duckdb")],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env=env,
    )
    assert result.returncode == 0, f"the README DuckDB example fails:\n{result.stderr}"
    for kind in {r["type"] for r in ROWS["incidents"]}:
        assert re.search(rf"│\s*{kind}\s*│\s*1\s*│", result.stdout), result.stdout
