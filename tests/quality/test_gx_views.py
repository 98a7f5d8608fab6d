"""The Data Docs views that keep GE's compiled templates: the project's site uses them, and
a page rendered from cached code is the page GE's own view renders."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest

from orchestration.quality import gx_runner, gx_views
from tests.quality.test_rule_suites import frame

# Element ids are random UUIDs, and links carry the time of rendering (?d=...Z).
_RANDOM = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\d{8}T\d{6}\.\d{6}Z"
)


@pytest.fixture
def scratch_warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DUKAN_WAREHOUSE_DIR", str(tmp_path))
    gx_runner._context.cache_clear()
    gx_views.BYTECODE_CACHE.clear()
    yield tmp_path
    gx_runner._context.cache_clear()


def _validation_document(outcome_frame) -> object:
    from great_expectations.render.renderer import ValidationResultsPageRenderer

    context = gx_runner._context()
    result = context.checkpoints.get("submission_file_rules").run(
        batch_parameters={"dataframe": outcome_frame}
    )
    (validation,) = result.run_results.values()
    return ValidationResultsPageRenderer().render(validation)


def _normalised(html: str) -> str:
    return _RANDOM.sub("<uuid>", html)


def test_the_site_renders_its_pages_with_the_cached_views(scratch_warehouse: Path) -> None:
    gx_runner.run_checkpoint("submission_file_rules", frame("flow_balance", [("exact", 0, 0)]))
    # Building its Data Docs pages compiled GE's templates into the shared cache.
    assert gx_views.BYTECODE_CACHE._code
    pages = list((scratch_warehouse / "data_docs" / "validations").rglob("*.html"))
    assert pages and "flow_balance" in pages[0].read_text(encoding="utf-8")


def test_a_page_from_cached_code_is_the_page_of_ges_own_view(scratch_warehouse: Path) -> None:
    from great_expectations.render.view import DefaultJinjaPageView

    document = _validation_document(frame("flow_balance", [("wrong", 3, 0)]))
    # Rendering changes the document it is given, so each view renders a copy.
    stock = DefaultJinjaPageView().render(copy.deepcopy(document))
    compiled = gx_views.CachedJinjaPageView().render(copy.deepcopy(document))
    assert gx_views.BYTECODE_CACHE._code  # the first render stored the compiled templates
    # A new view, as GE makes one for every checkpoint, renders from the cached code.
    cached = gx_views.CachedJinjaPageView().render(copy.deepcopy(document))
    assert "flow_balance" in stock
    assert _normalised(compiled) == _normalised(stock)
    assert _normalised(cached) == _normalised(stock)
