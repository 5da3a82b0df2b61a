"""Migrations 2-4: the tables the API sync loads, the tables analysts query, and their views.

Four groups of tables (``docs/warehouse.md`` describes every column):

* API records as received, typed: ``orders``, ``api_executions``, ``api_withdrawals``,
  ``api_balances``. Merged by natural key at each load, never deleted.
* Derived tables, recomputed per account by each transform and merged row by row at load:
  ``trades``, ``withdrawals``, ``deposits``, ``dedup_matches``, ``review_queue``. They are a
  function of the API tables and the ``file_*`` tables only, so they come out the same
  whatever order the data arrived in.
* Bookkeeping: ``sync_state`` (the extraction cursors), ``accounts`` (key status),
  ``runs``, ``load_batches``, ``reconciliation``.
* ``user_edits``: labels, notes, price overrides and tombstones, keyed by natural keys and
  never written by a load.

Big tables carry no PRIMARY KEY (an index would have to fit in memory); their key is
documented and kept unique by construction. Money is ``MONEY`` (exact DECIMAL), times are
TIMESTAMPTZ in UTC.
"""

from __future__ import annotations

from liquid_sync.warehouse.schema import MONEY, Migration

API_TABLES = Migration(
    version=2,
    name="api sync tables",
    statements=(
        # Key (account, order_id): the latest version of each order seen by the API.
        f"""CREATE TABLE orders (
            account VARCHAR NOT NULL,
            order_id BIGINT NOT NULL,
            product_id BIGINT NOT NULL,
            currency_pair_code VARCHAR NOT NULL,
            base_currency VARCHAR NOT NULL,
            quote_currency VARCHAR NOT NULL,
            side VARCHAR NOT NULL,
            order_type VARCHAR,
            status VARCHAR NOT NULL,
            quantity {MONEY} NOT NULL,
            price {MONEY},
            filled_quantity {MONEY} NOT NULL,
            average_price {MONEY},
            order_fee {MONEY} NOT NULL,
            created_at TIMESTAMPTZ NOT NULL,
            updated_at TIMESTAMPTZ NOT NULL,
            client_order_id VARCHAR,
            run_id VARCHAR NOT NULL
        )""",
        # Key (account, execution_id, side): every execution the API returned, whatever the
        # state of its order (a self-match is two rows with one execution_id).
        f"""CREATE TABLE api_executions (
            account VARCHAR NOT NULL,
            execution_id BIGINT NOT NULL,
            side VARCHAR NOT NULL CHECK (side IN ('buy', 'sell')),
            order_id BIGINT NOT NULL,
            product_id BIGINT NOT NULL,
            quantity {MONEY} NOT NULL,
            price {MONEY} NOT NULL,
            taker_side VARCHAR,
            occurred_at TIMESTAMPTZ NOT NULL,
            client_order_id VARCHAR,
            run_id VARCHAR NOT NULL
        )""",
        # Key (account, withdrawal_type, withdrawal_id): the latest version of each withdrawal.
        f"""CREATE TABLE api_withdrawals (
            account VARCHAR NOT NULL,
            withdrawal_type VARCHAR NOT NULL CHECK (withdrawal_type IN ('crypto', 'fiat')),
            withdrawal_id BIGINT NOT NULL,
            currency VARCHAR NOT NULL,
            amount {MONEY} NOT NULL,
            fee {MONEY} NOT NULL,
            state VARCHAR NOT NULL,
            created_at TIMESTAMPTZ NOT NULL,
            updated_at TIMESTAMPTZ NOT NULL,
            address VARCHAR,
            transaction_hash VARCHAR,
            chain_name VARCHAR,
            network VARCHAR,
            payment_id VARCHAR,
            bank_name VARCHAR,
            run_id VARCHAR NOT NULL
        )""",
        # Key (account, run_id, currency): the balances GET /accounts reported during a run.
        f"""CREATE TABLE api_balances (
            account VARCHAR NOT NULL,
            run_id VARCHAR NOT NULL,
            currency VARCHAR NOT NULL,
            currency_type VARCHAR,
            balance {MONEY} NOT NULL,
            reserved_balance {MONEY},
            fetched_at TIMESTAMPTZ NOT NULL
        )""",
        # Key (account, endpoint, product_id): the committed extraction cursors, one row per
        # stream (and per product for executions); ``state_run_id`` is the run that produced
        # them. ``open_records`` is JSON: open orders or non-final withdrawals, by id.
        """CREATE TABLE sync_state (
            account VARCHAR NOT NULL,
            endpoint VARCHAR NOT NULL,
            product_id BIGINT,
            newest_id BIGINT,
            newest_created_at TIMESTAMPTZ,
            open_records VARCHAR,
            state_run_id VARCHAR NOT NULL,
            batch_id VARCHAR NOT NULL
        )""",
        """CREATE TABLE accounts (
            account VARCHAR PRIMARY KEY,
            key_status VARCHAR NOT NULL CHECK (key_status IN ('enabled', 'disabled')),
            key_token_id VARCHAR,
            disabled_reason VARCHAR,
            disabled_endpoint VARCHAR,
            disabled_at TIMESTAMPTZ,
            last_run_id VARCHAR,
            last_run_status VARCHAR,
            files_loaded_through BIGINT,
            batch_id VARCHAR NOT NULL
        )""",
        """CREATE TABLE runs (
            account VARCHAR NOT NULL,
            run_id VARCHAR NOT NULL,
            mode VARCHAR,
            strategy VARCHAR,
            status VARCHAR NOT NULL,
            cutoff TIMESTAMPTZ,
            started_at TIMESTAMPTZ,
            finished_at TIMESTAMPTZ,
            requests BIGINT,
            rate_limited_429 BIGINT,
            retries BIGINT,
            records VARCHAR,
            state_committed BOOLEAN NOT NULL,
            batch_id VARCHAR NOT NULL,
            PRIMARY KEY (account, run_id)
        )""",
        """CREATE TABLE load_batches (
            batch_id VARCHAR PRIMARY KEY,
            base_batch_id VARCHAR,
            created_at TIMESTAMPTZ NOT NULL,
            loaded_at TIMESTAMPTZ NOT NULL,
            load_mode VARCHAR NOT NULL,
            accounts VARCHAR NOT NULL,
            counts VARCHAR NOT NULL
        )""",
    ),
)

