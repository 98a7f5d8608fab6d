"""Personal data stays out of the output; the Arrow tables keep their fixed schemas."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pyarrow as pa

from orchestration.submissions import FINDINGS_SCHEMA, VALUES_SCHEMA, submission_record, to_arrow
from orchestration.submissions.form import T1

from .clerk_workbooks import (
    FILER, PHONE, REVIEWER, T1_DATA, form_sheet, hash_personal, read, save, standard_sheets,
)


def _all_text(table: pa.Table) -> str:
    return repr(table.to_pylist())


def test_personal_data_never_in_clear(tmp_path: Path) -> None:
    data = list(T1_DATA)
    data[4] = "见填报人张三丰"  # an error whose finding quotes the cell, but not the footer
    sheets = standard_sheets() | {"t1": form_sheet(T1, [data])}
    parsed = read(save(tmp_path / "a.xlsx", sheets))

    values, findings = to_arrow(parsed, "f" * 64)
    record = submission_record(parsed, "f" * 64)

    assert parsed.personal.filer == hash_personal(FILER)
    assert parsed.personal.phone == hash_personal(PHONE)
    assert parsed.personal.reviewer == hash_personal(REVIEWER)
    assert findings.num_rows == 1
    for table in (values, findings, record):
        text = _all_text(table)
        assert PHONE not in text
        assert REVIEWER not in text
    assert FILER not in _all_text(values) + _all_text(record)
    assert hash_personal(PHONE) in _all_text(record)


def test_phone_typed_into_a_data_cell_is_masked_in_findings(tmp_path: Path) -> None:
    data = list(T1_DATA)
    data[0] = PHONE + "（张三丰）"
    sheets = standard_sheets() | {"t1": form_sheet(T1, [data])}

    parsed = read(save(tmp_path / "a.xlsx", sheets))

    _, findings = to_arrow(parsed, "0" * 64)
    assert PHONE not in _all_text(findings)
    assert findings.column("found").to_pylist() == ["139********（张三丰）"]


def test_arrow_schemas_and_typed_columns(tmp_path: Path) -> None:
    parsed = read(save(tmp_path / "a.xlsx", standard_sheets()), declared_period="2020-04")

    values, findings = to_arrow(parsed, "a" * 64)

    assert values.schema == VALUES_SCHEMA
    assert findings.schema == FINDINGS_SCHEMA
    assert values.schema.field("value_decimal").type == pa.decimal128(18, 4)
    rows = {(r["table"], r["row_key"], r["indicator"]): r for r in values.to_pylist()}
    income = rows[("t2", "621223100001", "collective_income_wan")]
    assert (income["value_decimal"], income["kind"], income["is_reported"]) == (
        Decimal("5.2000"), "decimal", True,
    )
    poor = rows[("t2", "621223100001", "is_poor_village")]
    assert (poor["value_bool"], poor["value_decimal"], poor["value_text"]) == (True, None, None)
    assert rows[("t2", "621223100001", "township")]["value_text"] == "城关镇"
    assert {r["county_code"] for r in rows.values()} == {"621223"}
    (finding,) = findings.to_pylist()
    assert (finding["code"], finding["cell"]) == ("period_mismatch", "G2")
    assert finding["period"] == "2020-03"


def test_empty_tables_keep_the_schema(tmp_path: Path) -> None:
    path = tmp_path / "a.pdf"
    path.write_bytes(b"%PDF-1.4")

    values, findings = to_arrow(read(path), "b" * 64)

    assert (values.num_rows, values.schema) == (0, VALUES_SCHEMA)
    assert findings.column("code").to_pylist() == ["unsupported_format"]
