"""The village registry: the supervised villages of every county (模拟村级名录).

No village codes are published, and the plan names only 65 of the 103 high-incidence
villages, so the registry is built here, deterministically, and saved as
``raw/reference/villages.csv``. It holds

- the 394 poor villages not yet exited at the end of 2019, spread over the counties so that
  each 附件1 county has exactly its ``target_villages_to_exit`` and each prefecture's counties
  add up to its 附件3 row (unexited, deep / non-deep, high-incidence and its deep / non-deep
  split);
- the 65 named high-incidence villages, by name, in their counties, with their list
  position (礼县 has two 新林村, positions 2 and 10: both are kept); 临夏州's 38 are unnamed
  in the source and get synthetic names;
- a few non-poor villages with incidence above 10% that prefectures chose to supervise
  (``is_poor_village`` false, outside the 394).

Every code is synthetic (``is_synthetic_code``): 12 digits, the county code, a township
segment and a village segment. Synthetic names read ``模拟村0001`` and townships
``模拟乡镇1`` so that nobody mistakes them for real places.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from .plan import Plan
from .rng import allocate, rng_for

COLUMNS = (
    "village_code", "county_code", "township", "village_name", "is_poor_village",
    "is_deep_poverty", "is_high_incidence", "plan_list_position", "incidence_pct_2019",
    "is_synthetic_code", "is_synthetic_name",
)

# Non-poor villages with incidence above 10% that a prefecture chose to supervise.
SUPERVISED_NON_POOR: tuple[str, ...] = ("622926", "621226", "621121")

VILLAGES_PER_TOWNSHIP = 5


@dataclass(frozen=True)
class Village:
    """One row of ``villages.csv``."""

    village_code: str
    county_code: str
    township: str
    village_name: str
    is_poor_village: bool
    is_deep_poverty: bool
    is_high_incidence: bool
    plan_list_position: int | None
    incidence_pct_2019: Decimal
    is_synthetic_code: bool = True
    is_synthetic_name: bool = True


@dataclass
class _Draft:
    """A village before it has a code: who it is, not yet where."""

    county_code: str
    name: str | None
    deep: bool
    high: bool
    poor: bool = True
    position: int | None = None


def build_registry(plan: Plan) -> tuple[Village, ...]:
    """All supervised villages, sorted by code; the same plan always gives the same rows."""
    drafts: list[_Draft] = []
    for row in plan.prefecture_villages:
        drafts.extend(_prefecture_drafts(plan, row.prefecture_code))
    drafts.extend(_Draft(code, None, deep=False, high=True, poor=False)
                  for code in SUPERVISED_NON_POOR)

    return _with_codes(drafts)


def _prefecture_drafts(plan: Plan, prefecture: str) -> list[_Draft]:
    row = next(r for r in plan.prefecture_villages if r.prefecture_code == prefecture)
    counts = _county_counts(plan, prefecture, row.villages_unexited)
    named = [v for v in plan.named_villages if v.prefecture_code == prefecture]

    drafts = [_Draft(v.county_code, v.village_name, v.is_deep_poverty, True,
                     position=v.list_position) for v in named]
    for county, count in counts.items():
        have = sum(1 for d in drafts if d.county_code == county)
        drafts.extend(_Draft(county, None, deep=True, high=False) for _ in range(count - have))

    _mark_non_deep(drafts, row.non_deep_villages, prefecture)
    _mark_unnamed_high(drafts, row.high_incidence_villages - len(named))
    return drafts


def _county_counts(plan: Plan, prefecture: str, total: int) -> dict[str, int]:
    """Villages per county: 附件1 counties exactly, the rest by their unlifted people.

    A county with named villages gets at least those; only counties with people still to
    lift are given villages, since a county without them has no village left to exit.
    """
    counties = [c for c in plan.counties if c.prefecture_code == prefecture]
    counts: dict[str, int] = {}
    for county in counties:
        target = plan.target_of(county.code)
        if target is not None:
            counts[county.code] = target.target_villages_to_exit

    others = [c.code for c in counties if c.code not in counts
              and Decimal(plan.figures_of(c.code).unlifted_wan) > 0]
    floors = {code: sum(1 for v in plan.named_villages if v.county_code == code)
              for code in others}
    rest = total - sum(counts.values()) - sum(floors.values())
    weights = [float(Decimal(plan.figures_of(code).unlifted_wan)) for code in others]
    for code, extra in zip(others, allocate(rest, weights), strict=True):
        if floors[code] + extra:
            counts[code] = floors[code] + extra
    return counts


def _mark_non_deep(drafts: list[_Draft], non_deep: int, prefecture: str) -> None:
    """Turn unnamed villages into non-deep ones until the prefecture's count is reached.

    Villages outside the undelisted counties go first: those counties are the deepest.
    """
    needed = non_deep - sum(1 for d in drafts if not d.deep)
    pool = [d for d in drafts if d.name is None and not d.high]
    rng = rng_for("registry", "non_deep", prefecture)
    rng.shuffle(pool)
    pool.sort(key=lambda d: d.county_code in _UNDELISTED)
    for draft in pool[:needed]:
        draft.deep = False


def _mark_unnamed_high(drafts: list[_Draft], count: int) -> None:
    """临夏州 publishes 38 high-incidence villages without names: pick deep villages
    in proportion to each county's deep villages."""
    if count <= 0:
        return

    by_county: dict[str, list[_Draft]] = {}
    for draft in drafts:
        if draft.deep and not draft.high and draft.name is None:
            by_county.setdefault(draft.county_code, []).append(draft)
    codes = sorted(by_county)
    shares = allocate(count, [float(len(by_county[c])) for c in codes])
    for code, share in zip(codes, shares, strict=True):
        for draft in by_county[code][:share]:
            draft.high = True


