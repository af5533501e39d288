"""Fetch another released version: download its zip, verify it, cache it, load from it.

Why it is written this way (after pooch): the registry of versions, sha256 hashes and sizes
ships inside the package, so a download is trusted only when its bytes hash to what this
package says; anything else is deleted before it can be loaded. Nothing is trusted unchecked
and nothing is left half-written:

- A download has an overall deadline, not only a timeout per read (a mirror trickling a byte a
  second never trips a per-read timeout): when it passes, the connection is shut down whatever
  it is waiting for. It stops reading at the registry's size (at `MAX_UNSIZED_DOWNLOAD` for an
  entry without one), so a mirror can neither hang `fetch` nor fill the disk.
- Extraction stops at `EXPANSION_RATIO` times the zip's size (at most `MAX_EXTRACTED`),
  counted from the members' declared sizes before anything is written and from the bytes
  actually written, so a zip bomb is refused.
- Everything is written under a temporary `.part` name inside the cache and moved into place
  only when complete; the `.part` leftovers of a killed process are removed by a later fetch
  once nothing has touched them for `STALE_PART_AGE` seconds.
- The extracted copy carries a manifest of its files (size and sha256), checked each time
  `fetch` serves it; a cached zip is hashed again before it is extracted again. A cached copy
  that changed is refused with a `ChecksumError` naming the file, until
  `fetch(version, force=True)` (`ca-militancy --release VERSION --refetch ...`) makes it again:
  a silent repair would change the data under a user's earlier results without a word.
- Every failure is a `FetchError` (or a subclass) whose message names the cause: the network,
  the server's reply, the registry, the archive, or the cache directory (`CacheError`).

The cache lives in the user cache directory (`platformdirs`), overridable by
`CA_MILITANCY_CACHE`; the download location by `CA_MILITANCY_BASE_URL`.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import http.client
import json
import os
import re
import shutil
import socket
import tempfile
import threading
import time
import urllib.error
import urllib.request
import zipfile
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from ca_militancy.__about__ import __version__
from ca_militancy.core.catalog import PACKAGED_DATA
from ca_militancy.core.hashing import sha256_path
from ca_militancy.reader.errors import CacheError, ChecksumError, FetchError, UnsafeArchiveError
from ca_militancy.reader.loader import DESCRIPTOR, PARQUET_DIR, dataset

if TYPE_CHECKING:
    from ca_militancy.reader.loader import Dataset

BASE_URL_ENV = "CA_MILITANCY_BASE_URL"
CACHE_ENV = "CA_MILITANCY_CACHE"
# GitHub release assets live at .../releases/download/<tag>/<file>; "{version}" is filled in.
DEFAULT_BASE_URL = "https://github.com/ca-militancy/ca-militancy/releases/download/v{version}"
REGISTRY_FILE = PACKAGED_DATA / "registry.json"
MANIFEST = ".ca-militancy-files.json"  # in an extracted version: its files' sizes and hashes
CHUNK = 1 << 16
MiB = 1 << 20

MAX_UNSIZED_DOWNLOAD = 512 * MiB  # the size limit for a registry entry that lists no size
DEADLINE_BASE = 60.0  # seconds every download may take, on top of the time its size needs
SLOWEST_RATE = 32 * 1024  # bytes per second: a download slower than this on average is given up
UNSIZED_DEADLINE = 1800.0  # seconds, for a registry entry that lists no size
EXPANSION_RATIO = 20  # an archive may extract to this many times its own size ...
MAX_EXTRACTED = 4096 * MiB  # ... and never to more than this
STALE_PART_AGE = 3600.0  # seconds untouched after which a `.part` is a killed fetch's leftover

_DISK_FULL = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}
_NOT_WRITABLE = {errno.EROFS, errno.EACCES, errno.EPERM}


@dataclass(frozen=True)
class Release:
    """One registry entry: the zip's file name, its sha256 and (when recorded) its size."""

    version: str
    file: str
    sha256: str
    size: int | None


