"""Benchmark of the build, the checks and the loader on synthetic packages of growing size.

Why each measurement runs in its own process: peak memory (``ru_maxrss``) only means something
per process, and a fresh interpreter per run keeps one measurement's caches and imports out of
the next. Every measurement is started through a small wrapper process (``_wrap``) that runs it
as its only child and reads ``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss``: that is the
child's peak, whether it is Python (our stages) or not (the ``frictionless`` command).

What is measured, at each size:

- build: the whole build as a maintainer runs it (``scripts/build.py`` with the archived
  texts): ``ca_militancy.build.pipeline.Build`` on the generated tree made a repository (the
  project's pyproject.toml, src/, scripts/ and README copied beside the generated data, so
  the wheel and sdist are built too), stage by stage (check, parquet, ftm, geojson,
  descriptor, docs, figures, sqlite, zip, wheel, manifest incl. SHA256SUMS, commit), with
  the peak memory of the whole process;
- floors: ``pyarrow.csv.read_csv`` of the same files plus ``pyarrow.parquet.write_table``
  (for checks + Parquet); a bare ``sqlite3`` ``executemany`` of the same rows into tables
  without keys or indexes, in one transaction (for the SQLite edition); ``zip -q`` of the same
  files the release zip holds (for the zip);
- frictionless: ``frictionless validate`` of the same package (foreign keys on), capped;
- loader: ``import ca_militancy`` + ``load_all()`` against bare ``pandas.read_parquet`` of the
  same Parquet files (both with pandas and pyarrow imported before the clock starts), and the
  same on the real package; ``import ca_militancy`` alone.

    python benchmarks/run.py --sizes 10000,100000[,1000000]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SRC = REPO / "src"
OUT = HERE / "out"
PY = sys.executable
FRICTIONLESS = Path(sys.executable).with_name("frictionless")
REAL_DATA = SRC / "ca_militancy" / "_data"
REPEATS = 5


# --- workers (run in a fresh process each) ---------------------------------------------------


def _worker_env() -> None:
    sys.path.insert(0, str(SRC))
    sys.path.insert(0, str(HERE))


def _maxrss_mb_self() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def work_build(root: Path) -> dict[str, Any]:
    """The whole build on the generated tree, with its archived texts (see above)."""
    return _build(root, whole=True)


def work_build_light(root: Path) -> dict[str, Any]:
    """The build without the wheel, the figures and the SQLite edition (``--whole-max``)."""
    return _build(root, whole=False)


def _build(root: Path, whole: bool) -> dict[str, Any]:
    _worker_env()
    from ca_militancy.build.pipeline import Build

    peaks: dict[str, float] = {}

    def log(message: str) -> None:
        # called as each stage starts: the peak so far covers every earlier stage
        stage = message.removeprefix("[build] ").removesuffix(" ...")
        peaks[f"before_{stage}"] = _maxrss_mb_self()

    build = Build(root, root / "sources", wheel=whole, extras=whole, log=log)
    result = build.run()
    return {
        "stages": {**result.stage_seconds, "total": sum(result.stage_seconds.values())},
        "rows": result.tables,
        "peak_mb_checks": peaks.get("before_parquet"),
        "peak_mb_checks_parquet": peaks.get("before_descriptor"),
        "checks_skipped": result.checks_skipped,
    }


def work_floor(root: Path) -> dict[str, Any]:
    """The hardware's floor: Arrow's own CSV reader and Parquet writer, default options."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    out = root / "floor"
    out.mkdir(exist_ok=True)
    start = time.perf_counter()
    read = 0.0
    rows = 0
    for path in sorted((root / "data").glob("*.csv")):
        t0 = time.perf_counter()
        table = pacsv.read_csv(path)
        read += time.perf_counter() - t0
        rows += table.num_rows
        pq.write_table(table, out / f"{path.stem}.parquet")
    took = time.perf_counter() - start
    return {"seconds": took, "read_seconds": read, "write_seconds": took - read, "rows": rows}


def _plain(col: Any) -> list[Any]:
    """A column as sqlite3 takes it: dates as ISO text, as the edition stores them."""
    return (col.cast("string") if "date" in str(col.type) else col).to_pylist()


