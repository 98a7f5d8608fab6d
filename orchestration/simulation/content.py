"""What a county's report for a month says, cell by cell, in the form's terms.

``form_values`` gives every figure keyed like the reader's ``Value`` (table, row_key,
indicator) with the type the reader produces: ``Decimal`` for numbers, ``bool`` for 是/否,
``str`` for text, ``None`` for "not reported". The writer writes exactly these, so a clean
file reads back equal to them.

Footer people are synthetic: names drawn from common characters, telephone numbers with a
local part starting with 0, which no real Chinese landline has.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from orchestration.submissions.form import SOURCES

from .registry import Village
from .rng import rng_for
from .trajectory import CountyMonth

FormKey = tuple[str, str, str]  # (table, row_key, indicator)
FormValue = Decimal | bool | str | None

AREA_CODES = {
    "620100": "0931", "620300": "0935", "620400": "0943", "620500": "0938", "620600": "0935",
    "620700": "0936", "620800": "0933", "620900": "0937", "621000": "0934", "621100": "0932",
    "621200": "0939", "622900": "0930", "623000": "0941",
}

SIMULATED_NOTE = "注：本表为模拟数据，并非真实报送；表尾人名、电话均为虚构。"

_SURNAMES = "王李张刘陈杨马赵何郭苏罗田朱魏孙"
_GIVEN = "文建国华明军红霞丽玉兰志强永亮海燕小伟芳静"


@dataclass(frozen=True)
class Signatories:
    """The synthetic filer, telephone and reviewer of a county or prefecture."""

    filer: str
    phone: str
    reviewer: str


def signatories(unit_code: str, prefecture_code: str) -> Signatories:
    rng = rng_for("signatories", unit_code)

    def name() -> str:
        given = "".join(rng.choice(_GIVEN) for _ in range(rng.choice((1, 2))))
        return rng.choice(_SURNAMES) + given

    phone = f"{AREA_CODES[prefecture_code]}-0{rng.randint(0, 999_999):06d}"
    return Signatories(name(), phone, name())


def date_label(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def form_values(month: CountyMonth, villages: tuple[Village, ...]) -> dict[FormKey, FormValue]:
    """Every figure of the report, as the reader should read it back."""
    values: dict[FormKey, FormValue] = {}
    for key, number in month.t1.items():
        values[("t1", "", key)] = Decimal(number)

    registry = {v.village_code: v for v in villages}
    for row in month.villages:
        village = registry[row.village_code]
        code = row.village_code
        values.update({
            ("t2", code, "township"): village.township,
            ("t2", code, "village_name"): village.village_name,
            ("t2", code, "is_poor_village"): village.is_poor_village,
            ("t2", code, "is_deep_poverty"): village.is_deep_poverty,
            ("t2", code, "incidence_pct"): row.incidence_pct,
            ("t2", code, "exited"): row.exited,
            ("t2", code, "leading_industries"): Decimal(row.leading_industries),
            ("t2", code, "cooperatives"): Decimal(row.cooperatives),
            ("t2", code, "collective_income_wan"): row.collective_income_wan,
            ("t2", code, "qualified_doctors"): Decimal(row.qualified_doctors),
            ("t2", code, "safe_water"): row.safe_water,
            ("t2", code, "clean_environment"): row.clean_environment,
        })

    for key, number in month.t3.items():
        values[("t3", "", key)] = Decimal(number)

    for source in SOURCES:
        found, rectified = month.t4[source]
        values[("t4", source, "issues_found")] = Decimal(found)
        values[("t4", source, "issues_rectified")] = Decimal(rectified)
    return values


def cell_value(value: FormValue) -> object:
    """How a clean report writes a value in a cell: numbers as numbers, 是/否, and ``/``
    (not applicable, read as not reported) where there is nothing to say."""
    if value is None:
        return "/"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() and value.as_tuple().exponent >= 0 \
            else value
    return value


def text_value(value: FormValue) -> str:
    """How a clean long CSV writes a value."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)
