"""The monthly path from the end-2019 baseline to the public outcome of 2020.

One ``CountyMonth`` per county and reporting month, 2020-02 … 2020-12, deterministic for a
seed. The path ends where the public record ends: every county has lifted everyone by
2020-11 at the latest, all 394 villages have exited by 2020-11, and the eight undelisted
counties are ready for delisting in November (no one unlifted, every village exited, the
"3+1" gaps at zero: no dropouts, no unsafe houses, no village without a qualified doctor,
nobody uninsured, every frozen pipe fixed).

Flows balance exactly every month:

- unlifted(t) = unlifted(t−1) − lifted + newly identified + returned;
- registered(t) = registered(t−1) + newly identified; lifted_cumulative = registered − unlifted;
- return risk(t) + marginal(t) = previous − risk eliminated − returned − newly identified
  (a person who returns comes from the return-risk group, a newly identified one from the
  marginal group);
- unsafe houses(t) = unsafe houses(t−1) + new − renovated;
- issues found and rectified are cumulative per source, rectified ≤ found.

A village exits once (是 from its exit month on, never back), with incidence below 3%, at
least one leading industry and cooperative, collective income of at least 2万元, a
qualified doctor, safe water and a clean environment.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal

from orchestration.submissions.form import SOURCES

from .baseline import Baseline, CountyBaseline, households
from .registry import Village
from .rng import rng_for, small_count

MONTHS: tuple[str, ...] = tuple(f"2020-{m:02d}" for m in range(2, 13))
NOVEMBER = MONTHS.index("2020-11") + 1  # month index k: 1 = 2020-02 … 11 = 2020-12
LAST = len(MONTHS)

UNDELISTED: frozenset[str] = frozenset({
    "622926", "621223", "621225", "621226", "621126", "621027", "621121", "622921",
})
CENT = Decimal("0.01")


@dataclass(frozen=True)
class VillageMonth:
    """One 表2 row: a supervised village at the end of a month."""

    village_code: str
    incidence_pct: Decimal
    exited: bool | None  # None for a non-poor village: it has nothing to exit from
    leading_industries: int
    cooperatives: int
    collective_income_wan: Decimal
    qualified_doctors: int
    safe_water: bool
    clean_environment: bool


@dataclass(frozen=True)
class CountyMonth:
    """A county's whole report for one month: 表1, 表2 rows, 表3, 表4 by source."""

    county_code: str
    period: str
    t1: dict[str, int]
    villages: tuple[VillageMonth, ...]
    t3: dict[str, int]
    t4: dict[str, tuple[int, int]]  # source → (found, rectified), cumulative


def simulate_states(baseline: Baseline, seed: int) -> dict[tuple[str, str], CountyMonth]:
    """Every county's 11 months, keyed by (county_code, period)."""
    states: dict[tuple[str, str], CountyMonth] = {}
    for county in baseline.counties:
        path = county_path(county, baseline.villages_of(county.county_code), seed)
        for month in path:
            states[(county.county_code, month.period)] = month
    return states


def county_path(
    county: CountyBaseline, villages: tuple[Village, ...], seed: int
) -> list[CountyMonth]:
    code = county.county_code
    people = _people_path(county, rng_for(seed, "people", code))
    village_rows = _village_paths(code, villages, rng_for(seed, "villages", code))
    t3 = _gaps_path(code, village_rows, rng_for(seed, "gaps", code))
    t4 = _issues_path(code, rng_for(seed, "issues", code))

    months = []
    for k, period in enumerate(MONTHS, start=1):
        rows = tuple(path[k] for path in village_rows)
        unexited = sum(1 for r in rows if r.exited is False)
        t1 = dict(people[k])
        t1["poor_villages_total"] = county.poor_villages_total
        t1["villages_exited_cumulative"] = county.poor_villages_total - unexited
        months.append(CountyMonth(code, period, _t1_in_form_order(t1), rows, t3[k], t4[k]))
    return months


_T1_ORDER = (
    "registered_poor_total", "lifted_cumulative", "unlifted_households", "unlifted_persons",
    "return_risk_persons", "marginal_risk_persons", "lifted_this_month",
    "newly_identified_this_month", "returned_this_month", "risk_eliminated_this_month",
    "low_income_persons", "poor_villages_total", "villages_exited_cumulative",
)


def _t1_in_form_order(t1: dict[str, int]) -> dict[str, int]:
    return {key: t1[key] for key in _T1_ORDER}


# --- 表1: people -------------------------------------------------------------------------