def cache_dir() -> Path:
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("ca-militancy", appauthor=False))


def base_url() -> str:
    return os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL


def default_deadline(size: int | None) -> float:
    """Seconds a download of `size` bytes may take in all: a minute, plus the time the size
    needs at `SLOWEST_RATE`; `UNSIZED_DEADLINE` when the registry lists no size."""
    if size is None:
        return UNSIZED_DEADLINE
    return DEADLINE_BASE + size / SLOWEST_RATE


def read_registry(registry: Mapping[str, Any] | Path | str | None = None) -> dict[str, Any]:
    """{version: {"file", "sha256", "size"}} from a mapping, a JSON file, or the package."""
    if isinstance(registry, Mapping):
        return dict(registry)
    path = Path(registry) if registry is not None else REGISTRY_FILE
    if not path.is_file():
        raise FetchError(
            f"no release registry at {path}: this installation does not know any release's "
            "checksum (a source checkout needs `python scripts/build.py` first)"
        )
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise FetchError(
            f"{path}: the release registry is not valid JSON or cannot be read ({exc}); "
            "reinstall the package"
        ) from exc
    if not isinstance(entries, dict):
        raise FetchError(
            f"{path}: the release registry is not a JSON object; reinstall the package"
        )
    return entries


def release_entry(entries: Mapping[str, Any], version: str) -> Release:
    """The registry's entry for `version`, checked: a plain file name, a sha256, a size."""
    if version not in entries:
        known = ", ".join(sorted(entries)) or "none"
        raise FetchError(f"unknown release {version!r}; releases this package knows: {known}")
    entry = entries[version]
    try:
        file, sha256, size = entry["file"], str(entry["sha256"]).lower(), entry.get("size")
    except (KeyError, TypeError, AttributeError) as exc:
        raise FetchError(f"registry entry for {version!r} is malformed: {entry!r}") from exc
    if not isinstance(file, str) or PurePosixPath(file).name != file or file in {"", ".", ".."}:
        raise FetchError(f"registry entry for {version!r} names an unsafe file {file!r}")
    if not re.fullmatch(r"[0-9a-f]{64}", sha256):
        raise FetchError(f"registry entry for {version!r} has no sha256: {entry!r}")
    if size is not None and (type(size) is not int or size < 0):
        raise FetchError(f"registry entry for {version!r} has an invalid size {size!r}")
    return Release(version, file, sha256, size)


def url_for(version: str, file: str, base: str | None = None) -> str:
    base = (base or base_url()).replace("{version}", version)
    return f"{base.rstrip('/')}/{file}"


def unsafe_members(archive: zipfile.ZipFile) -> list[str]:
    """Members that would land outside the extraction directory: absolute paths (also
    Windows drive letters and UNC paths) or any '..' component."""
    bad = []
    for name in archive.namelist():
        posix = name.replace("\\", "/")
        if (
            posix.startswith("/")
            or re.match(r"^[A-Za-z]:", posix)
            or ".." in PurePosixPath(posix).parts
        ):
            bad.append(name)
    return bad


# ---- errors that name their cause --------------------------------------------------------------


