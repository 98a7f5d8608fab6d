"""Numbers as officials read them, and charts that still draw when no Chinese font exists."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from decimal import Decimal

import pytest

from orchestration.reports import charts
from orchestration.reports import formatting as fmt


def test_numbers_carry_separators_and_units() -> None:
    assert fmt.persons(100456) == "100,456 人"
    assert fmt.count(7262, "个") == "7,262 个"
    assert fmt.wan(Decimal("552.0000")) == "552万人"
    assert fmt.wan(Decimal("17.5000")) == "17.5万人"
    assert fmt.persons_as_wan(100456) == "10.05万人"
    assert fmt.percent(36.66) == "36.7%"
    assert (fmt.signed(1204), fmt.signed(-3500), fmt.signed(0)) == ("+1,204", "−3,500", "0")
    assert fmt.persons(None) == fmt.MISSING_TEXT


def test_every_status_has_a_distinct_colour_and_character() -> None:
    assert [s.id for s in fmt.STATUSES] == ["on_time", "corrected", "late", "held", "missing"]
    assert len({s.color for s in fmt.STATUSES}) == len({s.short_zh for s in fmt.STATUSES}) == 5


@pytest.fixture
def no_cjk_font(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(charts, "CJK_FONTS", ("No Such Font 无此字体",))
    monkeypatch.setattr(charts, "FONT_FILE_HINTS", ("no-such-font-file",))
    charts.cjk_font.cache_clear()
    yield
    charts.cjk_font.cache_clear()


@pytest.mark.usefixtures("no_cjk_font")
def test_without_a_cjk_font_charts_warn_and_still_draw(
    caplog: pytest.LogCaptureFixture, recwarn: pytest.WarningsRecorder
) -> None:
    rows = [{"county_name": "宕昌县", "reported": True, "target_persons": 7200,
             "persons_remaining": 4559, "target_villages_to_exit": 35, "villages_remaining": 35}]

    with caplog.at_level(logging.WARNING, logger=charts.LOG.name):
        png = charts.counties_chart(rows)

    assert charts.cjk_font() is None
    assert "fonts-noto-cjk" in caplog.text
    assert png.startswith(b"\x89PNG")
    assert not [w for w in recwarn if "Glyph" in str(w.message)]
