"""``read_submission``: one delivered file in, typed values and findings out.

Pure: no database, no logging, no clock, so the orchestration layer can run it in worker
processes. Whatever is wrong with the file becomes a finding; no exception escapes.
The filer's name, telephone and the reviewer's name leave this module only as
``hash_personal(...)`` results.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path, PurePath

from .arrow import FINDINGS_SCHEMA, VALUES_SCHEMA, submission_record, to_arrow
from .longcsv import BadCsv, read_csv
from .model import DAMAGED, FindingLog, Format, ParsedSubmission
from .workbook import Refused
from .xlsx import read_xlsx

__all__ = [
    "FINDINGS_SCHEMA",
    "VALUES_SCHEMA",
    "read_submission",
    "submission_record",
    "to_arrow",
]



def read_submission(
    path: Path,
    *,
    declared_period: str | None,
    hash_personal: Callable[[str], str],
    name: str | None = None,
) -> ParsedSubmission:
    """Read one .xlsx or long .csv submission.

    ``declared_period`` ('YYYY-MM', from the drop folder) is only compared with the period
    in the content; a disagreement is a ``period_mismatch`` warning. ``name`` is the name
    the file was delivered under, when ``path`` is another (an archived copy): findings
    quote it, and its extension says what kind of file it is.
    """
    log = FindingLog(name or path.name)
    suffix = PurePath(log.file_name).suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        return _unsupported(declared_period, log)

    fmt: Format = "xlsx" if suffix == ".xlsx" else "csv"
    # What a CSV said before it could not be read further (longcsv.BadCsv), if anything.
    county_code = period = None
    try:
        if fmt == "xlsx":
            return read_xlsx(path, declared_period=declared_period,
                             hash_personal=hash_personal, log=log)
        return read_csv(path, declared_period=declared_period, log=log)
    except (Refused, BadCsv) as refused:
        log.refused(refused)
        county_code = getattr(refused, "county_code", None)
        period = getattr(refused, "period", None)
    except DAMAGED as exc:
        log.damaged(exc)
    except Exception as exc:  # noqa: BLE001 - a file must never stop the nightly load
        log.unreadable(exc)
    return ParsedSubmission(
        log.file_name, fmt, county_code=county_code, period=period,
        declared_period=declared_period, findings=tuple(log.items),
    )


def _unsupported(declared_period: str | None, log: FindingLog) -> ParsedSubmission:
    log.add(
        "error", "unsupported_format",
        zh="只接收Excel工作簿（.xlsx）或长表CSV（.csv），请另存为.xlsx后重新报送",
        en="only Excel workbooks (.xlsx) and the long CSV (.csv) are accepted; save the file "
        "as .xlsx and resend",
        expected=".xlsx | .csv", found=PurePath(log.file_name).suffix or "(no extension)",
    )
    return ParsedSubmission(log.file_name, "unsupported", declared_period=declared_period,
                            findings=tuple(log.items))
