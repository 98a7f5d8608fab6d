"""The initial state: the end of 2019, in whole persons, households and villages.

The published figures are rounded; the simulated world is not. The baseline is chosen so
that every published figure comes back once the whole numbers are rounded as published:

- each 附件4 cell (unlifted, return risk, marginal, total), in 万人, rounded to the number
  of decimals its published text has, equals that text; a published ``0`` is taken as none;
- the four column totals of the 75 rows round to 17.46 / 14.33 / 24.33 / 56.122;
- the eight 附件1 counties keep their targets (people and villages), and 附件3's village
  counts hold through the village registry;
- the province scope: registered poor across the 75 counties rounds to 552万 and the poor
  villages add up to 7262, exited = total − unexited (the spread over counties is
  synthetic).

Every figure is chosen strictly inside its rounding interval (never on a half), so it
rounds back the same whether halves go up or to even. The baseline is one fixed world,
independent of the trajectory seed.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from .plan import CountyFigures, Plan
from .registry import Village
from .rng import allocate, rng_for

PERSONS_PER_WAN = 10_000

# Targets for the column sums, chosen inside the published totals' rounding windows.
COLUMN_TARGETS = {"unlifted": 174_601, "return_risk": 143_297, "marginal": 243_322}
TOTAL_TARGET = 561_220  # 56.122万 ± 0.0005
REGISTERED_TARGET = 5_519_687  # rounds to 552万

ATTRIBUTION_NOTE = (
    "附件4第15、16行县名无法辨认（玛曲县或碌曲县），本模拟按行政区划代码顺序归属，系模拟数据。"
)


@dataclass(frozen=True)
class CountyBaseline:
    """One county at the end of 2019."""

    county_code: str
    plan_row: int
    unlifted_persons: int
    return_risk_persons: int
    marginal_risk_persons: int
    unlifted_households: int
    household_size: float
    registered_poor_total: int
    poor_villages_total: int
    villages_unexited: int
    attribution_simulated: bool

    @property
    def supervised_persons(self) -> int:
        """附件4 合计: unlifted + return risk + marginal."""
        return self.unlifted_persons + self.return_risk_persons + self.marginal_risk_persons

    @property
    def lifted_cumulative(self) -> int:
        return self.registered_poor_total - self.unlifted_persons


@dataclass(frozen=True)
class Baseline:
    counties: tuple[CountyBaseline, ...]
    villages: tuple[Village, ...]

    def county(self, code: str) -> CountyBaseline:
        return next(c for c in self.counties if c.county_code == code)

    def villages_of(self, code: str) -> tuple[Village, ...]:
        return tuple(v for v in self.villages if v.county_code == code)


def decimals(text: str) -> int:
    return len(text.split(".")[1]) if "." in text else 0


def to_wan(persons: int, places: int) -> str:
    """Persons in 万人, rounded half up to ``places`` decimals, as published text."""
    quantum = Decimal(1).scaleb(-places)
    value = (Decimal(persons) / PERSONS_PER_WAN).quantize(quantum, rounding=ROUND_HALF_UP)
    return f"{value:.{places}f}"


def window(text: str) -> tuple[int, int]:
    """Whole persons that round to the published text, never on a half; '0' means none."""
    value = Decimal(text)
    if value == 0 and decimals(text) == 0:
        return 0, 0

    centre = int(value * PERSONS_PER_WAN)
    half = Decimal(PERSONS_PER_WAN).scaleb(-decimals(text)) / 2
    spread = int(half) - 1 if half == int(half) else int(half)
    return max(0, centre - spread), centre + spread


def build_baseline(plan: Plan, villages: tuple[Village, ...]) -> Baseline:
    people = _people(plan)
    registered = _registered(plan, people)
    unexited = {c.code: sum(1 for v in villages if v.county_code == c.code and v.is_poor_village)
                for c in plan.counties}
    totals = _poor_villages(plan, people, unexited)

    counties = []
    for figures in plan.figures:
        code = figures.county_code
        unlifted, risk, marginal = people[code]
        size = rng_for("baseline", "household", code).uniform(3.4, 4.3)
        counties.append(CountyBaseline(
            county_code=code,
            plan_row=figures.plan_row,
            unlifted_persons=unlifted,
            return_risk_persons=risk,
            marginal_risk_persons=marginal,
            unlifted_households=households(unlifted, size),
            household_size=size,
            registered_poor_total=registered[code],
            poor_villages_total=totals[code],
            villages_unexited=unexited[code],
            attribution_simulated=figures.attribution_simulated,
        ))
    counties.sort(key=lambda c: c.county_code)
    return Baseline(tuple(counties), villages)


def households(persons: int, size: float) -> int:
    """Households of ``persons`` people: at least one while anyone is left, never more
    households than people."""
    if persons == 0:
        return 0
    return max(1, min(persons, round(persons / size)))


# --- 附件4: people per county ----------------------------------------------------------


@dataclass
class _Row:
    figures: CountyFigures
    bounds: dict[str, tuple[int, int]]
    value: dict[str, int]

    def slack_up(self, key: str) -> int:
        return self.bounds[key][1] - self.value[key]

    def slack_down(self, key: str) -> int:
        return self.value[key] - self.bounds[key][0]


_PARTS = ("unlifted", "return_risk", "marginal")


def _people(plan: Plan) -> dict[str, tuple[int, int, int]]:
    """(unlifted, return risk, marginal) per county, every cell and total in its window."""
    rows = [_start(f) for f in plan.figures]
    _fit_totals(rows)
    for key in ("unlifted", "return_risk"):
        _fit_column(rows, key, COLUMN_TARGETS[key])

    marginal = sum(r.value["marginal"] for r in rows)
    if marginal != COLUMN_TARGETS["marginal"]:
        raise ValueError(f"marginal column does not close: {marginal}")
    return {r.figures.county_code: (r.value['unlifted'], r.value['return_risk'],
                                    r.value['marginal']) for r in rows}


def _start(figures: CountyFigures) -> _Row:
    """Each part near its published centre with a little jitter, then the row total."""
    texts = {"unlifted": figures.unlifted_wan, "return_risk": figures.return_risk_wan,
             "marginal": figures.marginal_risk_wan, "total": figures.total_wan}
    bounds = {k: window(t) for k, t in texts.items()}
    parts_low = sum(bounds[k][0] for k in _PARTS)
    parts_high = sum(bounds[k][1] for k in _PARTS)
    low, high = max(bounds["total"][0], parts_low), min(bounds["total"][1], parts_high)
    if low > high:
        raise ValueError(f"附件4 row {figures.plan_row} cannot close: {texts}")
    bounds["total"] = (low, high)

    rng = rng_for("baseline", "people", figures.county_code)
    value = {}
    for key in _PARTS:
        lo, hi = bounds[key]
        centre = (lo + hi) // 2
        jitter = (hi - lo) // 3
        value[key] = min(hi, max(lo, centre + rng.randint(-jitter, jitter)))
    row = _Row(figures, bounds, value)
    row.value["total"] = min(high, max(low, sum(value.values())))
    _close_row(row)
    return row


def _close_row(row: _Row) -> None:
    """Move the parts until they add up to the row total, largest slack first."""
    gap = row.value["total"] - sum(row.value[k] for k in _PARTS)
    for key in sorted(_PARTS, key=lambda k: -(row.bounds[k][1] - row.bounds[k][0])):
        step = min(gap, row.slack_up(key)) if gap > 0 else -min(-gap, row.slack_down(key))
        row.value[key] += step
        gap -= step
    if gap:
        raise ValueError(f"附件4 row {row.figures.plan_row} does not close")


def _fit_totals(rows: list[_Row]) -> None:
    """Bring the sum of the row totals to TOTAL_TARGET, one person per row at a time."""
    gap = TOTAL_TARGET - sum(r.value["total"] for r in rows)
    while gap:
        moved = False
        for row in rows:
            if gap == 0:
                break
            up = gap > 0
            key = next((k for k in _PARTS if (row.slack_up(k) if up else row.slack_down(k))),
                       None)
            total_ok = row.slack_up("total") if up else row.slack_down("total")
            if key is None or not total_ok:
                continue
            step = 1 if up else -1
            row.value[key] += step
            row.value["total"] += step
            gap -= step
            moved = True
        if not moved:
            raise ValueError("the 附件4 total column cannot reach 56.122")


def _fit_column(rows: list[_Row], key: str, target: int) -> None:
    """Trade persons between ``key`` and the marginal column within rows (totals stay)."""
    gap = target - sum(r.value[key] for r in rows)
    while gap:
        moved = False
        for row in rows:
            if gap == 0:
                break
            up = gap > 0
            can = (row.slack_up(key) and row.slack_down("marginal")) if up else (
                row.slack_down(key) and row.slack_up("marginal"))
            if not can:
                continue
            step = 1 if up else -1
            row.value[key] += step
            row.value["marginal"] -= step
            gap -= step
            moved = True
        if not moved:
            raise ValueError(f"the 附件4 {key} column cannot reach its published total")


# --- province scope: 552万 registered, 7262 villages ------------------------------------


def _registered(plan: Plan, people: dict[str, tuple[int, int, int]]) -> dict[str, int]:
    """Registered poor (建档立卡, cumulative) per county: a synthetic spread of 552万,
    heavier where more people are still supervised, never below them."""
    codes = [c.code for c in plan.counties]
    floors = {c: sum(people[c]) + 2_000 for c in codes}
    weights = [0.25 + 2.6 * sum(people[c]) / PERSONS_PER_WAN
               + rng_for("baseline", "registered", c).uniform(0.0, 0.4) for c in codes]
    extra = allocate(REGISTERED_TARGET - sum(floors.values()), weights)
    return {c: floors[c] + e for c, e in zip(codes, extra, strict=True)}


def _poor_villages(
    plan: Plan, people: dict[str, tuple[int, int, int]], unexited: dict[str, int]
) -> dict[str, int]:
    """Poor villages (贫困村总数) per county adding up to 7262, each at least its unexited
    villages plus a few that have already exited."""
    codes = [c.code for c in plan.counties]
    floors = {c: unexited[c] + 3 for c in codes}
    weights = [0.3 + 2.6 * sum(people[c]) / PERSONS_PER_WAN
               + rng_for("baseline", "villages", c).uniform(0.0, 0.4) for c in codes]
    extra = allocate(plan.scope_villages - sum(floors.values()), weights)
    return {c: floors[c] + e for c, e in zip(codes, extra, strict=True)}