def work_sqlite_floor(root: Path) -> dict[str, Any]:
    """The SQLite floor: the same rows (from the build's Parquet copies, read before the clock
    starts) inserted with bare sqlite3 executemany, one table each, no keys, no indexes."""
    import sqlite3

    import pyarrow.parquet as pq

    tables = {
        p.stem: pq.read_table(p) for p in sorted((root / "dist" / "parquet").glob("*.parquet"))
    }
    rows = {n: list(zip(*(_plain(c) for c in t.columns), strict=True)) for n, t in tables.items()}
    out = root / "floor.sqlite"
    out.unlink(missing_ok=True)
    start = time.perf_counter()
    db = sqlite3.connect(out)
    for name, t in tables.items():
        db.execute(f"CREATE TABLE [{name}] ({', '.join(f'[{c}]' for c in t.column_names)})")
        marks = ", ".join("?" * t.num_columns)
        db.executemany(f"INSERT INTO [{name}] VALUES ({marks})", rows[name])
    db.commit()
    db.close()
    return {"seconds": time.perf_counter() - start, "bytes": out.stat().st_size}


def work_zip_floor(root: Path) -> dict[str, Any]:
    """The zip floor: ``zip -q`` of the files the release zip holds (its members, unpacked
    first, so only the zipping is timed)."""
    import zipfile

    release = next((root / "dist").glob("ca-militancy-*.zip"))
    members = root / "zip-members"
    shutil.rmtree(members, ignore_errors=True)
    with zipfile.ZipFile(release) as zf:
        zf.extractall(members)
    out = root / "floor.zip"
    out.unlink(missing_ok=True)
    start = time.perf_counter()
    subprocess.run(["zip", "-q", "-r", str(out), "."], cwd=members, check=True)
    took = time.perf_counter() - start
    shutil.rmtree(members, ignore_errors=True)
    return {"seconds": took, "bytes": out.stat().st_size}


def work_loader(data: Path) -> dict[str, Any]:
    """``import ca_militancy`` + ``load_all()`` on ``data`` (pandas/pyarrow imported first)."""
    import pandas  # noqa: F401
    import pyarrow.parquet  # noqa: F401

    _worker_env()
    os.environ["CA_MILITANCY_DATA"] = str(data)
    start = time.perf_counter()
    import ca_militancy

    frames = ca_militancy.load_all()
    took = time.perf_counter() - start
    return {"seconds": took, "rows": sum(len(f) for f in frames.values())}


def work_pandas(data: Path) -> dict[str, Any]:
    """Bare ``pandas.read_parquet`` of the same Parquet files (pandas imported first)."""
    import pandas as pd
    import pyarrow.parquet  # noqa: F401

    start = time.perf_counter()
    frames = {p.stem: pd.read_parquet(p) for p in sorted((data / "parquet").glob("*.parquet"))}
    took = time.perf_counter() - start
    return {"seconds": took, "rows": sum(len(f) for f in frames.values())}


def work_import(_: Path) -> dict[str, Any]:
    _worker_env()
    start = time.perf_counter()
    import ca_militancy  # noqa: F401

    return {"seconds": time.perf_counter() - start}


WORKERS = {
    "build": work_build,
    "build_light": work_build_light,
    "floor": work_floor,
    "sqlite_floor": work_sqlite_floor,
    "zip_floor": work_zip_floor,
    "loader": work_loader,
    "pandas": work_pandas,
    "import": work_import,
}


# --- the wrapper: one child, its wall time and peak memory ---------------------------------


def wrap(timeout: float, cmd: list[str], cwd: str | None) -> dict[str, Any]:
    start = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=cwd)
    except subprocess.TimeoutExpired:
        return {"status": "timeout", "wall_seconds": time.perf_counter() - start}
    wall = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    out: dict[str, Any] = {"returncode": proc.returncode, "wall_seconds": wall, "peak_mb": peak}
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if lines:
        with contextlib.suppress(json.JSONDecodeError):
            out["result"] = json.loads(lines[-1])
    if proc.returncode != 0:
        out["stderr"] = proc.stderr[-2000:]
        out["stdout"] = proc.stdout[-2000:]
    out["status"] = "ok" if proc.returncode == 0 else "failed"
    return out


