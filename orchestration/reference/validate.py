"""Read the reference CSVs and refuse any that is malformed, naming file, row and column.

All files are validated together because the rules cross files (a county in 附件4 must be
in the registry, and every registry county must be in 附件4). Values stay the exact text of
the file: figures are typed to DECIMAL in dbt staging, never through a binary float.
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from orchestration.reference.specs import TABLES, Column, ReferenceTable

_PATTERNS = {
    "code6": re.compile(r"[1-9]\d{5}"),
    "code12": re.compile(r"[1-9]\d{11}"),
    "int": re.compile(r"0|[1-9]\d*"),
    "decimal": re.compile(r"\d+(\.\d+)?"),
    "bool": re.compile(r"true|false"),
    "codes": re.compile(r"[1-9]\d{5}(\|[1-9]\d{5})*"),
}
_EXPECTED = {
    "code6": "a 6-digit GB/T 2260 code",
    "code12": "a 12-digit village code",
    "int": "a whole number",
    "decimal": "a decimal number such as 0.72 (no spaces, commas or units)",
    "bool": "true or false",
    "codes": "6-digit codes separated by |",
}


@dataclass(frozen=True)
class ReferenceProblem:
    """One thing wrong with one cell (or one missing row) of a reference file."""

    file: str
    line: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f", line {self.line}"
        if self.column is not None:
            where += f", column {self.column}"
        return f"{where}: {self.message}"


class ReferenceDataError(ValueError):
    """The reference files cannot be loaded; lists every problem found, not just the first."""

    def __init__(self, problems: list[ReferenceProblem]) -> None:
        self.problems = problems
        listing = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"{len(problems)} problem(s) in the reference data:\n{listing}")


@dataclass(frozen=True)
class ReferenceFile:
    spec: ReferenceTable
    path: Path
    sha256: str
    rows: list[dict[str, str]]

    def to_arrow(self) -> pa.Table:
        columns = {name: [row[name] for row in self.rows] for name in self.spec.column_names}
        schema = pa.schema([(name, pa.string()) for name in self.spec.column_names])
        return pa.table(columns, schema=schema)


def load_reference(directory: Path) -> dict[str, ReferenceFile]:
    """Read and validate every reference file; raise ReferenceDataError on any problem."""
    problems: list[ReferenceProblem] = []
    files: dict[str, ReferenceFile] = {}
    for spec in TABLES:
        read, read_problems = _read(directory, spec)
        problems.extend(read_problems)
        if read is not None:
            files[spec.name] = read

    # Cross-file rules need every file's rows; cell problems do not stop them, so one run
    # reports a bad figure and the county it leaves uncovered together.
    if len(files) == len(TABLES):
        problems.extend(_cross_file_problems(files))
    if problems:
        raise ReferenceDataError(problems)
    return files


def _read(directory: Path, spec: ReferenceTable) -> tuple[ReferenceFile | None, list]:
    path = directory / spec.file_name
    if not path.exists():
        return None, [ReferenceProblem(spec.file_name, None, None, f"file missing in {directory}")]

    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        message = f"not UTF-8 (byte {error.start}); save the file as UTF-8"
        return None, [ReferenceProblem(spec.file_name, None, None, message)]

    reader = csv.reader(text.splitlines())
    header = next(reader, [])
    if tuple(header) != spec.column_names:
        message = f"header is {header}, expected {list(spec.column_names)}"
        return None, [ReferenceProblem(spec.file_name, 1, None, message)]

    rows: list[dict[str, str]] = []
    problems: list[ReferenceProblem] = []
    for line, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(header):
            message = f"{len(cells)} cells, expected {len(header)}"
            problems.append(ReferenceProblem(spec.file_name, line, None, message))
            continue
        row = dict(zip(header, cells))
        row["_line"] = str(line)
        problems.extend(_cell_problems(spec, line, row))
        rows.append(row)

    problems.extend(_row_count_problems(spec, rows))
    problems.extend(_key_problems(spec, rows))
    digest = hashlib.sha256(raw).hexdigest()
    return ReferenceFile(spec, path, digest, rows), problems


def _cell_problems(spec: ReferenceTable, line: int, row: dict[str, str]) -> Iterable:
    for column in spec.columns:
        problem = _check_cell(column, row[column.name])
        if problem:
            yield ReferenceProblem(spec.file_name, line, column.name, problem)


def _check_cell(column: Column, value: str) -> str | None:
    if value != value.strip():
        return f"{value!r} has leading or trailing spaces"
    if not value:
        return "is empty but required" if column.required else None
    pattern = _PATTERNS.get(column.kind)
    if pattern is not None and not pattern.fullmatch(value):
        return f"{value!r} is not {_EXPECTED[column.kind]}"
    return None


def _row_count_problems(spec: ReferenceTable, rows: list[dict[str, str]]) -> Iterable:
    if spec.expected_rows is not None and len(rows) != spec.expected_rows:
        message = f"{len(rows)} data rows, expected {spec.expected_rows}"
        yield ReferenceProblem(spec.file_name, None, None, message)


def _key_problems(spec: ReferenceTable, rows: list[dict[str, str]]) -> Iterable:
    seen: dict[tuple[str, ...], str] = {}
    for row in rows:
        key = tuple(row[name] for name in spec.key)
        if key in seen:
            message = f"duplicate {'/'.join(key)}: line {seen[key]} has the same key"
            yield ReferenceProblem(spec.file_name, int(row["_line"]), spec.key[-1], message)
        seen.setdefault(key, row["_line"])


def _cross_file_problems(files: dict[str, ReferenceFile]) -> Iterable[ReferenceProblem]:
    for ref in files.values():
        for fk in ref.spec.foreign_keys:
            known = {row[fk.target_column] for row in files[fk.target].rows}
            for row in ref.rows:
                value = row[fk.column]
                if value and value not in known:
                    message = f"{value} is not in {fk.target}.csv ({fk.target_column})"
                    yield ReferenceProblem(ref.spec.file_name, int(row["_line"]), fk.column, message)

    yield from _coverage_problems(files)
    yield from _prefecture_problems(files)
    yield from _village_problems(files)


def _coverage_problems(files: dict[str, ReferenceFile]) -> Iterable[ReferenceProblem]:
    """Every registry county has exactly one row of 附件4, by its code or as a candidate."""
    figures = files["plan_county_figures"]
    named = [row["county_code"] for row in figures.rows if row["county_code"]]
    candidates = {
        code for row in figures.rows for code in row["unresolved_candidates"].split("|") if code
    }
    for county in files["counties"].rows:
        code = county["county_code"]
        if code not in named and code not in candidates:
            message = (
                f"county {code} {county['county_name']} (counties.csv line {county['_line']}) "
                "has no row"
            )
            yield ReferenceProblem(figures.spec.file_name, None, "county_code", message)
    for row in figures.rows:
        if row["county_code"] and named.count(row["county_code"]) > 1:
            message = f"county {row['county_code']} appears in more than one row"
            yield ReferenceProblem(figures.spec.file_name, int(row["_line"]), "county_code", message)


def _prefecture_problems(files: dict[str, ReferenceFile]) -> Iterable[ReferenceProblem]:
    """A county code starts with its prefecture's first four digits (GB/T 2260)."""
    for county in files["counties"].rows:
        if county["county_code"][:4] != county["prefecture_code"][:4]:
            message = (
                f"{county['county_code']} cannot belong to prefecture {county['prefecture_code']}"
            )
            yield ReferenceProblem("counties.csv", int(county["_line"]), "prefecture_code", message)


def _village_problems(files: dict[str, ReferenceFile]) -> Iterable[ReferenceProblem]:
    """A village code starts with its county's code."""
    for village in files["villages"].rows:
        if not village["village_code"].startswith(village["county_code"]):
            message = f"{village['village_code']} is not a code inside county {village['county_code']}"
            yield ReferenceProblem("villages.csv", int(village["_line"]), "village_code", message)
