"""The report as one self-contained HTML page: inline CSS, charts as data: PNGs, no script.

Officials open it from a mail attachment or a USB stick on machines without internet, so
nothing in it may point outside the file. Chinese comes first, the English id beside it.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

from . import formatting as fmt
from .data import DispatchData, Row

TOP_COUNTIES = 10


@dataclass(frozen=True)
class Column:
    """One table column: Chinese label, English id, how a row shows in it."""

    label_zh: str
    id: str
    render: Callable[[Row], str]
    numeric: bool = False
    wrap: bool = False


SECTIONS = (
    ("overview", "总览", "overview"),
    ("submissions", "报送情况", "submissions"),
    ("province", "省级 · 8个挂牌督战县", "province tier"),
    ("departments", "省直部门 · 专项目标", "departments tier"),
    ("prefectures", "市州 · 394个未退出贫困村", "prefectures tier"),
    ("counties", "县级 · 75县人口", "counties tier"),
)


def render_page(data: DispatchData, progress_png: bytes, counties_png: bytes) -> str:
    """The whole page as text."""
    body = "\n".join([
        _header(data),
        _simulated_banner(data),
        _contents(),
        _overview(data, progress_png),
        _submissions(data),
        _province(data, counties_png),
        _departments(data),
        _prefectures(data),
        _counties(data),
        _footer(data),
    ])
    title = f"月调度报告 {data.month} · 甘肃省挂牌督战"
    return (
        "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<title>{escape(title)}</title>\n<style>{CSS}</style>\n</head>\n"
        f"<body>\n{body}\n</body>\n</html>\n"
    )


def _header(data: DispatchData) -> str:
    return (
        "<header class=\"title\">"
        "<h1>甘肃省脱贫攻坚挂牌督战 · 月调度报告</h1>"
        f"<p class=\"sub\">报告期 period <strong>{escape(data.month)}</strong> · "
        "Gansu listed-supervision plan (甘脱贫领发〔2020〕2号) · monthly dispatch report · "
        f"趋势 trends {escape(data.months[0])} – {escape(data.month)}</p></header>"
    )


def _simulated_banner(data: DispatchData) -> str:
    if not data.is_simulated:
        return ""
    return (
        "<div class=\"simulated\" role=\"alert\" id=\"simulated\">"
        "<strong>模拟数据 SIMULATED</strong> "
        "本报告的月度数字来自模拟报送，不是官方统计，不得引用。"
        "The monthly figures in this report come from simulated submissions "
        "(is_simulated = true); they are not official statistics.</div>"
    )


def _contents() -> str:
    links = "".join(f"<a href=\"#{key}\">{escape(zh)} <span class=\"en\">{escape(en)}</span></a>"
                    for key, zh, en in SECTIONS)
    return f"<nav>{links}</nav>"


def _section(key: str, inner: str) -> str:
    _, zh, en = next(section for section in SECTIONS if section[0] == key)
    return (f"<section id=\"{key}\"><h2>{escape(zh)} <span class=\"en\">{escape(en)}</span>"
            f"</h2>\n{inner}\n</section>")


def _card(label_zh: str, label_en: str, value: str, detail: str, tone: str = "") -> str:
    return (
        f"<div class=\"card {tone}\"><div class=\"label\">{escape(label_zh)} "
        f"<span class=\"en\">{escape(label_en)}</span></div>"
        f"<div class=\"value\">{escape(value)}</div><div class=\"detail\">{detail}</div></div>"
    )


def _change(now: Row, before: Row | None, key: str) -> str:
    """Month-on-month change of one figure, or nothing when either month lacks it."""
    if before is None or before.get(key) is None or now.get(key) is None:
        return ""
    return f"较上月 {escape(fmt.signed(int(now[key]) - int(before[key])))}"


def _overview(data: DispatchData, progress_png: bytes) -> str:
    now, before = data.current, data.previous
    ready = now["focus_counties_ready"]
    scope = "".join([
        _card("贫困县", "scope_counties", fmt.count(now["scope_counties"], "个"),
              f"本月报送 {now['counties_reported']} / {now['scope_counties']} 县 reported"),
        _card("贫困村", "scope_villages", fmt.count(now["scope_villages"], "个"),
              f"报送贫困村 {escape(fmt.count(now['poor_villages_reported'], '个'))} reported"),
        _card("建档立卡贫困人口", "scope_people_wan", fmt.wan(now["scope_people_wan"]),
              f"报送 {escape(fmt.persons(now['registered_poor_reported']))}"
              f"（{escape(fmt.persons_as_wan(now['registered_poor_reported']))}）"),
    ])
    remaining_counties = None if ready is None else now["focus_counties"] - ready
    focus = "".join([
        _card("挂牌督战县", "focus_counties", fmt.count(now["focus_counties"], "个"),
              f"尚未具备摘帽条件 <strong>{escape(fmt.count(remaining_counties, '个'))}</strong>"
              f" · 具备 ready {escape(fmt.count(ready, '个'))}", "focus"),
        _card("未退出贫困村", "focus_villages", fmt.count(now["focus_villages"], "个"),
              f"尚余 remaining <strong>{escape(fmt.count(now['focus_villages_remaining'], '个'))}"
              f"</strong> {_change(now, before, 'focus_villages_remaining')}",
              "focus"),
        _card("未脱贫人口", "focus_people_wan", fmt.wan(now["focus_people_wan"]),
              f"尚余 remaining <strong>{escape(fmt.persons(now['unlifted_persons']))}</strong>"
              f"（{escape(fmt.persons_as_wan(now['unlifted_persons']))}）"
              f" {_change(now, before, 'unlifted_persons')}"
              "<br><span class=\"note\">已报送县合计 sum of the counties that reported</span>",
              "focus"),
        _card("返贫风险人口", "return_risk_persons", fmt.persons(now["return_risk_persons"]),
              f"已脱贫但有返贫风险 lifted, at risk of returning "
              f"{_change(now, before, 'return_risk_persons')}", "risk"),
        _card("致贫风险人口", "marginal_risk_persons", fmt.persons(now["marginal_risk_persons"]),
              f"边缘人口 marginal, at risk of falling in "
              f"{_change(now, before, 'marginal_risk_persons')}", "risk"),
    ])
    trend = _table(TREND_COLUMNS, data.overview)
    return _section("overview", (
        f"<h3>调度范围 scope</h3><div class=\"cards\">{scope}</div>"
        f"<h3>督战重点 focus</h3><div class=\"cards\">{focus}</div>"
        "<h3>逐月清零进度 progress to zero, by tier</h3>"
        + _image(progress_png, "各层级逐月清零进度：未脱贫人口、未退出贫困村、3+1未清零问题 "
                 "progress to zero by tier")
        + f"<details open><summary>逐月数字 figures by month</summary>{trend}</details>"
    ))


TREND_COLUMNS = (
    Column("报告期", "period", lambda r: r["period"]),
    Column("报送县", "counties_reported",
           lambda r: f"{r['counties_reported']}/{r['scope_counties']}", True),
    Column("未脱贫人口", "unlifted_persons", lambda r: fmt.persons(r["unlifted_persons"]), True),
    Column("挂牌县剩余", "focus_persons_remaining",
           lambda r: fmt.persons(r["focus_persons_remaining"]), True),
    Column("未退出贫困村", "focus_villages_remaining",
           lambda r: fmt.count(r["focus_villages_remaining"], "个"), True),
    Column("返贫风险", "return_risk_persons",
           lambda r: fmt.persons(r["return_risk_persons"]), True),
    Column("致贫风险", "marginal_risk_persons",
           lambda r: fmt.persons(r["marginal_risk_persons"]), True),
)


def _submissions(data: DispatchData) -> str:
    now = data.current
    rows = data.timeliness_for(data.month)
    summary = (
        f"<p class=\"lead\">应报 expected <strong>{now['scope_counties']}</strong> 县 · "
        f"已报 reported <strong>{now['counties_reported']}</strong> · "
        f"未报 missing <strong class=\"bad\">{now['counties_missing']}</strong> · "
        f"暂扣 held <strong class=\"bad\">{now.get('counties_held') or 0}</strong> · "
        f"逾期 late <strong>{now['counties_late']}</strong> · "
        f"重报 resubmitted <strong>{now['counties_resubmitted']}</strong>"
        "（截止每月25日，北京时间 deadline: the 25th, Beijing time）</p>"
    )
    lists = "".join([
        _status_list(rows, "missing", (
            Column("县", "county_name", lambda r: r["county_name"]),
            Column("市州", "prefecture_name", lambda r: r["prefecture_name"] or ""),
        )),
        _status_list(rows, "held", (
            Column("县", "county_name", lambda r: r["county_name"]),
            Column("市州", "prefecture_name", lambda r: r["prefecture_name"] or ""),
            Column("最后收到", "last_received", lambda r: r["last_received"] or ""),
        )),
        _status_list(rows, "late", (
            Column("县", "county_name", lambda r: r["county_name"]),
            Column("市州", "prefecture_name", lambda r: r["prefecture_name"] or ""),
            Column("首次收到", "first_received", lambda r: r["first_received"] or ""),
        )),
        _status_list(rows, "corrected", (
            Column("县", "county_name", lambda r: r["county_name"]),
            Column("版本", "versions", lambda r: str(r["versions"]), True),
            Column("最后收到", "last_received", lambda r: r["last_received"] or ""),
        )),
    ])
    return _section("submissions", (
        summary + f"<div class=\"lists\">{lists}</div>"
        "<h3>报送及时性热图 timeliness by county and month</h3>" + _heat_map(data)
    ))


def _status_list(rows: list[Row], status_id: str, columns: Sequence[Column]) -> str:
    status = fmt.STATUS_BY_ID[status_id]
    chosen = [row for row in rows if row["timeliness"] == status_id]
    body = _table(columns, chosen) if chosen else "<p class=\"none\">无 none</p>"
    return (f"<div class=\"list\"><h4><span class=\"swatch s-{status.id}\">{status.short_zh}"
            f"</span> {status.label_zh} <span class=\"en\">{status.id}</span> · {len(chosen)}"
            f"</h4>{body}</div>")


def _heat_map(data: DispatchData) -> str:
    """75 rows by month, in two tables side by side so the page stays short to print."""
    by_county: dict[str, dict[str, Row]] = {}
    for row in data.timeliness:
        by_county.setdefault(row["county_code"], {})[row["period"]] = row
    counties = list(by_county.values())
    halves = _split_at_prefecture(counties)
    legend = "".join(f"<span><span class=\"swatch s-{s.id}\">{s.short_zh}</span> {s.label_zh} "
                     f"<span class=\"en\">{s.id}</span></span>" for s in fmt.STATUSES)
    tables = "".join(_heat_table(data.months, half) for half in halves)
    return (f"<div class=\"legend\">图例 legend: {legend}</div>"
            f"<div class=\"heat-maps\">{tables}</div>")


def _split_at_prefecture(counties: list[dict[str, Row]]) -> list[list[dict[str, Row]]]:
    """Two halves, cut where a prefecture starts, so no prefecture spans both tables."""
    starts = [index for index, cells in enumerate(counties)
              if index == 0 or _first(cells)["prefecture_code"]
              != _first(counties[index - 1])["prefecture_code"]]
    cut = min(starts, key=lambda index: abs(index - len(counties) / 2))
    return [half for half in (counties[:cut], counties[cut:]) if half]


def _first(cells: dict[str, Row]) -> Row:
    return next(iter(cells.values()))


def _heat_table(months: Sequence[str], counties: list[dict[str, Row]]) -> str:
    """One heat-map table; each prefecture opens with a row of its own to keep columns narrow."""
    head = "".join(f"<th class=\"m\">{int(m[5:])}月</th>" for m in months)
    lines = []
    previous_prefecture = None
    for cells in counties:
        first = _first(cells)
        prefecture = first["prefecture_name"] or first["prefecture_code"]
        if prefecture != previous_prefecture:
            lines.append(f"<tr class=\"group\"><th colspan=\"{len(months) + 1}\">"
                         f"{escape(prefecture)}</th></tr>")
            previous_prefecture = prefecture
        tds = "".join(_heat_cell(cells.get(m), first, m) for m in months)
        lines.append(f"<tr><td class=\"county\">{escape(first['county_name'])}</td>{tds}</tr>")
    year = escape(months[-1][:4])
    return (f"<table class=\"heat\"><thead><tr><th>县 county · {year}</th>{head}</tr></thead>"
            f"<tbody>{''.join(lines)}</tbody></table>")


def _heat_cell(row: Row | None, county: Row, month: str) -> str:
    status = fmt.STATUS_BY_ID[row["timeliness"] if row else "missing"]
    detail = f"{county['county_name']} {month}: {status.label_zh} {status.id}"
    if row and row["versions"]:
        detail += f", {row['versions']} 版 versions, 首次 {row['first_received']}"
        if row["versions"] > 1:
            detail += f", 最后 {row['last_received']}"
    return (f"<td class=\"hm s-{status.id}\" data-county=\"{escape(county['county_code'])}\" "
            f"data-period=\"{escape(month)}\" data-status=\"{status.id}\" "
            f"title=\"{escape(detail)}\">{status.short_zh}</td>")


PROVINCE_COLUMNS = (
    Column("县", "county_name", lambda r: r["county_name"]),
    Column("组长单位", "lead_unit", lambda r: r["lead_unit"] or ""),
    Column("目标人数", "target_persons", lambda r: fmt.persons(r["target_persons"]), True),
    Column("剩余未脱贫", "persons_remaining",
           lambda r: fmt.persons(r["persons_remaining"]) if r["reported"] else "未报送", True),
    Column("减贫进度", "persons_progress_pct", lambda r: fmt.percent(r["persons_progress_pct"]),
           True),
    Column("目标退出村", "target_villages_to_exit",
           lambda r: fmt.count(r["target_villages_to_exit"], "个"), True),
    Column("未退出村", "villages_remaining", lambda r: fmt.count(r["villages_remaining"], "个"),
           True),
    Column("具备摘帽条件", "ready_for_delisting", lambda r: fmt.yes_no(r["ready_for_delisting"])),
)

GAPS_COLUMNS = (
    Column("县", "county_name", lambda r: r["county_name"]),
    Column("辍学学生", "dropouts", lambda r: fmt.count(r["dropouts"], "人"), True),
    Column("未改造危房", "unsafe_houses_outstanding",
           lambda r: fmt.count(r["unsafe_houses_outstanding"], "户"), True),
    Column("无合格村医村", "villages_without_doctor",
           lambda r: fmt.count(r["villages_without_doctor"], "个"), True),
    Column("未参保贫困人口", "uninsured_registered_poor",
           lambda r: fmt.count(r["uninsured_registered_poor"], "人"), True),
    Column("冻管未改造", "frozen_pipes_outstanding",
           lambda r: fmt.count(r["frozen_pipes_outstanding"], "处"), True),
    Column("饮水不安全村", "villages_without_safe_water",
           lambda r: fmt.count(r["villages_without_safe_water"], "个"), True),
    Column("合计未清零", "open_gaps", lambda r: fmt.count(r["open_gaps"]), True),
)


def _province(data: DispatchData, counties_png: bytes) -> str:
    missing = [row["county_name"] for row in data.province if not row["reported"]]
    note = (f"<p class=\"warn\">本月未报送 not reported: {escape('、'.join(missing))}</p>"
            if missing else "")
    return _section("province", (
        "<p>8个未摘帽县对照附件1目标 the 8 undelisted counties against their 附件1 targets.</p>"
        + note
        + _image(counties_png, "8个挂牌督战县对照目标 the 8 counties against their targets")
        + "<h3>对照目标 against the targets</h3>" + _table(PROVINCE_COLUMNS, data.province)
        + "<h3>\"3+1\"问题清零 open gaps in the three guarantees and drinking water</h3>"
        + _table(GAPS_COLUMNS, data.province)
    ))


DEPARTMENT_COLUMNS = (
    Column("督战部门", "department", lambda r: r["department"]),
    Column("目标", "label_zh", lambda r: r["label_zh"], wrap=True),
    Column("target", "label_en", lambda r: r["label_en"], wrap=True),
    Column("对象", "scope", lambda r: "未退出贫困村 villages" if r["scope"] == "unexited_village"
           else "挂牌县 counties"),
    Column("达标", "subjects_meeting",
           lambda r: f"{fmt.count(r['subjects_meeting'])} / {fmt.count(r['subjects'])}", True),
    Column("达标比例", "share_meeting_pct", lambda r: fmt.percent(r["share_meeting_pct"]), True),
    Column("未清零数", "measured_total", lambda r: fmt.count(r["measured_total"]), True),
    Column("目标实现", "target_met", lambda r: fmt.yes_no(r["target_met"])),
)


def _departments(data: DispatchData) -> str:
    met = sum(1 for row in data.departments if row["target_met"])
    return _section("departments", (
        f"<p>附件2 可计量目标 measurable targets of 附件2: 已实现 met <strong>{met}</strong> / "
        f"{len(data.departments)}。发改委易地扶贫搬迁项目不在月报表中，未计量 "
        "(relocation projects are not on the monthly form).</p>"
        + _table(DEPARTMENT_COLUMNS, data.departments)
    ))


PREFECTURE_COLUMNS = (
    Column("市州", "prefecture_name", lambda r: r["prefecture_name"]),
    Column("应退出村", "villages_to_exit", lambda r: fmt.count(r["villages_to_exit"], "个"), True),
    Column("已退出", "villages_exited", lambda r: fmt.count(r["villages_exited"], "个"), True),
    Column("未退出", "villages_remaining", lambda r: fmt.count(r["villages_remaining"], "个"),
           True),
    Column("高发生率村", "high_incidence_villages",
           lambda r: fmt.count(r["high_incidence_villages"], "个"), True),
    Column("其中已退出", "high_incidence_exited",
           lambda r: fmt.count(r["high_incidence_exited"], "个"), True),
    Column("挂牌村已退出", "named_villages_exited",
           lambda r: fmt.count(r["named_villages_exited"], "个"), True),
)


def _prefectures(data: DispatchData) -> str:
    keys = [column.id for column in PREFECTURE_COLUMNS[1:]]
    total: Row = {"prefecture_name": "合计 total"}
    total.update({key: sum(row[key] or 0 for row in data.prefectures) for key in keys})
    return _section("prefectures", (
        "<p>附件3 未退出贫困村 the unexited poor villages of 附件3, by prefecture.</p>"
        + _table(PREFECTURE_COLUMNS, data.prefectures, total=total)
    ))


COUNTY_COLUMNS = (
    Column("县", "county_name", lambda r: r["county_name"]),
    Column("市州", "prefecture_name", lambda r: r["prefecture_name"] or ""),
    Column("未脱贫人口", "unlifted_persons", lambda r: fmt.persons(r["unlifted_persons"]), True),
    Column("本月脱贫", "lifted_this_month", lambda r: fmt.persons(r["lifted_this_month"]), True),
    Column("新识别", "newly_identified_this_month",
           lambda r: fmt.persons(r["newly_identified_this_month"]), True),
    Column("返贫", "returned_this_month", lambda r: fmt.persons(r["returned_this_month"]), True),
    Column("返贫风险", "return_risk_persons",
           lambda r: fmt.persons(r["return_risk_persons"]), True),
    Column("致贫风险", "marginal_risk_persons",
           lambda r: fmt.persons(r["marginal_risk_persons"]), True),
)

GAP_COLUMNS = (
    Column("县", "county_name", lambda r: r["county_name"]),
    Column("上月未脱贫", "previous_unlifted_persons",
           lambda r: fmt.persons(r["previous_unlifted_persons"]), True),
    Column("应为", "expected_unlifted_persons",
           lambda r: fmt.persons(r["expected_unlifted_persons"]), True),
    Column("报送", "unlifted_persons", lambda r: fmt.persons(r["unlifted_persons"]), True),
    Column("差额", "balance_gap", lambda r: fmt.signed(r["balance_gap"]), True),
)


def _counties(data: DispatchData) -> str:
    top = [row for row in data.counties if row["unlifted_persons"]][:TOP_COUNTIES]
    gaps = [row for row in data.counties if row["balance_status"] == "gap"]
    unchecked = sum(1 for row in data.counties if row["balance_status"] == "no_previous_month")
    gap_part = (_table(GAP_COLUMNS, gaps) if gaps
                else "<p class=\"none\">本月各县人口平衡 every reporting county balances.</p>")
    return _section("counties", (
        f"<h3>未脱贫人口最多的{TOP_COUNTIES}个县 the {TOP_COUNTIES} counties with most people "
        "left</h3>"
        + (_table(COUNTY_COLUMNS, top) if top
           else "<p class=\"none\">各县未脱贫人口均已清零 no county reports anyone left.</p>")
        + "<h3>人口平衡差额 balance gaps</h3>"
        "<p>本月未脱贫 = 上月未脱贫 − 本月脱贫 + 新识别 + 返贫 "
        "remaining = previous − lifted + newly identified + returned. "
        f"上月未报送、无法核对 no previous month to check: {unchecked} 县.</p>" + gap_part
    ))


def _footer(data: DispatchData) -> str:
    checks = data.checks
    check_text = (f"最近一次数据检查 latest data checks {escape(checks['checked_at'])}: "
                  f"{checks['passed']} 通过 passed, {checks['failed']} 未通过 failed. "
                  if checks else "")
    simulated = "数字为模拟数据 figures are simulated. " if data.is_simulated else ""
    return (f"<footer>数据来源 source: 已发布数据仓库 published warehouse "
            f"(dispatch, province, departments, prefectures, counties). {check_text}"
            f"{simulated}</footer>")


def _image(png: bytes, alt: str) -> str:
    encoded = base64.b64encode(png).decode("ascii")
    return f"<img class=\"chart\" alt=\"{escape(alt)}\" src=\"data:image/png;base64,{encoded}\">"


def _table(columns: Sequence[Column], rows: Sequence[Row], total: Row | None = None) -> str:
    head = "".join(f"<th{_align(c)}>{escape(c.label_zh)}"
                   f"<br><span class=\"en\">{_breakable(c.id)}</span></th>" for c in columns)
    lines = [_table_row(columns, row) for row in rows]
    foot = f"<tfoot>{_table_row(columns, total)}</tfoot>" if total else ""
    # Wide tables scroll inside their box instead of widening the page.
    return (f"<div class=\"scroll\"><table><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(lines)}</tbody>{foot}</table></div>")


def _align(column: Column) -> str:
    if column.numeric:
        return ' class="num"'
    return ' class="wrap"' if column.wrap else ""


def _breakable(column_id: str) -> str:
    """An English id that may break after its underscores, so headers stay narrow."""
    return escape(column_id).replace("_", "_<wbr>")


def _table_row(columns: Sequence[Column], row: Row) -> str:
    cells = "".join(f"<td{_align(c)}>{escape(c.render(row))}</td>"
                    for c in columns)
    return f"<tr>{cells}</tr>"


CSS = """
* { box-sizing: border-box; }
body { margin: 0; padding: 0 28px 40px; color: #1f2d3d; background: #f6f7f9;
  font: 14px/1.55 "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC",
  "WenQuanYi Micro Hei", sans-serif; }