def measure(cmd: list[str], timeout: float = 3600, cwd: Path | None = None) -> dict[str, Any]:
    """Run ``cmd`` under the wrapper and return its report."""
    wrapper = [PY, str(Path(__file__).resolve()), "_wrap", str(timeout), str(cwd or ""), "--"]
    proc = subprocess.run([*wrapper, *cmd], capture_output=True, text=True, check=False)
    try:
        return json.loads(proc.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        return {"status": "failed", "stderr": proc.stderr[-2000:]}


def worker(name: str, path: Path, timeout: float = 3600) -> dict[str, Any]:
    return measure([PY, str(Path(__file__).resolve()), "_work", name, str(path)], timeout)


def median_of(name: str, path: Path, repeats: int = REPEATS) -> dict[str, Any]:
    runs = [worker(name, path) for _ in range(repeats)]
    ok = [r for r in runs if r["status"] == "ok"]
    if not ok:
        return runs[0]
    secs = [r["result"]["seconds"] for r in ok]
    return {
        "status": "ok",
        "seconds": statistics.median(secs),
        "runs": secs,
        "peak_mb": max(r["peak_mb"] for r in ok),
        "rows": ok[0]["result"].get("rows"),
    }


# --- one size ---------------------------------------------------------------------------------


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


# What a maintainer's checkout holds besides data/ and schemas/ (the generator writes those):
# with them the generated tree builds exactly as the repository does, wheel and sdist included.
REPOSITORY_ITEMS = ("pyproject.toml", "src", "scripts", "README.md", "CHANGELOG.md", "CITATION.cff")


def as_repository(root: Path) -> None:
    """Copy the project's own files beside a generated package (never its built _data)."""
    ignore = shutil.ignore_patterns("_data", "__pycache__", "*.pyc", "*.egg-info")
    for item in REPOSITORY_ITEMS:
        src = REPO / item
        if src.is_dir():
            shutil.copytree(src, root / item, ignore=ignore, dirs_exist_ok=True)
        elif src.is_file():
            shutil.copy2(src, root / item)
    for lic in REPO.glob("LICENSE*"):
        shutil.copy2(lic, root / lic.name)


def bench_size(n: int, args: argparse.Namespace) -> dict[str, Any]:
    root = args.out / f"pkg-{n}"
    shutil.rmtree(root, ignore_errors=True)
    res: dict[str, Any] = {"incidents": n, "load_before": load()}
    gen = measure([PY, str(HERE / "generator.py"), str(root), "--incidents", str(n)])
    res["generate"] = gen
    if gen["status"] != "ok":
        return res
    res["rows"] = gen["result"]["rows"]
    res["total_rows"] = sum(res["rows"].values())
    res["csv_mb"] = sum(p.stat().st_size for p in (root / "data").glob("*.csv")) / 2**20
    print(f"[{n}] generated {res['total_rows']:,} rows, {res['csv_mb']:.0f} MB CSV", flush=True)
    as_repository(root)
    whole = n <= args.whole_max
    res["whole_build"] = whole
    res["build"] = worker("build" if whole else "build_light", root)
    print(f"[{n}] build {res['build'].get('status')}", flush=True)
    res["floor"] = worker("floor", root)
    if res["build"]["status"] == "ok":
        res["sqlite_floor"] = worker("sqlite_floor", root)
        res["zip_floor"] = worker("zip_floor", root)
    if n <= args.frictionless_max:
        fl = measure(
            [str(FRICTIONLESS), "validate", "frictionless.datapackage.json"],
            timeout=args.frictionless_timeout,
            cwd=root,
        )
        fl.pop("result", None)
        fl.pop("stdout", None)
        res["frictionless"] = fl
        print(f"[{n}] frictionless {fl['status']}", flush=True)
    else:
        res["frictionless"] = {"status": "skipped", "why": "above --frictionless-max"}
    if res["build"]["status"] == "ok":
        res["loader"] = worker("loader", root / "dist")
        res["pandas"] = worker("pandas", root / "dist")
    res["load_after"] = load()
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)
    return res


