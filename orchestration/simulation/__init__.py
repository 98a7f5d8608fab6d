"""Simulated monthly submissions (模拟月报) for the 2020 listed-supervision plan.

There is no public monthly data, so the county reports and prefecture summaries the
warehouse reads are simulated here, and every file says so (title, footer note, document
properties, and the manifest that lists it). The simulation

1. builds the village registry (``registry``: ``raw/reference/villages.csv``) and an
   end-of-2019 baseline in whole persons, households and villages that reproduces every
   published figure of the plan once rounded as published (``baseline``);
2. moves every county month by month to the public outcome of 2020 with flows that balance
   exactly (``trajectory``);
3. writes the workbooks laid out by the submission template, the prefecture summaries and
   a manifest (``writer.simulate``), clean by default or with the faults of real
   submissions (``messy.MessyOptions``), each fault recorded with its cell (``faults``).

``summary.read_prefecture_summary`` reads a prefecture summary into typed rows and
findings, like ``orchestration.submissions.read_submission`` does for county files.
"""

from .faults import InjectedFault
from .messy import MessyOptions
from .summary import PrefectureSummary, SummaryRow, read_prefecture_summary
from .writer import (
    MANIFEST_COLUMNS, MANIFEST_NAME, ManifestRow, MonthCount, SimulationResult, World,
    build_world, remove_simulated, simulate,
)

__all__ = [
    "MANIFEST_COLUMNS",
    "MANIFEST_NAME",
    "InjectedFault",
    "ManifestRow",
    "MessyOptions",
    "MonthCount",
    "PrefectureSummary",
    "SimulationResult",
    "SummaryRow",
    "World",
    "build_world",
    "read_prefecture_summary",
    "remove_simulated",
    "simulate",
]