.title { padding: 22px 0 8px; }
h1 { margin: 0; font-size: 26px; color: #8b1a1a; }
.sub { margin: 4px 0 0; color: #5b6b7b; }
.simulated { position: sticky; top: 0; z-index: 5; margin: 10px 0; padding: 10px 16px;
  background: #fff3cd; border: 2px solid #d9534f; border-radius: 6px; color: #7a1f1c; }
.simulated strong { background: #d9534f; color: #fff; padding: 2px 8px; border-radius: 4px;
  margin-right: 8px; }
nav { display: flex; flex-wrap: wrap; gap: 6px 14px; margin: 12px 0 4px; }
nav a { color: #2c6fbb; text-decoration: none; }
section { background: #fff; border: 1px solid #dde3ea; border-radius: 8px; padding: 14px 22px;
  margin: 18px 0; }
h2 { margin: 0 0 10px; font-size: 20px; border-left: 5px solid #c0392b; padding-left: 10px; }
h3 { margin: 18px 0 8px; font-size: 16px; }
h4 { margin: 4px 0 6px; font-size: 14px; }
.en { color: #7a8794; font-size: 0.82em; font-weight: normal; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(240px, 1fr)); gap: 12px; }
.card { border: 1px solid #dde3ea; border-radius: 8px; padding: 10px 14px; background: #fbfcfd; }
.card.focus { border-top: 4px solid #c0392b; }
.card.risk { border-top: 4px solid #f0a22e; }
.card .value { font-size: 26px; font-weight: bold; margin: 2px 0; }
.card .detail { color: #3c4b5a; font-size: 13px; }
.note { color: #7a8794; font-size: 12px; }
.lead { font-size: 15px; }
.bad, .warn { color: #b52a24; }
.chart { display: block; max-width: 100%; height: auto; margin: 6px 0 10px; }
table { border-collapse: collapse; margin: 6px 0 10px; font-size: 13px; }
th, td { border: 1px solid #dde3ea; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #eef2f6; font-weight: 600; }
td { white-space: nowrap; }
td.wrap { white-space: normal; min-width: 16em; }
.scroll { max-width: 100%; overflow-x: auto; }
td.num, th.num { text-align: right; white-space: nowrap; }
tfoot td { font-weight: bold; background: #f3f5f8; }
.lists { display: flex; flex-wrap: wrap; gap: 18px; }
.list { min-width: 260px; }
.none { color: #5b6b7b; }
.legend { display: flex; flex-wrap: wrap; gap: 6px 18px; margin: 6px 0; }
.swatch { display: inline-block; width: 22px; text-align: center; border-radius: 3px;
  font-size: 12px; }
.heat-maps { display: flex; flex-wrap: wrap; gap: 0 28px; align-items: flex-start; }
table.heat { font-size: 12px; }
table.heat th, table.heat td { padding: 1px 6px; line-height: 1.35; }
table.heat th.m { text-align: center; min-width: 30px; padding: 1px 2px; }
table.heat td.hm { text-align: center; border-color: #fff; }
table.heat tr.group th { background: #fff; color: #5b6b7b; font-weight: 600; padding-top: 4px;
  border-left: none; border-right: none; }
table.heat td.county { white-space: nowrap; }
footer { color: #5b6b7b; font-size: 12px; margin-top: 20px; }
@media print { .simulated { position: static; } section { break-inside: avoid-page; } }
""" + "".join(
    f".s-{s.id} {{ background: {s.color}; color: {s.text_color}; }}\n" for s in fmt.STATUSES
)