ANALYST_TABLES = Migration(
    version=3,
    name="analyst tables",
    statements=(
        # Key (account, trade_key). trade_key is '<execution_id>:<side>' when an execution id
        # is known from either source, else the file trade's key (see file_trade_key).
        f"""CREATE TABLE trades (
            account VARCHAR NOT NULL,
            trade_key VARCHAR NOT NULL,
            execution_id BIGINT,
            side VARCHAR NOT NULL CHECK (side IN ('buy', 'sell')),
            order_id BIGINT,
            product_id BIGINT,
            base_currency VARCHAR NOT NULL,
            quote_currency VARCHAR NOT NULL,
            quantity {MONEY} NOT NULL,
            price {MONEY} NOT NULL,
            amount {MONEY} NOT NULL,
            fee {MONEY} NOT NULL,
            rebate {MONEY} NOT NULL,
            fee_currency VARCHAR NOT NULL,
            fee_estimated BOOLEAN NOT NULL,
            fee_source VARCHAR NOT NULL,
            taker_side VARCHAR,
            occurred_at TIMESTAMPTZ NOT NULL,
            source VARCHAR NOT NULL CHECK (source IN ('api', 'file', 'api+file')),
            match_rule VARCHAR,
            file_trade_key VARCHAR,
            trades_file_id BIGINT,
            trades_line BIGINT,
            ledger_file_id BIGINT,
            ledger_line BIGINT
        )""",
        # Key (account, withdrawal_key); withdrawal_key is '<crypto|fiat>:<withdrawal_id>'.
        f"""CREATE TABLE withdrawals (
            account VARCHAR NOT NULL,
            withdrawal_key VARCHAR NOT NULL,
            withdrawal_type VARCHAR NOT NULL CHECK (withdrawal_type IN ('crypto', 'fiat')),
            withdrawal_id BIGINT NOT NULL,
            currency VARCHAR NOT NULL,
            amount {MONEY} NOT NULL,
            fee {MONEY} NOT NULL,
            net_amount {MONEY} NOT NULL,
            state VARCHAR,
            failed BOOLEAN NOT NULL,
            occurred_at TIMESTAMPTZ NOT NULL,
            updated_at TIMESTAMPTZ,
            address VARCHAR,
            transaction_hash VARCHAR,
            chain_name VARCHAR,
            network VARCHAR,
            payment_id VARCHAR,
            bank_name VARCHAR,
            source VARCHAR NOT NULL CHECK (source IN ('api', 'file', 'api+file')),
            ledger_file_id BIGINT,
            ledger_line BIGINT
        )""",
        # Key (account, deposit_key); deposit_key is the deposit id as text.
        f"""CREATE TABLE deposits (
            account VARCHAR NOT NULL,
            deposit_key VARCHAR NOT NULL,
            deposit_id BIGINT NOT NULL,
            currency VARCHAR NOT NULL,
            amount {MONEY} NOT NULL,
            fee {MONEY} NOT NULL,
            occurred_at TIMESTAMPTZ NOT NULL,
            transaction_hash VARCHAR,
            from_address VARCHAR,
            ledger_file_id BIGINT NOT NULL,
            ledger_line BIGINT NOT NULL
        )""",
        # Key (account, execution_id, side): one row per API execution matched to a file trade.
        """CREATE TABLE dedup_matches (
            account VARCHAR NOT NULL,
            execution_id BIGINT NOT NULL,
            side VARCHAR NOT NULL,
            trade_key VARCHAR NOT NULL,
            rule VARCHAR NOT NULL CHECK (rule IN ('execution_id_side', 'pair_side_quantity_price_time_2s')),
            file_trade_key VARCHAR NOT NULL,
            file_id BIGINT NOT NULL,
            line BIGINT NOT NULL,
            ledger_file_id BIGINT,
            ledger_line BIGINT,
            batch_id VARCHAR NOT NULL
        )""",
        # Key (account, file_trade_key, reason): file trades a person has to look at.
        f"""CREATE TABLE review_queue (
            account VARCHAR NOT NULL,
            file_trade_key VARCHAR NOT NULL,
            reason VARCHAR NOT NULL,
            candidate_count INTEGER NOT NULL,
            candidates VARCHAR NOT NULL,
            counted BOOLEAN NOT NULL,
            base_currency VARCHAR NOT NULL,
            quote_currency VARCHAR NOT NULL,
            side VARCHAR NOT NULL,
            quantity {MONEY} NOT NULL,
            price {MONEY} NOT NULL,
            occurred_at TIMESTAMPTZ NOT NULL,
            trades_file_id BIGINT,
            trades_line BIGINT,
            ledger_file_id BIGINT,
            ledger_line BIGINT,
            batch_id VARCHAR NOT NULL
        )""",
        f"""CREATE TABLE user_edits (
            entity VARCHAR NOT NULL CHECK (entity IN ('trade', 'withdrawal', 'deposit')),
            account VARCHAR NOT NULL,
            entity_key VARCHAR NOT NULL,
            label VARCHAR,
            note VARCHAR,
            price_override {MONEY},
            deleted BOOLEAN NOT NULL DEFAULT false,
            updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
            PRIMARY KEY (entity, account, entity_key)
        )""",
        # Key (batch_id, account, currency).
        f"""CREATE TABLE reconciliation (
            batch_id VARCHAR NOT NULL,
            account VARCHAR NOT NULL,
            currency VARCHAR NOT NULL,
            ledger_balance {MONEY} NOT NULL,
            api_balance {MONEY},
            difference {MONEY},
            pending_executions_effect {MONEY} NOT NULL,
            likely_cause VARCHAR,
            api_run_id VARCHAR
        )""",
    ),
)


