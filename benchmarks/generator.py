"""Synthetic data package of the project's schemas at any number of incidents.

Why synthetic: the curated dataset has a few dozen incidents; the benchmark must show how the
build, the checks and the loader behave at GTD (200k) and ACLED (millions) scale. The package
written here passes every check of the build (Table Schema types and constraints, primary and
foreign keys, project rules 1-11, and rule 3 against the archived text written beside it), so
the benchmark measures the clean path that users' CI runs on every change.

Everything is derived from ``ca_militancy.schemas``: tables, columns, types, enums, patterns,
keys and ``x-exactly-one-of`` groups. Only a handful of *kinds* of columns are recognised by
their role (primary key, foreign key, exactly-one-of group, ``<x>_start/_end/_precision`` date
groups, ``<x>_low/_best/_high`` count groups, ``contested``, name-like columns that rule 6
compares); a new column of a known kind needs no change here, and a column with a pattern this
module cannot produce makes it fail loudly.

Proportions: per-incident tables follow the real data's ratios (incident actors, publications,
conflicts, sources per incident); entity tables scale sub-linearly, as in conflict datasets
(GTD: ~3,500 perpetrator groups for ~200,000 incidents), and their own ties follow the real
ratios per entity (aliases per entity, memberships per person, relationships and designations
per organization). How often an optional column is filled and how long its text is are read
from the real ``data/*.csv`` when present. Generation is vectorized (numpy, pyarrow.compute):
1M incidents (about 9M rows, 1.5 GB of CSV) take well under a minute.

    python benchmarks/generator.py OUT_DIR --incidents 100000
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import sys
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

# a source checkout's own package, as scripts/build.py does (an installed one works too)
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
from ca_militancy.build.checks import script_of
from ca_militancy.build.places import KIND_ORDER, PRECISIONS_OF_KIND, country_boxes
from ca_militancy.core.catalog import REPO_ROOT, SCHEMA_SUFFIX, catalog, constraint, schema_dir

ROOT_TABLE = "incidents"

# Rows per incident for tables that grow with incidents (real data at the time of writing:
# 96 incident actors, 23 publications, 7 conflicts and 6 sources for 46 incidents).
PER_INCIDENT = {
    "incident_actors": 2.1,
    "publications": 0.5,
    "conflicts": 0.15,
    "corrections": 0.05,
    "sources": 0.13,
    # omissions: one per source, of the archived text's last line (the page's navigation),
    # which no excerpt quotes
    "omissions": 0.13,
    # places: sub-linear at scale like entities (GED's ~90,000 distinct locations for ~300,000
    # events); the real data has 27 for 59 incidents
    "places": 0.3,
    # entities: far fewer than incidents at scale (the real data's 1.65 organizations and
    # 0.7 people per incident reflect a young dataset that describes groups before incidents)
    "organizations": 0.02,
    "people": 0.1,
}
# Rows per parent row for ties of entities (real data: 80 aliases for 108 organizations and
# people, 42 memberships for 32 people, 54 relationships and 9 designations for 76 orgs).
PER_PARENT = {
    "aliases": (("organizations", "people"), 0.74),
    "memberships": (("people",), 1.31),
    "org_relationships": (("organizations",), 0.71),
    "designations": (("organizations",), 0.12),
}
# Citations beyond the one every record needs (real data: 543 citations for 476 records).
EXTRA_CITATIONS = 0.14
CONTESTED_SHARE = 0.05
DEFAULT_FILL = 0.4
MIN_ROWS = 2

# places by kind, and the share of incidents that the sources place (real data: 33 of 59)
PLACE_KINDS = {"site": 0.1, "city": 0.4, "district": 0.1, "province": 0.2, "region": 0.05}
PLACE_KINDS["country"] = 1 - sum(PLACE_KINDS.values())
PLACED_SHARE = 0.56

PRECISIONS = {
    "day": 0.3,
    "month": 0.2,
    "year": 0.15,
    "range": 0.1,
    "on_or_before": 0.05,
    "on_or_after": 0.05,
    "unknown": 0.15,
}

# Text pools: Latin with diacritics, Cyrillic (Russian, Uzbek, Tajik, Kazakh), Arabic script
# (Arabic, Persian, Pashto, Uyghur). Normalized to NFC below, as rule 7 requires.
NAMES = [
    "Islamic Movement of Uzbekistan",
    "Islamic Jihad Union",
    "Katibat Imam al-Bukhari",
    "Jamāʿat Anṣārullāh",
    "Türkistan İslam Partisi",
    "Jund al-Khilāfah",
    "Ўзбекистон Ислом Ҳаракати",
    "Исламское движение Узбекистана",
    "Джамаат Ансаруллах",
    "Ҳизби Наҳзати Исломӣ",
    "Жұнд әл-Халифа",
    "Хизб ут-Тахрир",
    "جند الخلافة",
    "الحركة الإسلامية لأوزبكستان",
    "حرکت اسلامی ازبکستان",
    "د ازبکستان اسلامي غورځنګ",
    "تۈركىستان ئىسلام پارتىيىسى",
    "Abu Muhammad al-Uzbeki",
    "Тоҳир Йўлдош",
    "Жума Наманганий",
    "أبو ذر البرمي",
    "Rawil Kusaynuv",
]
SENTENCES = [
    "The group claimed responsibility for the attack in a video released weeks later, "
    "naming the fighters who took part.",
    "Officials said three people were killed and several wounded; the group said the number "
    "was higher.",
    "Группировка взяла на себя ответственность за нападение, заявив о гибели нескольких "
    "военнослужащих.",
    "Ҳукумат гуруҳни тақиқланган ташкилотлар рўйхатига киритди ва унинг раҳбарларини "
    "қидирувга берди.",
    "Мақомоти интизомӣ аз боздошти чанд нафар аъзои гурӯҳ дар вилояти Суғд хабар доданд.",
    "أعلنت الجماعة مسؤوليتها عن الهجوم في بيان نشرته على الإنترنت بعد أيام من وقوعه.",
    "گروه مسئولیت این حمله را بر عهده گرفت و گفت که چند نیروی امنیتی کشته شده‌اند.",
    "A reader comment disputes the date and says the fighters had left the valley before "
    "the reported clash.",
    "The emir said in an interview that the battalion was named to remind Muslims of their "
    "duty to aid the restoration of the caliphate.",
    "Тарап ведомствосы шабуылға қатысқандардың бірнешеуін ұстағанын мәлімдеді.",
]
# The archived source text: other sentences than the project's own text above, since rule 12
# forbids summaries and notes that copy eight consecutive words of a source.
SOURCE_SENTENCES = [
    "Security services reported that the cell had planned further operations in the capital "
    "before its members were detained.",
    "In the recording the speaker urged supporters to travel abroad and join the fighting.",
    "Местные жители рассказали, что взрыв прогремел ранним утром возле здания полиции.",
    "Вазорати корҳои дохилӣ гуфт, ки ҳамлагарон аз марз гузашта буданд.",
    "Тергеушілердің айтуынша, топ мүшелері интернет арқылы байланысқан.",
    "قال مسؤول محلي إن المهاجمين فروا إلى الجبال بعد تبادل لإطلاق النار استمر ساعتين.",
    "یک منبع امنیتی گفت شمار کشته‌شدگان ممکن است افزایش یابد.",
    "The statement, posted on a forum used by the group, named the commander of the unit.",
    "Analysts say the movement has lost many of its fighters since its leader was killed.",
    "Ички ишлар вазирлиги гумонланувчиларнинг уч нафари қўлга олинганини маълум қилди.",
]
COUNTRIES = ["UZ", "KZ", "KG", "TJ", "TM", "AF", "PK", "CN", "RU", "SY", "IQ", "TR"]
LANGS_SHORT = ["ru", "uz", "ar", "fa", "ps", "en", "tg", "kk", "ky", "ug"]
LANGS_TAGGED = ["en", "ru", "uz-Cyrl", "uz-Latn", "ar", "fa", "tg-Cyrl"]
ARCHIVE_FILE = "000_0123456789abcdef.txt"
ARCHIVE_LINES = 200

NAME_LIKE = ("name", "alias")  # rule 6 compares these across entities: kept distinct


def _nfc(items: list[str]) -> pa.Array:
    return pa.array([unicodedata.normalize("NFC", s) for s in items], pa.string())


@dataclass
class Context:
    """What every column generator may need: sizes, ids, the random source, the real data's
    profile and the archived text."""

    rng: np.random.Generator
    sizes: dict[str, int]
    profile: dict[str, dict[str, tuple[float, float | None]]]
    archive_lines: list[str]
    ids: dict[str, pa.Array] = field(default_factory=dict)

    def fill_rate(self, table: str, col: str) -> float:
        return self.profile.get(table, {}).get(col, (DEFAULT_FILL, None))[0]

    def mean_length(self, table: str, col: str) -> float | None:
        return self.profile.get(table, {}).get(col, (DEFAULT_FILL, None))[1]


# --- profile of the real data ---------------------------------------------------------------


def real_profile(
    root: Path = REPO_ROOT,
) -> dict[str, dict[str, tuple[float, float | None]]]:
    """{table: {column: (share of filled cells, mean text length)}} of the curated CSVs;
    empty for a table without rows (the generator then uses defaults)."""
    out: dict[str, dict[str, tuple[float, float | None]]] = {}
    for name in catalog().names:
        path = Path(root) / "data" / f"{name}.csv"
        if not path.is_file():
            continue
        try:
            t = pacsv.read_csv(
                path,
                convert_options=pacsv.ConvertOptions(
                    column_types={c: pa.string() for c in catalog()[name].field_names},
                    strings_can_be_null=True,
                    null_values=[""],
                ),
            )
        except (pa.ArrowInvalid, KeyError):
            continue
        if t.num_rows == 0:
            continue
        cols = {}
        for c in t.column_names:
            col = t[c]
            filled = 1 - col.null_count / t.num_rows
            mean = pc.mean(pc.utf8_length(col)).as_py() if filled else None
            cols[c] = (filled, mean)
        out[name] = cols
    return out


# --- sizes and ids ---------------------------------------------------------------------------


def table_sizes(incidents: int) -> dict[str, int]:
    sizes = {ROOT_TABLE: incidents}
    for name, ratio in PER_INCIDENT.items():
        sizes[name] = max(MIN_ROWS, round(incidents * ratio))
    for name, (parents, ratio) in PER_PARENT.items():
        sizes[name] = max(MIN_ROWS, round(sum(sizes[p] for p in parents) * ratio))
    unknown = set(catalog().names) - set(sizes) - {"citations"}
    if unknown:
        raise ValueError(f"no proportion for table(s) {sorted(unknown)}: add one to generator.py")
    return sizes


def id_prefix(name: str) -> str:
    """The id prefix of a table from its primary key's pattern (``^org-...`` -> ``org``)."""
    pk = catalog()[name].primary_key[0]
    f = next(f for f in catalog()[name].fields if f["name"] == pk)
    m = re.match(r"\^([a-z]+)-", constraint(f, "pattern", ""))
    if not m:
        raise ValueError(f"{name}.{pk}: cannot derive an id prefix from its pattern")
    return m.group(1)


