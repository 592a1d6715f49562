"""Probabilistic linkage of person records with Splink 5 on DuckDB: normalise, block, score, cluster.

Pure of Django: it takes a table of person records and returns scored pairs and clusters, so the linkage run
(`services.link`), the benchmarks and the tests call the same code, and the same settings run on Splink's Spark
backend when a state's records outgrow one machine (README, "Linkage at state scale").

Why these comparisons: names, date of birth, sex and address are what every jail export carries; identifiers
(FBI number, state ID, A-number) join people deterministically before this runs and are not scored here.
Why a shipped model (`default_model.json`) as well as training: EM needs thousands of records to estimate m
and u; a county with a few hundred bookings gets the shipped parameters instead of a model fitted to noise.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

#: the columns a record table must have (unique_id an integer; the others text, None when unknown)
COLUMNS = ("unique_id", "first_name", "last_name", "dob", "sex", "street", "city", "postcode", "state")
#: default match weight at or above which two records are the same person (log2 of the Bayes factor)
THRESHOLD = 6.0
#: default match weight at or above which a pair under the threshold goes to review
REVIEW_FLOOR = 0.0
#: below this many records the shipped model is used instead of re-estimating m and u
TRAIN_MIN_RECORDS = 2_000
DEFAULT_MODEL = Path(__file__).with_name("default_model.json")
#: how many records the shipped model was trained on (FEBRL dataset4a + dataset4b, `bench/linkage.py
#: --save-model`); its prior match rate is rescaled to the size of the data it is used on
DEFAULT_MODEL_RECORDS = 10_000

Step = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


# ------------------------------------------------------------------------------------------ normalising
def normalise(records: pd.DataFrame) -> pd.DataFrame:
    """Case-folded, trimmed, punctuation-free text; None for blanks. Why: Splink compares strings as they are,
    and "O'Brien " and "obrien" are the same name to a clerk."""
    out = pd.DataFrame({"unique_id": records["unique_id"].astype("int64")})
    for col in ("first_name", "last_name", "street", "city"):
        s = records[col].astype("string").str.lower()
        s = s.str.replace(r"[^\w\s]", "", regex=True).str.replace(r"\s+", " ", regex=True).str.strip()
        out[col] = s.mask(s == "")
    pc = records["postcode"].astype("string").str.replace(r"[^0-9A-Za-z]", "", regex=True).str.upper()
    out["postcode"] = pc.mask(pc == "")
    st = records["state"].astype("string").str.strip().str.lower()
    out["state"] = st.mask(st == "")
    sex = records["sex"].astype("string").str.strip().str.upper()
    out["sex"] = sex.where(sex.isin(["M", "F"]))
    dob = records["dob"].astype("string").str.strip().str[:10]
    out["dob"] = dob.mask(dob == "")
    return out.astype(object).where(out.notna(), None)


# ------------------------------------------------------------------------------------------ the model
@dataclass(frozen=True)
class Key:
    """One part of a blocking rule: its SQL (what Splink joins on) and the same value computed in pandas (what
    the block sizes are counted on, before Splink runs)."""

    sql: str
    column: str
    prefix: int = 0  # 0: the whole value; n: its first n characters

    def values(self, data: pd.DataFrame) -> pd.Series:
        s = data[self.column]
        return s.str[: self.prefix] if self.prefix else s


FIRST, LAST = Key("first_name", "first_name"), Key("last_name", "last_name")
STREET, CITY = Key("street", "street"), Key("city", "city")
DOB, POSTCODE = Key("dob", "dob"), Key("postcode", "postcode")
FIRST_INITIAL = Key("substr(first_name, 1, 1)", "first_name", 1)
LAST_INITIAL = Key("substr(last_name, 1, 1)", "last_name", 1)
BIRTH_YEAR = Key("substr(dob, 1, 4)", "dob", 4)

#: a block may make at most this many comparisons per record; a larger one is split (`blocking_rules`)
BLOCK_BUDGET_PER_RECORD = 10
#: the same for the block EM trains on (date of birth). Larger: EM's m estimates need the pairs a finer block
#: would drop; splitting it at 1,000,000 bookings cost 0.7% of recall (bench/linkage_dedupe.py, 04:08 UTC)
TRAIN_BLOCK_BUDGET_PER_RECORD = 50


def _block_pairs(data: pd.DataFrame, keys: tuple[Key, ...]) -> int:
    """How many pairs a rule makes on `data` (records with any key unknown join nobody, as in Splink's SQL)."""
    frame = pd.DataFrame({i: k.values(data) for i, k in enumerate(keys)}).dropna()
    if frame.empty:
        return 0
    sizes = frame.value_counts(sort=False).to_numpy(dtype="int64")
    return int((sizes * (sizes - 1) // 2).sum())


def _split(data: pd.DataFrame, keys: tuple[Key, ...], more: tuple[Key, ...], budget: int) -> tuple[Key, ...]:
    """The rule, with keys from `more` added one at a time while it makes more pairs than the budget."""
    for extra in more:
        if _block_pairs(data, keys) <= budget:
            break
        if extra.column == "dob" and DOB in keys:
            continue  # the birth year splits nothing a date of birth has not split
        keys = (*keys, extra)
    return keys


def block_keys(data: pd.DataFrame, budget_per_record: int | None = None) -> list[tuple[Key, ...]]:
    """The blocks that generate pairs to score, each small enough for the data at hand.

    Why these: together they find a true pair when either the full name, the surname and an initial, the
    address, the date of birth or the postcode survives the clerk's typos. Why a budget: the cost of scoring is
    the number of pairs, and on a state's data one surname, one birthday or one postcode is shared by hundreds
    of people; a block that would make more than `budget_per_record` comparisons per record is split by
    what its pairs must also share to be worth scoring: an initial (a one-field block is split two ways, by
    the first and by the last initial, so a typo in one initial does not lose the pair), then the other
    initial, then the birth year. Counted here on the data, before Splink runs. On 1,000,000 generated
    bookings this makes ~16 million pairs instead of ~290 million, and loses ~0.2% of the true pairs the
    unsplit blocks would have scored (bench/linkage_dedupe.py)."""
    budget = (budget_per_record or BLOCK_BUDGET_PER_RECORD) * max(len(data), 1)
    rules = [
        _split(data, (FIRST, LAST), (BIRTH_YEAR,), budget),
        _split(data, (LAST, FIRST_INITIAL), (BIRTH_YEAR,), budget),
        _split(data, (STREET, CITY), (FIRST_INITIAL, BIRTH_YEAR), budget),
    ]
    for key in (DOB, POSTCODE):
        if _block_pairs(data, (key,)) <= budget:
            rules.append((key,))
            continue
        rules.append(_split(data, (key, FIRST_INITIAL), (LAST_INITIAL, BIRTH_YEAR), budget))
        rules.append(_split(data, (key, LAST_INITIAL), (FIRST_INITIAL, BIRTH_YEAR), budget))
    unique: dict[frozenset[Key], tuple[Key, ...]] = {}
    for r in rules:
        unique.setdefault(frozenset(r), r)
    return list(unique.values())


def _rule(keys: tuple[Key, ...]) -> Any:
    from splink import block_on

    return block_on(*(k.sql for k in keys))


def BASE_BLOCKS() -> list[Any]:  # noqa: N802 (a constant that needs Splink imported)
    """The blocks when there is no data to size them on (a saved model's settings, before `settings(data=)`)."""
    return [_rule((FIRST, LAST)), _rule((LAST, FIRST_INITIAL)), _rule((STREET, CITY))]


def blocking_rules(data: pd.DataFrame) -> list[Any]:
    """Splink's blocking rules for `data` (see `block_keys`)."""
    return [_rule(keys) for keys in block_keys(data)]


def settings(*, model: dict[str, Any] | None = None, data: pd.DataFrame | None = None) -> Any:
    """The Splink settings: from a saved model (with its m and u), or fresh (to be trained); the blocks always
    from the data at hand."""
    import splink.comparison_library as cl
    from splink import SettingsCreator

    if model is not None:
        creator = SettingsCreator.from_path_or_dict(dict(model))
        if data is not None:
            creator.blocking_rules_to_generate_predictions = blocking_rules(data)
        return creator
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=[
            cl.NameComparison("first_name"),
            cl.NameComparison("last_name"),
            cl.DateOfBirthComparison("dob", input_is_string=True),
            cl.ExactMatch("sex").configure(m_probabilities=[0.98, 0.02], u_probabilities=[0.5, 0.5]),
            cl.LevenshteinAtThresholds("street", [1, 3]),
            cl.LevenshteinAtThresholds("city", [1, 2]),
            cl.LevenshteinAtThresholds("postcode", [1]),
            cl.ExactMatch("state"),
        ],
        blocking_rules_to_generate_predictions=blocking_rules(data) if data is not None else BASE_BLOCKS(),
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
        additional_columns_to_retain=[],
    )


def train_model(linker: Any, n: int, step: Step = _quiet, data: pd.DataFrame | None = None) -> None:
    """Estimate the match rate, u (random sampling) and m (expectation maximisation) on the linker's data.

    EM compares every pair of its training block, so that block has a budget too (TRAIN_BLOCK_BUDGET_PER_RECORD):
    blocked on the date of birth when that block is within it (`data` given), else on date of birth + first
    initial (m of every field but the first name) and date of birth + last initial (m of the first name);
    then on the full name (m of the date of birth and the address). u from 20 random pairs per record, between 2 and 10
    million (halving it cost 1% of recall on 200,000 generated bookings: bench/linkage_dedupe.py)."""
    from splink import block_on

    step("estimating the match rate")
    linker.training.estimate_probability_two_random_records_match(
        [block_on("first_name", "last_name", "dob")], recall=0.7)
    step("estimating u by random sampling")
    linker.training.estimate_u_using_random_sampling(max_pairs=min(1e7, max(2e6, n * 20.0)), seed=1)
    step("estimating m by expectation maximisation (blocked on date of birth)")
    budget = TRAIN_BLOCK_BUDGET_PER_RECORD * max(n, 1)
    if data is None or _block_pairs(data, (DOB,)) <= budget:
        linker.training.estimate_parameters_using_expectation_maximisation(block_on("dob"))
    else:
        for keys in ((DOB, FIRST_INITIAL), (DOB, LAST_INITIAL)):
            linker.training.estimate_parameters_using_expectation_maximisation(_rule(keys))
    step("estimating m by expectation maximisation (blocked on names)")
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("first_name", "last_name"))


@dataclass
class Scored:
    """Pairs of records scored at or above the review floor, the model used, and whether it was trained here."""

    pairs: pd.DataFrame  # unique_id_l, unique_id_r (l < r), match_weight, match_probability
    model: dict[str, Any]
    trained: bool
    records: int


def score(records: pd.DataFrame, *, floor: float = REVIEW_FLOOR, train: bool | None = None,
          step: Step = _quiet, model_path: Path | None = None) -> Scored:
    """Score every blocked pair of records. `train` None: train when there are enough records."""
    from splink import DuckDBAPI, Linker

    logging.getLogger("splink").setLevel(logging.ERROR)
    n = len(records)
    empty = pd.DataFrame({"unique_id_l": pd.Series(dtype="int64"), "unique_id_r": pd.Series(dtype="int64"),
                          "match_weight": pd.Series(dtype="float64"),
                          "match_probability": pd.Series(dtype="float64")})
    if train is None:
        train = n >= TRAIN_MIN_RECORDS
    if n < 2:
        return Scored(empty, {}, False, n)
    step("normalising records")
    data = normalise(records)
    db = DuckDBAPI()
    table = db.register(data, table_name="people")
    if train:
        linker = Linker(table, settings(data=data), log_level=None)
        train_model(linker, n, step, data=data)
    else:
        saved = json.loads((model_path or DEFAULT_MODEL).read_text())
        # The prior is "two random records are one person": with the expected number of duplicates per record
        # held fixed, it scales as 1/n, so a county of 300 people is not judged by a prior fitted to 10,000.
        prior = float(saved["probability_two_random_records_match"]) * DEFAULT_MODEL_RECORDS / max(n, 2)
        saved["probability_two_random_records_match"] = min(prior, 0.5)
        linker = Linker(table, settings(model=saved, data=data), log_level=None)
    step("scoring blocked pairs")
    predictions = linker.inference.predict(threshold_match_weight=floor, warning_mode="never")
    pairs = predictions.as_pandas_dataframe()
    model = linker.misc.save_model_to_json()
    predictions.drop_table_from_database_and_remove_from_cache()
    if pairs.empty:
        return Scored(empty, model, train, n)
    pairs = pairs[["unique_id_l", "unique_id_r", "match_weight", "match_probability"]].copy()
    lo = pairs[["unique_id_l", "unique_id_r"]].min(axis=1).astype("int64")
    hi = pairs[["unique_id_l", "unique_id_r"]].max(axis=1).astype("int64")
    pairs["unique_id_l"], pairs["unique_id_r"] = lo, hi
    return Scored(pairs.reset_index(drop=True), model, train, n)


# ------------------------------------------------------------------------------------------ clustering
class UnionFind:
    """Connected components over integer ids. Why not Splink's clustering: the edges come from three sources
    (identifiers, match weights, reviewers' confirmations) and only some of them from Splink."""

    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, x: int) -> int:
        parent = self.parent
        root = x
        while parent.get(root, root) != root:
            root = parent[root]
        while parent.get(x, x) != root:
            parent[x], x = root, parent[x]
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            if rb < ra:
                ra, rb = rb, ra
            self.parent[rb] = ra
            self.parent.setdefault(ra, ra)

    def groups(self) -> dict[int, list[int]]:
        out: dict[int, list[int]] = {}
        for x in list(self.parent):
            out.setdefault(self.find(x), []).append(x)
        return {k: sorted(v) for k, v in out.items() if len(v) > 1}


@dataclass
class Edge:
    a: int
    b: int
    method: str
    weight: float | None = None


@dataclass
class Clusters:
    """Groups of record ids that are one person, and per id the strongest edge that joined it."""

    groups: list[list[int]]
    best: dict[int, Edge] = field(default_factory=dict)


_METHOD_RANK = {"deterministic": 0, "manual": 1, "probabilistic": 2}


def cluster(edges: Iterable[Edge]) -> Clusters:
    uf = UnionFind()
    best: dict[int, Edge] = {}
    for e in edges:
        uf.union(e.a, e.b)
        for x in (e.a, e.b):
            cur = best.get(x)
            if cur is None or _stronger(e, cur):
                best[x] = e
    groups = sorted(uf.groups().values())
    return Clusters(groups, best)


def _stronger(e: Edge, cur: Edge) -> bool:
    if _METHOD_RANK[e.method] != _METHOD_RANK[cur.method]:
        return _METHOD_RANK[e.method] < _METHOD_RANK[cur.method]
    return (e.weight or 0.0) > (cur.weight or 0.0)
