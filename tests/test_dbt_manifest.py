"""A load parses the dbt project again when any of its files is newer than the manifest, or
when the manifest is missing or cut short."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from orchestration.lib import dbt_manifest


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "models" / "marts").mkdir(parents=True)
    (tmp_path / "macros").mkdir()
    (tmp_path / "dbt_project.yml").write_text("name: x\n")
    (tmp_path / "models" / "marts" / "a.sql").write_text("select 1\n")
    (tmp_path / "target").mkdir()
    monkeypatch.setattr(dbt_manifest, "DBT_PROJECT_DIR", tmp_path)
    monkeypatch.setattr(dbt_manifest, "MANIFEST", tmp_path / "target" / "manifest.json")
    return tmp_path


def _parsed_after_the_project(project: Path, text: str) -> tuple[Path, int]:
    """A manifest written after every file of the project, and its time."""
    manifest = project / "target" / "manifest.json"
    manifest.write_text(text)
    parsed = manifest.stat().st_mtime_ns
    for path in project.rglob("*"):
        if path.is_file() and path != manifest:
            os.utime(path, ns=(parsed - 10**9, parsed - 10**9))
    return manifest, parsed


def test_missing_manifest_is_stale(project: Path) -> None:
    assert dbt_manifest.manifest_is_stale()


def test_a_model_changed_after_the_parse_makes_it_stale(project: Path) -> None:
    manifest, parsed = _parsed_after_the_project(project, "{}")
    assert not dbt_manifest.manifest_is_stale()

    model = project / "models" / "marts" / "a.sql"
    os.utime(model, ns=(parsed + 10**9, parsed + 10**9))
    assert dbt_manifest.manifest_is_stale()


def test_a_manifest_cut_short_is_stale(project: Path) -> None:
    # A load stopped while dbt wrote the manifest leaves part of it: the next load parses
    # again rather than fail on reading it.
    manifest, parsed = _parsed_after_the_project(
        project, '{"nodes": {"model.x.a": {"name": "a"}}}')
    assert not dbt_manifest.manifest_is_stale()

    manifest.write_text('{"nodes": {"model.x.a": {"na')
    os.utime(manifest, ns=(parsed, parsed))
    assert dbt_manifest.manifest_is_stale()