def make_ids(name: str, n: int) -> pa.Array:
    """Zero-padded serial ids, so that id order is row order (rule 8: sorted by key)."""
    width = max(9, len(str(n)))
    serial = pc.utf8_lpad(pc.cast(pa.array(np.arange(n, dtype=np.int64)), pa.string()), width, "0")
    return pc.binary_join_element_wise(f"{id_prefix(name)}-", serial, "")


# --- column helpers -------------------------------------------------------------------------


def _mask_nulls(arr: pa.Array, keep: np.ndarray) -> pa.Array:
    """``arr`` with nulls where ``keep`` is false."""
    return pc.if_else(pa.array(keep), arr, pa.scalar(None, arr.type))


def _filled(ctx: Context, table: str, col: str, n: int, required: bool) -> np.ndarray:
    if required:
        return np.ones(n, dtype=bool)
    return ctx.rng.random(n) < ctx.fill_rate(table, col)


def _choice(ctx: Context, values: list[Any], n: int, p: list[float] | None = None) -> pa.Array:
    return pa.array(values).take(pa.array(ctx.rng.choice(len(values), size=n, p=p)))


def _text(ctx: Context, table: str, col: str, n: int) -> pa.Array:
    """Sentences of the pool cut to about the real column's mean length (whole words), each
    ending in the row's serial: real free text rarely repeats, and a benchmark on a handful
    of distinct values would flatter every per-value shortcut (hashing, dictionaries)."""
    mean = ctx.mean_length(table, col)
    pool = _nfc([_cut(s, int(mean)) for s in SENTENCES] if mean else SENTENCES)
    out = pool.take(pa.array(ctx.rng.integers(0, len(pool), n)))
    serial = pc.cast(pa.array(np.arange(n, dtype=np.int64)), pa.string())
    return pc.binary_join_element_wise(out, pc.binary_join_element_wise("(", serial, ")", ""), " ")


