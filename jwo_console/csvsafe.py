"""CSV cells a spreadsheet will not run: text starting with ``=``, ``+``, ``-``, ``@``, a tab or
a carriage return gets a leading apostrophe (OWASP "CSV Injection"), so a shopper id like
``=HYPERLINK("http://evil.example","click")`` shows as text. Numbers are written as they are.

The catalog import takes the apostrophe off again (``csv_cell_restore``), so an export can be
edited and imported without the names changing.
"""

import csv
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"


def csv_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(DANGEROUS):
        return "'" + value
    return value


def csv_cell_restore(value: str) -> str:
    """The cell as it was before ``csv_cell`` (an apostrophe before a dangerous character)."""
    if len(value) > 1 and value[0] == "'" and value[1:].startswith(DANGEROUS):
        return value[1:]
    return value


class SafeWriter:
    """``csv.writer`` whose rows go through ``csv_cell``."""

    def __init__(self, stream: Any) -> None:
        self._writer = csv.writer(stream)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow(
            [v if isinstance(v, (int, Decimal)) else csv_cell(v) for v in row]
        )
