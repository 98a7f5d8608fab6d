"""What each reference CSV must contain, column by column.

The files are transcribed by hand from an OCR'd PDF and edited by people, so every cell is
checked before anything reaches the warehouse: a wrong figure here would be reconciled
against every county's monthly report for a year.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ColumnKind = Literal["text", "code6", "code12", "int", "decimal", "bool", "codes"]


@dataclass(frozen=True)
class Column:
    name: str
    kind: ColumnKind
    required: bool = True
    description: str = ""


@dataclass(frozen=True)
class ForeignKey:
    """Every non-empty value of ``column`` must be a ``target_column`` of ``target``."""

    column: str
    target: str
    target_column: str


@dataclass(frozen=True)
class ReferenceTable:
    name: str
    label_zh: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    expected_rows: int | None = None
    foreign_keys: tuple[ForeignKey, ...] = ()

    @property
    def file_name(self) -> str:
        return f"{self.name}.csv"

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)


def _text(name: str, required: bool = True) -> Column:
    return Column(name, "text", required)


COUNTY = ForeignKey("county_code", "counties", "county_code")
PREFECTURE = ForeignKey("prefecture_code", "prefectures", "prefecture_code")

TABLES: tuple[ReferenceTable, ...] = (
    ReferenceTable(
        "prefectures", "市(州)",
        (Column("prefecture_code", "code6"), _text("prefecture_name"), _text("name_in_plan")),
        key=("prefecture_code",), expected_rows=13,
    ),
    ReferenceTable(
        "counties", "县(市、区)名录",
        (
            Column("county_code", "code6"), _text("county_name"), _text("name_in_plan"),
            Column("prefecture_code", "code6"),
        ),
        key=("county_code",), expected_rows=75, foreign_keys=(PREFECTURE,),
    ),
    ReferenceTable(
        "plan_county_figures", "附件4 县级督战清单",
        (
            Column("plan_row", "int"), Column("county_code", "code6", required=False),
            _text("name_in_plan", required=False), Column("total_wan", "decimal"),
            Column("unlifted_wan", "decimal"), Column("return_risk_wan", "decimal"),
            Column("marginal_risk_wan", "decimal"),
            Column("unresolved_candidates", "codes", required=False),
        ),
        key=("plan_row",), expected_rows=75, foreign_keys=(COUNTY,),
    ),
    ReferenceTable(
        "plan_province_counties", "附件1 省级督战清单",
        (
            Column("plan_row", "int"), Column("county_code", "code6"), _text("name_in_plan"),
            _text("provincial_leader", required=False), _text("prefecture_leaders"),
            _text("lead_unit"), _text("assisting_units", required=False),
            Column("target_unlifted_wan", "decimal"), Column("target_villages_to_exit", "int"),
            _text("target_text"),
        ),
        key=("plan_row",), expected_rows=8, foreign_keys=(COUNTY,),
    ),
    ReferenceTable(
        "plan_departments", "附件2 省直部门督战清单",
        (
            Column("plan_row", "int"), _text("department"), _text("supervised_scope"),
            _text("problems", required=False), _text("provincial_leader", required=False),
            _text("department_head", required=False), _text("targets_text"),
        ),
        key=("plan_row",), expected_rows=10,
    ),
    ReferenceTable(
        "plan_department_counties", "附件2 督战对象县",
        (Column("plan_row", "int"), Column("county_code", "code6")),
        key=("plan_row", "county_code"),
        foreign_keys=(COUNTY, ForeignKey("plan_row", "plan_departments", "plan_row")),
    ),
    ReferenceTable(
        "plan_department_targets", "附件2 可量化督战目标",
        (
            Column("plan_row", "int"), _text("target_id"), _text("indicator"), _text("scope"),
            _text("comparator"), _text("threshold"), _text("label_zh"), _text("label_en"),
        ),
        key=("plan_row", "target_id"),
        foreign_keys=(ForeignKey("plan_row", "plan_departments", "plan_row"),),
    ),
    ReferenceTable(
        "plan_relocation_projects", "附件2 易地扶贫搬迁补短板项目",
        (Column("project_no", "int"), Column("county_code", "code6"), _text("project_name")),
        key=("project_no",), expected_rows=5, foreign_keys=(COUNTY,),
    ),
    ReferenceTable(
        "plan_prefectures", "附件3 市(州)督战清单",
        (
            Column("plan_row", "int"), Column("prefecture_code", "code6"), _text("name_in_plan"),
            Column("villages_unexited", "int"), Column("deep_poverty_villages", "int"),
            Column("non_deep_villages", "int"), Column("high_incidence_villages", "int"),
            Column("high_incidence_deep", "int"), Column("high_incidence_non_deep", "int"),
            _text("named_list_status"), _text("responsible_leaders", required=False),
            _text("target_text"),
        ),
        key=("plan_row",), expected_rows=8, foreign_keys=(PREFECTURE,),
    ),
    ReferenceTable(
        "plan_high_incidence_villages", "附件3 贫困发生率超过10%的村",
        (
            Column("prefecture_code", "code6"), Column("county_code", "code6"),
            Column("list_position", "int"), _text("village_name"),
            Column("is_deep_poverty", "bool"),
        ),
        key=("county_code", "list_position"), foreign_keys=(COUNTY, PREFECTURE),
    ),
    ReferenceTable(
        "villages", "督战村名录（代码与部分村名为模拟）",
        (
            Column("village_code", "code12"), Column("county_code", "code6"), _text("township"),
            _text("village_name"), Column("is_poor_village", "bool"),
            Column("is_deep_poverty", "bool"), Column("is_high_incidence", "bool"),
            Column("plan_list_position", "int", required=False),
            Column("incidence_pct_2019", "decimal"), Column("is_synthetic_code", "bool"),
            Column("is_synthetic_name", "bool"),
        ),
        key=("village_code",), foreign_keys=(COUNTY,),
    ),
    ReferenceTable(
        "plan_totals", "方案公布的合计数",
        (
            _text("figure_id"), _text("attachment"), _text("label_zh"), _text("label_en"),
            Column("value_text", "decimal"), _text("unit"), _text("quote"),
        ),
        key=("figure_id",),
    ),
    ReferenceTable(
        "corrections", "OCR 校正记录",
        (
            _text("file"), _text("row_key"), _text("column"), _text("ocr_text", required=False),
            _text("value", required=False), _text("action"), _text("evidence_kind"),
            _text("evidence"),
        ),
        key=("file", "row_key", "column"),
    ),
)

TABLES_BY_NAME: dict[str, ReferenceTable] = {table.name: table for table in TABLES}