# --- summary ----------------------------------------------------------------------------------


def _get(d: dict, *keys: str) -> Any:
    for k in keys:
        if not isinstance(d, dict) or k not in d:
            return None
        d = d[k]
    return d


def derive(res: dict[str, Any]) -> dict[str, Any]:
    """The figures the targets are about."""
    out: dict[str, Any] = {}
    stages = _get(res, "build", "result", "stages") or {}
    rows = res.get("total_rows")
    check = stages.get("check")
    cp = (stages.get("check") or 0) + (stages.get("parquet") or 0) if stages else None
    floor = _get(res, "floor", "result", "seconds")
    out["check_s"] = check
    out["parquet_s"] = stages.get("parquet")
    out["checks_parquet_s"] = cp
    out["floor_s"] = floor
    out["checks_parquet_over_floor"] = cp / floor if cp and floor else None
    out["rows_per_s_checks_parquet"] = rows / cp if cp else None
    out["rows_per_s_floor"] = rows / floor if floor else None
    out["build_stages_s"] = stages
    out["build_peak_mb"] = _get(res, "build", "peak_mb")
    out["checks_peak_mb"] = _get(res, "build", "result", "peak_mb_checks")
    out["checks_parquet_peak_mb"] = _get(res, "build", "result", "peak_mb_checks_parquet")
    out["floor_peak_mb"] = _get(res, "floor", "peak_mb")
    out["sqlite_s"] = stages.get("sqlite")
    out["sqlite_floor_s"] = _get(res, "sqlite_floor", "result", "seconds")
    out["zip_s"] = stages.get("zip")
    out["zip_floor_s"] = _get(res, "zip_floor", "result", "seconds")
    out["build_total_s"] = stages.get("total")
    out["sqlite_over_floor"] = _ratio(out["sqlite_s"], out["sqlite_floor_s"])
    out["zip_over_floor"] = _ratio(out["zip_s"], out["zip_floor_s"])
    fl = res.get("frictionless", {})
    out["frictionless_status"] = fl.get("status")
    out["frictionless_s"] = fl.get("wall_seconds") if fl.get("status") == "ok" else None
    out["frictionless_peak_mb"] = fl.get("peak_mb")
    if fl.get("status") == "timeout":
        out["frictionless_s_at_least"] = fl.get("wall_seconds")
    fls = out["frictionless_s"] or out.get("frictionless_s_at_least")
    out["frictionless_over_checks"] = fls / check if fls and check else None
    out["frictionless_over_build"] = _ratio(fls, out["build_total_s"])
    out["rows_per_s_frictionless"] = rows / out["frictionless_s"] if out["frictionless_s"] else None
    ld, pdx = _get(res, "loader", "result", "seconds"), _get(res, "pandas", "result", "seconds")
    out["load_all_s"], out["read_parquet_s"] = ld, pdx
    out["load_all_over_read_parquet"] = ld / pdx if ld and pdx else None
    return out


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a and b else None


def fmt(x: Any, spec: str = ".2f") -> str:
    if x is None:
        return "-"
    if isinstance(x, str):
        return x
    return format(x, spec)