@contextlib.contextmanager
def _network_errors(url: str, timeout: float) -> Iterator[None]:
    """Turn what urllib and http.client raise while talking to the server into a FetchError:
    only the network calls run inside, so an OSError here is the connection's, not the disk's."""
    try:
        yield
    except urllib.error.HTTPError as exc:
        raise FetchError(f"could not download {url}: HTTP {exc.code} {exc.reason}") from exc
    except urllib.error.URLError as exc:
        raise FetchError(
            f"could not download {url}: {exc.reason} (offline? set {BASE_URL_ENV} to a reachable "
            "mirror, or use the version installed with the package)"
        ) from exc
    except TimeoutError as exc:
        raise FetchError(
            f"could not download {url}: the server sent nothing for {timeout:g} s "
            f"(try again later, or set {BASE_URL_ENV} to another mirror)"
        ) from exc
    except (ValueError, http.client.InvalidURL) as exc:  # also urllib's "unknown url type"
        raise FetchError(
            f"invalid download URL {url}: {exc}; {BASE_URL_ENV} (or base=) must be an http:// "
            "or https:// address, with {version} where the version goes"
        ) from exc
    except http.client.HTTPException as exc:
        raise FetchError(
            f"could not download {url}: the server's reply is not valid HTTP "
            f"({type(exc).__name__}: {str(exc).strip()})"
        ) from exc
    except OSError as exc:
        raise FetchError(f"could not download {url}: the connection failed ({exc})") from exc


@contextlib.contextmanager
def _cache_errors(root: Path) -> Iterator[None]:
    """Turn a file-system error while using the cache into a CacheError that says which
    (a full disk, a read-only cache, a file in the way), never a network guess."""
    try:
        yield
    except OSError as exc:
        if exc.errno in _DISK_FULL:
            cause = "the disk is full"
        elif exc.errno in _NOT_WRITABLE:
            cause = "the cache is not writable (a read-only file system or no permission)"
        elif exc.errno == errno.ENOTDIR:
            cause = "a part of the cache path is a file, not a directory"
        else:
            cause = "the file system refused"
        raise CacheError(
            f"cannot use the cache {root}: {cause} ({exc}); free some space, or set {CACHE_ENV} "
            "(or cache=) to a writable directory"
        ) from exc


def _repair_hint(version: str) -> str:
    return (
        f"repair it with ca_militancy.fetch({version!r}, force=True) or "
        f"`ca-militancy --release {version} --refetch <command>`"
    )


# ---- download ----------------------------------------------------------------------------------


class _Watchdog:
    """The deadline of one download: it shuts down each of the download's connections when the
    deadline passes, so that no read, of the status line, the headers or the body, outlives it.
    A per-read timeout alone never fires for a server that trickles a byte at a time."""

    def __init__(self, seconds: float) -> None:
        self.ends = time.monotonic() + seconds
        self._expired = threading.Event()
        self._timers: list[threading.Timer] = []

    def watch(self, sock: socket.socket) -> None:
        timer = threading.Timer(max(0.0, self.ends - time.monotonic()), self._expire, (sock,))
        timer.daemon = True
        self._timers.append(timer)
        timer.start()

    def _expire(self, sock: socket.socket) -> None:
        self._expired.set()
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)

    def passed(self) -> bool:
        return self._expired.is_set() or time.monotonic() > self.ends

    def cancel(self) -> None:
        for timer in self._timers:
            timer.cancel()


class _Watched:
    """Mixin for http.client connections: hand each new socket to the download's watchdog."""

    watchdog: _Watchdog
    sock: socket.socket

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        self.watchdog.watch(self.sock)


def _opener(watchdog: _Watchdog) -> urllib.request.OpenerDirector:
    """urllib's usual opener (proxies, redirects, file:// mirrors) whose HTTP and HTTPS
    connections are watched by `watchdog`."""
    attrs = {"watchdog": watchdog}
    plain = type("WatchedHTTPConnection", (_Watched, http.client.HTTPConnection), attrs)
    tls = type("WatchedHTTPSConnection", (_Watched, http.client.HTTPSConnection), attrs)

    class HTTPHandler(urllib.request.HTTPHandler):
        def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
            return self.do_open(plain, req)

    class HTTPSHandler(urllib.request.HTTPSHandler):
        def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
            return self.do_open(tls, req, context=self._context)  # type: ignore[attr-defined]

    return urllib.request.build_opener(HTTPHandler, HTTPSHandler)