def _cut(text: str, length: int) -> str:
    if len(text) <= length:
        return text
    head = text[: max(length, 8)]
    return head.rsplit(" ", 1)[0].rstrip(" ,;") if " " in head else head


def _name_like(ctx: Context, table: str, col: str, n: int) -> pa.Array:
    """Unique per row and per table (``Name 12`` for names, ``Name (12)`` for aliases), so
    no alias accidentally names two entities (rule 6)."""
    pool = _nfc(NAMES)
    base = pool.take(pa.array(ctx.rng.integers(0, len(pool), n)))
    serial = pc.cast(pa.array(np.arange(n, dtype=np.int64)), pa.string())
    if col == "alias":
        serial = pc.binary_join_element_wise("(", serial, ")", "")
    else:
        serial = pc.binary_join_element_wise(id_prefix(table), serial, "")
    return pc.binary_join_element_wise(base, serial, " ")


def _fk(ctx: Context, target: str, n: int, index: np.ndarray | None = None) -> pa.Array:
    ids = ctx.ids[target]
    if index is None:
        index = ctx.rng.integers(0, len(ids), n)
    return ids.take(pa.array(index))


def _pattern_values(ctx: Context, table: str, f: dict[str, Any], n: int) -> pa.Array:
    pattern = constraint(f, "pattern")
    archive_sha = hashlib.sha256(archive_bytes(ctx.archive_lines)).hexdigest()
    known: dict[str, Any] = {
        "^[A-Z]{2}$": lambda: _choice(ctx, COUNTRIES, n),
        "^[a-z]{2,3}$": lambda: _choice(ctx, LANGS_SHORT, n),
        "^[a-z]{2}(-[A-Z][a-z]{3})?$": lambda: _choice(ctx, LANGS_TAGGED, n),
        "^[0-9]{3}_[0-9a-f]{16}\\.txt$": lambda: pa.array([ARCHIVE_FILE] * n),
        "^[0-9a-f]{64}$": lambda: pa.array([archive_sha] * n),
        "^[0-9]+-[0-9]+$": lambda: pa.array([f"1-{len(ctx.archive_lines)}"] * n),
        "^[a-z_]+$": lambda: _choice(ctx, catalog()[ROOT_TABLE].field_names[1:], n),
        "^[0-9]+\\.[0-9]+\\.[0-9]+$": lambda: pa.array(["1.0.0"] * n),
    }
    if pattern not in known:
        raise ValueError(f"{table}.{f['name']}: no generator for pattern {pattern!r}")
    return known[pattern]()