def _completion_month(county: CountyBaseline, rng: random.Random) -> int:
    """The month by which everyone is lifted: November for the undelisted counties and the
    large remainders, earlier for the small ones."""
    if county.unlifted_persons == 0:
        return 1
    if county.county_code in UNDELISTED or county.unlifted_persons > 3000:
        return rng.choice((NOVEMBER - 1, NOVEMBER, NOVEMBER))
    return rng.randint(5, NOVEMBER)


def _people_path(county: CountyBaseline, rng: random.Random) -> dict[int, dict[str, int]]:
    done = _completion_month(county, rng)
    shape = rng.uniform(1.3, 2.2)
    risk_floor = rng.uniform(0.06, 0.2)
    low_income_share = rng.uniform(0.04, 0.12)

    registered, unlifted = county.registered_poor_total, county.unlifted_persons
    risk, marginal = county.return_risk_persons, county.marginal_risk_persons
    inflow_total = 0
    path: dict[int, dict[str, int]] = {}
    for k in range(1, LAST + 1):
        new = small_count(rng, 0.0012 * unlifted + 0.0004 * marginal) if k < done else 0
        returned = small_count(rng, 0.0008 * risk) if k < done else 0
        new, returned = min(new, marginal), min(returned, risk)
        inflow_total += new + returned

        remaining = max(0.0, 1 - (k / done) ** shape) if k < done else 0.0
        target = round((county.unlifted_persons + inflow_total) * remaining)
        lifted = max(0, unlifted + new + returned - target)

        risk_target = round(county.return_risk_persons * _decline(k, risk_floor))
        marginal_target = round(county.marginal_risk_persons * _decline(k, risk_floor))
        eliminated_risk = max(0, risk - returned - risk_target)
        eliminated_marginal = max(0, marginal - new - marginal_target)

        unlifted = unlifted - lifted + new + returned
        registered += new
        risk -= returned + eliminated_risk
        marginal -= new + eliminated_marginal
        path[k] = {
            "registered_poor_total": registered,
            "lifted_cumulative": registered - unlifted,
            "unlifted_households": households(unlifted, county.household_size),
            "unlifted_persons": unlifted,
            "return_risk_persons": risk,
            "marginal_risk_persons": marginal,
            "lifted_this_month": lifted,
            "newly_identified_this_month": new,
            "returned_this_month": returned,
            "risk_eliminated_this_month": eliminated_risk + eliminated_marginal,
            "low_income_persons": unlifted + round(marginal * low_income_share),
        }
    return path


def _decline(k: int, floor: float) -> float:
    """Share of the baseline risk group still at risk after month k: falls steadily
    through the year to ``floor`` in December (monitoring never ends at zero)."""
    return 1 - (1 - floor) * k / LAST


# --- 表2: villages -----------------------------------------------------------------------


def _village_paths(
    county: str, villages: tuple[Village, ...], rng: random.Random
) -> list[dict[int, VillageMonth]]:
    return [_village_path(v, county in UNDELISTED, rng) for v in villages]


def _village_path(
    village: Village, undelisted: bool, rng: random.Random
) -> dict[int, VillageMonth]:
    exit_month = rng.choice((NOVEMBER - 1, NOVEMBER)) if undelisted else rng.randint(5, NOVEMBER)
    ready = rng.randint(2, exit_month - 1)  # by when every exit condition is met

    start = village.incidence_pct_2019
    at_exit = Decimal(f"{rng.uniform(0.5, 2.9):.2f}")
    at_end = (at_exit * Decimal(f"{rng.uniform(0.3, 0.9):.2f}")).quantize(CENT)

    industries0, cooperatives0 = rng.choice((0, 1, 1, 2)), rng.choice((0, 1, 1))
    doctors0 = rng.choice((0, 1, 1, 1, 2))
    water0, clean0 = rng.random() > 0.15, rng.random() > 0.3
    income0 = Decimal(f"{rng.uniform(0.2, 2.4):.2f}")
    income_exit = max(Decimal(2), income0) + Decimal(f"{rng.uniform(0.05, 1.5):.2f}")
    income_end = income_exit + Decimal(f"{rng.uniform(0.0, 1.0):.2f}")
    extra_industry = rng.randint(exit_month, LAST + 3)  # some villages add one after exit

    path = {}
    for k in range(1, LAST + 1):
        met = k >= ready
        path[k] = VillageMonth(
            village_code=village.village_code,
            incidence_pct=_between(start, at_exit, at_end, k, exit_month),
            exited=(k >= exit_month) if village.is_poor_village else None,
            leading_industries=max(industries0, 1 if met else 0) + (k >= extra_industry),
            cooperatives=max(cooperatives0, 1 if met else 0),
            collective_income_wan=_between(income0, income_exit, income_end, k, exit_month),
            qualified_doctors=max(doctors0, 1 if met else 0),
            safe_water=water0 or met,
            clean_environment=clean0 or met,
        )
    return path


