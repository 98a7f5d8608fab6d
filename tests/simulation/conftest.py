"""Shared simulated runs: building a year of files takes seconds, so each is made once."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from orchestration.simulation import MessyOptions, SimulationResult, World, build_world, simulate

CLEAN_MONTHS = ("2020-02", "2020-07", "2020-11")
MESSY_MONTHS = ("2020-02", "2020-03", "2020-04", "2020-05")


@pytest.fixture(scope="session")
def world() -> World:
    return build_world(2020)


@pytest.fixture(scope="session")
def clean_run(tmp_path_factory: pytest.TempPathFactory) -> SimulationResult:
    return simulate(tmp_path_factory.mktemp("clean"), seed=2020, months=CLEAN_MONTHS)


@pytest.fixture(scope="session")
def messy_run(tmp_path_factory: pytest.TempPathFactory) -> SimulationResult:
    return simulate(tmp_path_factory.mktemp("messy"), seed=2020, months=MESSY_MONTHS,
                    messy=MessyOptions.preset())


def hash_personal(text: str) -> str:
    return "h:" + hashlib.sha256(("test-key|" + text).encode()).hexdigest()


def path_of(result: SimulationResult, relative: str) -> Path:
    return result.out_dir / relative
