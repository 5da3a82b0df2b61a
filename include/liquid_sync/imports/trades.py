"""Adding candidate trades to ``file_trades`` without duplicates, merging the two exports.

Candidates come from a trades export (origin ``trades``) or are assembled from ledger rows
(origin ``ledger``); ``CANDIDATES`` is their temporary table. Rules, which give the same
final table whatever order the files are imported in:

* A trade with an execution id is keyed by (account, execution_id, currency received),
  which is (account, execution_id, side) but does not depend on which currency is called
  the base: a ledger alone cannot always tell (see ``ledger_trades.py``).
* A trade without an id (older trades exports, quick exchanges) is keyed by its movements
  (account, occurred_at, currency and amount received, currency and amount paid) and
  ``occurrence``: the n-th identical trade of one file is occurrence n, so two real trades
  alike to the second are both kept, while a second file with the same trades adds none.
* Both exports of one trade make one row. The trades export gives the pair, side,
  quantity, price and amount (it names the pair) and ``trades_file_id``/``trades_line``;
  the ledger gives the fee and fee currency (exact balance movements; fee − rebate) and
  ``ledger_file_id``/``ledger_line``. A second trades export of the same trade changes
  nothing: the first one's data and line are kept.
* A trade without an id and trades with an id that have the same movements are one trade:
  the n-th id-less row of such a group (by occurrence) is merged into the n-th row with an
  id (by execution id) and removed.
"""

from __future__ import annotations

import duckdb

from liquid_sync.warehouse import first_row

CANDIDATES = "import_trade_candidates"

CANDIDATE_COLUMNS = (
    "account VARCHAR, execution_id BIGINT, side VARCHAR, base_currency VARCHAR, quote_currency VARCHAR,"
    " quantity DECIMAL(38,18), price DECIMAL(38,18), amount DECIMAL(38,18), fee DECIMAL(38,18),"
    " fee_currency VARCHAR, occurred_at TIMESTAMPTZ, occurrence INTEGER, origin VARCHAR,"
    " file_id BIGINT, line BIGINT"
)

_PAIR_FIELDS = ("side", "base_currency", "quote_currency", "quantity", "price", "amount")
_FEE_FIELDS = ("fee", "fee_currency")


def create_candidates(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)create the empty ``CANDIDATES`` table."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE {CANDIDATES} ({CANDIDATE_COLUMNS})")


def _received(t: str) -> str:
    return f"(CASE {t}.side WHEN 'buy' THEN {t}.base_currency ELSE {t}.quote_currency END)"


# Per side: (field when buying, field when selling) for currency received, amount received,
# currency paid, amount paid.
_MOVEMENT_FIELDS = (
    ("base_currency", "quote_currency"),
    ("quantity", "amount"),
    ("quote_currency", "base_currency"),
    ("amount", "quantity"),
)


def _movement_terms(t: str) -> list[str]:
    """SQL terms of the id-less key of the trade aliased ``t`` (occurrence aside)."""
    return [f"{t}.account", f"{t}.occurred_at"] + [
        f"(CASE {t}.side WHEN 'buy' THEN {t}.{when_buy} ELSE {t}.{when_sell} END)"
        for when_buy, when_sell in _MOVEMENT_FIELDS
    ]


def _movements_equal(a: str, b: str) -> str:
    return " AND ".join(f"{x} = {y}" for x, y in zip(_movement_terms(a), _movement_terms(b)))


_MATCH_WITH_ID = (
    "c.execution_id IS NOT NULL AND t.account = c.account AND t.execution_id = c.execution_id"
    f" AND {_received('t')} = {_received('c')}"
)
_MATCH_WITHOUT_ID = (
    "c.execution_id IS NULL AND t.execution_id IS NULL AND t.occurrence = c.occurrence"
    f" AND {_movements_equal('t', 'c')}"
)


def _keep_unless_null(ref: str, target_field: str, source_field: str) -> str:
    return f"{target_field} = CASE WHEN t.{ref} IS NULL THEN {source_field} ELSE t.{target_field} END"


def _update_from_trades_export(con: duckdb.DuckDBPyConnection, match: str) -> None:
    assignments = [f"{name} = c.{name}" for name in _PAIR_FIELDS]
    assignments += [_keep_unless_null("ledger_file_id", name, f"c.{name}") for name in _FEE_FIELDS]
    assignments += ["trades_file_id = c.file_id", "trades_line = c.line"]
    con.execute(
        f"UPDATE file_trades AS t SET {', '.join(assignments)} FROM {CANDIDATES} AS c"
        f" WHERE c.origin = 'trades' AND t.trades_file_id IS NULL AND {match}"
    )


