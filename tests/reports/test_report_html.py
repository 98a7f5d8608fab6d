"""The HTML page: self-contained, marked simulated, and showing the warehouse's own figures."""

from __future__ import annotations

import re
from html import unescape

import pytest

from orchestration.reports import formatting as fmt
from orchestration.reports.cli import main

from .conftest import REPORT_MONTH, Built

pytestmark = pytest.mark.slow

SECTION_HEADINGS = ("总览", "报送情况", "省级", "省直部门", "市州", "县级")
HEAT_CELL = re.compile(
    r'data-county="(\d{6})" data-period="(\d{4}-\d{2})" data-status="(\w+)"'
)


def section_of(page: str, key: str) -> str:
    """The HTML of one <section id=key>."""
    return page.split(f'<section id="{key}">', 1)[1].split("</section>", 1)[0]


def test_page_is_named_for_the_month_and_declares_utf8(built: Built, page: str) -> None:
    assert built.files.html.name == f"月调度报告_{REPORT_MONTH}.html"
    assert '<meta charset="utf-8">' in page
    assert REPORT_MONTH in page


def test_page_needs_nothing_outside_the_file(page: str) -> None:
    assert "http://" not in page and "https://" not in page
    assert "<script" not in page.lower()
    assert "url(" not in page and "@import" not in page
    for attribute, value in re.findall(r'\b(src|href)\s*=\s*"([^"]*)"', page):
        assert value.startswith(("data:", "#")), f"{attribute}={value[:60]!r} leaves the file"
    assert not re.search(r'\b(src|href)\s*=\s*[^"\s>]', page), "unquoted src/href"
    assert page.count('src="data:image/png;base64,') == 2


def test_page_says_the_figures_are_simulated(page: str) -> None:
    assert 'class="simulated"' in page
    assert "模拟数据" in page and "SIMULATED" in page


def test_page_has_every_section(page: str) -> None:
    headings = [unescape(re.sub(r"<[^>]+>", "", h)) for h in re.findall(r"<h2>(.*?)</h2>", page)]
    for expected in SECTION_HEADINGS:
        assert any(h.startswith(expected) for h in headings), f"no section {expected}: {headings}"


def test_overview_shows_the_months_figures(built: Built, page: str) -> None:
    [(unlifted, villages_left, reported, missing, registered)] = built.query(
        "select unlifted_persons, focus_villages_remaining, counties_reported, "
        "counties_missing, registered_poor_reported "
        "from dispatch.dispatch_monthly_overview where period = ?", [REPORT_MONTH],
    )
    assert f"{unlifted:,} 人" in page
    assert f"尚余 remaining <strong>{villages_left:,} 个</strong>" in page
    assert f"本月报送 {reported} / 75 县" in page
    assert f'未报 missing <strong class="bad">{missing}</strong>' in page
    assert f"{registered:,} 人" in page
    # The plan's own scope and focus, in the units the plan uses.
    for figure in ("7,262 个", "552万人", "17.5万人", "394 个"):
        assert figure in page


def test_missing_late_and_corrected_counties_are_listed(built: Built, page: str) -> None:
    rows = built.query(
        "select county_name, timeliness from dispatch.dispatch_county_timeliness "
        "where period = ? and timeliness <> 'on_time'", [REPORT_MONTH],
    )
    assert rows, "the messy simulation should leave some county off time"
    for status_id in ("missing", "late", "corrected"):
        label = fmt.STATUS_BY_ID[status_id].label_zh
        block = page.split(f"</span> {label} <span class=\"en\">{status_id}</span>", 1)[1]
        block = block.split("</div>", 1)[0]
        expected = sorted(name for name, status in rows if status == status_id)
        assert sorted(re.findall(r"<tr><td>([^<]+)</td>", block)) == expected


def test_heat_map_matches_the_timeliness_table(built: Built, page: str) -> None:
    expected = {
        (code, period): status
        for code, period, status in built.query(
            "select county_code, period, timeliness from dispatch.dispatch_county_timeliness "
            "where period <= ?", [REPORT_MONTH],
        )
    }
    cells = {(code, period): status for code, period, status in HEAT_CELL.findall(page)}

    assert cells == expected
    assert len({code for code, _ in cells}) == 75
    assert "2020-07" not in {period for _, period in cells}, "a later month leaked in"
    for status in fmt.STATUSES:
        assert status.label_zh in page  # the legend, in Chinese


def test_province_tier_shows_each_county_against_its_target(built: Built, page: str) -> None:
    rows = built.query(
        "select county_name, target_persons, persons_remaining, open_gaps "
        "from province.province_monthly_progress where period = ?", [REPORT_MONTH],
    )
    section = section_of(page, "province")
    assert rows
    for name, target, remaining, gaps in rows:
        against_target, open_gaps = re.findall(rf"<tr><td>{name}</td>.*?</tr>", section)
        assert f"{target:,} 人" in against_target and f"{remaining:,} 人" in against_target
        assert open_gaps.endswith(f"<td class=\"num\">{gaps:,}</td></tr>")


def test_prefecture_and_department_tiers_add_up(built: Built, page: str) -> None:
    [(remaining,)] = built.query(
        "select sum(villages_remaining) from prefectures.prefecture_monthly_villages "
        "where period = ?", [REPORT_MONTH],
    )
    assert re.search(rf"<tfoot><tr><td>合计 total</td><td class=\"num\">394 个</td>"
                     rf"<td class=\"num\">[\d,]+ 个</td><td class=\"num\">{remaining:,} 个</td>",
                     page)
    labels = built.query("select label_zh from departments.department_monthly_targets "
                         "where period = ?", [REPORT_MONTH])
    assert len(labels) == 10
    for (label,) in labels:
        assert label.replace('"', "&quot;") in page


def test_counties_tier_lists_the_largest_and_every_balance_gap(built: Built, page: str) -> None:
    top = built.query(
        "select county_name, unlifted_persons from counties.county_monthly_balance "
        "where period = ? order by unlifted_persons desc nulls last limit 1", [REPORT_MONTH],
    )
    name, unlifted = top[0]
    assert re.search(rf"<tr><td>{name}</td><td>[^<]*</td><td class=\"num\">{unlifted:,} 人",
                     section_of(page, "counties"))
    gaps = built.query("select county_name from counties.county_monthly_balance "
                       "where period = ? and balance_status = 'gap'", [REPORT_MONTH])
    section = section_of(page, "counties")
    for (gap_county,) in gaps:
        assert f"<tr><td>{gap_county}</td>" in section.split("balance gaps", 1)[1]


def test_cli_writes_both_files_into_the_warehouse_reports_folder(
    built: Built, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DUKAN_RAW_DIR", str(built.scratch.raw))
    monkeypatch.setenv("DUKAN_WAREHOUSE_DIR", str(built.scratch.warehouse))

    assert main(["--month", "2020-05"]) == 0

    out = capsys.readouterr().out
    folder = built.scratch.warehouse / "reports"
    for suffix in ("html", "xlsx"):
        path = folder / f"月调度报告_2020-05.{suffix}"
        assert path.exists() and str(path) in out


@pytest.mark.parametrize("month", ["2020-11", "2020-13", "June"])
def test_cli_month_without_data_is_a_clear_error(
    built: Built, month: str, monkeypatch: pytest.MonkeyPatch, tmp_path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DUKAN_RAW_DIR", str(built.scratch.raw))
    monkeypatch.setenv("DUKAN_WAREHOUSE_DIR", str(built.scratch.warehouse))

    assert main(["--month", month, "--out", str(tmp_path)]) == 2

    assert month in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