def _download(url: str, dest: Path, release: Release, timeout: float, deadline: float) -> str:
    """Stream `url` into `dest` and return the sha256 of the bytes written; give up once the
    download has taken `deadline` seconds or sent more bytes than the registry allows."""
    watchdog = _Watchdog(deadline)
    try:
        return _stream(url, dest, release, timeout, watchdog)
    except FetchError as exc:
        if not watchdog.passed():
            raise
        raise FetchError(
            f"gave up on {url}: the download did not finish within {deadline:g} s ({exc}); "
            "pass a larger deadline= on a slow connection"
        ) from exc
    finally:
        watchdog.cancel()


def _stream(url: str, dest: Path, release: Release, timeout: float, watchdog: _Watchdog) -> str:
    """The body of `_download`; a FetchError raised once the deadline has passed is reported
    as the deadline by the caller."""
    if release.size is not None:
        limit, allowed = release.size, f"the registry lists {release.size}"
    else:
        limit = MAX_UNSIZED_DOWNLOAD
        allowed = f"the cap for a release without a size in the registry is {limit}"
    digest = hashlib.sha256()
    received = 0
    with _network_errors(url, timeout):
        response = _opener(watchdog).open(url, timeout=timeout)
    with response, dest.open("wb") as out:
        declared = response.headers.get("Content-Length")
        declared = int(declared) if declared and declared.isdigit() else None
        if declared is not None and declared > limit:
            raise FetchError(
                f"refusing {url}: the server announces {declared} bytes, but {allowed}"
            )
        # read1 returns what one socket read brings, so the deadline is checked between reads.
        read = getattr(response, "read1", response.read)
        while True:
            with _network_errors(url, timeout):
                try:
                    chunk = read(min(CHUNK, limit - received + 1))
                except http.client.IncompleteRead:
                    chunk = b""  # a short body: reported below, with the byte counts
            if watchdog.passed():
                raise FetchError(f"{received} bytes received")
            if not chunk:
                break
            received += len(chunk)
            if received > limit:
                raise FetchError(f"gave up on {url}: it sent more than {limit} bytes ({allowed})")
            digest.update(chunk)
            out.write(chunk)
    if declared is not None and received < declared:
        raise FetchError(
            f"could not download {url}: the connection closed after {received} of {declared} "
            "bytes; try again"
        )
    return digest.hexdigest()


# ---- extraction and the manifest of what was extracted ------------------------------------------


def _extract(archive: zipfile.ZipFile, dest: Path, limit: int, where: str) -> dict[str, Any]:
    """Extract `archive` into `dest`, refusing to write more than `limit` bytes in all (by the
    members' declared sizes, then by the bytes written); returns {path: {size, sha256}}."""
    members = archive.infolist()
    declared = sum(m.file_size for m in members)
    if declared > limit:
        raise UnsafeArchiveError(
            f"refusing {where}: its members would expand to {declared} bytes, more than the "
            f"{limit} allowed ({EXPANSION_RATIO} times the zip, at most {MAX_EXTRACTED})"
        )
    files: dict[str, Any] = {}
    written = 0
    for member in members:
        path = dest / member.filename
        if member.is_dir():
            path.mkdir(parents=True, exist_ok=True)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        digest, size = hashlib.sha256(), 0
        with archive.open(member) as src, path.open("wb") as out:
            while chunk := src.read(CHUNK):
                size += len(chunk)
                written += len(chunk)
                if size > member.file_size or written > limit:
                    raise UnsafeArchiveError(
                        f"refusing {where}: {member.filename} expands beyond its declared "
                        f"{member.file_size} bytes or the {limit} allowed in all"
                    )
                digest.update(chunk)
                out.write(chunk)
        files[path.relative_to(dest).as_posix()] = {"size": size, "sha256": digest.hexdigest()}
    return files


def _data_root(extracted: Path) -> Path:
    """The directory holding datapackage.json: the zip's top level or its single folder."""
    if (extracted / DESCRIPTOR).is_file() or (extracted / PARQUET_DIR).is_dir():
        return extracted
    for child in sorted(p for p in extracted.iterdir() if p.is_dir()):
        if (child / DESCRIPTOR).is_file():
            return child
    raise FetchError(f"{extracted}: the release has no {DESCRIPTOR}")


