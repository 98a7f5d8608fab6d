"""The monthly path: exact flows, the public outcome by November, villages never un-exit."""

from __future__ import annotations

from decimal import Decimal

from orchestration.simulation.trajectory import MONTHS, UNDELISTED, simulate_states
from orchestration.simulation.writer import World
from orchestration.submissions.form import SOURCES


def _path(world: World, code: str):
    return [world.states[(code, period)] for period in MONTHS]


def test_people_flows_balance_every_month(world: World) -> None:
    for county in world.baseline.counties:
        unlifted, registered = county.unlifted_persons, county.registered_poor_total
        at_risk = county.return_risk_persons + county.marginal_risk_persons
        for month in _path(world, county.county_code):
            t1 = month.t1
            assert t1["unlifted_persons"] == (unlifted - t1["lifted_this_month"]
                                              + t1["newly_identified_this_month"]
                                              + t1["returned_this_month"]), month.period
            assert t1["registered_poor_total"] == registered + t1["newly_identified_this_month"]
            assert t1["lifted_cumulative"] == t1["registered_poor_total"] - t1["unlifted_persons"]
            assert t1["return_risk_persons"] + t1["marginal_risk_persons"] == at_risk - (
                t1["risk_eliminated_this_month"] + t1["returned_this_month"]
                + t1["newly_identified_this_month"])
            assert min(t1.values()) >= 0
            unlifted, registered = t1["unlifted_persons"], t1["registered_poor_total"]
            at_risk = t1["return_risk_persons"] + t1["marginal_risk_persons"]


def test_inflows_are_small_and_risk_declines(world: World) -> None:
    new = sum(m.t1["newly_identified_this_month"] for m in world.states.values())
    returned = sum(m.t1["returned_this_month"] for m in world.states.values())
    assert 0 < new < 0.02 * 174_601 and 0 < returned < 0.02 * 143_297
    for county in world.baseline.counties:
        path = _path(world, county.county_code)
        risks = [county.return_risk_persons] + [m.t1["return_risk_persons"] for m in path]
        assert risks == sorted(risks, reverse=True)
        assert path[-1].t1["return_risk_persons"] < max(1, county.return_risk_persons)


def test_everyone_lifted_and_every_village_exited_by_november(world: World) -> None:
    for period in ("2020-11", "2020-12"):
        for county in world.baseline.counties:
            month = world.states[(county.county_code, period)]
            assert month.t1["unlifted_persons"] == 0 and month.t1["unlifted_households"] == 0
            assert month.t1["villages_exited_cumulative"] == county.poor_villages_total
            assert all(row.exited for row in month.villages if row.exited is not None)
    # The undelisted counties finish late in the year, not at once.
    assert all(world.states[(code, "2020-09")].t1["unlifted_persons"] > 0 for code in UNDELISTED)


def test_undelisted_counties_ready_in_november(world: World) -> None:
    for code in sorted(UNDELISTED):
        t3 = world.states[(code, "2020-11")].t3
        assert t3["dropouts"] == 0 and t3["unsafe_houses_outstanding"] == 0
        assert t3["villages_without_doctor"] == 0 and t3["uninsured_registered_poor"] == 0
        assert t3["frozen_pipe_fixed"] == t3["frozen_pipe_hazards"] > 0
        february = world.states[(code, "2020-02")]
        assert february.t3["dropouts"] > 0 and february.t1["unlifted_persons"] > 0


def test_unsafe_houses_balance_and_issues_accumulate(world: World) -> None:
    for county in world.baseline.counties:
        path = _path(world, county.county_code)
        for before, after in zip(path, path[1:], strict=False):
            t3 = after.t3
            assert t3["unsafe_houses_outstanding"] == (before.t3["unsafe_houses_outstanding"]
                                                       + t3["unsafe_houses_new"]
                                                       - t3["unsafe_houses_renovated"])
            assert t3["frozen_pipe_fixed"] >= before.t3["frozen_pipe_fixed"]
            for source in SOURCES:
                found, rectified = after.t4[source]
                assert rectified <= found
                assert found >= before.t4[source][0] and rectified >= before.t4[source][1]


def test_villages_exit_once_and_meet_the_standard(world: World) -> None:
    exits = 0
    for county in world.baseline.counties:
        path = _path(world, county.county_code)
        for index, village in enumerate(world.baseline.villages_of(county.county_code)):
            rows = [m.villages[index] for m in path]
            assert all(r.village_code == village.village_code for r in rows)
            if not village.is_poor_village:
                assert all(r.exited is None for r in rows)
                continue
            flags = [r.exited for r in rows]
            first = flags.index(True)
            assert flags == [False] * first + [True] * (len(flags) - first)  # never back
            exits += 1
            at_exit = rows[first]
            assert at_exit.incidence_pct < 3 and at_exit.collective_income_wan >= 2
            assert at_exit.leading_industries >= 1 and at_exit.cooperatives >= 1
            assert at_exit.qualified_doctors >= 1 and at_exit.safe_water
            assert at_exit.clean_environment
            incomes = [r.collective_income_wan for r in rows]
            assert incomes == sorted(incomes)
            assert all(r.incidence_pct == r.incidence_pct.quantize(Decimal("0.01")) for r in rows)
    assert exits == 394


def test_same_seed_same_path_other_seed_other_path(world: World) -> None:
    again = simulate_states(world.baseline, 2020)
    assert again == world.states
    other = simulate_states(world.baseline, 7)
    assert other[("621223", "2020-05")].t1 != world.states[("621223", "2020-05")].t1
    assert other[("621223", "2020-11")].t1["unlifted_persons"] == 0