# --- groups of columns ----------------------------------------------------------------------


def _date_groups(name: str) -> list[str]:
    names = catalog()[name].field_names
    groups = [n.removesuffix("_precision") for n in names if n.endswith("_precision")]
    return [g for g in groups if f"{g}_start" in names and f"{g}_end" in names]


def _dates(ctx: Context, n: int) -> dict[str, pa.Array]:
    """start, end, precision consistent with rule 4."""
    rng = ctx.rng
    prec_names = list(PRECISIONS)
    prec = rng.choice(len(prec_names), size=n, p=list(PRECISIONS.values()))
    day = np.datetime64("1990-01-01") + rng.integers(0, 35 * 365, n).astype("timedelta64[D]")
    month = day.astype("datetime64[M]")
    year = day.astype("datetime64[Y]")
    start = day.copy()
    end = day.copy()
    is_ = {p: prec == i for i, p in enumerate(prec_names)}
    start[is_["month"]] = month[is_["month"]].astype("datetime64[D]")
    end[is_["month"]] = ((month + 1).astype("datetime64[D]") - 1)[is_["month"]]
    start[is_["year"]] = year[is_["year"]].astype("datetime64[D]")
    end[is_["year"]] = ((year + 1).astype("datetime64[D]") - 1)[is_["year"]]
    span = rng.integers(1, 400, n).astype("timedelta64[D]")
    end[is_["range"]] = (day + span)[is_["range"]]
    has_start = ~(is_["on_or_before"] | is_["unknown"])
    has_end = ~(is_["on_or_after"] | is_["unknown"])
    return {
        "start": pa.array(start, pa.date32(), mask=~has_start),
        "end": pa.array(end, pa.date32(), mask=~has_end),
        "precision": pa.array(prec_names).take(pa.array(prec)),
    }


def _count_groups(name: str) -> list[str]:
    names = catalog()[name].field_names
    return [
        n.removesuffix("_low") for n in names if n.endswith("_low") and f"{n[:-4]}_high" in names
    ]


def _counts(ctx: Context, table: str, group: str, n: int, any_count: np.ndarray) -> dict:
    """low <= best <= high (rule 5), each filled at the real data's rate."""
    rng = ctx.rng
    has = rng.random(n) < max(ctx.fill_rate(table, f"{group}_best"), 0.1)
    best = rng.poisson(3, n)
    low = np.maximum(best - rng.integers(0, 3, n), 0)
    high = best + rng.integers(0, 5, n)
    out = {}
    for suffix, values in (("low", low), ("best", best), ("high", high)):
        fill = has & (rng.random(n) < (0.9 if suffix == "best" else 0.5))
        any_count |= fill
        out[f"{group}_{suffix}"] = pa.array(values.astype(np.int64), mask=~fill)
    return out


# --- tables ---------------------------------------------------------------------------------


