"""The build end to end on the fixture package: artifacts, checksums, reproducibility,
descriptor, manifest, wheel contents, and a clean tree after a rebuild."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import copy_repo

from ca_militancy import __about__
from ca_militancy.build import pipeline
from ca_militancy.build.provenance import ENV
from ca_militancy.core.catalog import catalog

VERSION = __about__.__version__
ZIP = f"ca-militancy-{VERSION}.zip"


def _build(root: Path, sources: Path | None, monkeypatch, *extra: str) -> int:
    if sources is None:
        monkeypatch.delenv(ENV, raising=False)
    else:
        monkeypatch.setenv(ENV, str(sources))
    return pipeline.main(["--root", str(root), *extra])


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    root, sources = copy_repo(tmp_path_factory.mktemp("b") / "repo")
    mp = pytest.MonkeyPatch()
    try:
        assert _build(root, sources, mp) == 0
    finally:
        mp.undo()
    return root


def _sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def test_dist_holds_every_artifact(built):
    dist = built / "dist"
    names = {p.relative_to(dist).as_posix() for p in dist.rglob("*") if p.is_file()}
    expected = {ZIP, "manifest.json", "SHA256SUMS", f"ca-militancy-{VERSION}.ftm.json"}
    expected |= {f"parquet/{t}.parquet" for t in catalog(built).names}
    assert expected <= names
    assert any(n.endswith(".whl") for n in names) and any(n.endswith(".tar.gz") for n in names)
    assert {f"ca-militancy-{VERSION}.sqlite", "metadata.json"} <= names


def test_sha256sum_c_passes(built):
    if shutil.which("sha256sum") is None:
        pytest.skip("sha256sum is not installed")
    out = subprocess.run(
        ["sha256sum", "-c", "SHA256SUMS"], cwd=built / "dist", capture_output=True, text=True
    )
    assert out.returncode == 0, out.stdout + out.stderr
    listed = {ln.split("  ", 1)[1] for ln in (built / "dist/SHA256SUMS").read_text().splitlines()}
    on_disk = {p.relative_to(built / "dist").as_posix() for p in (built / "dist").rglob("*")}
    assert listed == {p for p in on_disk if (built / "dist" / p).is_file()} - {"SHA256SUMS"}


def test_zip_is_sorted_with_fixed_times_and_modes(built):
    with zipfile.ZipFile(built / "dist" / ZIP) as zf:
        infos = zf.infolist()
        names = [i.filename for i in infos]
        assert names == sorted(names)
        assert len({i.date_time for i in infos}) == 1
        assert {i.external_attr >> 16 for i in infos} == {0o100644}
        for t in catalog(built).names:
            assert {f"data/{t}.csv", f"parquet/{t}.parquet", f"schemas/{t}.schema.json"} <= set(
                names
            )
        assert {"datapackage.json", "README.md", "CHANGELOG.md"} <= set(names)
        desc = json.loads(zf.read("datapackage.json"))
        fmts = {r["format"] for r in desc["resources"]}
        assert fmts == {"csv", "parquet"}
        for r in desc["resources"]:
            data = zf.read(r["path"])
            digest = r.get("hash") or r["x-hash"]
            assert digest == f"sha256:{hashlib.sha256(data).hexdigest()}", r["name"]
            assert r["encoding"] == "utf-8"


def test_root_descriptor_matches_the_files(built):
    desc = json.loads((built / "datapackage.json").read_text())
    assert desc["name"] == "ca-militancy" and desc["version"] == VERSION
    assert desc["licenses"][0]["name"] == "CC-BY-4.0"
    assert desc["sources"], "sources come from data/sources.csv"
    assert [r["name"] for r in desc["resources"]] == catalog(built).names
    for r in desc["resources"]:
        data = (built / r["path"]).read_bytes()
        assert r["bytes"] == len(data)
        assert r["hash"] == f"sha256:{hashlib.sha256(data).hexdigest()}"
        assert r["x-rows"] == len(data.rstrip(b"\n").split(b"\n")) - 1


def test_manifest_has_counts_key_hashes_and_file_hashes(built):
    m = json.loads((built / "dist" / "manifest.json").read_text())
    assert m["version"] == VERSION and m["zip"] == ZIP
    for name, t in m["tables"].items():
        assert t["rows"] == len(t["keys"]) and t["keys"] == sorted(t["keys"])
        blob = "".join(k + "\n" for k in t["keys"]).encode()
        assert t["keys_sha256"] == hashlib.sha256(blob).hexdigest(), name
    for rel, sha in m["files"].items():
        assert _sha(built / "dist" / rel) == sha


def test_parquet_types_and_pandas_nulls(built):
    t = pq.read_table(built / "dist" / "parquet" / "incidents.parquet")
    assert str(t.schema.field("date_start").type) == "date32[day]"
    assert str(t.schema.field("killed_low").type) == "int64"
    assert str(t.schema.field("suicide").type) == "bool"
    assert t.schema.field("type").type.value_type == "string"
    df = t.to_pandas()
    assert str(df["wounded_low"].dtype) == "Int64"  # nulls stay nulls, not NaN floats
    assert list(df.index) == list(range(len(df)))
    assert b"index_columns" in t.schema.metadata[b"pandas"]
    assert json.loads(t.schema.metadata[b"pandas"])["index_columns"] == []


def test_wheel_ships_package_data_and_registry(built):
    wheel = next((built / "dist").glob("*.whl"))
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        assert "ca_militancy/_data/datapackage.json" in names
        assert "ca_militancy/_data/registry.json" in names
        for t in catalog(built).names:
            assert f"ca_militancy/_data/parquet/{t}.parquet" in names
            assert f"ca_militancy/_data/schemas/{t}.schema.json" in names
        reg = json.loads(zf.read("ca_militancy/_data/registry.json"))
        assert reg[VERSION] == {
            "file": ZIP,
            "sha256": _sha(built / "dist" / ZIP),
            "size": (built / "dist" / ZIP).stat().st_size,
        }
        desc = json.loads(zf.read("ca_militancy/_data/datapackage.json"))
        assert {r["format"] for r in desc["resources"]} == {"parquet"}
    assert (built / "src" / "ca_militancy" / "_data" / "registry.json").is_file()


def test_zip_stores_parquet_members_and_deflates_the_rest(built):
    """Parquet is compressed column by column already: the zip stores it as it is (users may
    read a member without inflating it) and deflates the text members."""
    with zipfile.ZipFile(built / "dist" / ZIP) as zf:
        kinds = {i.filename: i.compress_type for i in zf.infolist()}
    parquet = {n: k for n, k in kinds.items() if n.endswith(".parquet")}
    others = {n: k for n, k in kinds.items() if not n.endswith(".parquet")}
    assert parquet and set(parquet.values()) == {zipfile.ZIP_STORED}
    assert set(others.values()) == {zipfile.ZIP_DEFLATED}


def test_sdist_leaves_out_the_sqlite_edition_the_wheel_carries(built):
    """What the README promises: the wheel carries the SQLite edition for `browse`; the sdist
    carries the data, schemas, code and Parquet copies, not the SQLite edition."""
    with zipfile.ZipFile(next((built / "dist").glob("*.whl"))) as zf:
        assert "ca_militancy/_data/ca-militancy.sqlite" in zf.namelist()
    with tarfile.open(next((built / "dist").glob("*.tar.gz"))) as tf:
        names = tf.getnames()
    assert not [n for n in names if n.endswith(".sqlite")]
    assert any(n.endswith("/data/incidents.csv") for n in names)
    assert any(n.endswith("/_data/parquet/incidents.parquet") for n in names)


def test_the_registry_records_each_zip_size(tmp_path):
    (tmp_path / "releases").mkdir()
    old = {"version": "0.1.0", "zip": "ca-militancy-0.1.0.zip"}
    old["files"] = {old["zip"]: "a" * 64}
    (tmp_path / "releases" / "0.1.0.json").write_text(json.dumps(old), encoding="utf-8")
    built = tmp_path / "ca-militancy-0.2.0.zip"
    built.write_bytes(b"0123456789")
    reg = pipeline.registry(tmp_path, built, "0.2.0")
    assert reg["0.2.0"] == {"file": built.name, "sha256": _sha(built), "size": 10}
    assert reg["0.1.0"] == {"file": old["zip"], "sha256": "a" * 64}, "no size known: none made up"


def test_rebuild_is_byte_identical_and_leaves_the_tree_unchanged(built, tmp_path, monkeypatch):
    root = tmp_path / "again"
    shutil.copytree(built, root)
    tracked = ["datapackage.json", "README.md", "docs/data-dictionary.md"]
    before = {p: _sha(root / p) for p in tracked if (root / p).is_file()}
    sources = built.parent / "repo-sources"
    assert _build(root, sources, monkeypatch) == 0
    assert (root / "dist/SHA256SUMS").read_bytes() == (built / "dist/SHA256SUMS").read_bytes()
    assert {p: _sha(root / p) for p in before} == before


def test_build_without_sources_says_the_check_was_skipped(built, tmp_path, monkeypatch, capsys):
    root = tmp_path / "nosrc"
    shutil.copytree(built, root)
    assert _build(root, None, monkeypatch, "--no-wheel", "--no-extras") == 0
    out = capsys.readouterr().out
    assert "SKIPPED" in out and ENV in out
    assert "sha256" in out and "total" in out


def test_build_script_runs_as_a_subprocess(built, tmp_path):
    root = tmp_path / "script"
    shutil.copytree(built, root)
    shutil.rmtree(root / "dist")
    env = {"PATH": "/usr/bin:/bin", "CA_MILITANCY_SOURCES": str(built.parent / "repo-sources")}
    proc = subprocess.run(
        [sys.executable, "scripts/build.py", "--no-wheel", "--no-extras"],
        cwd=root,
        capture_output=True,
        text=True,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    assert "build passed" in proc.stdout and (root / "dist" / ZIP).is_file()


@pytest.mark.slow
def test_unzipped_release_passes_frictionless_validate(built, tmp_path):
    pytest.importorskip("frictionless")
    with zipfile.ZipFile(built / "dist" / ZIP) as zf:
        zf.extractall(tmp_path)
    exe = Path(sys.executable).with_name("frictionless")
    proc = subprocess.run(
        [str(exe), "validate", "--json", "datapackage.json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    report = json.loads(proc.stdout)  # a broken descriptor also exits 1: read the report
    errors = [(t["name"], e["message"]) for t in report["tasks"] for e in t["errors"]]
    assert report["valid"], errors or report.get("errors")


def test_commands_side_by_side_return_the_first_failure_and_every_output():
    """The sdist and the wheel are built by two processes at once: a failure of either fails
    the build, and the message shows what both printed, in the order given."""
    ok = [sys.executable, "-c", "print('sdist made')"]
    bad = [sys.executable, "-c", "import sys; print('wheel failed'); sys.exit(3)"]
    env = dict(os.environ)
    assert pipeline.run_in_own_group(ok, bad, env=env) == (3, "sdist made\nwheel failed\n")
    assert pipeline.run_in_own_group(ok, ok, env=env) == (0, "sdist made\nsdist made\n")