def _check_descriptor(data_root: Path, where: str) -> None:
    """A release whose datapackage.json is not a JSON object is broken: refuse it now rather
    than fail on the first load."""
    path = data_root / DESCRIPTOR
    if not path.is_file():
        return
    try:
        descriptor = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise FetchError(f"refusing {where}: its {DESCRIPTOR} is not valid JSON ({exc})") from exc
    if not isinstance(descriptor, dict):
        raise FetchError(f"refusing {where}: its {DESCRIPTOR} is not a JSON object")


def _extract_release(source: Path, dest: Path, release: Release, where: str) -> None:
    """Extract a verified zip into `dest` within the size cap, check its descriptor, and write
    the manifest that later fetches verify the copy against."""
    limit = min(EXPANSION_RATIO * source.stat().st_size, MAX_EXTRACTED)
    try:
        with zipfile.ZipFile(source) as archive:
            bad = unsafe_members(archive)
            if bad:
                raise UnsafeArchiveError(
                    f"refusing {where}: members with absolute paths or '..': {bad[:5]}"
                )
            files = _extract(archive, dest, limit, where)
    except FetchError:
        raise
    # zipfile raises RuntimeError for an encrypted member, NotImplementedError for an unknown
    # compression method.
    except (zipfile.BadZipFile, EOFError, zlib.error, NotImplementedError, RuntimeError) as exc:
        raise FetchError(f"{where} is not a valid zip file: {exc}") from exc
    _check_descriptor(_data_root(dest), where)
    manifest = {"version": release.version, "zip_sha256": release.sha256, "files": files}
    (dest / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True), encoding="utf-8")


def _verified(target: Path, release: Release) -> bool:
    """True when `target` holds exactly the files extracted from the registry's zip, as they
    were written; False when it is no verified extraction of that zip (absent, an older cache
    layout, or the registry lists another hash), so it is made again. A copy whose files
    changed after extraction raises ChecksumError naming them."""
    manifest_path = target / MANIFEST
    if not manifest_path.is_file():
        return False
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        listed = {rel: (int(f["size"]), str(f["sha256"])) for rel, f in manifest["files"].items()}
        zip_sha256 = manifest["zip_sha256"]
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ChecksumError(
            f"the cached copy of release {release.version} cannot be verified: {manifest_path} "
            f"is unreadable ({exc}); {_repair_hint(release.version)}"
        ) from exc
    if zip_sha256 != release.sha256:
        return False
    present = {
        p.relative_to(target).as_posix()
        for p in target.rglob("*")
        if p.is_file() and p != manifest_path
    }
    problems = []
    for rel in sorted(present | set(listed)):
        path = target / rel
        if rel not in listed:
            problems.append(f"{path} is not part of the release")
        elif rel not in present:
            problems.append(f"{path} is missing")
        elif path.stat().st_size != listed[rel][0]:
            problems.append(f"{path} has {path.stat().st_size} bytes, not {listed[rel][0]}")
        elif sha256_path(path) != listed[rel][1]:
            problems.append(f"{path} changed (its sha256 is not the one extracted)")
    if problems:
        shown = "; ".join(problems[:5]) + (
            f"; and {len(problems) - 5} more" if problems[5:] else ""
        )
        raise ChecksumError(
            f"the cached copy of release {release.version} changed after it was extracted: "
            f"{shown}; it is not loaded: {_repair_hint(release.version)}"
        )
    return True


# ---- the cache ---------------------------------------------------------------------------------


def _remove_stale_parts(root: Path) -> None:
    """Remove the `.part` files and directories of fetches that were killed: those untouched
    for STALE_PART_AGE seconds (a live download touches its file with every block it writes).
    Best effort: a read-only cache can still serve a verified copy."""
    now = time.time()
    for path in root.glob(".*.part"):
        try:
            if now - path.lstat().st_mtime < STALE_PART_AGE:
                continue
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
        except OSError:
            continue