def build_table(ctx: Context, name: str, n: int, presets: dict[str, pa.Array]) -> pa.Table:
    """One table in its schema's column order; ``presets`` are columns decided by the caller
    (those whose values tie rows of several tables together)."""
    flds = catalog()[name].fields
    pk = catalog()[name].primary_key
    fks = {c: t for c, t, _ in catalog()[name].foreign_keys}
    fks = {c: (name if t == name else t) for c, t in fks.items()}
    one_of = catalog()[name].exactly_one_of
    cols: dict[str, pa.Array] = dict(presets)
    if one_of and not set(one_of) & set(cols):
        weights = np.array([max(ctx.fill_rate(name, c), 0.01) for c in one_of])
        which = ctx.rng.choice(len(one_of), size=n, p=weights / weights.sum())
        for i, c in enumerate(one_of):
            cols[c] = _mask_nulls(_fk(ctx, fks[c], n), which == i)
    for g in _date_groups(name):
        if f"{g}_precision" not in cols:
            d = _dates(ctx, n)
            for part in ("start", "end", "precision"):
                cols[f"{g}_{part}"] = d[part]
    any_count = np.zeros(n, dtype=bool)
    for g in _count_groups(name):
        cols |= _counts(ctx, name, g, n, any_count)
    for f in flds:
        col = f["name"]
        if col in cols:
            continue
        required = bool(constraint(f, "required", False))
        ftype = f.get("type", "string")
        enum = constraint(f, "enum")
        if col in pk:
            cols[col] = ctx.ids[name]
            continue
        if col == "casualty_basis" and enum:
            cols[col] = _mask_nulls(_choice(ctx, enum, n), any_count)
            continue
        if constraint(f, "unique"):
            raise ValueError(f"{name}.{col}: unique non-key columns are not generated yet")
        filled = _filled(ctx, name, col, n, required)
        if col in fks:
            values = _fk(ctx, fks[col], n)
        elif ftype == "boolean":
            values = pa.array(ctx.rng.random(n) < (0.05 if required else 0.2))
            if col in ("ambiguous", "contested"):
                values = pa.array(np.zeros(n, dtype=bool))
        elif enum:
            values = _choice(ctx, enum, n)
        elif ftype == "integer":
            low = constraint(f, "minimum", 0)
            values = pa.array(ctx.rng.integers(low, low + 100, n))
        elif ftype == "date":
            days = ctx.rng.integers(0, 365 * 30, n)
            values = pa.array(np.datetime64("1995-01-01") + days.astype("timedelta64[D]"))
            values = values.cast(pa.date32())
        elif ftype == "string" and constraint(f, "pattern"):
            values = _pattern_values(ctx, name, f, n)
        elif ftype == "string" and col in NAME_LIKE:
            values = _name_like(ctx, name, col, n)
        elif ftype == "string" and col == "url":
            values = pa.array([f"https://example.org/{name}/{i}" for i in range(n)])
        elif ftype == "string":
            values = _text(ctx, name, col, n)
        else:
            raise ValueError(f"{name}.{col}: no generator for Table Schema type {ftype!r}")
        cols[col] = values if required else _mask_nulls(values, filled)
    return pa.table({f["name"]: cols[f["name"]] for f in flds})


def _citing_columns() -> dict[str, str]:
    """{cited table: citations column} (the x-exactly-one-of columns of citations)."""
    one_of = set(catalog()["citations"].exactly_one_of)
    return {t: c for c, t, _ in catalog()["citations"].foreign_keys if c in one_of}


def generate_tables(incidents: int, seed: int = 0, profile: dict | None = None) -> dict:
    """All tables as Arrow tables, in memory (see :func:`write_package` to write them)."""
    rng = np.random.default_rng(seed)
    sizes = table_sizes(incidents)
    ctx = Context(
        rng=rng,
        sizes=sizes,
        profile=real_profile() if profile is None else profile,
        archive_lines=archive_lines(),
    )
    for name, n in sizes.items():
        ctx.ids[name] = make_ids(name, n)
    tables: dict[str, pa.Table] = {}

    # incident actors spread evenly over incidents (every incident has 2 or 3)
    act_inc = np.arange(sizes["incident_actors"]) * incidents // sizes["incident_actors"]
    presets: dict[str, dict[str, pa.Array]] = {
        "incident_actors": {"incident_id": _fk(ctx, ROOT_TABLE, 0, act_inc)},
    }
    # contested ties: a share of the rows of every table with `contested`, disputed below
    contested: dict[str, np.ndarray] = {}
    for name in sizes:
        if "contested" in catalog()[name].field_names:
            flag = rng.random(sizes[name]) < CONTESTED_SHARE
            contested[name] = np.flatnonzero(flag)
            presets.setdefault(name, {})["contested"] = pa.array(flag)
    # conflicts: on distinct incidents, about one field; evidence = two citations below
    conf_cols = catalog()["conflicts"].exactly_one_of
    conf_fk = {c: t for c, t, _ in catalog()["conflicts"].foreign_keys}
    inc_col = next(c for c in conf_cols if conf_fk[c] == ROOT_TABLE)
    conf_rows = np.sort(
        rng.choice(incidents, size=min(sizes["conflicts"], incidents), replace=False)
    )
    sizes["conflicts"] = len(conf_rows)
    ctx.ids["conflicts"] = make_ids("conflicts", len(conf_rows))
    conf_field = "killed_best"
    presets["conflicts"] = {c: pa.nulls(len(conf_rows), pa.string()) for c in conf_cols}
    presets["conflicts"][inc_col] = _fk(ctx, ROOT_TABLE, 0, conf_rows)
    presets["conflicts"]["field"] = pa.array([conf_field] * len(conf_rows))

    # copies: none (a random copy_of would form chains and loops the checks refuse)
    presets["sources"] = {"copy_of_source_id": pa.nulls(sizes["sources"], pa.string())}
    sizes["omissions"] = min(sizes["omissions"], sizes["sources"])
    presets["omissions"] = _omissions(ctx, sizes["omissions"])
    presets["places"], place_kind, place_country = _places(ctx, sizes["places"])
    presets[ROOT_TABLE] = _placed_incidents(ctx, incidents, place_kind, place_country)

    for name, n in sizes.items():
        tables[name] = build_table(ctx, name, n, presets.get(name, {}))

    _give_inferences_a_reason(tables)
    _aliases_in_their_script(tables)
    tables["citations"] = _citations(ctx, contested, conf_rows, conf_field, tables)
    return tables


