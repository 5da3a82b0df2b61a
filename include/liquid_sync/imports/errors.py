"""The error that rejects a whole export file."""

from __future__ import annotations


class ImportRejected(Exception):
    """A file was rejected; nothing from it was written.

    The message names the file, then the line (1 = the header) and column when known, then
    the offending value and what is wrong with it, e.g.
    ``liquid_trades_x.csv line 17, column "Price": "12,5" is not a decimal number``.
    """

    def __init__(
        self,
        file_name: str,
        reason: str,
        line: int | None = None,
        column: str | None = None,
        value: str | None = None,
    ) -> None:
        self.file_name = file_name
        self.reason = reason
        self.line = line
        self.column = column
        self.value = value
        where = file_name
        if line is not None:
            where += f" line {line}"
        if column is not None:
            where += f', column "{column}"'
        what = reason if value is None else f'"{value}" {reason}'
        super().__init__(f"{where}: {what}")