def _make_cached_copy(
    release: Release, root: Path, target: Path, url: str, timeout: float, deadline: float
) -> None:
    """Put a verified extraction of the release at `target` (and its zip beside it): from the
    cached zip when it still hashes to the registry's sha256, else downloaded again."""
    archive = root / release.file
    tmp_zip: Path | None = None
    tmp_dir: Path | None = None
    try:
        if archive.is_file() and sha256_path(archive) == release.sha256:
            source = archive
        else:
            archive.unlink(missing_ok=True)  # a cached zip that does not verify is never reused
            fd, name = tempfile.mkstemp(dir=root, prefix=f".{release.file}.", suffix=".part")
            os.close(fd)
            tmp_zip = source = Path(name)
            actual = _download(url, tmp_zip, release, timeout, deadline)
            if actual != release.sha256:
                raise ChecksumError(
                    f"checksum mismatch for {url}: expected sha256 {release.sha256}, got "
                    f"{actual}; the download was deleted"
                )
        tmp_dir = Path(tempfile.mkdtemp(dir=root, prefix=f".{target.name}.", suffix=".part"))
        _extract_release(source, tmp_dir, release, url)
        if target.exists():
            shutil.rmtree(target)
        os.replace(tmp_dir, target)
        tmp_dir = None
        if tmp_zip is not None:
            os.replace(tmp_zip, archive)
            tmp_zip = None
    except BaseException as exc:
        if isinstance(exc, FetchError) and not isinstance(exc, CacheError):
            archive.unlink(missing_ok=True)  # never keep an archive that was refused
        if tmp_zip is not None:
            tmp_zip.unlink(missing_ok=True)
        if tmp_dir is not None:
            shutil.rmtree(tmp_dir, ignore_errors=True)
        raise


def fetch(
    version: str,
    *,
    registry: Mapping[str, Any] | Path | str | None = None,
    base: str | None = None,
    cache: Path | str | None = None,
    timeout: float = 60.0,
    deadline: float | None = None,
    force: bool = False,
) -> Dataset:
    """The dataset of release `version`, downloaded once, verified and cached.

    Returns a `Dataset` (`.load(name)`, `.tables()`, `.lookup(text)`, `.cite(table, id)`).
    The installed version is served from the package itself, without network or cache (so
    `force` does not apply to it).

    `timeout` bounds each wait on the network (connecting, each read); `deadline` bounds the
    whole download (default: `default_deadline` of the registry's size). Each call verifies
    the cached copy against the manifest written when it was extracted and refuses a changed
    one with a `ChecksumError`; `force=True` discards the extracted copy and makes it again,
    from the cached zip when it still matches the registry's sha256, else downloaded again."""
    if (
        version == __version__
        and registry is None
        and base is None
        and (PACKAGED_DATA / PARQUET_DIR).is_dir()
    ):
        return dataset(PACKAGED_DATA, version=version)
    release = release_entry(read_registry(registry), version)
    root = Path(cache) if cache is not None else cache_dir()
    target = root / Path(release.file).stem
    if root.exists() and not root.is_dir():
        raise CacheError(
            f"cannot use the cache {root}: it is a file, not a directory; set {CACHE_ENV} "
            "(or cache=) to a directory"
        )
    with _cache_errors(root):
        root.mkdir(parents=True, exist_ok=True)
        _remove_stale_parts(root)
        if force and target.exists():
            shutil.rmtree(target)
        fresh = not _verified(target, release)
        if fresh:
            _make_cached_copy(
                release,
                root,
                target,
                url_for(version, release.file, base),
                timeout,
                deadline if deadline is not None else default_deadline(release.size),
            )
    return dataset(_data_root(target), version=version, reload=fresh)
