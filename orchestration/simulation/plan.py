"""The published plan as the simulation needs it, read from ``raw/reference``.

Only the figures the simulated world must reproduce are loaded: the 75 counties with their
prefectures, 附件4 (people to supervise per county, in 万人 as published text), 附件1 (the
eight undelisted counties' targets), 附件3 (villages per prefecture) with the named
high-incidence villages, and the province scope (75 / 7262 / 552万).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from orchestration.lib.paths import ProjectPaths

# 附件4 rows whose county the source does not decide (玛曲县 or 碌曲县).
AMBIGUOUS_ROWS = (15, 16)


@dataclass(frozen=True)
class County:
    code: str
    name: str
    name_in_plan: str
    prefecture_code: str


@dataclass(frozen=True)
class Prefecture:
    code: str
    name: str
    name_in_plan: str


@dataclass(frozen=True)
class CountyFigures:
    """One 附件4 row, figures kept as the published text (its decimals matter)."""

    plan_row: int
    county_code: str
    total_wan: str
    unlifted_wan: str
    return_risk_wan: str
    marginal_risk_wan: str
    attribution_simulated: bool = False


@dataclass(frozen=True)
class ProvinceTarget:
    """One 附件1 row: an undelisted county's remaining people and villages."""

    county_code: str
    target_unlifted_wan: str
    target_villages_to_exit: int


@dataclass(frozen=True)
class PrefectureVillages:
    """One 附件3 row."""

    prefecture_code: str
    villages_unexited: int
    deep_poverty_villages: int
    non_deep_villages: int
    high_incidence_villages: int
    high_incidence_deep: int
    high_incidence_non_deep: int


@dataclass(frozen=True)
class NamedVillage:
    """A village named in 附件3's high-incidence list."""

    prefecture_code: str
    county_code: str
    list_position: int
    village_name: str
    is_deep_poverty: bool


@dataclass(frozen=True)
class Plan:
    counties: tuple[County, ...]
    prefectures: tuple[Prefecture, ...]
    figures: tuple[CountyFigures, ...]
    targets: tuple[ProvinceTarget, ...]
    prefecture_villages: tuple[PrefectureVillages, ...]
    named_villages: tuple[NamedVillage, ...]
    totals: dict[str, str]

    def county(self, code: str) -> County:
        return next(c for c in self.counties if c.code == code)

    def prefecture(self, code: str) -> Prefecture:
        return next(p for p in self.prefectures if p.code == code)

    def figures_of(self, code: str) -> CountyFigures:
        return next(f for f in self.figures if f.county_code == code)

    def target_of(self, code: str) -> ProvinceTarget | None:
        return next((t for t in self.targets if t.county_code == code), None)

    @property
    def scope_people(self) -> Decimal:
        return Decimal(self.totals["scope_people_wan"])

    @property
    def scope_villages(self) -> int:
        return int(self.totals["scope_villages"])


def _rows(directory: Path, name: str) -> list[dict[str, str]]:
    with (directory / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def load_plan(reference_dir: Path | None = None) -> Plan:
    directory = reference_dir or ProjectPaths.from_env().reference_dir
    counties = tuple(
        County(r["county_code"], r["county_name"], r["name_in_plan"], r["prefecture_code"])
        for r in _rows(directory, "counties.csv")
    )
    prefectures = tuple(
        Prefecture(r["prefecture_code"], r["prefecture_name"], r["name_in_plan"])
        for r in _rows(directory, "prefectures.csv")
    )

    return Plan(
        counties=counties,
        prefectures=prefectures,
        figures=_figures(_rows(directory, "plan_county_figures.csv")),
        targets=tuple(
            ProvinceTarget(r["county_code"], r["target_unlifted_wan"],
                           int(r["target_villages_to_exit"]))
            for r in _rows(directory, "plan_province_counties.csv")
        ),
        prefecture_villages=tuple(
            PrefectureVillages(
                r["prefecture_code"], int(r["villages_unexited"]),
                int(r["deep_poverty_villages"]), int(r["non_deep_villages"]),
                int(r["high_incidence_villages"]), int(r["high_incidence_deep"]),
                int(r["high_incidence_non_deep"]),
            )
            for r in _rows(directory, "plan_prefectures.csv")
        ),
        named_villages=tuple(
            NamedVillage(r["prefecture_code"], r["county_code"], int(r["list_position"]),
                         r["village_name"], r["is_deep_poverty"] == "true")
            for r in _rows(directory, "plan_high_incidence_villages.csv")
        ),
        totals={r["figure_id"]: r["value_text"] for r in _rows(directory, "plan_totals.csv")},
    )


def _figures(rows: list[dict[str, str]]) -> tuple[CountyFigures, ...]:
    """附件4 rows with a county each; rows 15/16 are given to their candidates in code order.

    The source cannot tell 玛曲县 from 碌曲县, so the simulation assigns the lower code to the
    lower row and marks the attribution as simulated.
    """
    figures = []
    for row in rows:
        code, simulated = row["county_code"], False
        if not code:
            candidates = sorted(row["unresolved_candidates"].split("|"))
            code = candidates[AMBIGUOUS_ROWS.index(int(row["plan_row"]))]
            simulated = True
        figures.append(CountyFigures(
            int(row["plan_row"]), code, row["total_wan"], row["unlifted_wan"],
            row["return_risk_wan"], row["marginal_risk_wan"], simulated,
        ))
    return tuple(figures)