def table(results: list[dict[str, Any]]) -> str:
    head = ["", *(f"{r['incidents']:,} inc" for r in results)]
    d = [derive(r) for r in results]
    rows = [
        ("rows (all tables)", [fmt(r.get("total_rows"), ",") for r in results]),
        ("CSV MB", [fmt(r.get("csv_mb"), ".0f") for r in results]),
        ("generate s", [fmt(_get(r, "generate", "result", "seconds")) for r in results]),
        ("checks s", [fmt(x["check_s"]) for x in d]),
        ("Parquet copies s", [fmt(x["parquet_s"]) for x in d]),
        ("checks+Parquet s", [fmt(x["checks_parquet_s"]) for x in d]),
        ("floor (read_csv+write_table) s", [fmt(x["floor_s"]) for x in d]),
        ("  ratio checks+Parquet / floor", [fmt(x["checks_parquet_over_floor"]) for x in d]),
        ("  rows/s checks+Parquet", [fmt(x["rows_per_s_checks_parquet"], ",.0f") for x in d]),
        ("  rows/s floor", [fmt(x["rows_per_s_floor"], ",.0f") for x in d]),
        ("peak MB checks", [fmt(x["checks_peak_mb"], ".0f") for x in d]),
        ("peak MB checks+Parquet", [fmt(x["checks_parquet_peak_mb"], ".0f") for x in d]),
        ("peak MB whole build", [fmt(x["build_peak_mb"], ".0f") for x in d]),
        ("peak MB floor", [fmt(x["floor_peak_mb"], ".0f") for x in d]),
    ]
    stage_names = sorted(
        {s for x in d for s in x["build_stages_s"]} - {"check", "parquet", "total"}
    )
    for s in stage_names:
        rows.append((f"build stage {s} s", [fmt(x["build_stages_s"].get(s)) for x in d]))
    rows += [
        (
            "whole build s",
            [
                fmt(x["build_total_s"])
                if r.get("whole_build", True)
                else f"{fmt(x['build_total_s'])} (no wheel/figures/SQLite)"
                for r, x in zip(results, d, strict=True)
            ],
        ),
        ("floor: sqlite3 executemany s", [fmt(x["sqlite_floor_s"]) for x in d]),
        ("  ratio SQLite edition / floor", [fmt(x["sqlite_over_floor"]) for x in d]),
        ("floor: zip -q s", [fmt(x["zip_floor_s"]) for x in d]),
        ("  ratio zip / floor", [fmt(x["zip_over_floor"]) for x in d]),
        (
            "frictionless validate s",
            [
                fmt(x["frictionless_s"])
                if x["frictionless_s"]
                else (
                    f">{x['frictionless_s_at_least']:.0f} (timeout)"
                    if x.get("frictionless_s_at_least")
                    else fmt(x["frictionless_status"])
                )
                for x in d
            ],
        ),
        ("  ratio frictionless / checks", [fmt(x["frictionless_over_checks"], ".1f") for x in d]),
        (
            "  ratio frictionless / whole build",
            [fmt(x["frictionless_over_build"], ".1f") for x in d],
        ),
        ("  rows/s frictionless", [fmt(x["rows_per_s_frictionless"], ",.0f") for x in d]),
        ("  peak MB frictionless", [fmt(x["frictionless_peak_mb"], ".0f") for x in d]),
        ("load_all() s", [fmt(x["load_all_s"], ".3f") for x in d]),
        ("read_parquet s", [fmt(x["read_parquet_s"], ".3f") for x in d]),
        ("  ratio load_all / read_parquet", [fmt(x["load_all_over_read_parquet"]) for x in d]),
        (
            "load avg before / after",
            [f"{r['load_before'][0]} / {r.get('load_after', ['-'])[0]}" for r in results],
        ),
    ]
    width = max(len(label) for label, _ in rows) + 2
    cols = [max(len(h), *(len(v[i]) for _, v in rows)) + 2 for i, h in enumerate(head[1:])]
    lines = [
        head[0].ljust(width) + "".join(h.rjust(w) for h, w in zip(head[1:], cols, strict=True))
    ]
    for label, values in rows:
        lines.append(
            label.ljust(width) + "".join(v.rjust(w) for v, w in zip(values, cols, strict=True))
        )
    return "\n".join(lines)


ARCHIVE = REPO.parent / "shared" / "sources"