# Edits are joined on a (entity, account, key) row value, not with ``e.entity = '<constant>'``:
# DuckDB 2.0.0 gives wrong aggregates (``sum(CASE ...) <> 0`` false) over a LEFT JOIN whose
# right side a constant filter leaves empty.
def _edit_join(alias: str, entity: str, account: str, key: str) -> str:
    return (f"LEFT JOIN user_edits AS {alias}"
            f" ON ({alias}.entity, {alias}.account, {alias}.entity_key) = ('{entity}', {account}, {key})")


def _edited(entity: str, table: str, key: str) -> str:
    """SELECT of ``table`` with its user edits, without the rows the user deleted."""
    return f"""SELECT x.*, e.label, e.note FROM {table} AS x
        {_edit_join('e', entity, 'x.account', f'x.{key}')}
        WHERE NOT coalesce(e.deleted, false)"""


_TRADES_VIEW = f"""CREATE OR REPLACE VIEW trades_view AS
    SELECT t.*, coalesce(e.label, f.label) AS label, coalesce(e.note, f.note) AS note,
           coalesce(e.price_override, f.price_override) AS price_override,
           coalesce(e.price_override, f.price_override, t.price) AS effective_price
    FROM trades AS t
    {_edit_join('e', 'trade', 't.account', 't.trade_key')}
    {_edit_join('f', 'trade', 't.account', "CASE WHEN t.file_trade_key <> t.trade_key THEN t.file_trade_key END")}
    WHERE NOT coalesce(e.deleted, f.deleted, false)"""

