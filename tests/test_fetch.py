"""fetch(): download a release from a real HTTP server on 127.0.0.1, verify, cache, load; and
refuse (leaving the cache empty) on a wrong checksum, a zip-slip member, a missing file or no
server at all."""

from __future__ import annotations

import functools
import hashlib
import http.server
import importlib
import socket
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_loader_fixture import ROWS, write_fixture, zip_dir

from ca_militancy.reader.fetch import (
    BASE_URL_ENV,
    CACHE_ENV,
    ChecksumError,
    FetchError,
    UnsafeArchiveError,
    fetch,
    unsafe_members,
)

# `ca_militancy.fetch` is the function; the module is reached through importlib.
fetch_module = importlib.import_module("ca_militancy.reader.fetch")
VERSION = "0.9.0"
FILE = f"ca-militancy-{VERSION}.zip"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """(base URL, directory it serves), a real HTTP server on 127.0.0.1 in a thread."""
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", root
    finally:
        httpd.shutdown()
        httpd.server_close()


def _release(tmp_path: Path, www: Path, prefix: str = "") -> str:
    """Publish a fixture release zip under www/v<version>/; returns its sha256."""
    data = write_fixture(tmp_path / "release", version=VERSION)
    (www / f"v{VERSION}").mkdir(parents=True, exist_ok=True)
    path = zip_dir(data, www / f"v{VERSION}" / FILE, prefix=prefix)
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _registry(sha: str) -> dict:
    return {VERSION: {"file": FILE, "sha256": sha}}


def _cache_files(cache: Path) -> list[Path]:
    return sorted(cache.rglob("*")) if cache.exists() else []


@pytest.mark.parametrize("prefix", ["", f"ca-militancy-{VERSION}/"])
def test_fetch_downloads_verifies_caches_and_loads(tmp_path, server, monkeypatch, prefix):
    url, www = server
    sha = _release(tmp_path, www, prefix)
    cache = tmp_path / "cache"
    monkeypatch.setenv(CACHE_ENV, str(cache))
    monkeypatch.setenv(BASE_URL_ENV, url + "/v{version}")
    ds = fetch(VERSION, registry=_registry(sha))
    assert ds.version == VERSION
    assert cache in ds.root.parents, "the release is cached under CA_MILITANCY_CACHE"
    people = ds.load("people")
    assert set(people["person_id"]) == {r["person_id"] for r in ROWS["people"]}
    assert (cache / FILE).is_file() and hashlib.sha256(
        (cache / FILE).read_bytes()
    ).hexdigest() == sha
    # Second call: served from the cache, no network needed.
    (www / f"v{VERSION}" / FILE).unlink()
    again = fetch(VERSION, registry=_registry(sha))
    assert again.load("people").equals(people)


def test_missing_file_names_the_url_and_keeps_nothing(tmp_path, server):
    url, _ = server
    cache = tmp_path / "cache"
    with pytest.raises(FetchError, match=rf"{url}/v{VERSION}/{FILE}.*404"):
        fetch(VERSION, registry=_registry("0" * 64), base=url + "/v{version}", cache=cache)
    assert _cache_files(cache) == []


def test_offline_names_the_url(tmp_path):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    base = f"http://127.0.0.1:{port}/releases"
    cache = tmp_path / "cache"
    with pytest.raises(FetchError, match=rf"could not download {base}/{FILE}.*{BASE_URL_ENV}"):
        fetch(VERSION, registry=_registry("0" * 64), base=base, cache=cache, timeout=5)
    assert _cache_files(cache) == []


def test_checksum_mismatch_is_refused_and_nothing_is_cached(tmp_path, server):
    url, www = server
    sha = _release(tmp_path, www)
    wrong = hashlib.sha256(sha.encode()).hexdigest()
    cache = tmp_path / "cache"
    with pytest.raises(ChecksumError, match=f"expected sha256 {wrong}, got {sha}"):
        fetch(VERSION, registry=_registry(wrong), base=url + "/v{version}", cache=cache)
    assert _cache_files(cache) == []


def test_tampered_cached_zip_is_downloaded_again(tmp_path, server):
    url, www = server
    sha = _release(tmp_path, www)
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / FILE).write_bytes(b"tampered")
    ds = fetch(VERSION, registry=_registry(sha), base=url + "/v{version}", cache=cache)
    assert len(ds.load("organizations")) == len(ROWS["organizations"])
    assert hashlib.sha256((cache / FILE).read_bytes()).hexdigest() == sha


@pytest.mark.parametrize(
    "evil", ["../evil.txt", "/tmp/evil.txt", "data/../../evil.txt", "C:/evil.txt"]
)
def test_zip_slip_is_refused_and_nothing_is_cached(tmp_path, server, evil):
    url, www = server
    (www / f"v{VERSION}").mkdir()
    path = www / f"v{VERSION}" / FILE
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("datapackage.json", "{}")
        zf.writestr(evil, "gotcha")
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    cache = tmp_path / "sub" / "cache"
    with pytest.raises(UnsafeArchiveError, match=r"absolute paths or '\.\.'"):
        fetch(VERSION, registry=_registry(sha), base=url + "/v{version}", cache=cache)
    assert _cache_files(cache) == []
    assert not (tmp_path / "sub" / "evil.txt").exists() and not (tmp_path / "evil.txt").exists()


def test_unsafe_members_accepts_ordinary_names(tmp_path):
    path = tmp_path / "ok.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("datapackage.json", "{}")
        zf.writestr("parquet/people.parquet", "x")
        zf.writestr("a..b/c..d.txt", "dots inside names are fine")
    with zipfile.ZipFile(path) as zf:
        assert unsafe_members(zf) == []


def test_unknown_version_lists_the_known_ones(tmp_path):
    with pytest.raises(FetchError, match=r"unknown release '7.7.7'.*0\.9\.0"):
        fetch("7.7.7", registry=_registry("0" * 64), cache=tmp_path)


def test_registry_file_names_must_be_plain(tmp_path):
    reg = {VERSION: {"file": "../x.zip", "sha256": "0" * 64}}
    with pytest.raises(FetchError, match="unsafe file"):
        fetch(VERSION, registry=reg, cache=tmp_path)


def test_cache_and_base_url_defaults(monkeypatch, tmp_path):
    monkeypatch.delenv(CACHE_ENV, raising=False)
    monkeypatch.delenv(BASE_URL_ENV, raising=False)
    assert "ca-militancy" in str(fetch_module.cache_dir())
    assert (
        fetch_module.url_for("1.2.3", "f.zip")
        == fetch_module.DEFAULT_BASE_URL.replace("{version}", "1.2.3") + "/f.zip"
    )
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    monkeypatch.setenv(BASE_URL_ENV, "http://mirror.example/data/")
    assert fetch_module.cache_dir() == tmp_path
    assert fetch_module.url_for("1.2.3", "f.zip") == "http://mirror.example/data/f.zip"