def real_build(args: argparse.Namespace, repeats: int = 3) -> dict[str, Any]:
    """The real package's whole build (a copy of the repository with its archived texts), the
    median of ``repeats`` runs by total time, with that run's stages."""
    root = args.out / "real-build"
    runs = []
    for _ in range(repeats):
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
        for item in ("data", "schemas", "docs", "datapackage.json", "releases"):
            src = REPO / item
            if src.is_dir():
                shutil.copytree(src, root / item)
            elif src.is_file():
                shutil.copy2(src, root / item)
        as_repository(root)
        sources = Path(os.environ.get("CA_MILITANCY_SOURCES") or ARCHIVE)
        (root / "sources").symlink_to(sources.resolve())
        res = worker("build", root)
        if res.get("status") != "ok":
            return res
        runs.append(res)
    runs.sort(key=lambda r: r["result"]["stages"]["total"])
    median = runs[len(runs) // 2]
    shutil.rmtree(root, ignore_errors=True)
    stages = median["result"]["stages"]
    slowest = max((k for k in stages if k != "total"), key=lambda k: stages[k])
    return {
        "totals": [r["result"]["stages"]["total"] for r in runs],
        "stages": stages,
        "peak_mb": median.get("peak_mb"),
        "slowest_stage": slowest,
        "slowest_share": stages[slowest] / stages["total"],
    }


def real_package(args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {"data": str(REAL_DATA)}
    out["build"] = real_build(args)
    imp = median_of("import", REAL_DATA, repeats=7)
    out["import_s"] = imp.get("seconds")
    out["import_runs"] = imp.get("runs")
    if not (REAL_DATA / "parquet").is_dir():
        out["status"] = "no built package (run python scripts/build.py first)"
        return out
    ld, pdx = median_of("loader", REAL_DATA), median_of("pandas", REAL_DATA)
    out |= {
        "load_all_s": ld.get("seconds"),
        "load_all_runs": ld.get("runs"),
        "read_parquet_s": pdx.get("seconds"),
        "read_parquet_runs": pdx.get("runs"),
        "rows": ld.get("rows"),
    }
    if ld.get("seconds") and pdx.get("seconds"):
        out["load_all_over_read_parquet"] = ld["seconds"] / pdx["seconds"]
    return out


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "_wrap":
        timeout, cwd, _, *cmd = argv[1:]
        print(json.dumps(wrap(float(timeout), cmd, cwd or None)))
        return 0
    if argv and argv[0] == "_work":
        print(json.dumps(WORKERS[argv[1]](Path(argv[2]))))
        return 0
    parser = argparse.ArgumentParser(description="Benchmark the build, checks and loader.")
    parser.add_argument("--sizes", default="10000,100000", help="incident counts, comma-separated")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--frictionless-timeout", type=float, default=600)
    parser.add_argument("--frictionless-max", type=int, default=10**9)
    parser.add_argument("--keep", action="store_true", help="keep the generated packages")
    parser.add_argument(
        "--whole-max",
        type=int,
        default=10**9,
        help="above this many incidents, build without wheel, figures and SQLite edition",
    )
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    report: dict[str, Any] = {
        "command": "python benchmarks/run.py " + " ".join(argv),
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "versions": _versions(),
        "real_package": real_package(args),
        "sizes": [],
    }
    for n in sizes:
        res = bench_size(n, args)
        res["derived"] = derive(res)
        report["sizes"].append(res)
    report["finished"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    stamp = time.strftime("%Y%m%d-%H%M%S")
    text = json.dumps(report, indent=2, default=str)
    (args.out / f"results-{stamp}.json").write_text(text, encoding="utf-8")
    (args.out / "latest.json").write_text(text, encoding="utf-8")
    print()
    print(table(report["sizes"]))
    rp = report["real_package"]
    print()
    print(f"real package: import ca_militancy {fmt(rp.get('import_s'), '.3f')} s (median)")
    ratio = fmt(rp.get("load_all_over_read_parquet"))
    print(
        f"real package: load_all() {fmt(rp.get('load_all_s'), '.3f')} s, read_parquet "
        f"{fmt(rp.get('read_parquet_s'), '.3f')} s, ratio {ratio}"
    )
    rb = rp.get("build", {})
    if rb.get("stages"):
        stages = ", ".join(f"{k} {v:.2f}" for k, v in rb["stages"].items())
        print(f"real package: whole build {rb['stages']['total']:.2f} s (median of 3): {stages}")
        print(f"real package: slowest stage {rb['slowest_stage']} ({rb['slowest_share']:.0%})")
    print(f"\nJSON: {args.out / f'results-{stamp}.json'}")
    return 0


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for pkg in ("pyarrow", "pandas", "numpy", "frictionless", "sqlite-utils"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "not installed"
    return out


if __name__ == "__main__":
    raise SystemExit(main())