def _province_codes() -> dict[str, str]:
    """One ISO 3166-2 code per country of COUNTRIES (the first in pycountry's order)."""
    import pycountry

    return {
        cc: sorted(s.code for s in pycountry.subdivisions.get(country_code=cc))[0]
        for cc in COUNTRIES
    }


def _places(ctx: Context, n: int) -> tuple[dict[str, pa.Array], np.ndarray, np.ndarray]:
    """The columns of places that the place checks tie together: kind, country, a province's
    ISO 3166-2 code, and a point inside the country's box (none for regions). Returns the
    presets and each place's kind and country, which the incidents placed in them follow."""
    rng = ctx.rng
    kind = np.asarray(list(PLACE_KINDS))[
        rng.choice(len(PLACE_KINDS), n, p=list(PLACE_KINDS.values()))
    ]
    country = np.asarray(COUNTRIES)[rng.integers(0, len(COUNTRIES), n)]
    codes = _province_codes()
    iso = [codes[c] if k == "province" else None for k, c in zip(kind, country, strict=True)]
    boxes = country_boxes()
    lat = np.array([(boxes[c][0] + boxes[c][1]) / 2 for c in country])
    lon = np.array([(boxes[c][2] + boxes[c][3]) / 2 for c in country])
    basis = np.where(
        kind == "region",
        "none",
        np.where(np.isin(kind, ["site", "city", "district"]), "point", "area_center"),
    )
    has_point = basis != "none"
    presets = {
        "kind": pa.array(kind),
        "country_code": pa.array(country),
        "iso_3166_2": pa.array(iso, pa.string()),
        "latitude": pa.array(np.round(lat, 5), mask=~has_point),
        "longitude": pa.array(np.round(lon, 5), mask=~has_point),
        "coordinates": pa.array(basis),
        "coordinate_source": _mask_nulls(pa.array(["Synthetic gazetteer."] * n), has_point),
    }
    return presets, kind, country


def _placed_incidents(
    ctx: Context, n: int, place_kind: np.ndarray, place_country: np.ndarray
) -> dict[str, pa.Array]:
    """place_id and place_precision agreeing with the place's kind, and the 1.0.0 columns
    (country_code, province, place) filled only as coarsely as the place allows."""
    rng = ctx.rng
    placed = rng.random(n) < PLACED_SHARE
    which = rng.integers(0, len(place_kind), n)
    kind = place_kind[which]
    rank = np.array([KIND_ORDER.index(k) for k in kind])
    precision = np.array([PRECISIONS_OF_KIND[k][0] for k in kind], dtype=object)
    precision[~placed] = "unknown"
    province_ok = placed & (rank <= KIND_ORDER.index("region")) & (rng.random(n) < 0.3)
    place_ok = placed & (rank <= KIND_ORDER.index("district")) & (rng.random(n) < 0.6)
    return {
        "place_id": _mask_nulls(_fk(ctx, "places", n, which), placed),
        "place_precision": pa.array(precision, pa.string()),
        "country_code": _mask_nulls(pa.array(place_country[which]), placed),
        "province": _mask_nulls(_text(ctx, ROOT_TABLE, "province", n), province_ok),
        "place": _mask_nulls(_text(ctx, ROOT_TABLE, "place", n), place_ok),
    }


def _give_inferences_a_reason(tables: dict[str, pa.Table]) -> None:
    """Rows whose certainty is `inferred` carry a note (the reasoning), as the checks require."""
    for name, t in tables.items():
        if not {"certainty", "note"} <= set(t.column_names):
            continue
        inferred = pc.equal(pc.cast(t["certainty"], pa.string()), "inferred")
        note = pc.if_else(
            pc.and_(inferred, pc.is_null(t["note"])), "Synthetic reasoning.", t["note"]
        )
        tables[name] = t.set_column(t.schema.get_field_index("note"), "note", note)


def _aliases_in_their_script(tables: dict[str, pa.Table]) -> None:
    """Each alias's script is that of its letters (the pool mixes Latin, Cyrillic, Arabic)."""
    t = tables["aliases"]
    scripts = pa.array([script_of(a) for a in t["alias"].to_pylist()])
    tables["aliases"] = t.set_column(t.schema.get_field_index("script"), "script", scripts)


