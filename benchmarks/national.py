"""Synthetic national-scale submissions: 832 counties, about 128,000 villages, any months.

The simulator (``orchestration.simulation``) is bound to the plan's 75 counties and writes
through openpyxl, some 25 ms a workbook. At national scale (10,000 workbooks a year, 50,000
for five years) this module writes the same form directly as zip + XML strings, about
1 ms a workbook: the four sheets of ``SUBMISSION_FORM`` with the info line, a one-row
header, the data rows and the footer, values as clerks type them (numbers, 是/否, codes
as text). Every file says it is synthetic in its title row. County codes are synthetic
(9xxxxx, outside every real code), so the warehouse can never mistake one for a real
county; ``verify`` reads a sample back with the product's reader.

    .venv/bin/python benchmarks/national.py --out DIR --months 2020-01..2020-12
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import zipfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from orchestration.submissions.form import SOURCES, TABLES, Kind, Table  # noqa: E402

COUNTIES = 832
VILLAGES = 128_000
PREFECTURES = 64
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@dataclass(frozen=True)
class County:
    code: str
    name: str
    prefecture: str
    villages: tuple[str, ...]  # 12-digit village codes


def counties(seed: int = 832) -> list[County]:
    """832 synthetic counties in 64 prefectures, 128,000 villages spread unevenly."""
    rng = random.Random(seed)
    weights = [rng.uniform(0.5, 1.5) for _ in range(COUNTIES)]
    scale = VILLAGES / sum(weights)
    sizes = [max(1, round(w * scale)) for w in weights]
    sizes[-1] += VILLAGES - sum(sizes)
    out = []
    for index, size in enumerate(sizes):
        prefecture = f"9{index % PREFECTURES:03d}00"
        code = f"{prefecture[:4]}{index // PREFECTURES + 1:02d}"
        villages = tuple(f"{code}{number:06d}" for number in range(1, size + 1))
        out.append(County(code, f"合成县{index + 1:03d}", prefecture, villages))
    return out


def month_range(text: str) -> list[str]:
    first, last = text.split("..")
    year, month = (int(p) for p in first.split("-"))
    months = []
    while f"{year:04d}-{month:02d}" <= last:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


# --- the workbook ------------------------------------------------------------------------


def _column(number: int) -> str:
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = _LETTERS[rest] + letters
    return letters


def _cell(ref: str, value: object) -> str:
    if isinstance(value, (int, float)):
        return f'<c r="{ref}"><v>{value}</v></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t>{escape(str(value))}</t></is></c>'


def _row(number: int, values: list[object]) -> str:
    cells = "".join(_cell(f"{_column(c)}{number}", v) for c, v in enumerate(values, 1)
                    if v is not None)
    return f'<row r="{number}">{cells}</row>'


def _value(kind: Kind, scale: int, rng: random.Random) -> object:
    if kind is Kind.YES_NO:
        return rng.choice(("是", "否"))
    if kind is Kind.PERCENT:
        return round(rng.uniform(0, 30), 2)
    if kind is Kind.DECIMAL:
        return round(rng.uniform(0, 100), scale)
    return rng.randint(0, 5000)


def _data_rows(tbl: Table, county: County, rng: random.Random) -> list[list[object]]:
    if tbl.key == "village_code":
        return [
            [code, f"合成镇{int(code[-6:]) // 20 + 1}", f"合成村{int(code[-6:])}"]
            + [_value(i.kind, i.scale, rng) for i in tbl.indicators[3:]]
            for code in county.villages
        ]
    if tbl.key == "source":
        return [[source] + [rng.randint(0, 50) for _ in tbl.indicators[1:]] for source in SOURCES]
    return [[_value(i.kind, i.scale, rng) for i in tbl.indicators]]


def _sheet_xml(tbl: Table, county: County, period: str, rng: random.Random) -> str:
    year, month = period.split("-")
    rows = [
        [f"{county.name}脱贫攻坚挂牌督战工作进展月报表（合成数据，仅供性能测试）"],
        [f"填报单位：{county.name}", None, f"行政区划代码：{county.code}", None,
         f"报告期：{year}年{int(month)}月"],
        [i.label for i in tbl.indicators],
        *_data_rows(tbl, county, rng),
        [],
        ["填报人：合成", None, "联系电话：00000000000", None, "审核人：合成", None,
         f"填报日期：{year}年{int(month)}月20日"],
    ]
    body = "".join(_row(n, r) for n, r in enumerate(rows, 1) if r)
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<dimension ref="A1:{_column(len(tbl.indicators))}{len(rows)}"/>'
        f"<sheetData>{body}</sheetData></worksheet>"
    )


_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/>'
    + "".join(
        f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for n in range(1, len(TABLES) + 1)
    )
    + "</Types>"
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
    + "".join(f'<sheet name="{t.sheet_name}" sheetId="{n}" r:id="rId{n}"/>'
              for n, t in enumerate(TABLES, 1))
    + "</sheets></workbook>"
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    + "".join(
        f'<Relationship Id="rId{n}" Type="http://schemas.openxmlformats.org/officeDocument/'
        f'2006/relationships/worksheet" Target="worksheets/sheet{n}.xml"/>'
        for n in range(1, len(TABLES) + 1)
    )
    + "</Relationships>"
)


def write_workbook(path: Path, county: County, period: str) -> None:
    rng = random.Random(f"{county.code}-{period}")
    temporary = path.with_name(f".{path.name}.partial")
    with zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _ROOT_RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        for n, tbl in enumerate(TABLES, 1):
            archive.writestr(f"xl/worksheets/sheet{n}.xml", _sheet_xml(tbl, county, period, rng))
    os.replace(temporary, path)


def _write_month(out: str, period: str) -> int:
    folder = Path(out) / period
    folder.mkdir(parents=True, exist_ok=True)
    written = 0
    for county in counties():
        path = folder / f"{county.code}_{county.name}_{period}.xlsx"
        if not path.exists():
            write_workbook(path, county, period)
            written += 1
    return written


def generate(out: Path, months: list[str], workers: int | None = None) -> int:
    """Write every month's workbooks not written yet, a month per worker; return how many."""
    with ProcessPoolExecutor(workers or os.cpu_count()) as pool:
        return sum(pool.map(_write_month, [str(out)] * len(months), months))


def verify(out: Path, month: str, sample: int = 3) -> None:
    """Read a few workbooks back with the product's reader: no error, every value there."""
    from orchestration.submissions.reader import read_submission

    for path in sorted((out / month).glob("*.xlsx"))[:sample]:
        parsed = read_submission(path, declared_period=month, hash_personal=str)
        errors = [f for f in parsed.findings if f.severity == "error"]
        if errors or not parsed.values:
            raise RuntimeError(f"{path.name} does not read back: {errors[:3]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--months", default="2020-01..2020-12")
    args = parser.parse_args()
    months = month_range(args.months)
    print(f"wrote {generate(args.out, months)} workbooks into {args.out}")
    verify(args.out, months[0])


if __name__ == "__main__":
    main()
