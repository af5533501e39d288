"""Issue "Nothing half-written, nothing trusted unchecked": two builds at once in one tree, and a
build that dies while it moves its outputs into place, still leave a tree whose dist/, wheel,
package data and datapackage.json are complete, agree with each other and verify.

The builds run as real processes on a copy of the repository (tests/conftest.py's copy_repo)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from pathlib import Path

import pytest
from conftest import copy_repo

from ca_militancy import __about__
from ca_militancy.build import pipeline, release
from ca_militancy.build.provenance import ENV
from ca_militancy.core.catalog import catalog

VERSION = __about__.__version__
ZIP = f"ca-militancy-{VERSION}.zip"
DATA = Path("src") / "ca_militancy" / "_data"
BUILD_TIMEOUT = 300
# Staging and set-aside names that must never outlive a build, in the tree or in a package.
DEBRIS_MARKERS = ("._data.new", ".old-", ".new-", "ca-militancy-build-")
# A build with a hook after the n-th rename made while its commit runs: "kill" dies there
# (SIGKILL, so no clean-up runs); "pause" creates FLAGS/paused and waits (at most a minute) for
# FLAGS/go. A build that ends before its n-th rename just ends.
HOOKED_BUILD = """
import os, signal, sys, time
from pathlib import Path
from ca_militancy.build import pipeline, release

mode, n, flags = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
renames, in_commit = [0], [False]
real = {name: getattr(os, name) for name in ("rename", "replace")}

def hook():
    if mode == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    (flags / "paused").touch()
    for _ in range(600):
        if (flags / "go").exists():
            return
        time.sleep(0.1)

def counted(name):
    def move(*args, **kwargs):
        real[name](*args, **kwargs)
        if in_commit[0]:
            renames[0] += 1
            if renames[0] == n:
                hook()
    return move

for name in real:
    setattr(os, name, counted(name))
commit = release.commit

def commit_counted(*args, **kwargs):
    in_commit[0] = True
    try:
        return commit(*args, **kwargs)
    finally:
        in_commit[0] = False

