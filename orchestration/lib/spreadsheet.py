"""Text that a spreadsheet program would take for a formula, made harmless for CSV output.

Names, file names and findings come from county files; opened in Excel or WPS, a CSV field
starting with one of these characters runs as a formula ("CSV injection"). Text fields get
a leading apostrophe, as Excel itself shows a quoted text; numbers are left alone, so a
negative figure stays a number.
"""

from __future__ import annotations

# What spreadsheet programs take as the start of a formula; tab and carriage return too,
# because some programs drop them and read what follows.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """The value, with a leading apostrophe if it is text that starts like a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value
