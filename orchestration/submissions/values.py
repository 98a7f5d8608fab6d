"""Parsing one cell as people write it (表 "Values as people write them").

``parse_value`` turns what a cell holds (a string, a number, a bool, a date or nothing, as
openpyxl or the CSV reader hand it over) into a typed value of one indicator kind:

======================  ==========================================
written                 result
======================  ==========================================
blank, —, -, /          not reported: ``value is None`` (not zero)
0, 无                   zero
1,234  １２３４  " 1234 "  Decimal("1234")
是 / 否, √ / ×          True / False
2.5% (percent kind)     Decimal("2.5"); a cell formatted as percent holding 0.025 too
a number stored as text the number
anything else           a problem with a stable code, the value is None
======================  ==========================================

Numbers are ``decimal.Decimal``, never float: a float from the workbook is converted via
its shortest repr, which is the text Excel stored. The raw text is always kept.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from .form import SOURCES, Kind, normalise_label

NOT_REPORTED = frozenset({"", "-", "--", "—", "——", "–", "/", "─"})
ZERO_WORDS = frozenset({"无"})
YES = frozenset({"是", "√", "✓", "✔"})
NO = frozenset({"否", "×", "✗", "✘", "x", "X"})

# decimal128(18, 4) downstream: 14 integer digits, 4 decimals.
MAX_ABS = Decimal(10) ** 14
MAX_SCALE = 4

_PLAIN = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_GROUPED = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?")
_CODE12 = re.compile(r"\d{12}")


@dataclass(frozen=True)
class Problem:
    """Why a cell could not be taken as written.

    ``code`` is stable (used in findings); ``expected`` is a short English description;
    ``zh`` / ``en`` say what is wrong without naming the cell (the caller adds that).
    """

    code: str
    severity: str
    expected: str
    zh: str
    en: str


@dataclass(frozen=True)
class Parsed:
    """A typed value (``None`` = not reported) with its raw text and any problem."""

    value: Decimal | bool | str | None
    raw: str
    problem: Problem | None = None

    @property
    def is_error(self) -> bool:
        return self.problem is not None and self.problem.severity == "error"


# Pure functions of a cell value, memoised: a form repeats the same few values (0, 1, 是, 否)
# thousands of times a workbook, and these two are called for every cell. ``typed`` keeps
# True, 1 and 1.0 apart.
@functools.lru_cache(maxsize=1 << 16, typed=True)
def raw_text(cell: object) -> str:
    """The text a clerk sees for a cell value, for keeping and quoting back."""
    if cell is None:
        return ""

    if isinstance(cell, bool):
        return "TRUE" if cell else "FALSE"

    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))

    if isinstance(cell, float):
        return repr(cell)

    if isinstance(cell, (datetime, date, time)):
        return cell.isoformat()

    return str(cell)


def clean_text(text: str) -> str:
    """Fold full-width characters and trim, keeping inner spaces of text."""
    return unicodedata.normalize("NFKC", text).strip()


def parse_value(
    cell: object, kind: Kind, *, scale: int = 0, percent_format: bool = False
) -> Parsed:
    """Parse one cell of the given kind.

    ``percent_format`` says the workbook cell is formatted as a percentage, so the stored
    0.025 is what the clerk typed and sees as 2.5%.
    """
    if kind is Kind.CODE12 and type(cell) is str and len(cell) == 12 and cell.isascii() \
            and cell.isdigit():
        return Parsed(cell, cell)  # the common case of every village row, as below gives it

    raw = raw_text(cell)
    text = clean_text(cell) if isinstance(cell, str) else None

    if cell is None or (text is not None and text in NOT_REPORTED):
        return Parsed(None, raw)

    if kind in (Kind.COUNT, Kind.DECIMAL, Kind.PERCENT):
        return _parse_number(cell, text, raw, kind, scale, percent_format)

    if kind is Kind.YES_NO:
        return _parse_yes_no(cell, text, raw)

    if kind is Kind.CODE12:
        return _parse_code12(cell, text, raw)

    if kind is Kind.SOURCE:
        return _parse_source(text if text is not None else raw, raw)

    return Parsed(text if text is not None else raw, raw)


# Per (kind, scale, percent format): cell value and its type -> Parsed, for the workbook
# reader, whose forms repeat the same few values (0, 1, 是, 否) thousands of times; Parsed
# is immutable. A dict keyed by (value, type) is cheaper than lru_cache here (a Kind's hash
# is a Python-level call), and the type keeps True, 1 and 1.0 apart. Cleared when large:
# text columns (village names) have as many values as villages.
ColumnCache = dict[tuple[object, type], "Parsed"]
_COLUMN_CACHES: dict[tuple[str, int, bool], ColumnCache] = {}
_COLUMN_CACHE_LIMIT = 1 << 16


def column_cache(kind: Kind, scale: int, percent_format: bool = False) -> ColumnCache:
    return _COLUMN_CACHES.setdefault((str(kind), scale, percent_format), {})


def parse_remembered(
    cache: ColumnCache, cell: object, kind: Kind, scale: int, percent_format: bool = False
) -> Parsed:
    """``parse_value`` of a cell, kept in ``cache`` (the one ``column_cache`` gives for the
    same kind, scale and percent format)."""
    if len(cache) >= _COLUMN_CACHE_LIMIT:
        cache.clear()
    parsed = cache[(cell, type(cell))] = parse_value(
        cell, kind, scale=scale, percent_format=percent_format
    )
    return parsed


def parse_cached(cell: object, kind: Kind, scale: int, percent_format: bool) -> Parsed:
    """``parse_value`` through the column caches, for callers outside the reader's row loop
    (which looks the cache up itself)."""
    cache = column_cache(kind, scale, percent_format)
    parsed = cache.get((cell, type(cell)))
    if parsed is None:
        parsed = parse_remembered(cache, cell, kind, scale, percent_format)
    return parsed


def _parse_number(
    cell: object, text: str | None, raw: str, kind: Kind, scale: int, percent_format: bool
) -> Parsed:
    number = _to_decimal(cell, text, kind)
    if number is None:
        return Parsed(None, raw, _not_a_number(kind))

    if percent_format and text is None:
        number = number * 100

    if abs(number) >= MAX_ABS:
        return Parsed(None, raw, _out_of_range(kind))

    # A mobile number typed into a figure's cell would reach the warehouse in clear as a
    # value; no count or amount on the form has its shape, so it is refused, not stored.
    if _MOBILE_SHAPE.fullmatch(format(number, "f")):
        return Parsed(None, raw, _LOOKS_LIKE_PHONE)

    if kind is Kind.COUNT:
        return _check_count(number, raw)

    if kind is Kind.PERCENT and not Decimal(0) <= number <= Decimal(100):
        return Parsed(None, raw, _out_of_range(kind))

    return _round_to_scale(number, raw, min(scale, MAX_SCALE))


def _to_decimal(cell: object, text: str | None, kind: Kind) -> Decimal | None:
    """The number in a cell, or None when it holds no number."""
    if isinstance(cell, bool) or isinstance(cell, (datetime, date, time)):
        return None

    if isinstance(cell, int):
        return Decimal(cell)

    if isinstance(cell, float):
        return Decimal(repr(cell)) if math.isfinite(cell) else None

    if text is None:
        return None

    if text in ZERO_WORDS:
        return Decimal(0)

    if kind is Kind.PERCENT and text.endswith("%"):
        text = text[:-1].strip()

    if _GROUPED.fullmatch(text):
        text = text.replace(",", "")

    if not _PLAIN.fullmatch(text):
        return None

    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def _check_count(number: Decimal, raw: str) -> Parsed:
    if number != number.to_integral_value():
        return Parsed(None, raw, _count_problem("not_whole"))

    if number < 0:
        return Parsed(None, raw, _count_problem("negative_count"))

    return Parsed(number.quantize(Decimal(1)), raw)


def _round_to_scale(number: Decimal, raw: str, scale: int) -> Parsed:
    """Keep at most `scale` decimals; more are rounded with a note, not rejected."""
    quantum = Decimal(1).scaleb(-scale)
    if number.normalize().as_tuple().exponent >= -scale:  # type: ignore[operator]
        return Parsed(number, raw)

    rounded = number.quantize(quantum, rounding=ROUND_HALF_UP)
    return Parsed(
        rounded,
        raw,
        Problem(
            "rounded",
            "info",
            f"at most {scale} decimals",
            f"保留{scale}位小数，按{rounded}计",
            f"kept to {scale} decimals, taken as {rounded}",
        ),
    )


def _parse_yes_no(cell: object, text: str | None, raw: str) -> Parsed:
    if isinstance(cell, bool):
        return Parsed(cell, raw)

    if text in YES:
        return Parsed(True, raw)

    if text in NO:
        return Parsed(False, raw)

    return Parsed(
        None,
        raw,
        Problem("not_yes_no", "error", "是/否", "应填写“是”或“否”", "should be 是 (yes) or 否 (no)"),
    )


def _parse_code12(cell: object, text: str | None, raw: str) -> Parsed:
    """Village codes come as text or, when Excel took them for numbers, as numbers."""
    if isinstance(cell, float) and cell.is_integer():
        candidate = str(int(cell))
    elif isinstance(cell, int) and not isinstance(cell, bool):
        candidate = str(cell)
    else:
        candidate = re.sub(r"\s+", "", text or "")

    if _CODE12.fullmatch(candidate):
        return Parsed(candidate, raw)

    return Parsed(
        None,
        raw,
        Problem(
            "bad_village_code",
            "error",
            "12-digit village code",
            "村代码应为12位数字",
            "the village code should be 12 digits",
        ),
    )


def _parse_source(text: str, raw: str) -> Parsed:
    key = normalise_label(text)
    if key in SOURCES:
        return Parsed(key, raw)

    return Parsed(
        None,
        raw,
        Problem(
            "unknown_source",
            "error",
            " / ".join(SOURCES),
            "问题来源应为：" + "、".join(SOURCES) + "之一",
            "the source should be one of the six listed on the form: " + ", ".join(SOURCES),
        ),
    )


_KIND_ZH = {
    Kind.COUNT: "不小于0的整数",
    Kind.DECIMAL: "数字",
    Kind.PERCENT: "0到100之间的百分数",
}
_KIND_EN = {
    Kind.COUNT: "a whole number, 0 or more",
    Kind.DECIMAL: "a number",
    Kind.PERCENT: "a percentage between 0 and 100",
}


def _not_a_number(kind: Kind) -> Problem:
    return Problem(
        "not_a_number",
        "error",
        _KIND_EN[kind],
        f"应填写{_KIND_ZH[kind]}（未统计的请留空，为零请填0）",
        f"should be {_KIND_EN[kind]} (leave blank if not known, write 0 for zero)",
    )


_MOBILE_SHAPE = re.compile(r"1[3-9]\d{9}")
_LOOKS_LIKE_PHONE = Problem(
    "looks_like_phone",
    "error",
    "a figure of the form",
    "这里填的像是手机号码，不是本表的数字；电话请填在表尾“联系电话”处",
    "this looks like a mobile telephone number, not a figure of the form; the telephone "
    "goes in the footer (联系电话)",
)


def _out_of_range(kind: Kind) -> Problem:
    return Problem(
        "out_of_range",
        "error",
        _KIND_EN[kind],
        f"数值超出范围，应填写{_KIND_ZH[kind]}",
        f"the number is out of range; it should be {_KIND_EN[kind]}",
    )


def _count_problem(code: str) -> Problem:
    zh = "人数、户数、个数不能有小数" if code == "not_whole" else "人数、户数、个数不能为负数"
    en = "a count cannot have decimals" if code == "not_whole" else "a count cannot be negative"
    return Problem(code, "error", _KIND_EN[Kind.COUNT], zh, en)