def _between(start: Decimal, at_exit: Decimal, at_end: Decimal, k: int, exit_month: int) -> Decimal:
    """Linear from the baseline (k = 0) to ``at_exit`` at the exit month, then to ``at_end``
    in December; rounded to cents."""
    if k <= exit_month:
        value = start + (at_exit - start) * Decimal(k) / Decimal(exit_month)
    else:
        value = at_exit + (at_end - at_exit) * Decimal(k - exit_month) / Decimal(LAST - exit_month)
    return value.quantize(CENT)


# --- 表3: 3+1 gaps ----------------------------------------------------------------------


def _gaps_path(
    county: str, village_rows: list[dict[int, VillageMonth]], rng: random.Random
) -> dict[int, dict[str, int]]:
    """Dropouts, unsafe houses, doctors, frozen pipes and insurance, all cleared by
    October (the undelisted counties by November at the latest)."""
    heavy = county in UNDELISTED
    clear_by = NOVEMBER if heavy else NOVEMBER - 1
    dropouts0 = rng.randint(3, 30) if heavy else rng.choice((0, 0, 1, 2, 4))
    houses0 = rng.randint(5, 60) if heavy else rng.randint(0, 12)
    pipes0 = rng.randint(5, 40) if heavy else rng.randint(0, 8)
    uninsured0 = rng.randint(10, 300) if heavy else rng.randint(0, 40)
    other_without_doctor0 = rng.randint(0, 6) if heavy else rng.choice((0, 0, 1, 2))

    end = rng.randint(clear_by - 2, clear_by)

    def left(k: int) -> float:
        return max(0.0, 1 - k / end)

    path: dict[int, dict[str, int]] = {}
    houses, pipes_found, pipes_fixed = houses0, pipes0, 0
    for k in range(1, LAST + 1):
        new_houses = small_count(rng, 0.8 if heavy else 0.3) if k < end else 0
        renovated = max(0, houses + new_houses - round(houses0 * left(k)))
        houses = houses + new_houses - renovated
        # Frozen pipes show in winter: hazards are found until April, fixed before autumn.
        pipes_found += small_count(rng, 2.0 if heavy else 0.5) if k <= 3 else 0
        pipes_fixed = max(pipes_fixed, pipes_found - round(pipes_found * left(k)))
        doctors_missing = sum(1 for rows in village_rows if rows[k].qualified_doctors == 0)
        path[k] = {
            "dropouts": round(dropouts0 * left(k)),
            "unsafe_houses_outstanding": houses,
            "unsafe_houses_new": new_houses,
            "unsafe_houses_renovated": renovated,
            "villages_without_doctor": doctors_missing + round(other_without_doctor0 * left(k)),
            "frozen_pipe_hazards": pipes_found,
            "frozen_pipe_fixed": pipes_fixed,
            "uninsured_registered_poor": round(uninsured0 * left(k)),
        }
    return path


# --- 表4: rectification ------------------------------------------------------------------


def _issues_path(county: str, rng: random.Random) -> dict[int, dict[str, tuple[int, int]]]:
    """Issues found and rectified per source, cumulative. The 2019 look-back and national
    assessment findings are known at the start; the big survey finds most in spring;
    democratic supervision, inspections and audits keep finding a few all year."""
    heavy = county in UNDELISTED
    scale = 2.0 if heavy else 1.0
    found = {
        "中央专项巡视回头看": round(rng.randint(5, 25) * scale),
        "国家成效考核": round(rng.randint(3, 15) * scale),
        "大排查": 0,
        "民主监督": rng.randint(0, 4),
        "督查巡查": rng.randint(0, 6),
        "审计暗访": rng.randint(0, 5),
    }
    rectified = {s: round(n * rng.uniform(0.4, 0.7)) for s, n in found.items()}
    monthly_mean = {"中央专项巡视回头看": 0.0, "国家成效考核": 0.0, "大排查": 0.0,
                    "民主监督": 0.3 * scale, "督查巡查": 0.6 * scale, "审计暗访": 0.4 * scale}

    path: dict[int, dict[str, tuple[int, int]]] = {}
    for k in range(1, LAST + 1):
        for source in SOURCES:
            mean = monthly_mean[source] + (6.0 * scale if source == "大排查" and k <= 3 else 0.0)
            found[source] += small_count(rng, mean)
            share = min(1.0, 0.55 + 0.45 * k / (NOVEMBER - 1))
            rectified[source] = min(found[source],
                                    max(rectified[source], round(found[source] * share)))
        path[k] = {s: (found[s], rectified[s]) for s in SOURCES}
    return path