_PENDING_EXECUTIONS_VIEW = """CREATE OR REPLACE VIEW pending_executions AS
    SELECT x.*, o.status AS order_status,
           CASE WHEN o.order_id IS NULL THEN 'order not seen yet' ELSE 'order ' || o.status END AS waiting_for
    FROM api_executions AS x
    LEFT JOIN orders AS o ON o.account = x.account AND o.order_id = x.order_id
    WHERE o.order_id IS NULL OR NOT (o.status = 'filled' OR (o.status = 'cancelled' AND o.filled_quantity > 0))"""

_LEDGER_COLUMNS = (
    "account", "occurred_at", "kind", "currency", "amount", "entity", "entity_key", "execution_id", "side",
    "order_id", "withdrawal_type", "withdrawal_id", "deposit_id", "source", "fee_estimated",
    "trades_file_id", "trades_line", "ledger_file_id", "ledger_line",
)


def _ledger_select(relation: str, where: str, **values: str) -> str:
    columns = ", ".join(f"{values.get(name, 'NULL')} AS {name}" for name in _LEDGER_COLUMNS)
    return f"SELECT {columns} FROM {relation} WHERE {where}"


_TRADE_REFS = {
    "account": "account", "occurred_at": "occurred_at", "entity": "'trade'", "entity_key": "trade_key",
    "execution_id": "execution_id", "side": "side", "order_id": "order_id", "source": "source",
    "fee_estimated": "fee_estimated", "trades_file_id": "trades_file_id", "trades_line": "trades_line",
    "ledger_file_id": "ledger_file_id", "ledger_line": "ledger_line",
}
_WITHDRAWAL_REFS = {
    "account": "account", "occurred_at": "occurred_at", "entity": "'withdrawal'", "entity_key": "withdrawal_key",
    "withdrawal_type": "withdrawal_type", "withdrawal_id": "withdrawal_id", "source": "source",
    "ledger_file_id": "ledger_file_id", "ledger_line": "ledger_line", "currency": "currency",
}
_DEPOSIT_REFS = {
    "account": "account", "occurred_at": "occurred_at", "entity": "'deposit'", "entity_key": "deposit_key",
    "deposit_id": "deposit_id", "source": "'file'", "ledger_file_id": "ledger_file_id",
    "ledger_line": "ledger_line", "currency": "currency",
}

_LEDGER_VIEW = "CREATE OR REPLACE VIEW ledger AS\n" + "\nUNION ALL\n".join(
    (
        _ledger_select("trades_view", "true", kind="'trade'", currency="base_currency",
                       amount="CASE side WHEN 'buy' THEN quantity ELSE -quantity END", **_TRADE_REFS),
        _ledger_select("trades_view", "true", kind="'trade'", currency="quote_currency",
                       amount="CASE side WHEN 'buy' THEN -amount ELSE amount END", **_TRADE_REFS),
        _ledger_select("trades_view", "fee + rebate <> 0", kind="'trade_fee'", currency="fee_currency",
                       amount="-(fee + rebate)", **_TRADE_REFS),
        _ledger_select("trades_view", "rebate <> 0", kind="'trade_rebate'", currency="fee_currency",
                       amount="rebate", **_TRADE_REFS),
        _ledger_select("withdrawals_view", "NOT failed", kind="'withdrawal'", amount="-net_amount",
                       **_WITHDRAWAL_REFS),
        _ledger_select("withdrawals_view", "NOT failed AND fee <> 0", kind="'withdrawal_fee'", amount="-fee",
                       **_WITHDRAWAL_REFS),
        _ledger_select("deposits_view", "true", kind="'deposit'", amount="amount", **_DEPOSIT_REFS),
        _ledger_select("deposits_view", "fee <> 0", kind="'deposit_fee'", amount="-fee", **_DEPOSIT_REFS),
    )
)

ANALYST_VIEWS = Migration(
    version=4,
    name="analyst views, edits joined by row value",
    statements=(
        _TRADES_VIEW,
        f"CREATE OR REPLACE VIEW withdrawals_view AS {_edited('withdrawal', 'withdrawals', 'withdrawal_key')}",
        f"CREATE OR REPLACE VIEW deposits_view AS {_edited('deposit', 'deposits', 'deposit_key')}",
        _PENDING_EXECUTIONS_VIEW,
        _LEDGER_VIEW,
    ),
)

SYNC_MIGRATIONS: tuple[Migration, ...] = (API_TABLES, ANALYST_TABLES, ANALYST_VIEWS)
