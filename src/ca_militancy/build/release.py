"""Release artifacts: the reproducible zip, the manifest, SHA256SUMS, and the move of
everything into place: one build at a time (a lock), journaled, completed by the next build
if the process dies part-way.

Why so fussy: users trust a release when they can check it. Same tree -> same bytes (sorted
members, fixed timestamps and permissions), every artifact in SHA256SUMS, and nothing in
``dist/`` or the tree changes unless the whole build passed.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import os
import shutil
import signal
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import pyarrow as pa

from ca_militancy.build.checks import key_strings
from ca_militancy.core.catalog import Catalog
from ca_militancy.core.hashing import sha256_path

# zip's own default level (what `zip -q` uses, the benchmark's floor): level 9 took twice as
# long for the CSV members at 100k incidents and made them a few per cent smaller
ZIP_LEVEL = 6
# members stored as they are: Parquet is compressed column by column already (zstd), and
# deflating it again costs time for almost no bytes
STORED_SUFFIXES = (".parquet",)
# Entries this large need zip64 headers, which ZipFile.open must be told of in advance.
ZIP64_THRESHOLD = zipfile.ZIP64_LIMIT - (1 << 20)
ZIP_MODE = 0o644

# Under build/: the lock one build of a tree holds, each build's staging directory, and in it
# the journal of the moves into place while they are being made.
LOCK_FILE = "ca-militancy.lock"
STAGING_PREFIX = "ca-militancy-build-"
JOURNAL = "commit.json"
# What older builds staged or set aside beside their targets, in these directories of the
# tree: never part of a package, removed by the next build.
DEBRIS_PATTERNS = ("._data.new*", ".*.old-*", ".*.new-*")
DEBRIS_DIRS = (".", "docs", "src/ca_militancy")


def zip_name(version: str) -> str:
    return f"ca-militancy-{version}.zip"


def write_zip(path: Path, members: dict[str, Path], date: dt.date) -> None:
    """Zip ``{archive name: file}`` with sorted members, one fixed timestamp, mode 0644, and
    fixed deflate level (Parquet members stored): the bytes depend only on the contents."""
    stamp = (date.year, date.month, date.day, 0, 0, 0)
    with zipfile.ZipFile(path, "w") as zf:
        for arcname in sorted(members):
            info = zipfile.ZipInfo(arcname, date_time=stamp)
            stored = arcname.endswith(STORED_SUFFIXES)
            info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = (0o100000 | ZIP_MODE) << 16
            # ZipFile.open ignores writestr's compresslevel argument: set it on the entry
            # (`compress_level` from Python 3.13, `_compresslevel` before).
            level_attr = "compress_level" if hasattr(info, "compress_level") else "_compresslevel"
            setattr(info, level_attr, ZIP_LEVEL)
            src = members[arcname]
            # Streamed in blocks, not read whole: a table of a million rows is large.
            with (
                src.open("rb") as fin,
                zf.open(info, "w", force_zip64=src.stat().st_size > ZIP64_THRESHOLD) as fout,
            ):
                shutil.copyfileobj(fin, fout, 1 << 20)


def key_list(table: pa.Table, primary_key: list[str]) -> list[str]:
    """Sorted primary keys (composite keys tab-joined)."""
    return sorted(key_strings(table, primary_key).to_pylist())


def keys_sha256(keys: list[str]) -> str:
    return hashlib.sha256("".join(k + "\n" for k in keys).encode()).hexdigest()


def build_manifest(
    version: str,
    tables: dict[str, pa.Table],
    files: dict[str, Path],
    catalog: Catalog,
) -> dict[str, Any]:
    """Release manifest. It carries the full sorted key lists (``keys``) besides their hash,
    because ``releases/<version>.json`` (a copy of it) is what the id-retirement test reads
    to prove that no id of a published release disappears without a tombstone."""
    out_tables = {}
    for name in sorted(tables):
        pk = catalog[name].primary_key
        keys = key_list(tables[name], pk)
        out_tables[name] = {
            "rows": tables[name].num_rows,
            "primary_key": pk,
            "keys_sha256": keys_sha256(keys),
            "keys": keys,
        }
    return {
        "name": "ca-militancy",
        "version": version,
        "zip": zip_name(version),
        "tables": out_tables,
        "files": {rel: sha256_path(p) for rel, p in sorted(files.items())},
    }


def write_sha256sums(dist: Path) -> Path:
    """``sha256sum -c`` format over every file in ``dist`` (recursively), sorted."""
    lines = []
    for p in sorted(dist.rglob("*")):
        if p.is_file() and p.name != "SHA256SUMS":
            lines.append(f"{sha256_path(p)}  {p.relative_to(dist).as_posix()}\n")
    out = dist / "SHA256SUMS"
    out.write_text("".join(lines), encoding="utf-8")
    return out


class BuildLocked(Exception):
    """Another build holds this tree's lock; nothing was touched."""


class CommitError(Exception):
    """The outputs cannot be moved into place atomically; nothing was moved."""