_UNDELISTED = frozenset({"622926", "621223", "621225", "621226", "621126", "621027",
                         "621121", "622921"})


def _with_codes(drafts: list[_Draft]) -> tuple[Village, ...]:
    """Codes per county: named villages first by list position, then the synthetic ones."""
    villages: list[Village] = []
    serial = 0
    for county in sorted({d.county_code for d in drafts}):
        mine = [d for d in drafts if d.county_code == county]
        mine.sort(key=lambda d: (d.name is None, not d.poor, d.position or 0))
        townships = max(1, math.ceil(len(mine) / VILLAGES_PER_TOWNSHIP))
        rng = rng_for("registry", "incidence", county)
        for index, draft in enumerate(mine):
            if draft.name is None:
                serial += 1
            villages.append(_village(draft, county, index, townships, serial, rng))
    return tuple(sorted(villages, key=lambda v: v.village_code))


def _village(draft: _Draft, county: str, index: int, townships: int, serial: int,
             rng) -> Village:
    township, slot = index % townships + 1, index // townships + 1
    return Village(
        village_code=f"{county}{100 + township:03d}{200 + slot:03d}",
        county_code=county,
        township=f"模拟乡镇{township}",
        village_name=draft.name or f"模拟村{serial:04d}",
        is_poor_village=draft.poor,
        is_deep_poverty=draft.deep,
        is_high_incidence=draft.high,
        plan_list_position=draft.position,
        incidence_pct_2019=_incidence(draft, rng),
        is_synthetic_name=draft.name is None,
    )


def _incidence(draft: _Draft, rng) -> Decimal:
    """Above 10% for the high-incidence villages, 3%-10% for the other unexited ones (a
    village exits below 3% in the western provinces)."""
    low, high = (10.05, 24.0) if draft.high else (3.05, 9.95)
    if draft.high and not draft.poor:
        low, high = 10.05, 13.5
    return Decimal(f"{rng.uniform(low, high):.2f}")


def registry_csv(villages: tuple[Village, ...]) -> str:
    """The CSV text of ``villages.csv`` (LF line ends, booleans as true/false)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for v in villages:
        writer.writerow([
            v.village_code, v.county_code, v.township, v.village_name,
            _bool(v.is_poor_village), _bool(v.is_deep_poverty), _bool(v.is_high_incidence),
            "" if v.plan_list_position is None else v.plan_list_position,
            f"{v.incidence_pct_2019:.2f}", _bool(v.is_synthetic_code),
            _bool(v.is_synthetic_name),
        ])
    return out.getvalue()


def write_registry(path: Path, villages: tuple[Village, ...]) -> None:
    path.write_text(registry_csv(villages), encoding="utf-8")


def read_registry(path: Path) -> tuple[Village, ...]:
    with path.open(encoding="utf-8", newline="") as handle:
        return tuple(
            Village(
                r["village_code"], r["county_code"], r["township"], r["village_name"],
                r["is_poor_village"] == "true", r["is_deep_poverty"] == "true",
                r["is_high_incidence"] == "true",
                int(r["plan_list_position"]) if r["plan_list_position"] else None,
                Decimal(r["incidence_pct_2019"]), r["is_synthetic_code"] == "true",
                r["is_synthetic_name"] == "true",
            )
            for r in csv.DictReader(handle)
        )


def _bool(flag: bool) -> str:
    return "true" if flag else "false"
