"""Every submission rule in the Great Expectations suites, one by one: it fails on a small
wrong input, passes on the right one, and says why in Chinese and English, at the severity
that decides what its failure stops."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from orchestration.lib.paths import DBT_PROJECT_DIR, EXPECTATIONS_DIR
from orchestration.quality import gx_runner
from orchestration.quality.gx_runner import run_checkpoint
from orchestration.quality.rule_checks import RULE_CHECKS

SUITES_DIR = EXPECTATIONS_DIR / "gx" / "expectations"
# What each rule's failure must stop: critical rules hold a file or block publishing.
SEVERITY = {
    "flow_balance": "critical",
    "registered_equals_lifted_plus_unlifted": "critical",
    "part_within_total": "critical",
    "count_not_negative": "critical",
    "tier_matches_counties": "critical",
    "one_current_version": "critical",
    "summary_matches_county": "warning",
    "village_exit_not_reversed": "warning",
    "village_kind_stable": "warning",
    "monthly_change_outlier": "warning",
    "county_reported": "warning",
    "village_listed": "warning",
    "village_in_registry": "warning",
}


@pytest.fixture(autouse=True, scope="module")
def results_in_scratch(tmp_path_factory: pytest.TempPathFactory):
    """Validation results and Data Docs of these runs go to a scratch warehouse folder."""
    patch = pytest.MonkeyPatch()
    patch.setenv("DUKAN_WAREHOUSE_DIR", str(tmp_path_factory.mktemp("gx")))
    gx_runner._context.cache_clear()
    yield
    gx_runner._context.cache_clear()
    patch.undo()


def suite_rules() -> list[tuple[str, str, float]]:
    """(checkpoint, rule id, tolerance to test with) for every rule of the rule checks."""
    cases = []
    for check in RULE_CHECKS:
        suite = json.loads((SUITES_DIR / f"{check.checkpoint}.json").read_text())
        for expectation in suite["expectations"]:
            condition = expectation["kwargs"].get("row_condition")
            if condition:
                rule = expectation["meta"]["rule_id"]
                cases.append((check.checkpoint, rule, 3.5 if rule.endswith("outlier") else 0))
    return cases


def frame(rule: str, rows: list[tuple[str, float, float]]) -> pd.DataFrame:
    """Rows of a rule model: (observation id, violation, tolerance) for `rule`."""
    return pd.DataFrame(
        [
            {
                "observation_id": observation, "rule_id": rule, "county_code": "621223",
                "period": "2020-06", "subject": "unlifted_persons", "expected": "10",
                "observed": "12", "gap": 2.0, "violation": violation, "tolerance": tolerance,
                "file_sha256": "0" * 64, "sheet": "表1 贫困人口", "cell": "D5",
                "county_name": "宕昌县", "reaches_tiers": True,
            }
            for observation, violation, tolerance in rows
        ]
    )


@pytest.mark.parametrize(("checkpoint", "rule", "tolerance"), suite_rules())
def test_rule_fails_on_the_wrong_row_only(checkpoint: str, rule: str, tolerance: float) -> None:
    data = frame(rule, [("right", tolerance, tolerance), ("wrong", tolerance + 1, tolerance)])
    outcome = run_checkpoint(checkpoint, data)
    [verdict] = [item for item in outcome.rules if item.rule_id == rule]
    assert not verdict.success
    assert [row["observation_id"] for row in verdict.unexpected_rows] == ["wrong"]
    assert verdict.severity == SEVERITY[rule]
    assert verdict.description_zh and verdict.description_en
    others = [item for item in outcome.rules if item.rule_id != rule]
    assert all(item.success for item in others), [item.rule_id for item in others]


@pytest.mark.parametrize(("checkpoint", "rule", "tolerance"), suite_rules())
def test_rule_passes_on_the_right_rows(checkpoint: str, rule: str, tolerance: float) -> None:
    data = frame(rule, [("exact", 0, tolerance), ("at tolerance", tolerance, tolerance)])
    outcome = run_checkpoint(checkpoint, data)
    assert outcome.success, [item.rule_id for item in outcome.failed()]


def test_a_rule_of_another_suite_is_refused() -> None:
    """A row no suite rule knows is a failure of the suite's own shape, not a silent pass."""
    data = frame("not_a_rule", [("x", 0, 0)])
    outcome = run_checkpoint("submission_file_rules", data)
    assert [item.rule_id for item in outcome.failed()] == ["known_rules"]


def test_every_rule_the_dbt_models_emit_has_a_suite_rule() -> None:
    """The accepted rule ids of each rule model equal the rules of its suite."""
    by_model = {check.model.split(".")[1]: check.checkpoint for check in RULE_CHECKS}
    emitted: dict[str, set[str]] = {}
    for path in (DBT_PROJECT_DIR / "models").rglob("*.yml"):
        for model in yaml.safe_load(path.read_text()).get("models", []):
            if model["name"] not in by_model:
                continue
            (tests,) = [t["column_tests"] for t in model["data_tests"] if "column_tests" in t]
            emitted[by_model[model["name"]]] = set(
                tests["arguments"]["accepted_values"]["rule_id"]
            )
    in_suites: dict[str, set[str]] = {}
    for checkpoint, rule, _ in suite_rules():
        in_suites.setdefault(checkpoint, set()).add(rule)
    assert emitted == in_suites
    assert set(SEVERITY) == set().union(*in_suites.values())


def test_suites_are_files_in_the_project() -> None:
    for check in RULE_CHECKS:
        for folder in ("expectations", "checkpoints", "validation_definitions"):
            assert (EXPECTATIONS_DIR / "gx" / folder / f"{check.checkpoint}.json").is_file()


def test_data_docs_are_written_beside_the_warehouse(tmp_path: Path) -> None:
    """Each checkpoint run adds its page to the static Data Docs site."""
    import os
    import subprocess
    import sys

    script = (
        "import pandas as pd\n"
        "from orchestration.quality.gx_runner import run_checkpoint\n"
        "from tests.quality.test_rule_suites import frame\n"
        "run_checkpoint('submission_summaries', frame('summary_matches_county', "
        "[('a', 0, 0), ('b', 3, 0)]))\n"
    )
    env = {**os.environ, "DUKAN_WAREHOUSE_DIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                            text=True, cwd=Path(__file__).parents[2], check=False)
    assert result.returncode == 0, result.stderr
    index = tmp_path / "data_docs" / "index.html"
    assert index.is_file()
    pages = list((tmp_path / "data_docs" / "validations").rglob("*.html"))
    assert any("submission_summaries" in str(page) for page in pages)
    assert "summary_matches_county" in "".join(page.read_text() for page in pages)
    # Nothing in the site loads from another host (CDN scripts, a logo carrying the
    # context's id): the office's network is closed.
    import re

    remote = re.compile(r"<(script|img)\b[^>]*src=[\"']https?://|<link\b[^>]*href=[\"']https?://")
    for page in (tmp_path / "data_docs").rglob("*.html"):
        assert not remote.search(page.read_text()), page
    index = index.read_text()
    assert all(page.relative_to(tmp_path / "data_docs").as_posix() in index for page in pages)


def test_the_rule_catalogue_in_the_docs_names_every_rule() -> None:
    catalogue = (Path(__file__).parents[2] / "docs" / "QUALITY.md").read_text()
    missing = [rule for rule in SEVERITY if f"`{rule}`" not in catalogue]
    assert not missing
