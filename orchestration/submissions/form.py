"""The county monthly report form (县级月报) as data.

This module is the single source of truth for the four tables of the form described in
``SUBMISSION_FORM.md``: the reader finds columns by these labels, the template writes
them, the simulator imitates them and the dbt documentation lists them. Nothing here
reads files.

Tables:

- ``t1`` 表1 贫困人口 — one data row;
- ``t2`` 表2 贫困村 — one row per supervised village, keyed by ``village_code``;
- ``t3`` 表3 三保障和饮水安全 — one data row;
- ``t4`` 表4 问题整改 — one row per source of findings, keyed by ``source``, the six
  sources in their fixed order (``SOURCES``).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    """How a cell of an indicator is written and typed."""

    COUNT = "count"  # whole number >= 0
    DECIMAL = "decimal"  # number with `scale` decimals
    PERCENT = "percent"  # number of percent points; "2.5%" means 2.5
    YES_NO = "yes_no"  # 是/否, √/×
    TEXT = "text"
    CODE12 = "code12"  # 12-digit statistical village code, kept as text
    SOURCE = "source"  # one of SOURCES


NUMERIC_KINDS = frozenset({Kind.COUNT, Kind.DECIMAL, Kind.PERCENT})

# 问题来源, in the order the form lists them.
SOURCES: tuple[str, ...] = (
    "中央专项巡视回头看",
    "国家成效考核",
    "大排查",
    "民主监督",
    "督查巡查",
    "审计暗访",
)


@dataclass(frozen=True)
class Indicator:
    """One column of a table.

    ``label`` is exactly the Chinese label of the contract; ``group`` is the header cell
    the template merges over neighbouring columns (layout only, never needed to read).
    """

    id: str
    label: str
    unit: str
    kind: Kind
    scale: int = 0
    required: bool = True
    group: str = ""

    @property
    def is_numeric(self) -> bool:
        return self.kind in NUMERIC_KINDS


@dataclass(frozen=True)
class Table:
    """One sheet of the form.

    ``key`` names the indicator that identifies a row in many-row tables (``None`` for the
    one-row tables); ``fixed_keys`` lists the rows every submission carries, in order.
    """

    id: str
    number: int
    title: str
    indicators: tuple[Indicator, ...]
    key: str | None = None
    fixed_keys: tuple[str, ...] = ()

    @property
    def sheet_name(self) -> str:
        return f"表{self.number} {self.title}"

    @property
    def many_rows(self) -> bool:
        return self.key is not None

    # Cached (the reader asks for these for every cell); a frozen dataclass still lets
    # cached_property fill the instance dictionary.
    @functools.cached_property
    def key_indicator(self) -> Indicator | None:
        return self.indicator(self.key) if self.key else None

    @functools.cached_property
    def value_indicators(self) -> tuple[Indicator, ...]:
        """The indicators that become values; the key is the row_key instead."""
        return tuple(i for i in self.indicators if i.id != self.key)

    @functools.cached_property
    def _by_id(self) -> dict[str, Indicator]:
        return {i.id: i for i in self.indicators}

    def indicator(self, indicator_id: str) -> Indicator | None:
        return self._by_id.get(indicator_id)


def _count(id_: str, label: str, unit: str, group: str = "") -> Indicator:
    return Indicator(id_, label, unit, Kind.COUNT, group=group)


def _yes_no(id_: str, label: str, group: str = "") -> Indicator:
    return Indicator(id_, label, "是/否", Kind.YES_NO, group=group)


T1 = Table(
    id="t1",
    number=1,
    title="贫困人口",
    indicators=(
        _count("registered_poor_total", "建档立卡贫困人口（累计）", "persons"),
        _count("lifted_cumulative", "累计脱贫人口", "persons"),
        _count("unlifted_households", "未脱贫户数", "households", "未脱贫"),
        _count("unlifted_persons", "未脱贫人口", "persons", "未脱贫"),
        _count("return_risk_persons", "存在返贫风险的已脱贫人口", "persons", "风险监测"),
        _count("marginal_risk_persons", "存在致贫风险的边缘人口", "persons", "风险监测"),
        _count("lifted_this_month", "本月脱贫人口", "persons", "本月变动"),
        _count("newly_identified_this_month", "本月新识别贫困人口", "persons", "本月变动"),
        _count("returned_this_month", "本月返贫人口", "persons", "本月变动"),
        _count("risk_eliminated_this_month", "本月消除风险人口", "persons", "本月变动"),
        _count("low_income_persons", "人均纯收入低于4000元的低收入人口", "persons"),
        _count("poor_villages_total", "贫困村总数", "villages", "贫困村"),
        _count("villages_exited_cumulative", "累计退出贫困村", "villages", "贫困村"),
    ),
)

T2 = Table(
    id="t2",
    number=2,
    title="贫困村",
    key="village_code",
    indicators=(
        Indicator("village_code", "村代码", "code", Kind.CODE12, group="村基本情况"),
        # The code identifies the village; township and name only help the reader of the
        # sheet, so a form without them is still usable.
        Indicator("township", "乡镇", "text", Kind.TEXT, required=False, group="村基本情况"),
        Indicator("village_name", "村名", "text", Kind.TEXT, required=False, group="村基本情况"),
        _yes_no("is_poor_village", "是否贫困村", "贫困状况"),
        _yes_no("is_deep_poverty", "是否深度贫困村", "贫困状况"),
        Indicator("incidence_pct", "贫困发生率(%)", "%", Kind.PERCENT, scale=2, group="贫困状况"),
        _yes_no("exited", "是否已退出", "贫困状况"),
        _count("leading_industries", "主导产业(个)", "industries", "产业发展"),
        _count("cooperatives", "规范运营带贫合作社(个)", "cooperatives", "产业发展"),
        Indicator(
            "collective_income_wan", "村集体经济收入(万元)", "万元", Kind.DECIMAL, scale=2,
            group="产业发展",
        ),
        _count("qualified_doctors", "合格村医(人)", "persons", "公共服务"),
        _yes_no("safe_water", "安全饮水达标", "公共服务"),
        _yes_no("clean_environment", "村庄环境干净整洁", "公共服务"),
    ),
)

T3 = Table(
    id="t3",
    number=3,
    title="三保障和饮水安全",
    indicators=(
        _count("dropouts", "义务教育阶段失学辍学人数", "persons"),
        _count("unsafe_houses_outstanding", "存量危房(户)", "households", "住房安全"),
        _count("unsafe_houses_new", "本月新增危房(户)", "households", "住房安全"),
        _count("unsafe_houses_renovated", "本月改造危房(户)", "households", "住房安全"),
        _count("villages_without_doctor", "无合格村医的行政村(个)", "villages"),
        _count("frozen_pipe_hazards", "冻管隐患(处)", "places", "饮水安全"),
        _count("frozen_pipe_fixed", "冻管已整改(处)", "places", "饮水安全"),
        _count("uninsured_registered_poor", "未参加基本医保的建档立卡人口", "persons"),
    ),
)

T4 = Table(
    id="t4",
    number=4,
    title="问题整改",
    key="source",
    fixed_keys=SOURCES,
    indicators=(
        Indicator("source", "问题来源", "source", Kind.SOURCE),
        _count("issues_found", "发现问题(个)", "issues"),
        _count("issues_rectified", "已整改(个)", "issues"),
    ),
)

TABLES: tuple[Table, ...] = (T1, T2, T3, T4)
TABLES_BY_ID: dict[str, Table] = {t.id: t for t in TABLES}
TABLES_BY_NUMBER: dict[int, Table] = {t.number: t for t in TABLES}

# Title of every sheet, after the county name: 宕昌县脱贫攻坚挂牌督战工作进展月报表.
FORM_TITLE = "脱贫攻坚挂牌督战工作进展月报表"

# Labels of the line above the header and of the footer, in the order the form shows them.
HEADER_FIELDS: tuple[str, ...] = ("填报单位", "行政区划代码", "报告期")
FOOTER_FIELDS: tuple[str, ...] = ("填报人", "联系电话", "审核人", "填报日期")

# Other words clerks use for the footer's labels.
FOOTER_ALIASES: dict[str, str] = {"填表人": "填报人", "制表人": "填报人", "联系方式": "联系电话"}
FOOTER_LABELS: tuple[str, ...] = FOOTER_FIELDS + tuple(FOOTER_ALIASES)

# Personal data in the footer: kept only as a keyed hash.
PERSONAL_FIELDS: tuple[str, ...] = ("填报人", "联系电话", "审核人")

_SPACES = re.compile(r"\s+")


@functools.lru_cache(maxsize=1 << 14)
def normalise_label(text: str) -> str:
    """The form of a label used for matching.

    Clerks retype labels with line breaks, extra spaces and full-width or half-width
    brackets; NFKC folds the width variants and whitespace carries no meaning.
    """
    return _SPACES.sub("", unicodedata.normalize("NFKC", text))


def table(table_id: str) -> Table | None:
    return TABLES_BY_ID.get(table_id)


def labels_by_key(tbl: Table) -> dict[str, Indicator]:
    """Normalised label → indicator, for finding columns by label."""
    return {normalise_label(i.label): i for i in tbl.indicators}