def _fact_fields(table: pa.Table, name: str) -> pa.Array:
    """Per row, the space-separated filled fact fields (x-cited) of a record (null if none)."""
    parts = []
    for col in catalog()[name].cited_fields:
        values = table[col]
        filled = pc.is_valid(values)
        if pa.types.is_boolean(values.type):
            filled = pc.and_(filled, pc.fill_null(values, False))
        if pa.types.is_dictionary(values.type):
            filled = pc.and_(filled, pc.not_equal(pc.cast(values, pa.string()), "unknown"))
        parts.append(pc.if_else(filled, col, ""))
    if not parts:
        return pa.nulls(table.num_rows, pa.string())
    joined = pc.binary_join_element_wise(*parts, " ")
    squeezed = pc.utf8_trim_whitespace(pc.replace_substring_regex(joined, " +", " "))
    return pc.if_else(pc.equal(squeezed, ""), pa.scalar(None, pa.string()), squeezed)


def _citations(
    ctx: Context,
    contested: dict[str, np.ndarray],
    conf_rows: np.ndarray,
    conf_field: str,
    tables: dict[str, pa.Table],
) -> pa.Table:
    """One citation per record of every cited table (rule 1), extra field citations,
    two differing field citations per conflict (rule 10), one `disputes` citation per
    contested tie (rule 11); rows shuffled so foreign keys are not in order."""
    rng = ctx.rng
    citing = _citing_columns()
    targets = [t for t in citing if t in ctx.sizes]
    parts_t, parts_r, parts_field, parts_value, parts_dispute = [], [], [], [], []

    def add(t: int, rows: np.ndarray, fld=None, value=None, dispute=False) -> None:
        parts_t.append(np.full(len(rows), t, dtype=np.int32))
        parts_r.append(rows.astype(np.int64))
        parts_field.append(
            fld if isinstance(fld, np.ndarray) else np.full(len(rows), fld, dtype=object)
        )
        parts_value.append(
            np.full(len(rows), value, dtype=object) if not isinstance(value, np.ndarray) else value
        )
        parts_dispute.append(np.full(len(rows), dispute))

    total = 0
    for i, t in enumerate(targets):
        facts = _fact_fields(tables[t], t).to_numpy(zero_copy_only=False)
        add(i, np.arange(ctx.sizes[t]), facts, None)
        total += ctx.sizes[t]
    inc = targets.index(ROOT_TABLE)
    extra = rng.integers(0, ctx.sizes[ROOT_TABLE], int(total * EXTRA_CITATIONS))
    add(inc, extra, "title", None)
    add(inc, conf_rows, conf_field, "3")
    add(inc, conf_rows, conf_field, "4")
    for t, rows in contested.items():
        add(targets.index(t), rows, None, None, dispute=True)
    which = np.concatenate(parts_t)
    row = np.concatenate(parts_r)
    fld = np.concatenate(parts_field)
    value = np.concatenate(parts_value)
    dispute = np.concatenate(parts_dispute)
    order = rng.permutation(len(which))
    which, row, fld, value, dispute = (
        which[order],
        row[order],
        fld[order],
        value[order],
        dispute[order],
    )
    n = len(which)
    ctx.ids["citations"] = make_ids("citations", n)
    presets: dict[str, pa.Array] = {}
    for i, t in enumerate(targets):
        mask = which == i
        idx = np.where(mask, row, 0)
        presets[citing[t]] = _mask_nulls(ctx.ids[t].take(pa.array(idx)), mask)
    for c in set(catalog()["citations"].exactly_one_of) - set(presets):
        presets[c] = pa.nulls(n, pa.string())
    pool_lines, pool_excerpts = excerpt_pool(ctx.archive_lines)
    pick = pa.array(rng.integers(0, len(pool_lines), n))
    presets["excerpt"] = _nfc(pool_excerpts).take(pick)
    presets["line"] = pa.array(np.asarray(pool_lines, dtype=np.int64)).take(pick)
    presets["stance"] = pa.array(np.where(dispute, "disputes", "supports"))
    presets["field"] = pa.array(fld, pa.string())
    presets["value_as_stated"] = pa.array(value, pa.string())
    # synthetic values have no words behind them: every field citation says it is derived
    presets["derivation"] = pc.if_else(
        pc.is_valid(presets["field"]), "Synthetic value.", pa.scalar(None, pa.string())
    )
    return build_table(ctx, "citations", n, presets)


# --- the archived text ----------------------------------------------------------------------


NAVIGATION_LINE = "Share this page · Print · Related stories"


def _omissions(ctx: Context, n: int) -> dict[str, pa.Array]:
    """The first n sources each omit the navigation line, the last of the archived text."""
    line = len(ctx.archive_lines)
    sources = ctx.ids["sources"].slice(0, n)
    suffix = pc.utf8_slice_codeunits(sources, 4)
    return {
        "omission_id": pc.binary_join_element_wise("omi-", suffix, f"-{line:03d}", ""),
        "source_id": sources,
        "line": pa.array(np.full(n, line, dtype=np.int64)),
        "reason": pa.array(["navigation"] * n),
        "note": pa.array(["The page's share and print links."] * n),
    }


