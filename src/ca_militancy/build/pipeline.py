"""The build: the stages in order, all outputs staged in a temporary directory and moved
into place only when every stage passed.

Why this shape: a failed build must leave ``dist/``, ``datapackage.json`` and the generated
docs exactly as they were (users and CI trust what is there), and the summary must say
what ran, what was skipped and how long each stage took.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ca_militancy import __about__
from ca_militancy.build import descriptor, docs_gen, ftm_edition, parquet, release
from ca_militancy.build.checks import check_package, list_checks
from ca_militancy.build.coverage import coverage_markdown
from ca_militancy.build.evidence import EvidenceReport
from ca_militancy.build.figures import figures_current, record_inputs, render_all
from ca_militancy.build.geojson_export import geojson_name, write_geojson
from ca_militancy.build.provenance import ENV, sources_dir_from_env
from ca_militancy.build.sqlite_edition import write_sqlite
from ca_militancy.core.catalog import REPO_ROOT, SCHEMA_SUFFIX, Catalog, SchemaError, schema_dir
from ca_militancy.core.edition import PACKAGED_NAME, write_metadata
from ca_militancy.core.hashing import sha256_path
from ca_militancy.core.pipes import silence_stdout
from ca_militancy.core.problems import ProblemLog

# Files of the tree that go into the release zip (those that exist).
ZIP_EXTRA_FILES = ("README.md", "CHANGELOG.md", "CITATION.cff")
# What the sdist needs from the tree (mirrors [tool.hatch.build.targets.sdist] include).
SDIST_ITEMS = (
    "src",
    "schemas",
    "data",
    "scripts",
    "tests",
    "pyproject.toml",
    "README.md",
    "CHANGELOG.md",
    "CITATION.cff",
    "constraints.txt",
    "datapackage.json",
)


# Set to 1 to see the traceback of an unexpected error in the build (by default one line).
DEBUG_ENV = "CA_MILITANCY_DEBUG"
# Exit code of a build refused because another build of the tree holds the lock
# (EX_TEMPFAIL of sysexits.h: try again later), apart from 1, a build that failed.
EXIT_LOCKED = 75


class BuildFailed(Exception):
    """A stage failed; the message says where and why. Nothing was moved into place."""


@dataclass
class BuildResult:
    version: str
    tables: dict[str, int] = field(default_factory=dict)
    artifacts: dict[str, str] = field(default_factory=dict)  # dist-relative path -> sha256
    checks_run: list[str] = field(default_factory=list)
    checks_skipped: dict[str, str] = field(default_factory=dict)
    stage_seconds: dict[str, float] = field(default_factory=dict)
    evidence: EvidenceReport | None = None

    def summary(self) -> str:
        out = [f"ca-militancy {self.version}: build passed", "", "tables (rows):"]
        out += [f"  {n:<20} {r:>8}" for n, r in sorted(self.tables.items())]
        out += ["", "artifacts (dist/, sha256):"]
        out += [f"  {sha}  {p}" for p, sha in sorted(self.artifacts.items())]
        if self.evidence is not None:
            out += ["", "values checked against their words / derived (not checked), per table:"]
            names = sorted(set(self.evidence.checked) | set(self.evidence.derived))
            out += [
                f"  {n:<20} {self.evidence.checked[n]:>6} / {self.evidence.derived[n]:>4}"
                for n in names
            ]
        out += ["", "checks run:"] + [f"  {c}" for c in self.checks_run]
        if self.checks_skipped:
            out += ["checks SKIPPED:"]
            out += [f"  {c}: {why}" for c, why in self.checks_skipped.items()]
        out += ["", "time per stage (s):"]
        out += [f"  {s:<12} {t:7.2f}" for s, t in self.stage_seconds.items()]
        out.append(f"  {'total':<12} {sum(self.stage_seconds.values()):7.2f}")
        return "\n".join(out)


def source_date_epoch(date: dt.date) -> int:
    return int(dt.datetime(date.year, date.month, date.day, tzinfo=dt.UTC).timestamp())


class Build:
    """One build of the tree at ``root``; call :meth:`run`."""

    def __init__(
        self,
        root: Path,
        sources_dir: Path | None = None,
        *,
        limit: int = 50,
        wheel: bool = True,
        extras: bool = True,
        log: Callable[[str], None] = print,
    ) -> None:
        self.root = Path(root).resolve()
        self.sources_dir = sources_dir
        self.limit = limit
        self.wheel = wheel
        self.extras = extras
        self.say = log
        self.version = __about__.__version__
        self.result = BuildResult(version=self.version)

    @contextmanager
    def stage(self, name: str):
        self.say(f"[build] {name} ...")
        self.current_stage = name
        start = time.perf_counter()
        try:
            yield
        finally:
            self.result.stage_seconds[name] = time.perf_counter() - start

    def run(self) -> BuildResult:
        """Build under the tree's lock: first finish after builds that died, then stage every
        output in a fresh directory under ``build/`` and commit them into place."""
        with release.BuildLock(self.root):
            for done in release.recover(self.root):
                self.say(f"[build] {done}")
            try:
                tmp = release.staging_dir(self.root)
            except release.CommitError as exc:
                raise BuildFailed(str(exc)) from None
            self.current_stage = "setup"
            try:
                moves = self._stages(tmp)
                with self.stage("commit"):
                    release.commit(self.root, tmp, moves)
            except BuildFailed:
                raise
            except SchemaError as exc:
                raise BuildFailed(exc.located(self.root)) from None
            except Exception as exc:
                # A bug, not bad input: one line by default. A failure before the commit moved
                # nothing into place; one inside it is completed by the next build (journal).
                if os.environ.get(DEBUG_ENV) == "1":
                    traceback.print_exc()
                raise BuildFailed(
                    f"internal error in stage {self.current_stage}: {type(exc).__name__}: {exc}"
                    f" (set {DEBUG_ENV}=1 for the traceback)"
                ) from None
            finally:
                # an interrupted commit stays, journal and all, for the next build to complete
                if not release.commit_pending(tmp):
                    shutil.rmtree(tmp, ignore_errors=True)
        return self.result

    # --- the stages ------------------------------------------------------------------------

    def _stages(self, tmp: Path) -> list[tuple[Path, Path]]:
        root, version, res = self.root, self.version, self.result
        dist = tmp / "dist"
        dist.mkdir()
        with self.stage("check"):
            catalog = Catalog(schema_dir(root))
            self.catalog = catalog
            checked = check_package(catalog, root / "data", self.sources_dir, limit=self.limit)
            res.checks_run, res.checks_skipped = checked.run, checked.skipped
            res.evidence = checked.evidence
            coverage = checked.coverage
            if not checked.ok:
                # a table that is empty or cut short explains the cascade listed after it
                causes = [p for p in checked.log.all() if p.check == "table-complete"]
                raise BuildFailed(
                    f"{checked.log.total} problem(s) in the data; nothing was written\n"
                    + "".join(f"likely cause: {p}\n" for p in causes)
                    + checked.log.report()
                )
            tables = checked.tables
            res.tables = {n: t.num_rows for n, t in tables.items()}
        date = descriptor.release_date(root, tables, version)
        epoch = source_date_epoch(date)

        with self.stage("parquet"):
            log = ProblemLog(limit=self.limit)
            for name, table in tables.items():
                path = dist / "parquet" / f"{name}.parquet"
                parquet.write_parquet(table, path)
                parquet.check_read_back(name, table, path, log)
            if log:
                raise BuildFailed("Parquet copies do not read back equal:\n" + log.report())

        with self.stage("ftm"):
            log = ProblemLog(limit=self.limit)
            ftm_path = dist / ftm_edition.file_name(version)
            ftm_edition.write_ftm(catalog, tables, ftm_path, version, log)
            if log:
                raise BuildFailed("FollowTheMoney refuses entities:\n" + log.report())
        with self.stage("geojson"):
            write_geojson(tables, dist / geojson_name(version))

        with self.stage("descriptor"):
            existing = descriptor.read_existing(root)
            root_desc = descriptor.build_descriptor(
                catalog, root, tables, existing=existing, created=date
            )
            self._refuse_invalid_descriptor(root_desc, "datapackage.json")
            root_dp = tmp / "datapackage.json"
            root_dp.write_text(descriptor.dumps(root_desc), encoding="utf-8")

        with self.stage("docs"):
            docs_dir = tmp / "docs"
            docs_dir.mkdir()
            dictionary = docs_dir / "data-dictionary.md"
            dictionary.write_text(docs_gen.data_dictionary(catalog), encoding="utf-8")
            readme_src = root / "README.md"
            readme = tmp / "README.md"
            if readme_src.is_file():
                readme.write_text(
                    docs_gen.update_readme(readme_src.read_text(encoding="utf-8"), tables),
                    encoding="utf-8",
                )
        moves: list[tuple[Path, Path]] = [
            (root_dp, root / "datapackage.json"),
            (dictionary, root / "docs" / "data-dictionary.md"),
        ]
        if readme.is_file():
            moves.append((readme, root / "README.md"))
        if coverage is not None:  # only a build with the archived texts can measure it
            report = docs_dir / "coverage.md"
            report.write_text(coverage_markdown(coverage), encoding="utf-8")
            moves.append((report, root / "docs" / "coverage.md"))

        if self.extras:
            with self.stage("figures"):
                if not figures_current(root, root / "docs" / "figures"):
                    fig_dir = tmp / "figures"
                    fig_dir.mkdir()
                    record_inputs(root, fig_dir, render_all(tables, fig_dir))
                    moves.append((fig_dir, root / "docs" / "figures"))
            with self.stage("sqlite"):
                write_sqlite(catalog, tables, dist / f"ca-militancy-{version}.sqlite", version)
                write_metadata(dist / "metadata.json", catalog, version)

        with self.stage("zip"):
            rel_desc = descriptor.build_descriptor(
                catalog, root, tables, parquet_root=dist, existing=existing, created=date
            )
            self._refuse_invalid_descriptor(
                rel_desc, f"{release.zip_name(version)}:datapackage.json"
            )
            rel_dp = tmp / "release-datapackage.json"
            rel_dp.write_text(descriptor.dumps(rel_desc), encoding="utf-8")
            members = {"datapackage.json": rel_dp}
            for table in catalog:
                name = table.name
                members[f"data/{name}.csv"] = root / "data" / f"{name}.csv"
                members[f"parquet/{name}.parquet"] = dist / "parquet" / f"{name}.parquet"
                members[f"schemas/{name}{SCHEMA_SUFFIX}"] = table.path
            for extra in ZIP_EXTRA_FILES:
                staged = tmp / extra
                src = staged if staged.is_file() else root / extra
                if src.is_file():
                    members[extra] = src
            for lic in sorted(root.glob("LICENSE*")):
                members[lic.name] = lic
            zip_path = dist / release.zip_name(version)
            release.write_zip(zip_path, members, date)

        if self.wheel:
            with self.stage("wheel"):
                data_dir = self._build_python_package(tmp, dist, tables, zip_path, epoch, rel_desc)
            # the installed loader in a source checkout reads ca_militancy/_data: exactly what
            # the wheel ships, committed with the rest
            moves.append((data_dir, root / "src" / "ca_militancy" / "_data"))

        with self.stage("manifest"):
            files = {p.relative_to(dist).as_posix(): p for p in sorted(dist.rglob("*"))}
            files = {k: v for k, v in files.items() if v.is_file()}
            manifest = release.build_manifest(version, tables, files, catalog)
            release.write_json(dist / "manifest.json", manifest)
            sums = release.write_sha256sums(dist)
            for line in sums.read_text(encoding="utf-8").splitlines():
                sha, rel = line.split("  ", 1)
                res.artifacts[rel] = sha
        moves.append((dist, root / "dist"))
        return moves

    def _refuse_invalid_descriptor(self, desc: dict[str, Any], where: str) -> None:
        """Stop the build before writing a descriptor that ``frictionless validate`` rejects."""
        log = ProblemLog(limit=self.limit)
        descriptor.check_with_frictionless(desc, self.catalog, where, log)
        if log:
            raise BuildFailed(f"frictionless rejects {where}:\n" + log.report())

    def _build_python_package(
        self,
        tmp: Path,
        dist: Path,
        tables: dict[str, Any],
        zip_path: Path,
        epoch: int,
        rel_desc: dict[str, Any],
    ) -> Path:
        """Stage the package data into a copy of the tree and build wheel and sdist there
        (never in the tree itself, so a failure leaves it untouched). Returns the staged
        package data, which is what the wheel ships."""
        root = self.root
        src_copy = tmp / "pkgsrc"
        src_copy.mkdir()
        ignore = shutil.ignore_patterns(
            "__pycache__", "*.pyc", "_data", "*.egg-info", *release.DEBRIS_PATTERNS
        )
        for item in SDIST_ITEMS:
            p = root / item
            if item == "datapackage.json":
                p = tmp / "datapackage.json"
            elif item == "README.md" and (tmp / "README.md").is_file():
                p = tmp / "README.md"
            if p.is_dir():
                shutil.copytree(p, src_copy / item, ignore=ignore)
            elif p.is_file():
                shutil.copy2(p, src_copy / item)
        for lic in root.glob("LICENSE*"):
            shutil.copy2(lic, src_copy / lic.name)
        data_dir = src_copy / "src" / "ca_militancy" / "_data"
        stage_package_data(
            root, self.catalog, data_dir, dist, tables, rel_desc, zip_path, self.version
        )
        out = tmp / "pydist"
        env = dict(os.environ, SOURCE_DATE_EPOCH=str(epoch), PYTHONHASHSEED="0")
        build = [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out)]
        code, output = run_in_own_group(
            [*build, "--sdist", str(src_copy)], [*build, "--wheel", str(src_copy)], env=env
        )
        if code != 0:
            raise BuildFailed("python -m build failed:\n" + output[-6000:])
        for p in sorted(out.iterdir()):
            shutil.move(str(p), str(dist / p.name))
        return data_dir


def run_in_own_group(*commands: list[str], env: dict[str, str]) -> tuple[int, str]:
    """Run ``commands`` side by side, each in a process group of its own; return (the first
    non-zero exit code or 0, their stdout+stderr in the order given).

    Why a group: ``python -m build`` starts the build backend as a process of its own, and a
    build stopped by an exception or a signal must not leave either running; every group is
    killed before the exception goes on. (A build killed with SIGKILL cannot do this; the
    next build stops what it left, see ``release.recover``.) Why side by side: the sdist and
    the wheel are compressed independently, each on one core."""
    procs: list[subprocess.Popen[str]] = []
    try:
        for command in commands:
            procs.append(
                subprocess.Popen(
                    command,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    text=True,
                    env=env,
                    start_new_session=True,
                )
            )
        outputs = [proc.communicate()[0] for proc in procs]
    except BaseException:
        for proc in procs:
            with suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        raise
    code = next((proc.returncode for proc in procs if proc.returncode), 0)
    return code, "".join(outputs)


def stage_package_data(
    root: Path,
    catalog: Catalog,
    data_dir: Path,
    dist: Path,
    tables: dict[str, Any],
    rel_desc: dict[str, Any],
    zip_path: Path,
    version: str,
) -> None:
    """``ca_militancy/_data``: what the installed loader reads without network: Parquet
    copies, their descriptor, the schemas, and the registry of published release zips."""
    (data_dir / "parquet").mkdir(parents=True)
    (data_dir / "schemas").mkdir()
    for name in tables:
        shutil.copy2(dist / "parquet" / f"{name}.parquet", data_dir / "parquet")
        shutil.copy2(catalog[name].path, data_dir / "schemas")
    # Only the Parquet copies ship in the wheel, so their resources take the plain table names:
    # the schemas' foreign keys name the referenced resources, and `frictionless validate` of the
    # installed descriptor (`ca-militancy validate`) must resolve them.
    pq_desc = dict(rel_desc)
    pq_desc["resources"] = [
        {**r, "name": r["name"].removesuffix(descriptor.PARQUET_SUFFIX)}
        for r in rel_desc["resources"]
        if r["format"] == "parquet"
    ]
    (data_dir / "datapackage.json").write_text(descriptor.dumps(pq_desc), encoding="utf-8")
    release.write_json(data_dir / "registry.json", registry(root, zip_path, version))
    # The SQLite edition (when the build made one) ships too, for sqlite_path() and `browse`.
    sqlite_file = dist / f"ca-militancy-{version}.sqlite"
    if sqlite_file.is_file():
        shutil.copy2(sqlite_file, data_dir / PACKAGED_NAME)


def registry(root: Path, zip_path: Path, version: str) -> dict[str, dict[str, str | int]]:
    """{version: {"file": zip name, "sha256": ..., "size": bytes}} from releases/*.json plus
    this build. The size is what `fetch` stops reading at, so it is recorded only where it is
    known, for this build's zip: the manifests in releases/ list hashes only, and `fetch`
    applies its documented cap to a release without a size."""
    import json

    out: dict[str, dict[str, str | int]] = {}
    for path in sorted((root / "releases").glob("*.json")):
        try:
            m = json.loads(path.read_text(encoding="utf-8"))
            name = m["zip"]
            out[m["version"]] = {"file": name, "sha256": m["files"][name]}
        except (KeyError, ValueError, TypeError):
            continue
    out[version] = {
        "file": zip_path.name,
        "sha256": sha256_path(zip_path),
        "size": zip_path.stat().st_size,
    }
    return dict(sorted(out.items()))


@contextmanager
def signals_raise_system_exit() -> Iterator[None]:
    """While a build runs, SIGTERM and SIGHUP end it like an exception, so that it stops
    ``python -m build`` and removes its staging directory on the way out (the default action
    would end the process without either)."""

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set handlers; its caller handles signals
        return
    caught = (signal.SIGTERM, signal.SIGHUP)
    previous = {s: signal.signal(s, stop) for s in caught}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def main(argv: list[str] | None = None, root: Path | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="scripts/build.py",
        description="Check data/*.csv against schemas/ and the project rules; write Parquet, "
        "datapackage.json, docs and dist/ (all or nothing).",
    )
    parser.add_argument("--root", type=Path, default=root or REPO_ROOT)
    parser.add_argument("--limit", type=int, default=50, help="problems shown per table")
    parser.add_argument("--no-wheel", action="store_true", help="skip the wheel and sdist")
    parser.add_argument(
        "--no-extras", action="store_true", help="skip the SQLite edition and the figures"
    )
    parser.add_argument("--list-checks", action="store_true", help="list the named checks and exit")
    args = parser.parse_args(argv)
    if args.list_checks:
        try:
            print(list_checks(), flush=True)
        except BrokenPipeError:  # piped into `head`: not an error
            silence_stdout()
        return 0
    sources = sources_dir_from_env()
    build = Build(
        args.root,
        sources,
        limit=args.limit,
        wheel=not args.no_wheel,
        extras=not args.no_extras,
    )
    try:
        with signals_raise_system_exit():
            result = build.run()
    except release.BuildLocked as exc:
        print(f"BUILD REFUSED: {exc}", file=sys.stderr)
        return EXIT_LOCKED
    except BuildFailed as exc:
        print(f"BUILD FAILED: {exc}", file=sys.stderr)
        print("dist/, datapackage.json and the docs were left as they were.", file=sys.stderr)
        return 1
    print(result.summary())
    if sources is None:
        print(f"\nnote: {ENV} is not set, so excerpts and archived-text hashes were NOT checked")
    return 0
