"""The village registry: raw/reference/villages.csv against 附件1, 附件3 and the named list."""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path

from orchestration.lib.paths import PROJECT_ROOT
from orchestration.simulation.registry import COLUMNS, registry_csv
from orchestration.simulation.writer import World

VILLAGES_CSV = PROJECT_ROOT / "raw" / "reference" / "villages.csv"


def test_committed_file_is_what_the_code_generates(world: World) -> None:
    assert VILLAGES_CSV.read_text(encoding="utf-8") == registry_csv(world.villages)


def test_columns_and_value_formats() -> None:
    with Path(VILLAGES_CSV).open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        assert tuple(reader.fieldnames or ()) == COLUMNS
        rows = list(reader)

    assert len(rows) == 397
    flags = ("is_poor_village", "is_deep_poverty", "is_high_incidence", "is_synthetic_code",
             "is_synthetic_name")
    for row in rows:
        assert re.fullmatch(r"\d{12}", row["village_code"])
        assert row["village_code"].startswith(row["county_code"])
        assert re.fullmatch(r"模拟乡镇\d+", row["township"])
        assert re.fullmatch(r"\d+\.\d\d", row["incidence_pct_2019"])
        assert all(row[f] in ("true", "false") for f in flags)
        assert row["is_synthetic_code"] == "true"
    assert len({r["village_code"] for r in rows}) == len(rows)


def test_named_villages_keep_names_counties_and_positions(world: World) -> None:
    by_key = {(v.county_code, v.plan_list_position): v for v in world.villages
              if v.plan_list_position is not None}
    assert len(world.plan.named_villages) == 65 == len(by_key)
    for named in world.plan.named_villages:
        village = by_key[(named.county_code, named.list_position)]
        assert village.village_name == named.village_name
        assert village.is_high_incidence and village.is_poor_village
        assert village.is_deep_poverty == named.is_deep_poverty
        assert not village.is_synthetic_name


def test_two_xinlin_villages_of_lixian(world: World) -> None:
    xinlin = sorted((v for v in world.villages if v.village_name == "新林村"),
                    key=lambda v: v.plan_list_position or 0)
    assert [(v.county_code, v.plan_list_position) for v in xinlin] == [
        ("621226", 2), ("621226", 10)]
    assert xinlin[0].village_code != xinlin[1].village_code


def test_guwan_is_the_one_non_deep_high_incidence_village(world: World) -> None:
    non_deep_high = [v for v in world.villages
                     if v.is_poor_village and v.is_high_incidence and not v.is_deep_poverty]
    assert [(v.village_name, v.county_code) for v in non_deep_high] == [("古湾村", "621121")]


def test_linxia_high_incidence_villages_are_synthetic(world: World) -> None:
    linxia = [v for v in world.villages if v.is_poor_village and v.is_high_incidence
              and world.plan.county(v.county_code).prefecture_code == "622900"]
    assert len(linxia) == 38
    assert all(v.is_synthetic_name and v.plan_list_position is None for v in linxia)
    assert all(re.fullmatch(r"模拟村\d{4}", v.village_name) for v in linxia)
    assert Counter(v.county_code for v in linxia) == Counter({"622926": 27, "622921": 11})


def test_incidence_above_ten_exactly_for_high_incidence(world: World) -> None:
    for village in world.villages:
        assert (village.incidence_pct_2019 > 10) == village.is_high_incidence, village


def test_a_few_non_poor_villages_outside_the_394(world: World) -> None:
    non_poor = [v for v in world.villages if not v.is_poor_village]
    assert sorted(v.county_code for v in non_poor) == ["621121", "621226", "622926"]
    assert all(v.is_high_incidence and not v.is_deep_poverty for v in non_poor)
    assert sum(v.is_poor_village for v in world.villages) == 394
