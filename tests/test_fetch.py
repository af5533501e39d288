"""fetch(): download a release from a real HTTP server on 127.0.0.1, verify, cache, load; and
refuse (leaving the cache empty) on a wrong checksum, a zip-slip member, a missing file or no
server at all; give up on a mirror that trickles or never ends and on a zip bomb; refuse a
cached copy changed after it was extracted (until `force=True`); and report every failure,
from a garbage status line to a full disk, as a FetchError that names its cause."""

from __future__ import annotations

import contextlib
import errno
import functools
import hashlib
import http.server
import importlib
import io
import json
import os
import socket
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
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


# ---- limits: an overall deadline, the registry's size, an extraction cap -------------------


def _read_request(conn: socket.socket) -> None:
    """Read one request's head (bounded), so that the reply goes to a waiting client."""
    data = b""
    while b"\r\n\r\n" not in data and len(data) < 65536:
        chunk = conn.recv(4096)
        if not chunk:
            return
        data += chunk


@contextlib.contextmanager
def raw_server(reply: Callable[[socket.socket, threading.Event], None]) -> Iterator[str]:
    """A misbehaving HTTP server on 127.0.0.1: `reply(conn, stop)` writes raw bytes to each
    connection (bounded loops that end when `stop` is set). Yields its base URL."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.05)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(5)
                try:
                    _read_request(conn)
                    reply(conn, stop)
                except OSError:
                    pass  # the client gave up: what these servers are for

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(timeout=10)
        listener.close()


def _slow(conn: socket.socket, stop: threading.Event) -> None:
    """A mirror that trickles one byte a second: every read returns before any timeout."""
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n")
    for _ in range(100):
        if stop.wait(1.0):
            return
        conn.sendall(b"x")


def _slow_headers(conn: socket.socket, stop: threading.Event) -> None:
    """A mirror that trickles its headers: http.client waits for each header line in full."""
    conn.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
    for _ in range(30):
        if stop.wait(1.0):
            return
        conn.sendall(b"x")


def _endless(conn: socket.socket, stop: threading.Event) -> None:
    """A mirror whose body never ends (bounded here at 64 MiB)."""
    conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: application/zip\r\n\r\n")
    block = b"\0" * 65536
    for _ in range(1024):
        if stop.is_set():
            return
        conn.sendall(block)


def _short(conn: socket.socket, stop: threading.Event) -> None:
    """A mirror that promises 1000 bytes and closes the connection after 10."""
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nConnection: close\r\n\r\n")
    conn.sendall(b"0123456789")


def _garbage(conn: socket.socket, stop: threading.Event) -> None:
    """Something that is not an HTTP server answering on the port."""
    conn.sendall(b"SSH-2.0-OpenSSH_9.6\r\n\r\n")


def _sized_registry(size: int | None = 100) -> dict:
    entry: dict = {"file": FILE, "sha256": "0" * 64}
    if size is not None:
        entry["size"] = size
    return {VERSION: entry}


def test_a_mirror_trickling_bytes_is_given_up_at_the_deadline(tmp_path):
    cache = tmp_path / "cache"
    with raw_server(_slow) as url, pytest.raises(FetchError, match=r"within 1 s") as err:
        fetch(VERSION, registry=_sized_registry(100), base=url, cache=cache, deadline=1, timeout=5)
    assert str(url) in str(err.value)
    assert _cache_files(cache) == [], "the partial download is deleted"


def test_a_mirror_trickling_its_headers_is_given_up_at_the_deadline(tmp_path):
    cache = tmp_path / "cache"
    with raw_server(_slow_headers) as url, pytest.raises(FetchError, match=r"within 1 s"):
        fetch(VERSION, registry=_sized_registry(100), base=url, cache=cache, deadline=1, timeout=5)
    assert _cache_files(cache) == []


def test_the_default_deadline_grows_with_the_registry_size():
    small, large = fetch_module.default_deadline(10**5), fetch_module.default_deadline(10**9)
    assert 0 < small < large


@pytest.mark.parametrize("size", [1000, None], ids=["registry-size", "no-size-in-registry"])
def test_an_endless_body_is_cut_off_at_the_size_limit(tmp_path, monkeypatch, size):
    monkeypatch.setattr(fetch_module, "MAX_UNSIZED_DOWNLOAD", 5000)
    limit = size or 5000
    cache = tmp_path / "cache"
    with raw_server(_endless) as url, pytest.raises(FetchError, match=rf"more than {limit} bytes"):
        fetch(VERSION, registry=_sized_registry(size), base=url, cache=cache, timeout=5)
    assert _cache_files(cache) == []


def test_a_content_length_beyond_the_registry_size_is_refused_before_reading(tmp_path, server):
    url, www = server
    sha = _release(tmp_path, www)
    size = (www / f"v{VERSION}" / FILE).stat().st_size
    reg = {VERSION: {"file": FILE, "sha256": sha, "size": size - 1}}
    cache = tmp_path / "cache"
    with pytest.raises(FetchError, match=rf"{size} bytes.*registry lists {size - 1}"):
        fetch(VERSION, registry=reg, base=url + "/v{version}", cache=cache)
    assert _cache_files(cache) == []


def test_a_zip_bomb_is_refused_before_extraction(tmp_path, server):
    url, www = server
    (www / f"v{VERSION}").mkdir()
    path = www / f"v{VERSION}" / FILE
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("datapackage.json", "{}")
        zf.writestr("parquet/people.parquet", b"\0" * (64 << 20))  # 64 MiB from ~64 KiB
    zip_size = path.stat().st_size
    assert zip_size < (1 << 20)
    reg = {VERSION: {"file": FILE, "sha256": _sha(path), "size": zip_size}}
    cache = tmp_path / "cache"
    with pytest.raises(UnsafeArchiveError, match=r"would expand to 67108866 bytes"):
        fetch(VERSION, registry=reg, base=url + "/v{version}", cache=cache)
    assert _cache_files(cache) == []


def test_a_member_larger_than_it_declares_is_refused(tmp_path, server):
    url, www = server
    (www / f"v{VERSION}").mkdir()
    path = www / f"v{VERSION}" / FILE
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("datapackage.json", "{}")
        zf.writestr("parquet/people.parquet", b"\0" * 100_000)
    # Both headers of the member now claim 10 bytes for what inflates to 100 000.
    raw = path.read_bytes()
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = raw.rindex(signature) + offset
        raw = raw[:at] + (10).to_bytes(4, "little") + raw[at + 4 :]
    path.write_bytes(raw)
    cache = tmp_path / "cache"
    with pytest.raises(FetchError, match=r"people\.parquet"):
        fetch(VERSION, registry=_registry(_sha(path)), base=url + "/v{version}", cache=cache)
    assert _cache_files(cache) == []


# ---- a verified cache ----------------------------------------------------------------------


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _fetched(tmp_path: Path, server: tuple[str, Path]) -> tuple[dict, Path, Path]:
    """Publish and fetch the fixture release once: (registry, cache, extracted data root)."""
    url, www = server
    reg = _registry(_release(tmp_path, www))
    cache = tmp_path / "cache"
    ds = fetch(VERSION, registry=reg, base=url + "/v{version}", cache=cache)
    return reg, cache, ds.root


@pytest.mark.parametrize("change", ["edit", "delete", "add"])
def test_a_changed_cached_file_is_refused_and_force_repairs_it(tmp_path, server, change):
    url, _ = server
    reg, cache, root = _fetched(tmp_path, server)
    people = root / "parquet" / "people.parquet"
    original = people.read_bytes()
    if change == "edit":
        people.write_bytes(original.replace(b"Rawil", b"Rawul"))
    elif change == "delete":
        people.unlink()
    else:
        (root / "parquet" / "extra.parquet").write_bytes(original)
    changed = "extra.parquet" if change == "add" else "people.parquet"
    kwargs = {"registry": reg, "base": url + "/v{version}", "cache": cache}
    with pytest.raises(ChecksumError, match=rf"{changed}.*force=True.*--refetch") as err:
        fetch(VERSION, **kwargs)
    assert f"fetch({VERSION!r}, force=True)" in str(err.value)
    repaired = fetch(VERSION, force=True, **kwargs)
    assert people.read_bytes() == original
    assert not (root / "parquet" / "extra.parquet").exists()
    assert set(repaired.load("people")["name"]) == {r["name"] for r in ROWS["people"]}
    assert fetch(VERSION, **kwargs).root == repaired.root


def test_a_corrupted_cached_descriptor_is_a_checksum_error(tmp_path, server):
    url, _ = server
    reg, cache, root = _fetched(tmp_path, server)
    (root / "datapackage.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ChecksumError, match=r"datapackage\.json"):
        fetch(VERSION, registry=reg, base=url + "/v{version}", cache=cache).load("people")


def test_a_release_with_an_invalid_descriptor_is_refused_and_nothing_kept(tmp_path, server):
    url, www = server
    data = write_fixture(tmp_path / "release", version=VERSION)
    (data / "datapackage.json").write_text("{not json", encoding="utf-8")
    (www / f"v{VERSION}").mkdir()
    path = zip_dir(data, www / f"v{VERSION}" / FILE)
    cache = tmp_path / "cache"
    with pytest.raises(FetchError, match=r"datapackage\.json is not valid JSON"):
        fetch(VERSION, registry=_registry(_sha(path)), base=url + "/v{version}", cache=cache)
    assert _cache_files(cache) == []


def test_force_rebuilds_from_the_cached_zip_without_network(tmp_path, server):
    url, www = server
    reg, cache, root = _fetched(tmp_path, server)
    (www / f"v{VERSION}" / FILE).unlink()
    (root / "parquet" / "people.parquet").write_bytes(b"garbage")
    ds = fetch(VERSION, registry=reg, base=url + "/v{version}", cache=cache, force=True)
    assert len(ds.load("people")) == len(ROWS["people"])


def test_a_corrupted_cached_zip_is_not_reused(tmp_path, server):
    url, www = server
    reg, cache, _ = _fetched(tmp_path, server)
    (www / f"v{VERSION}" / FILE).unlink()
    (cache / FILE).write_bytes(b"corrupted")
    with pytest.raises(FetchError, match="404"):
        fetch(VERSION, registry=reg, base=url + "/v{version}", cache=cache, force=True)
    assert not (cache / FILE).exists()


def test_stale_part_files_are_removed_and_fresh_ones_kept(tmp_path, server):
    url, www = server
    sha = _release(tmp_path, www)
    cache = tmp_path / "cache"
    cache.mkdir()
    stale_file = cache / f".{FILE}.k1ll3d.part"
    stale_file.write_bytes(b"half a zip")
    stale_dir = cache / f".ca-militancy-{VERSION}.k1ll3d.part"
    (stale_dir / "parquet").mkdir(parents=True)
    (stale_dir / "parquet" / "people.parquet").write_bytes(b"half")
    old = time.time() - 2 * fetch_module.STALE_PART_AGE
    for path in (stale_file, stale_dir):
        os.utime(path, (old, old))
    in_progress = cache / f".{FILE}.running.part"  # another process's download, still going
    in_progress.write_bytes(b"some bytes")
    fetch(VERSION, registry=_registry(sha), base=url + "/v{version}", cache=cache)
    assert not stale_file.exists() and not stale_dir.exists()
    assert in_progress.exists()


def test_cli_force_repairs_a_changed_cache(tmp_path, server, monkeypatch, capsys):
    from ca_militancy.reader.cli import EXIT_FETCH, main

    url, _ = server
    reg, cache, root = _fetched(tmp_path, server)
    registry_file = tmp_path / "registry.json"
    registry_file.write_text(json.dumps(reg), encoding="utf-8")
    monkeypatch.setattr(fetch_module, "REGISTRY_FILE", registry_file)
    monkeypatch.setenv(CACHE_ENV, str(cache))
    monkeypatch.setenv(BASE_URL_ENV, url + "/v{version}")
    (root / "parquet" / "people.parquet").write_bytes(b"garbage")
    assert main(["--release", VERSION, "tables"]) == EXIT_FETCH
    assert f"ca-militancy --release {VERSION} --refetch" in capsys.readouterr().err
    assert main(["--release", VERSION, "--refetch", "tables"]) == 0
    assert main(["--release", VERSION, "tables"]) == 0


def test_cli_force_needs_a_release():
    from ca_militancy.reader.cli import EXIT_USAGE, main

    with pytest.raises(SystemExit) as exit_:
        main(["--refetch", "tables"])
    assert exit_.value.code == EXIT_USAGE


# ---- every failure is a FetchError that names its cause -------------------------------------


def test_a_short_body_names_the_truncation(tmp_path):
    cache = tmp_path / "cache"
    with raw_server(_short) as url, pytest.raises(FetchError, match=r"after 10 of 1000 bytes"):
        fetch(VERSION, registry=_sized_registry(1000), base=url, cache=cache, timeout=5)
    assert _cache_files(cache) == []


def test_a_reply_that_is_not_http_is_a_fetch_error(tmp_path):
    cache = tmp_path / "cache"
    with raw_server(_garbage) as url, pytest.raises(FetchError, match=r"not (valid )?HTTP"):
        fetch(VERSION, registry=_sized_registry(), base=url, cache=cache, timeout=5)
    assert _cache_files(cache) == []


@pytest.mark.parametrize("base", ["http://127.0.0.1:notaport/v{version}", "mirror.example/data"])
def test_an_invalid_base_url_is_a_fetch_error(tmp_path, base):
    with pytest.raises(FetchError, match=rf"invalid download URL.*{BASE_URL_ENV}"):
        fetch(VERSION, registry=_sized_registry(), base=base, cache=tmp_path / "cache")


def test_a_cache_path_that_is_a_file_is_named_as_such(tmp_path):
    cache = tmp_path / "cache"
    cache.write_text("not a directory")
    with pytest.raises(FetchError, match=rf"cache {cache}.*not a directory") as err:
        fetch(VERSION, registry=_sized_registry(), base="http://127.0.0.1:9/", cache=cache)
    assert "offline" not in str(err.value)


def test_a_full_disk_is_not_called_offline(tmp_path, server, monkeypatch):
    url, www = server
    sha = _release(tmp_path, www)
    real_open = Path.open

    class FullDisk(io.RawIOBase):
        def writable(self) -> bool:
            return True

        def write(self, data: object) -> int:
            raise OSError(errno.ENOSPC, "No space left on device")

    def open_on_full_disk(self: Path, mode: str = "r", *args: object, **kwargs: object):
        if "w" in mode and self.name.endswith(".part"):
            real_open(self, mode, *args, **kwargs).close()
            return FullDisk()
        return real_open(self, mode, *args, **kwargs)

    monkeypatch.setattr(Path, "open", open_on_full_disk)
    cache = tmp_path / "cache"
    with pytest.raises(FetchError, match=r"disk .*is full") as err:
        fetch(VERSION, registry=_registry(sha), base=url + "/v{version}", cache=cache)
    assert "offline" not in str(err.value)
    assert _cache_files(cache) == []


def test_a_corrupted_registry_is_a_fetch_error(tmp_path):
    path = tmp_path / "registry.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(FetchError, match=rf"{path}.*not valid JSON"):
        fetch(VERSION, registry=path, cache=tmp_path / "cache")
