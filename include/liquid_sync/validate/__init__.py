"""Validation of a batch with Great Expectations before it is loaded (see ``validation``).

Importing this package does not import Great Expectations.
"""

from __future__ import annotations

from liquid_sync.validate.validation import ValidationFailed, validate_batch

__all__ = ["ValidationFailed", "validate_batch"]
