"""Resolve any spelling of an organization, person or place to its records.

Why several comparisons: sources spell the same Arabic or Russian name in many ways (Jund
al-Khilafah, Djund Al-Khalifat; Kusaynov, Kusaynuv). On the normalized text, rapidfuzz's ratio
and token-sort ratio rank near-identical spellings first; the token-set ratio (a query whose
words are all in a name: "Zahir Baibars") and the partial ratio (a query of 4+ letters inside a
longer name) count a little less. A token-sort ratio on a consonant "skeleton"
(transliteration variants folded, the Arabic feminine ending -a/-ah/-at dropped, vowels after
the first letter removed) catches the variants the others score too low. rapidfuzz's WRatio is
not used: it lets a short *candidate* match inside the query ("UN" inside "Djund" scored 90).
Only an exact normalized match scores 100. The matching itself is rapidfuzz; this module only
prepares the strings and weighs the scores.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from ca_militancy.reader.readable import ReadableDataset

# Entity tables searched, with the entity type reported and the column holding the dataset's name.
ENTITY_TABLES = {
    "organizations": ("organization", "name"),
    "people": ("person", "name"),
    "places": ("place", "name"),
}
ALIAS_TABLE, ALIAS_COLUMN, ALIAS_KIND, ALIAS_AMBIGUOUS = "aliases", "alias", "kind", "ambiguous"
NAME_KIND = "name"  # alias_kind reported when the dataset's own name matched

SKELETON_WEIGHT = 0.95  # a transliteration variant
SUBSET_WEIGHT = 0.9  # every query word is in the name
PARTIAL_WEIGHT = 0.85  # the query is a piece of a longer name
PARTIAL_MIN_LENGTH = 4
RESULT_COLUMNS = [
    "entity_type",
    "entity_id",
    "name",
    "matched_alias",
    "alias_kind",
    "ambiguous",
    "score",
]

# Arabic articles: "al"/"el" as a separate word or hyphenated; the assimilated forms
# (ad-Din, ash-Sham, an-Nusra, ...) only when hyphenated, since "as", "at", "an" are English words.
_ASSIMILATED = re.compile(r"\b(?:al|el|ad|adh|an|ar|as|ash|at|ath|az)-(?=[a-z])")
_ARTICLE_WORDS = {"al", "el"}
_APOSTROPHES = re.compile(r"[`'\"]")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
# Transliteration variants folded in the skeleton (longest first).
_FOLDS = [
    ("dzh", "j"),
    ("dj", "j"),
    ("zh", "j"),
    ("tch", "ch"),
    ("kh", "h"),
    ("sh", "s"),
    ("ph", "f"),
    ("q", "k"),
    ("w", "v"),
    ("ou", "u"),
]
_FEMININE_ENDING = re.compile(r"(?<=[a-z]{3})[ae][ht]?$")
_VOWELS = re.compile(r"[aeiouy]")
_DOUBLES = re.compile(r"(.)\1+")


def normalize(text: str) -> str:
    """Case, diacritics, scripts (via anyascii), apostrophes, hyphens and the article folded:
    'Djund Al-Khalifat' -> 'djund khalifat'."""
    from anyascii import anyascii

    s = anyascii(unicodedata.normalize("NFKC", text)).casefold()
    s = _APOSTROPHES.sub("", s)
    s = _ASSIMILATED.sub(" ", s)
    tokens = [t for t in _NON_ALNUM.sub(" ", s).split() if t not in _ARTICLE_WORDS]
    return " ".join(tokens)


def _skeleton_token(token: str) -> str:
    if token.isdigit():
        return token
    for old, new in _FOLDS:
        token = token.replace(old, new)
    token = _FEMININE_ENDING.sub("", token)
    token = _DOUBLES.sub(r"\1", token)
    return token[:1] + _VOWELS.sub("", token[1:])


def skeleton(normalized: str) -> str:
    """Consonant skeleton of a normalized string: 'jund khilafah' and 'djund khalifat' both
    give 'jnd hlf'; 'kusaynov' and 'kusaynuv' both 'ksnv'."""
    return " ".join(_skeleton_token(t) for t in normalized.split())


@dataclass(frozen=True)
class Index:
    """Every searchable string with its entity, prepared once per dataset."""

    rows: pd.DataFrame  # entity_type, entity_id, name, matched_alias, alias_kind, ambiguous
    normalized: list[str]
    skeletons: list[str]


def build_index(ds: ReadableDataset) -> Index:
    import pandas as pd

    from ca_militancy.reader.errors import DataNotFoundError

    parts = []
    names: dict[str, str] = {}
    for table, (etype, name_col) in ENTITY_TABLES.items():
        try:
            df = ds.load(table)
        except DataNotFoundError:
            continue
        key = _pk(ds, table)
        names.update(zip(df[key], df[name_col], strict=True))
        parts.append(
            pd.DataFrame(
                {
                    "entity_type": etype,
                    "entity_id": df[key].astype(object),
                    "name": df[name_col].astype(object),
                    "matched_alias": df[name_col].astype(object),
                    "alias_kind": NAME_KIND,
                    "ambiguous": False,
                }
            )
        )
    try:
        aliases = ds.load(ALIAS_TABLE)
    except DataNotFoundError:
        aliases = None
    if aliases is not None:
        for col, ref, _ in _entity_refs(ds):
            etype = ENTITY_TABLES[ref][0]
            sub = aliases[aliases[col].notna()]
            parts.append(
                pd.DataFrame(
                    {
                        "entity_type": etype,
                        "entity_id": sub[col].astype(object),
                        "name": sub[col].map(names).astype(object),
                        "matched_alias": sub[ALIAS_COLUMN].astype(object),
                        "alias_kind": sub[ALIAS_KIND].astype(object),
                        "ambiguous": sub[ALIAS_AMBIGUOUS].fillna(False).astype(bool),
                    }
                )
            )
    rows = (
        pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=RESULT_COLUMNS[:-1])
    )
    normalized = [normalize(str(s)) for s in rows["matched_alias"]]
    return Index(rows=rows, normalized=normalized, skeletons=[skeleton(n) for n in normalized])


def _pk(ds: ReadableDataset, table: str) -> str:
    return ds.catalog[table].primary_key[0]


def _entity_refs(ds: ReadableDataset) -> list[tuple[str, str, str]]:
    """The alias table's foreign keys that point at a searched entity table."""
    return [fk for fk in ds.catalog[ALIAS_TABLE].foreign_keys if fk[1] in ENTITY_TABLES]


