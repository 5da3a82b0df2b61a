"""Importing Liquid's export files (trades export, crypto and fiat ledger exports).

The API does not expose deposits, so they come only from these files. Entry points:
``import_files`` (files or folders given by hand) and ``import_inbox`` (the inbox folder,
one subfolder per account); both return one ``FileOutcome`` per file.
"""

from __future__ import annotations

from liquid_sync.imports.errors import ImportRejected
from liquid_sync.imports.importer import (
    ALREADY_IMPORTED,
    IMPORTED,
    REJECTED,
    FileOutcome,
    import_files,
    import_inbox,
)

__all__ = [
    "ALREADY_IMPORTED",
    "IMPORTED",
    "REJECTED",
    "FileOutcome",
    "ImportRejected",
    "import_files",
    "import_inbox",
]
