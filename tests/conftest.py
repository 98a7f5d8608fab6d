"""Fixtures shared by the test suite: scratch copies of raw/ and the warehouse, and the CLI."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DUKAN = str(Path(sys.executable).with_name("dukan"))


@dataclass(frozen=True)
class Scratch:
    """A private raw/ and warehouse/ so a test can break inputs without touching the repo."""

    root: Path

    @property
    def raw(self) -> Path:
        return self.root / "raw"

    @property
    def reference(self) -> Path:
        return self.raw / "reference"

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse"

    @property
    def published(self) -> Path:
        return self.warehouse / "dukan.duckdb"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            DUKAN_RAW_DIR=str(self.raw),
            DUKAN_WAREHOUSE_DIR=str(self.warehouse),
            DAGSTER_HOME=str(self.warehouse / "dagster"),
        )
        return env

    def dukan(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [DUKAN, *args], env=self.env(), input=stdin, capture_output=True, text=True,
            timeout=900, check=False,
        )

    def edit_reference(self, file_name: str, old: str, new: str) -> None:
        path = self.reference / file_name
        text = path.read_text(encoding="utf-8")
        assert text.count(old) == 1, f"{old!r} must occur once in {file_name}"
        path.write_text(text.replace(old, new), encoding="utf-8")


def make_scratch(root: Path) -> Scratch:
    scratch = Scratch(root)
    shutil.copytree(PROJECT_ROOT / "raw" / "reference", scratch.reference)
    scratch.warehouse.mkdir(parents=True)
    return scratch


@pytest.fixture
def scratch(tmp_path: Path) -> Scratch:
    return make_scratch(tmp_path)


@pytest.fixture(scope="session")
def loaded_warehouse(tmp_path_factory: pytest.TempPathFactory) -> tuple[Scratch, str]:
    """One real nightly load on the bundled data, shared by the tests that only read it."""
    scratch = make_scratch(tmp_path_factory.mktemp("loaded"))
    result = scratch.dukan("nightly")
    assert result.returncode == 0, result.stdout + result.stderr
    return scratch, result.stdout


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def digest() -> Callable[[Path], str]:
    return file_digest
