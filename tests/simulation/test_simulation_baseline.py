"""The end-2019 baseline reproduces every published figure once rounded as published."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

from orchestration.simulation.baseline import decimals, to_wan, window
from orchestration.simulation.registry import Village
from orchestration.simulation.writer import World


def _published(value_text: str, persons: int) -> bool:
    """Rounded as published, both half up and half to even (the figure is never on a half)."""
    places = decimals(value_text)
    quantum = Decimal(1).scaleb(-places)
    even = (Decimal(persons) / 10_000).quantize(quantum, rounding=ROUND_HALF_EVEN)
    return to_wan(persons, places) == value_text and f"{even:.{places}f}" == value_text


def test_every_attachment4_cell_rounds_to_its_published_text(world: World) -> None:
    assert len(world.plan.figures) == 75
    for figures in world.plan.figures:
        county = world.baseline.county(figures.county_code)
        cells = {
            figures.unlifted_wan: county.unlifted_persons,
            figures.return_risk_wan: county.return_risk_persons,
            figures.marginal_risk_wan: county.marginal_risk_persons,
        }
        for text, persons in cells.items():
            assert _published(text, persons), (figures.plan_row, text, persons)
        assert _published(figures.total_wan, county.supervised_persons), figures.plan_row


def test_published_zero_means_nobody(world: World) -> None:
    sunan = world.baseline.county("620721")  # 肃南县: 0, 0, 0, 0
    assert (sunan.unlifted_persons, sunan.return_risk_persons, sunan.marginal_risk_persons) == (
        0, 0, 0)
    assert world.baseline.county("620702").marginal_risk_persons == 3  # 甘州区 0.0003
    assert window("0.001") == (6, 14)


def test_column_totals_round_to_the_published_totals(world: World) -> None:
    counties = world.baseline.counties
    totals = world.plan.totals
    assert to_wan(sum(c.unlifted_persons for c in counties), 2) == totals["a4_unlifted_wan"] \
        == "17.46"
    assert to_wan(sum(c.return_risk_persons for c in counties), 2) == "14.33"
    assert to_wan(sum(c.marginal_risk_persons for c in counties), 2) == "24.33"
    assert to_wan(sum(c.supervised_persons for c in counties), 3) == totals["a4_total_wan"] \
        == "56.122"
    assert _published("56.122", sum(c.supervised_persons for c in counties))


def test_attachment1_targets_hold(world: World) -> None:
    assert len(world.plan.targets) == 8
    for target in world.plan.targets:
        county = world.baseline.county(target.county_code)
        assert _published(target.target_unlifted_wan, county.unlifted_persons), target
        assert county.villages_unexited == target.target_villages_to_exit
    assert world.baseline.county("622921").unlifted_persons // 100 in range(79, 81)  # 0.8 / 0.80


def test_attachment3_counts_hold_per_prefecture(world: World) -> None:
    poor = [v for v in world.villages if v.is_poor_village]
    for row in world.plan.prefecture_villages:
        mine = [v for v in poor if _prefecture(world, v) == row.prefecture_code]
        high = [v for v in mine if v.is_high_incidence]
        assert len(mine) == row.villages_unexited
        assert sum(v.is_deep_poverty for v in mine) == row.deep_poverty_villages
        assert sum(not v.is_deep_poverty for v in mine) == row.non_deep_villages
        assert len(high) == row.high_incidence_villages
        assert sum(v.is_deep_poverty for v in high) == row.high_incidence_deep
        assert sum(not v.is_deep_poverty for v in high) == row.high_incidence_non_deep
    assert (len(poor), sum(v.is_high_incidence for v in poor)) == (394, 103)


def _prefecture(world: World, village: Village) -> str:
    return world.plan.county(village.county_code).prefecture_code


def test_province_scope_552_wan_and_7262_villages(world: World) -> None:
    counties = world.baseline.counties
    registered = sum(c.registered_poor_total for c in counties)
    assert to_wan(registered, 0) == "552" and _published("552", registered)
    assert sum(c.poor_villages_total for c in counties) == 7262
    for county in counties:
        unexited = sum(1 for v in world.baseline.villages_of(county.county_code)
                       if v.is_poor_village)
        assert county.villages_unexited == unexited
        assert county.poor_villages_total - county.villages_unexited >= 3  # some exited
        assert county.lifted_cumulative == county.registered_poor_total - county.unlifted_persons
        assert county.registered_poor_total > county.supervised_persons


def test_rows_15_and_16_go_to_maqu_and_luqu_in_code_order(world: World) -> None:
    maqu, luqu = world.baseline.county("623025"), world.baseline.county("623026")
    assert (maqu.plan_row, luqu.plan_row) == (15, 16)
    assert maqu.attribution_simulated and luqu.attribution_simulated
    assert sum(c.attribution_simulated for c in world.baseline.counties) == 2
    assert to_wan(maqu.supervised_persons, 3) == "0.063"
    assert to_wan(luqu.return_risk_persons, 3) == "0.002"


def test_households_are_whole_and_fewer_than_people(world: World) -> None:
    for county in world.baseline.counties:
        if county.unlifted_persons == 0:
            assert county.unlifted_households == 0
        else:
            assert 1 <= county.unlifted_households <= county.unlifted_persons
            assert 3.0 < county.unlifted_persons / county.unlifted_households < 5.0 \
                or county.unlifted_persons < 20