class BuildLock:
    """An exclusive, non-blocking ``fcntl.flock`` on ``build/ca-militancy.lock``, held for a
    whole build. The holder's PID is written into the file for the refusal message.

    Why refuse rather than wait: a second build of the same tree would only rebuild what the
    first is writing, and a waiting build hangs for as long as a stuck holder does; refusing at
    once names the holder and lets the caller decide. The kernel drops the lock when its
    holder dies, however it dies, so a stale lock file never blocks a later build. The file is
    never deleted (a deleted lock file lets two builds lock two different files)."""

    def __init__(self, root: Path) -> None:
        self.path = Path(root) / "build" / LOCK_FILE
        self.fd: int | None = None

    def __enter__(self) -> BuildLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
            os.close(fd)
            raise BuildLocked(
                f"another build of this tree is running (PID {holder} holds {self.path}); "
                "this one stopped before touching anything: build again when it has finished"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self.fd = fd
        return self

    def __exit__(self, *exc: object) -> None:
        if self.fd is not None:
            os.close(self.fd)  # releases the lock
            self.fd = None


def staging_dir(root: Path) -> Path:
    """A fresh, uniquely named directory under ``build/`` for one build's outputs.

    It must be on the tree's file system: the commit moves out of it by renaming."""
    build = Path(root) / "build"
    build.mkdir(exist_ok=True)
    output_dirs = [build, *(root / d for d in DEBRIS_DIRS)]
    devices = {d.stat().st_dev for d in output_dirs if d.exists()}
    if len(devices) > 1:
        raise CommitError(
            f"{build} and the tree's output directories are on different file systems, so the "
            "outputs cannot be renamed into place"
        )
    return Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=build))


def commit(root: Path, staging: Path, moves: list[tuple[Path, Path]]) -> None:
    """Move staged outputs (under ``staging``) to their targets (under ``root``), recoverably.

    The list of moves is written to a journal in ``staging`` first and the journal is removed
    last. A build that dies in between leaves the journal, and the next build (``recover``,
    under the lock) makes the same moves: an interrupted commit is always rolled forward,
    because what was staged had passed every stage. Files are replaced with one rename each;
    a directory's old version is renamed into ``staging`` (removed with it) and the new one
    renamed in."""
    entries = [[s.relative_to(root).as_posix(), t.relative_to(root).as_posix()] for s, t in moves]
    journal = staging / JOURNAL
    partial = journal.with_name(JOURNAL + ".partial")
    with partial.open("w", encoding="utf-8") as f:
        json.dump(entries, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(partial, journal)
    roll_forward(root, staging)


def commit_pending(staging: Path) -> bool:
    """Whether ``staging`` holds a commit that started and did not finish."""
    return (staging / JOURNAL).is_file()


def roll_forward(root: Path, staging: Path) -> None:
    """Make the journal's moves that are not made yet, then remove the journal. Safe to run
    again after an interruption at any point: a move whose staged side is gone was made."""
    journal = staging / JOURNAL
    replaced = staging / "replaced"
    replaced.mkdir(exist_ok=True)
    for i, (staged_rel, target_rel) in enumerate(json.loads(journal.read_text("utf-8"))):
        staged, target = root / staged_rel, root / target_rel
        if not staged.exists():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.is_dir() and not target.is_symlink():
            os.replace(target, replaced / f"{i}-{target.name}")
        os.replace(staged, target)
    journal.unlink()


def recover(root: Path) -> list[str]:
    """Finish after builds of this tree that died: complete an interrupted commit, stop the
    ``python -m build`` they left running, and remove their staging directories and what
    older builds set aside beside the outputs. Returns what was done, for the log.

    Call only while holding :class:`BuildLock`: then no staging directory has a live owner."""
    root = Path(root)
    done = []
    for staging in sorted((root / "build").glob(STAGING_PREFIX + "*")):
        stop_processes_using(staging)
        if commit_pending(staging):
            roll_forward(root, staging)
            done.append(f"completed the interrupted commit of {staging.relative_to(root)}")
        _remove(staging)
    for d in DEBRIS_DIRS:
        for pattern in DEBRIS_PATTERNS:
            for debris in sorted((root / d).glob(pattern)):
                _remove(debris)
                done.append(f"removed {debris.relative_to(root)}, left by an older build")
    return done


def stop_processes_using(staging: Path) -> None:
    """Kill what a dead build left running in ``staging`` (its ``python -m build`` and that
    one's backend): processes whose command line or working directory is in it. Linux
    ``/proc`` only; elsewhere a killed build's child finishes on its own."""
    needle = str(staging).encode()
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            cwd = os.readlink(proc / "cwd").encode()
            inside = cwd == needle or cwd.startswith(needle + b"/")
            mentions = inside or needle in (proc / "cmdline").read_bytes()
            if mentions and int(proc.name) != os.getpid():
                os.kill(int(proc.name), signal.SIGKILL)
        except (OSError, ValueError):
            continue  # gone meanwhile, or not ours to inspect


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def write_json(path: Path, obj: Any) -> None:
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
