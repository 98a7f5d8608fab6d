"""The form as data: the facts the reader, the template and the documentation rely on."""

from __future__ import annotations

from orchestration.submissions import form
from orchestration.submissions.form import Kind


def test_tables_and_their_shape() -> None:
    assert [(t.id, t.sheet_name, t.many_rows, t.key) for t in form.TABLES] == [
        ("t1", "表1 贫困人口", False, None),
        ("t2", "表2 贫困村", True, "village_code"),
        ("t3", "表3 三保障和饮水安全", False, None),
        ("t4", "表4 问题整改", True, "source"),
    ]
    assert form.T4.fixed_keys == ("中央专项巡视回头看", "国家成效考核", "大排查", "民主监督",
                                  "督查巡查", "审计暗访")
    assert [len(t.indicators) for t in form.TABLES] == [13, 13, 8, 3]


def _indicator(tbl: form.Table, indicator_id: str) -> form.Indicator:
    found = tbl.indicator(indicator_id)
    assert found is not None, indicator_id
    return found


def test_kinds_units_and_scales() -> None:
    incidence = _indicator(form.T2, "incidence_pct")

    assert _indicator(form.T2, "village_code").kind is Kind.CODE12
    assert (incidence.kind, incidence.scale, incidence.label) == (Kind.PERCENT, 2, "贫困发生率(%)")
    assert _indicator(form.T2, "collective_income_wan").unit == "万元"
    assert _indicator(form.T1, "unlifted_households").unit == "households"
    assert [i.id for i in form.T2.indicators if not i.required] == ["township", "village_name"]


def test_labels_are_unique_after_normalising() -> None:
    for tbl in form.TABLES:
        assert len(form.labels_by_key(tbl)) == len(tbl.indicators)
    assert form.normalise_label(" 建档立卡贫困人口\n(累计) ") == form.normalise_label(
        "建档立卡贫困人口（累计）"
    )
