"""The blank monthly form of one county, with its supervised villages from the registry."""

from __future__ import annotations

import csv
import re
from pathlib import Path

from orchestration.submissions.template import TemplateVillage, write_template


class TemplateError(ValueError):
    """The county or month asked for does not exist."""


def write_county_template(reference_dir: Path, county: str, month: str, out: Path) -> Path:
    """Write the form of `county` (code or name) for `month` (YYYY-MM) to `out`."""
    if not re.fullmatch(r"20\d\d-(0[1-9]|1[0-2])", month):
        raise TemplateError(f"--month must be YYYY-MM, e.g. 2020-06 (got {month!r})")
    code, name = find_county(reference_dir, county)
    villages = _villages(reference_dir, code)

    out.parent.mkdir(parents=True, exist_ok=True)
    write_template(out, county_code=code, county_name=name, period=month, villages=villages)
    return out


def find_county(reference_dir: Path, county: str) -> tuple[str, str]:
    """(code, name as the plan writes it) of a county given by code, official name or the
    plan's name."""
    with open(reference_dir / "counties.csv", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if county in (row["county_code"], row["county_name"], row["name_in_plan"]):
                return row["county_code"], row["name_in_plan"]
    raise TemplateError(f"{county!r} is not one of the 75 counties of raw/reference/counties.csv")


def _villages(reference_dir: Path, county_code: str) -> list[TemplateVillage]:
    """The county's supervised villages, or none while the registry has not been made."""
    path = reference_dir / "villages.csv"
    if not path.exists():
        return []
    with open(path, encoding="utf-8", newline="") as handle:
        return [
            TemplateVillage(row["village_code"], row["township"], row["village_name"])
            for row in csv.DictReader(handle)
            if row["county_code"] == county_code
        ]
