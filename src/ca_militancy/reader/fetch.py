"""Fetch another released version: download its zip, verify it, cache it, load from it.

Why it is written this way (after pooch): the registry of versions and sha256 hashes ships
inside the package, so a download is trusted only when its bytes hash to what this package
says; anything else is deleted before it can be loaded. Everything is written to a temporary
name inside the cache and moved into place only when complete, so an interrupted or refused
download never leaves a half-written file behind. The cache lives in the user cache directory
(`platformdirs`), overridable by `CA_MILITANCY_CACHE`; the download location by
`CA_MILITANCY_BASE_URL`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from ca_militancy.__about__ import __version__
from ca_militancy.core.catalog import PACKAGED_DATA
from ca_militancy.core.hashing import sha256_path
from ca_militancy.reader.errors import ChecksumError, FetchError, UnsafeArchiveError
from ca_militancy.reader.loader import DESCRIPTOR, PARQUET_DIR, dataset

if TYPE_CHECKING:
    from ca_militancy.reader.loader import Dataset

BASE_URL_ENV = "CA_MILITANCY_BASE_URL"
CACHE_ENV = "CA_MILITANCY_CACHE"
# GitHub release assets live at .../releases/download/<tag>/<file>; "{version}" is filled in.
DEFAULT_BASE_URL = "https://github.com/ca-militancy/ca-militancy/releases/download/v{version}"
REGISTRY_FILE = PACKAGED_DATA / "registry.json"
MARKER = ".ca-militancy-sha256"  # written last into an extracted version: "this copy is complete"
CHUNK = 1 << 16


def cache_dir() -> Path:
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("ca-militancy", appauthor=False))


def base_url() -> str:
    return os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL


def read_registry(registry: Mapping[str, Any] | Path | str | None = None) -> dict[str, Any]:
    """{version: {"file": ..., "sha256": ...}} from a mapping, a JSON file, or the package."""
    if isinstance(registry, Mapping):
        return dict(registry)
    path = Path(registry) if registry is not None else REGISTRY_FILE
    if not path.is_file():
        raise FetchError(
            f"no release registry at {path}: this installation does not know any release's "
            "checksum (a source checkout needs `python scripts/build.py` first)"
        )
    return json.loads(path.read_text(encoding="utf-8"))


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


def _download(url: str, dest: Path, timeout: float) -> str:
    """Stream `url` into `dest`, returning the sha256 of the bytes written."""
    import hashlib  # streaming: the digest grows with each block written

    digest = hashlib.sha256()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp, dest.open("wb") as out:
            for chunk in iter(lambda: resp.read(CHUNK), b""):
                digest.update(chunk)
                out.write(chunk)
    except urllib.error.HTTPError as exc:
        raise FetchError(f"could not download {url}: HTTP {exc.code} {exc.reason}") from exc
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise FetchError(
            f"could not download {url}: {reason} (offline? set {BASE_URL_ENV} to a reachable "
            "mirror, or use the version installed with the package)"
        ) from exc
    return digest.hexdigest()


def _data_root(extracted: Path) -> Path:
    """The directory holding datapackage.json: the zip's top level or its single folder."""
    if (extracted / DESCRIPTOR).is_file() or (extracted / PARQUET_DIR).is_dir():
        return extracted
    for child in sorted(p for p in extracted.iterdir() if p.is_dir()):
        if (child / DESCRIPTOR).is_file():
            return child
    raise FetchError(f"{extracted}: the release has no {DESCRIPTOR}")


def fetch(
    version: str,
    *,
    registry: Mapping[str, Any] | Path | str | None = None,
    base: str | None = None,
    cache: Path | str | None = None,
    timeout: float = 60.0,
) -> Dataset:
    """The dataset of release `version`, downloaded once, verified and cached.

    Returns a `Dataset` (`.load(name)`, `.tables()`, `.lookup(text)`, `.cite(table, id)`).
    The installed version is served from the package itself, without network."""
    if (
        version == __version__
        and registry is None
        and base is None
        and (PACKAGED_DATA / PARQUET_DIR).is_dir()
    ):
        return dataset(PACKAGED_DATA, version=version)
    entries = read_registry(registry)
    if version not in entries:
        known = ", ".join(sorted(entries)) or "none"
        raise FetchError(f"unknown release {version!r}; releases this package knows: {known}")
    file, expected = entries[version]["file"], entries[version]["sha256"].lower()
    if PurePosixPath(file).name != file or file in {"", ".", ".."}:
        raise FetchError(f"registry entry for {version!r} names an unsafe file {file!r}")
    root = Path(cache) if cache is not None else cache_dir()
    root.mkdir(parents=True, exist_ok=True)
    target = root / Path(file).stem
    marker = target / MARKER
    if marker.is_file() and marker.read_text(encoding="ascii").strip() == expected:
        return dataset(_data_root(target), version=version)

    url = url_for(version, file, base)
    archive = root / file
    tmp_zip: Path | None = None
    tmp_dir: Path | None = None
    try:
        if not (archive.is_file() and sha256_path(archive) == expected):
            fd, name = tempfile.mkstemp(dir=root, prefix=f".{file}.", suffix=".part")
            os.close(fd)
            tmp_zip = Path(name)
            actual = _download(url, tmp_zip, timeout)
            if actual != expected:
                raise ChecksumError(
                    f"checksum mismatch for {url}: expected sha256 {expected}, got {actual}; "
                    "the download was deleted"
                )
        source = tmp_zip or archive
        try:
            with zipfile.ZipFile(source) as zf:
                bad = unsafe_members(zf)
                if bad:
                    raise UnsafeArchiveError(
                        f"refusing {url}: members with absolute paths or '..': {bad[:5]}"
                    )
                tmp_dir = Path(
                    tempfile.mkdtemp(dir=root, prefix=f".{target.name}.", suffix=".part")
                )
                zf.extractall(tmp_dir)
        except zipfile.BadZipFile as exc:
            raise FetchError(f"{url} is not a valid zip file: {exc}") from exc
        (tmp_dir / MARKER).write_text(expected + "\n", encoding="ascii")
        if target.exists():
            shutil.rmtree(target)
        os.replace(tmp_dir, target)
        tmp_dir = None
        if tmp_zip is not None:
            os.replace(tmp_zip, archive)
            tmp_zip = None
    except BaseException as exc:
        if isinstance(exc, UnsafeArchiveError | ChecksumError):
            archive.unlink(missing_ok=True)  # never keep an archive we refused
        if tmp_zip is not None:
            tmp_zip.unlink(missing_ok=True)
        if tmp_dir is not None:
            shutil.rmtree(tmp_dir, ignore_errors=True)
        raise
    return dataset(_data_root(target), version=version)
