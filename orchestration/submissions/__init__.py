"""Reading and writing the county monthly report form (县级月报).

``form`` describes the form as data; ``values`` parses one cell as people write it;
``reader.read_submission`` reads a delivered .xlsx or long .csv into typed values and
findings; ``arrow`` gives them fixed Arrow schemas; ``template.write_template`` writes the
blank workbook a county fills in.
"""

from .arrow import FINDINGS_SCHEMA, SUBMISSION_SCHEMA, VALUES_SCHEMA, submission_record, to_arrow
from .model import Finding, ParsedSubmission, PersonalHashes, Value
from .reader import read_submission

__all__ = [
    "FINDINGS_SCHEMA",
    "SUBMISSION_SCHEMA",
    "VALUES_SCHEMA",
    "Finding",
    "ParsedSubmission",
    "PersonalHashes",
    "Value",
    "read_submission",
    "submission_record",
    "to_arrow",
]