release.commit = commit_counted
sys.exit(pipeline.main(sys.argv[4:]))
"""


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _env(sources: Path | None) -> dict[str, str]:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONHASHSEED": "0"}
    env["PYTHONPATH"] = str(Path(pipeline.__file__).parents[2])
    if sources is not None:
        env[ENV] = str(sources)
    return env


def _start_build(root: Path, sources: Path | None, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "scripts/build.py", "--no-extras", *args],
        cwd=root,
        env=_env(sources),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def assert_complete_and_consistent(root: Path) -> None:
    """What a user of the tree relies on after any build: every artifact is there and verifies
    against SHA256SUMS, the wheel ships exactly the tree's package data and nothing staged,
    and datapackage.json, the release zip and the package data describe the same data."""
    dist = root / "dist"
    names = {p.relative_to(dist).as_posix() for p in dist.rglob("*") if p.is_file()}
    tables = catalog(root).names
    wheel = f"ca_militancy-{VERSION}-py3-none-any.whl"
    sdist = f"ca_militancy-{VERSION}.tar.gz"
    expected = {ZIP, "manifest.json", "SHA256SUMS", wheel, sdist}
    assert expected | {f"parquet/{t}.parquet" for t in tables} <= names
    listed = {}
    for line in (dist / "SHA256SUMS").read_text(encoding="utf-8").splitlines():
        sha, rel = line.split("  ", 1)
        listed[rel] = sha
    assert set(listed) == names - {"SHA256SUMS"}
    assert {rel: _sha(dist / rel) for rel in listed} == listed, "sha256sum -c fails"

    with zipfile.ZipFile(dist / wheel) as zf:
        shipped = {
            n.removeprefix("ca_militancy/_data/"): zf.read(n)
            for n in zf.namelist()
            if n.startswith("ca_militancy/_data/")
        }
        wheel_names = zf.namelist()
    with tarfile.open(dist / sdist) as tf:
        sdist_names = tf.getnames()
    for name in wheel_names + sdist_names:
        assert not any(m in name for m in DEBRIS_MARKERS), f"staging debris shipped: {name}"
    assert {f"parquet/{t}.parquet" for t in tables} <= set(shipped)
    data_dir = root / DATA
    on_disk = {
        p.relative_to(data_dir).as_posix(): p.read_bytes()
        for p in data_dir.rglob("*")
        if p.is_file()
    }
    assert on_disk == shipped, "src/ca_militancy/_data differs from the wheel's package data"
    registry = json.loads(shipped["registry.json"])
    assert registry[VERSION]["sha256"] == listed[ZIP]

    desc = json.loads((root / "datapackage.json").read_text(encoding="utf-8"))
    with zipfile.ZipFile(dist / ZIP) as zf:
        for r in desc["resources"]:
            assert r["hash"] == f"sha256:{_sha(root / r['path'])}", r["path"]
            assert zf.read(r["path"]) == (root / r["path"]).read_bytes(), r["path"]

    leftovers = [
        p.relative_to(root).as_posix()
        for d in (root, root / "build", root / "docs", root / "src" / "ca_militancy")
        if d.is_dir()
        for p in d.iterdir()
        if any(m in p.name for m in DEBRIS_MARKERS)
    ]
    assert not leftovers, f"debris of a build left in the tree: {leftovers}"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, Path]:
    root, sources = copy_repo(tmp_path_factory.mktemp("commit") / "repo")
    proc = _start_build(root, sources)
    _, err = proc.communicate(timeout=BUILD_TIMEOUT)
    assert proc.returncode == 0, err
    return root, sources


def _copy_built(built: tuple[Path, Path], dst: Path) -> tuple[Path, Path]:
    root, sources = built
    shutil.copytree(root, dst)
    return dst, sources


def _change_data(root: Path) -> None:
    """A change that every output reflects (hashes in datapackage.json, the zip, the registry);
    made again, it undoes itself."""
    path = root / "data" / "people.csv"
    data = path.read_bytes()
    short, long = b"A member.", b"A member of the group."
    path.write_bytes(data.replace(short, long) if short in data else data.replace(long, short))


# --- item 1: two builds at once -----------------------------------------------------------------


def _race(root: Path, sources: Path) -> tuple[list[int], list[str]]:
    procs = [_start_build(root, sources) for _ in range(2)]
    results = [p.communicate(timeout=BUILD_TIMEOUT) for p in procs]
    return [p.returncode for p in procs], [err for _, err in results]


def _assert_race_outcome(codes: list[int], errors: list[str]) -> None:
    """Each build either passed or refused at once, naming the lock and the PID holding it."""
    assert 0 in codes, errors
    for code, err in zip(codes, errors, strict=True):
        if code != 0:
            assert code == pipeline.EXIT_LOCKED, err
            assert "build/ca-militancy.lock" in err and "PID" in err, err


@pytest.mark.slow
def test_two_builds_at_once_leave_complete_verified_outputs(built, tmp_path):
    root, sources = _copy_built(built, tmp_path / "repo")
    for _ in range(4):
        _change_data(root)  # a different tree each round, so stale outputs would show
        codes, errors = _race(root, sources)
        _assert_race_outcome(codes, errors)
        assert_complete_and_consistent(root)


def _build_during_commit(built: tuple[Path, Path], dst: Path, n: int) -> bool:
    """Build B from start to end while build A is paused after the n-th rename of its commit,
    then let A finish; check the tree. Returns False once A ends before its n-th rename."""
    root, sources = _copy_built(built, dst)
    flags = dst.parent / f"flags-{n}"
    a = _hooked_build(root, sources, "pause", n, flags)
    for _ in range(BUILD_TIMEOUT * 10):
        if (flags / "paused").exists() or a.poll() is not None:
            break
        time.sleep(0.1)
    if not (flags / "paused").exists():
        _, err = a.communicate(timeout=BUILD_TIMEOUT)
        assert a.returncode == 0, err
        return False
    b = _start_build(root, sources)
    _, b_err = b.communicate(timeout=BUILD_TIMEOUT)
    (flags / "go").touch()
    _, a_err = a.communicate(timeout=BUILD_TIMEOUT)
    _assert_race_outcome([a.returncode, b.returncode], [a_err, b_err])
    assert a.returncode == 0, a_err
    assert_complete_and_consistent(root)
    return True


@pytest.mark.slow
def test_a_build_started_while_another_commits_leaves_complete_outputs(built, tmp_path):
    """The races of the issue made certain: B runs whole while A is at each step of its
    commit (including the package data of the wheel)."""
    steps = 0
    for n in range(1, 30):
        if not _build_during_commit(built, tmp_path / f"repo-{n}", n):
            break
        steps += 1
    assert 2 < steps < 29, steps


def test_a_second_build_stops_at_once_naming_the_lock_holder(built, tmp_path, capsys, monkeypatch):
    root, sources = _copy_built(built, tmp_path / "repo")
    monkeypatch.setenv(ENV, str(sources))  # the fixture's texts, not those a CI run names
    before = _sha(root / "dist" / "SHA256SUMS")
    with release.BuildLock(root):
        code = pipeline.main(["--root", str(root), "--no-wheel", "--no-extras"])
    err = capsys.readouterr().err
    assert code == pipeline.EXIT_LOCKED
    assert "build/ca-militancy.lock" in err and f"PID {os.getpid()}" in err
    assert _sha(root / "dist" / "SHA256SUMS") == before
    assert pipeline.main(["--root", str(root), "--no-wheel", "--no-extras"]) == 0


# --- item 7: a build killed while it commits ------------------------------------------------------


def _hooked_build(root: Path, sources: Path, mode: str, n: int, flags: Path) -> subprocess.Popen:
    flags.mkdir(exist_ok=True)
    return subprocess.Popen(
        [sys.executable, "-c", HOOKED_BUILD, mode, str(n), str(flags), "--root", str(root),
         "--no-extras"],
        env=_env(sources),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip


def _die_and_recover(built: tuple[Path, Path], dst: Path, n: int) -> bool:
    """Kill a build of changed data after the n-th rename of its commit; check that the next
    build's recovery alone completes that commit, then that the next build passes. Returns
    False once the build finishes before its n-th rename (every step has been tried)."""
    root, sources = _copy_built(built, dst)
    _change_data(root)
    proc = _hooked_build(root, sources, "kill", n, dst.parent / f"flags-{n}")
    _, err = proc.communicate(timeout=BUILD_TIMEOUT)
    if proc.returncode == 0:
        return False
    assert proc.returncode == -signal.SIGKILL, err
    with release.BuildLock(root):
        release.recover(root)
    assert_complete_and_consistent(root)
    proc = _start_build(root, sources)
    _, err = proc.communicate(timeout=BUILD_TIMEOUT)
    assert proc.returncode == 0, err
    assert_complete_and_consistent(root)
    return True


def test_a_build_killed_after_its_first_move_is_completed_by_the_next(built, tmp_path):
    assert _die_and_recover(built, tmp_path / "repo", 2)  # rename 1 puts the journal in place


@pytest.mark.slow
def test_a_build_killed_at_any_step_of_its_commit_is_completed_by_the_next(built, tmp_path):
    steps = 0
    for n in range(1, 30):
        if not _die_and_recover(built, tmp_path / f"repo-{n}", n):
            break
        steps += 1
    assert 2 < steps < 29, steps


def test_debris_of_dead_builds_is_cleaned_and_never_shipped(built, tmp_path):
    root, sources = _copy_built(built, tmp_path / "repo")
    stale_data = root / "src" / "ca_militancy" / "._data.new" / "parquet"
    stale_data.mkdir(parents=True)
    (stale_data / "people.parquet").write_bytes(b"half-written")
    for old in (root / ".dist.old-12345", root / "docs" / ".figures.old-12345"):
        old.mkdir()
        (old / "x").write_bytes(b"x")
    (root / "build" / "ca-militancy-build-dead0000").mkdir()
    proc = _start_build(root, sources)
    _, err = proc.communicate(timeout=BUILD_TIMEOUT)
    assert proc.returncode == 0, err
    assert_complete_and_consistent(root)


def _processes_mentioning(text: str) -> list[int]:
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if text.encode() in cmdline.read_bytes():
                found.append(int(cmdline.parent.name))
        except OSError:
            continue
    return found


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="needs /proc")
def test_python_build_dies_with_a_terminated_build(built, tmp_path):
    root, sources = _copy_built(built, tmp_path / "repo")
    _change_data(root)
    proc = _start_build(root, sources)
    staging: list[Path] = []
    children: list[int] = []
    for _ in range(6000):  # until the wheel stage runs `python -m build`, at most a minute
        staging = list((root / "build").glob("ca-militancy-build-*/pkgsrc"))
        children = _processes_mentioning(str(staging[0])) if staging else []
        if children or proc.poll() is not None:
            break
        time.sleep(0.01)
    assert children, "the build ended before `python -m build` was seen"
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=BUILD_TIMEOUT)
    assert proc.returncode != 0
    for _ in range(20):  # killed before the build exits; the kernel may take a moment to end them
        alive = _processes_mentioning(str(staging[0]))
        if not alive:
            break
        time.sleep(0.01)
    assert not alive, "python -m build outlived the build that started it"
    assert not list((root / "build").glob("ca-militancy-build-*"))


def test_a_build_directory_on_another_file_system_is_refused(built, tmp_path, capsys):
    """Outputs move into place by renaming, which cannot cross file systems: such a build must
    stop before its commit, not leave a commit that no later build can complete."""
    shm = Path("/dev/shm")
    if not shm.is_dir() or shm.stat().st_dev == tmp_path.stat().st_dev:
        pytest.skip("needs a second file system at /dev/shm")
    root, _ = _copy_built(built, tmp_path / "repo")
    other = Path(tempfile.mkdtemp(dir=shm))
    try:
        shutil.rmtree(root / "build")
        (root / "build").symlink_to(other)
        before = _sha(root / "dist" / "SHA256SUMS")
        assert pipeline.main(["--root", str(root), "--no-wheel", "--no-extras"]) == 1
        assert "different file systems" in capsys.readouterr().err
        assert _sha(root / "dist" / "SHA256SUMS") == before
    finally:
        shutil.rmtree(other)