def _update_from_ledger(con: duckdb.DuckDBPyConnection, match: str) -> None:
    assignments = [f"{name} = c.{name}" for name in _FEE_FIELDS]
    assignments += [
        _keep_unless_null("ledger_file_id", "ledger_line", "c.line"),
        "ledger_file_id = coalesce(t.ledger_file_id, c.file_id)",
    ]
    con.execute(
        f"UPDATE file_trades AS t SET {', '.join(assignments)} FROM {CANDIDATES} AS c"
        " WHERE c.origin = 'ledger' AND (t.ledger_file_id IS NULL OR t.fee <> c.fee"
        f" OR t.fee_currency <> c.fee_currency) AND {match}"
    )


def _insert_unmatched(con: duckdb.DuckDBPyConnection, match: str, with_id: bool) -> None:
    con.execute(
        "INSERT INTO file_trades SELECT c.account, c.execution_id, c.side, c.base_currency, c.quote_currency,"
        " c.quantity, c.price, c.amount, c.fee, c.fee_currency, c.occurred_at, c.occurrence,"
        " CASE c.origin WHEN 'trades' THEN c.file_id END, CASE c.origin WHEN 'trades' THEN c.line END,"
        " CASE c.origin WHEN 'ledger' THEN c.file_id END, CASE c.origin WHEN 'ledger' THEN c.line END"
        f" FROM {CANDIDATES} AS c WHERE c.execution_id IS {'NOT ' if with_id else ''}NULL"
        f" AND NOT EXISTS (SELECT 1 FROM file_trades AS t WHERE {match})"
    )


def _merge_idless_into_identified(con: duckdb.DuckDBPyConnection) -> None:
    """Fold each id-less trade into the trade with an id that has the same movements."""
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE import_idless_pairs AS
        WITH idless AS (
            SELECT rowid AS rid, * FROM file_trades
            WHERE execution_id IS NULL AND account IN (SELECT account FROM {CANDIDATES})
        ), identified AS (
            SELECT t.rowid AS rid, t.*, row_number() OVER (
                PARTITION BY {', '.join(_movement_terms('t'))} ORDER BY t.execution_id, t.side) AS rank
            FROM file_trades AS t
            WHERE t.execution_id IS NOT NULL AND EXISTS (SELECT 1 FROM idless AS i WHERE {_movements_equal('i', 't')})
        )
        SELECT i.rid AS idless_rid, d.rid AS identified_rid
        FROM idless AS i JOIN identified AS d ON {_movements_equal('i', 'd')} AND i.occurrence = d.rank"""
    )
    assignments = [f"{name} = i.{name}" for name in _PAIR_FIELDS]
    assignments += [_keep_unless_null("ledger_file_id", name, f"i.{name}") for name in _FEE_FIELDS]
    assignments += ["trades_file_id = i.trades_file_id", "trades_line = i.trades_line"]
    con.execute(
        f"UPDATE file_trades AS t SET {', '.join(assignments)}"
        " FROM import_idless_pairs AS p JOIN file_trades AS i ON i.rowid = p.idless_rid"
        " WHERE t.rowid = p.identified_rid AND t.trades_file_id IS NULL AND i.trades_file_id IS NOT NULL"
    )
    con.execute("DELETE FROM file_trades WHERE rowid IN (SELECT idless_rid FROM import_idless_pairs)")
    con.execute("DROP TABLE import_idless_pairs")


def merge_candidates(con: duckdb.DuckDBPyConnection) -> None:
    """Add the ``CANDIDATES`` to ``file_trades`` by the rules above (inside the caller's transaction)."""
    for match, with_id in ((_MATCH_WITH_ID, True), (_MATCH_WITHOUT_ID, False)):
        _update_from_trades_export(con, match)
        _update_from_ledger(con, match)
        _insert_unmatched(con, match, with_id)
    has_idless = first_row(
        con,
        f"SELECT count(*) FROM file_trades WHERE execution_id IS NULL AND account IN (SELECT account FROM {CANDIDATES})"
    )[0]
    if has_idless:
        _merge_idless_into_identified(con)
