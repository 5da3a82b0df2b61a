"""Migration 5: ``validation_results``, one row per expectation per validation of a batch.

Key: (``validation_id``, ``dataset``, ``expectation_type``, ``kwargs``). A validation is one
check of one batch (``validation_id`` = ``<batch_id>@<validated_at>``, as the Data Docs page
path names it); a batch checked twice has two validations. Rows are written for passing and
failing validations alike.
"""

from __future__ import annotations

from liquid_sync.warehouse.schema import Migration

VALIDATION_RESULTS = Migration(
    version=5,
    name="validation results",
    statements=(
        """CREATE TABLE validation_results (
            validation_id VARCHAR NOT NULL,
            batch_id VARCHAR NOT NULL,
            dataset VARCHAR NOT NULL,
            suite VARCHAR NOT NULL,
            expectation_type VARCHAR NOT NULL,
            checked_columns VARCHAR,
            kwargs VARCHAR NOT NULL,
            description VARCHAR,
            success BOOLEAN NOT NULL,
            element_count BIGINT,
            unexpected_count BIGINT,
            unexpected_percent DOUBLE,
            observed_value VARCHAR,
            error VARCHAR,
            examples VARCHAR NOT NULL,
            validated_at TIMESTAMPTZ NOT NULL
        )""",
    ),
)