def _index_for(ds: ReadableDataset) -> Index:
    """The dataset's index, built on first use and kept on the dataset object."""
    index = ds.__dict__.get("_lookup_index")
    if index is None:
        index = ds.__dict__["_lookup_index"] = build_index(ds)
    return index


def lookup(
    ds: ReadableDataset,
    text: str,
    *,
    limit: int | None = 10,
    min_score: float = 70.0,
    entity_type: str | None = None,
) -> pd.DataFrame:
    """Entities whose name or an alias matches `text`, best first, one row per entity (its
    best-matching spelling). `entity_type` restricts to 'organization', 'person' or 'place'."""
    import numpy as np
    import pandas as pd
    from rapidfuzz import fuzz, process

    query = normalize(text or "")
    if not query:
        raise ValueError(f"nothing to look up in {text!r}: give a name with letters or digits")
    types = {t for t, _ in ENTITY_TABLES.values()}
    if entity_type is not None and entity_type not in types:
        raise ValueError(f"entity_type must be one of {sorted(types)}, not {entity_type!r}")
    index = _index_for(ds)
    rows = index.rows
    if rows.empty:
        return pd.DataFrame(columns=RESULT_COLUMNS)

    def scores(scorer: object, choices: list[str], q: str = query) -> np.ndarray:
        return process.cdist([q], choices, scorer=scorer, workers=1)[0].astype(float)

    names = index.normalized
    score = np.maximum(scores(fuzz.ratio, names), scores(fuzz.token_sort_ratio, names))
    score = np.maximum(score, SUBSET_WEIGHT * scores(fuzz.token_set_ratio, names))
    if len(query) >= PARTIAL_MIN_LENGTH:
        longer = np.array([len(n) > len(query) for n in names])
        partial = np.where(longer, scores(fuzz.partial_ratio, names), 0.0)
        score = np.maximum(score, PARTIAL_WEIGHT * partial)
    skel = scores(fuzz.token_sort_ratio, index.skeletons, skeleton(query))
    score = np.maximum(score, SKELETON_WEIGHT * skel)
    exact = np.array([n == query for n in index.normalized])
    score = np.where(exact, 100.0, np.minimum(score, 99.9))
    # Among equal scores, the spelling exactly as typed (its script and letters, case aside)
    # is the one reported: "Кариев" matches the Latin name and the Cyrillic alias alike once
    # transliterated, and the user should see the Cyrillic alias they typed.
    as_typed = rows["matched_alias"].astype(str).str.casefold() == text.strip().casefold()
    out = rows.assign(
        score=np.round(score, 1),
        _as_typed=as_typed,
        _exact_name=rows["alias_kind"] == NAME_KIND,
    )
    out = out[out["score"] >= min_score]
    if entity_type is not None:
        out = out[out["entity_type"] == entity_type]
    out = out.sort_values(
        ["score", "_as_typed", "_exact_name", "name"],
        ascending=[False, False, False, True],
        kind="stable",
    )
    out = out.drop_duplicates(["entity_type", "entity_id"], keep="first")
    if limit is not None:
        out = out.head(limit)
    return out[RESULT_COLUMNS].reset_index(drop=True)