def archive_lines() -> list[str]:
    """Lines of the one archived text every synthetic source points at: two sentences of
    the pool and the line's number, at most 200 characters."""
    out = []
    for i in range(ARCHIVE_LINES - 1):
        k = len(SOURCE_SENTENCES)
        a = SOURCE_SENTENCES[i % k]
        b = SOURCE_SENTENCES[(i + 1 + i // k) % k]
        text = _cut(unicodedata.normalize("NFC", f"{a} {b}"), 180)
        out.append(f"{text} ({i + 1})")
    out.append(NAVIGATION_LINE)  # quoted by no excerpt: every source omits it
    return out


def excerpt_pool(lines: list[str]) -> tuple[list[int], list[str]]:
    """Every run of whole words of 30-150 characters of every line, with its 1-based line
    number: some 20,000 distinct excerpts, each verbatim on its line (rule 3)."""
    out_lines, out_text = [], []
    for no, line in enumerate(lines, start=1):
        if line == NAVIGATION_LINE:
            continue
        words = line.split(" ")
        for i in range(len(words)):
            for j in range(i + 1, len(words) + 1):
                text = " ".join(words[i:j])
                if 30 <= len(text) <= 150:
                    out_lines.append(no)
                    out_text.append(text)
    return out_lines, out_text


def archive_bytes(lines: list[str]) -> bytes:
    return ("\n".join(lines) + "\n").encode("utf-8")


# --- writing --------------------------------------------------------------------------------

_NEEDS_QUOTES = '[",\r\n]'


def csv_text_column(col: pa.Array) -> pa.Array:
    """Cells as CSV text: ISO dates, true/false, quoted only when needed (like Python's csv
    module, which the curators' tools use), nulls as empty cells."""
    text = pc.cast(col, pa.string()) if not pa.types.is_string(col.type) else col
    needs = pc.fill_null(pc.match_substring_regex(text, _NEEDS_QUOTES), False)
    if not pc.any(needs).as_py():
        return text
    quoted = pc.binary_join_element_wise('"', pc.replace_substring(text, '"', '""'), '"', "")
    return pc.if_else(needs, quoted, text)


def write_csv(table: pa.Table, path: Path, chunk_rows: int = 250_000) -> None:
    """Write ``table`` as UTF-8 CSV with LF line endings and an unquoted header, building each
    chunk's lines in Arrow and writing the string buffer directly."""
    with open(path, "wb") as fh:
        fh.write((",".join(table.column_names) + "\n").encode())
        for start in range(0, table.num_rows, chunk_rows):
            part = table.slice(start, chunk_rows)
            cols = [csv_text_column(part[c].combine_chunks()) for c in part.column_names]
            lines = pc.binary_join_element_wise(
                *cols, ",", null_handling="replace", null_replacement=""
            )
            lines = pc.binary_join_element_wise(lines, "", "\n")
            if isinstance(lines, pa.ChunkedArray):
                lines = lines.combine_chunks()
            offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32)
            lo, hi = offsets[lines.offset], offsets[lines.offset + len(lines)]
            fh.write(memoryview(lines.buffers()[2])[lo:hi])


def frictionless_descriptor(root: Path) -> dict[str, Any]:
    """A minimal Data Package for ``frictionless validate``: CSV resources with their schemas,
    and no bytes, hash or row counts, so frictionless checks the same things our checks do."""
    return {
        "name": "ca-militancy-bench",
        "resources": [
            {
                "name": name,
                "path": f"data/{name}.csv",
                "format": "csv",
                "encoding": "utf-8",
                "schema": f"schemas/{name}{SCHEMA_SUFFIX}",
            }
            for name in catalog(root).names
        ],
    }


FRICTIONLESS_DESCRIPTOR = "frictionless.datapackage.json"
SOURCES_DIR = "sources"


def write_package(out: Path, incidents: int, seed: int = 0) -> dict[str, int]:
    """Write ``out/data/*.csv``, ``out/schemas/`` (a copy), ``out/sources/`` (the archived
    text) and ``out/frictionless.datapackage.json``. Returns rows per table."""
    out = Path(out)
    tables = generate_tables(incidents, seed)
    (out / "data").mkdir(parents=True, exist_ok=True)
    shutil.copytree(schema_dir(), out / "schemas", dirs_exist_ok=True)
    (out / SOURCES_DIR).mkdir(exist_ok=True)
    (out / SOURCES_DIR / ARCHIVE_FILE).write_bytes(archive_bytes(archive_lines()))
    for name, table in tables.items():
        write_csv(table, out / "data" / f"{name}.csv")
    (out / FRICTIONLESS_DESCRIPTOR).write_text(
        json.dumps(frictionless_descriptor(out), indent=2) + "\n", encoding="utf-8"
    )
    return {name: t.num_rows for name, t in sorted(tables.items())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="directory to write (data/, schemas/, sources/)")
    parser.add_argument("--incidents", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    rows = write_package(args.out, args.incidents, args.seed)
    took = time.perf_counter() - start
    print(json.dumps({"incidents": args.incidents, "rows": rows, "seconds": round(took, 2)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
