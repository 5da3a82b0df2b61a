"""Deterministic, realistic Liquid account histories.

``generate_account`` builds an account from its opening (2018-2019) up to ``INITIAL_NOW_MS``;
``advance_account`` extends it up to a later time. Contracts:

* Deterministic: the same arguments (and, for ``advance_account``, the same account state)
  give identical records in every process.
* ``generate_account`` yields exactly ``executions`` execution records (a self-matched fill is
  two records with one id) and, from a few thousand records on, every order status and type,
  every withdrawal state, self-matches, maker rebates and fees paid in QASH.
* Events are simulated one after another in time, and every balance movement is appended to
  ``Account.ledger`` as it happens, so the ledger is chronological. The account is funded by
  deposits before it needs money: at every point of the ledger each balance, less the funds
  held by open orders (their remaining value plus the worst-case fee), is non-negative.
* Open orders (``live``, ``partially_filled``) and non-final withdrawals are only created in
  the last ``TAIL_MS`` before the clock; advancing closes them (fill or cancel, processed or
  failed) once they are old enough. A withdrawal that fails loses its ledger entries.
* Ids grow with time like Liquid's (orders ~2.0e9, executions ~4.0e8, ledger entries ~1.5e9,
  deposits ~3e6, withdrawals < 2e6), are unique per kind, never change once issued, and are
  congruent to the account id modulo 64, so accounts whose ids differ modulo 64 never share one.
* Floats only drive random walks and sizes; every recorded amount is an exact int of 1e-8 units.
"""

from __future__ import annotations

import math
import random
import uuid
from dataclasses import replace
from fractions import Fraction

from liquid_emulator import catalog
from liquid_emulator.model import (
    CRYPTO_WITHDRAWAL_STATES,
    FAILED_WITHDRAWAL_STATES,
    FINAL_WITHDRAWAL_STATES,
    UNITS_PER_COIN,
    Account,
    CryptoWithdrawal,
    Deposit,
    Execution,
    FiatWithdrawal,
    LedgerEntry,
    Order,
)

INITIAL_NOW_MS = 1_633_046_400_000  # 2021-10-01T00:00:00Z
LIQUID_END_MS = 1_668_470_400_000  # 2022-11-15T00:00:00Z
MINUTE_MS = 60_000
HOUR_MS = 60 * MINUTE_MS
DAY_MS = 24 * HOUR_MS
TAIL_MS = 2 * DAY_MS

_OPENED_FROM_MS = 1_514_764_800_000  # 2018-01-01
_OPENED_UNTIL_MS = 1_577_836_800_000  # 2020-01-01
_CLIENT_ORDER_IDS_FROM_MS = 1_546_300_800_000  # 2019-01-01

# Traded products are chosen among these pairs: one fiat anchor, one crypto-quoted pair, more.
_FIAT_ANCHORS = ("BTCUSD", "BTCJPY")
_CRYPTO_QUOTED = ("ETHBTC", "QASHBTC", "QASHETH", "XRPBTC", "LTCBTC")
_POPULAR = ("BTCEUR", "BTCSGD", "ETHUSD", "ETHJPY", "QASHJPY", "XRPJPY", "XRPUSD", "BCHJPY",
            "BTCUSDT", "ETHUSDT", "SOLUSD")
_MIN_TRADED, _MAX_TRADED = 5, 8

# Episode kinds: one order (or a self-matched pair) from creation to its final state.
_EPISODE_MIX = (("market", 20), ("filled", 55), ("cancelled_partial", 8), ("cancelled_empty", 13),
                ("self_match", 4))
_EPISODE_DECK = tuple(kind for kind, weight in _EPISODE_MIX for _ in range(weight))
_OPEN_KINDS = ("open_live", "open_partial")
_OPEN_STATUSES = ("live", "partially_filled")
_STATUS_OF_KIND = {"market": "filled", "filled": "filled", "cancelled_partial": "cancelled",
                   "cancelled_empty": "cancelled", "open_live": "live", "open_partial": "partially_filled"}
# Shown once in every generated history when the execution budget allows (fills per kind).
_SHOWCASE = (("open_partial", 1), ("market", 1), ("filled", 1), ("self_match", 1), ("cancelled_partial", 1))
_MORE_FILLS_CHANCE = 0.45
_MAX_FILLS = 8

_TAKER_LIMIT_SHARE = 0.3
_QASH_FEE_SHARE = 0.1
_REBATE_SHARE = 0.3
_REBATE_PERCENTS = (25, 50)
_CLIENT_ORDER_ID_SHARE = 0.3
_MAX_SLIPPAGE_TICKS = 3
_MAKER_OFFSET_TICKS = 5

_ORDER_USD_MEDIAN = 300.0
_ORDER_USD_SIGMA = 1.1
_ORDER_USD_MIN = 10.0
_MAX_AMOUNT_UNITS = 10**15  # amounts keep at most 15 significant digits

_DEPOSIT_BUFFER_USD = (100.0, 2500.0)
_DEPOSIT_FEE_CHANCE = {"fiat": 0.25, "crypto": 0.03}
_SKIM_ABOVE_USD = 40_000.0
_SKIM_TARGET_USD = (5_000.0, 15_000.0)
_WITHDRAWAL_SHARE = (0.2, 0.8)
_EXECUTIONS_PER_CRYPTO_WITHDRAWAL = 250
_EXECUTIONS_PER_FIAT_WITHDRAWAL = 500
_PROCESSED_SHARE = 0.85
_FAILED_STATES = tuple(sorted(FAILED_WITHDRAWAL_STATES))
_SHOWCASE_FINAL_STATES = ("processed",) + _FAILED_STATES
_PENDING_CRYPTO_STATES = tuple(s for s in CRYPTO_WITHDRAWAL_STATES if s not in FINAL_WITHDRAWAL_STATES)
_BROADCAST_STATES = ("broadcasted", "processed")
_STATE_DELAYS_MS = {
    "pending": (0, 0), "awaiting_confirmation": (0, MINUTE_MS), "to_be_reviewed": (0, 10 * MINUTE_MS),
    "approved": (MINUTE_MS, 30 * MINUTE_MS), "processing": (5 * MINUTE_MS, HOUR_MS),
    "broadcasted": (10 * MINUTE_MS, 2 * HOUR_MS), "processed": (10 * MINUTE_MS, 8 * HOUR_MS),
    "cancelled": (MINUTE_MS, 3 * HOUR_MS), "declined": (HOUR_MS, 2 * DAY_MS), "reverted": (3 * HOUR_MS, 3 * DAY_MS),
}
_ADDRESSES_PER_CURRENCY = 3
_BANKS = {"USD": "JPMorgan Chase Bank", "JPY": "MUFG Bank", "SGD": "DBS Bank", "EUR": "Deutsche Bank",
          "AUD": "Commonwealth Bank of Australia", "HKD": "HSBC Hong Kong", "IDR": "Bank Central Asia",
          "PHP": "BDO Unibank", "INR": "HDFC Bank", "CNY": "Bank of China"}

# Advancing: how long open orders / pending withdrawals may stay open, activity in the tail.
_MAX_OPEN_ORDER_MS = 7 * DAY_MS
_MAX_PENDING_WITHDRAWAL_MS = 3 * DAY_MS
_OPEN_FILL_SHARE = 0.6
_ADVANCE_BUDGET_SPREAD = (0.7, 1.3)

# Price walk: mean-reverting (Ornstein-Uhlenbeck) log price around the catalog price.
_WALK_DAILY_SIGMA = 0.045
_WALK_REVERSION_PER_DAY = 1 / 90
_WALK_MAX_LOG_RATIO = math.log(4)
_WALK_OPENING_LOG_RATIO = (-0.6, 0.35)  # mean, sd of the price when the account opens
_BURSTINESS = 1.2  # sigma of the log-normal gaps between events

# Id rules per kind: (id at 2018-01-01, milliseconds per id of the exchange-wide counter).
_ID_EPOCH_MS = _OPENED_FROM_MS
_ID_RULES = {"order": (2_000_000_000, 200), "execution": (400_000_000, 500), "ledger": (1_500_000_000, 100),
             "deposit": (3_000_000, 50_000), "crypto_withdrawal": (500_000, 200_000),
             "fiat_withdrawal": (100_000, 500_000)}
_ID_MODULUS = 64

_BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_BECH32_PREFIXES = {"BTC": "bc1q", "ADA": "addr1q", "ATOM": "cosmos1"}
_BASE58_PREFIXES = {"LTC": "L", "DASH": "X", "DOGE": "D", "TRX": "T", "NEO": "A", "XLM": "G", "XEM": "N"}

Episode = tuple[str, object]  # (kind, fill count | withdrawal state | order to close)


def generate_account(seed: int, executions: int, account_id: int = 1, name: str = "demo") -> Account:
    """A new account whose history runs from its opening to ``INITIAL_NOW_MS``.

    It holds exactly ``executions`` execution records; ``ValueError`` if that is negative.
    """
    if executions < 0:
        raise ValueError(f"account {name!r}: executions must be >= 0, got {executions}")
    rng = random.Random(f"history:{seed}:{account_id}")
    opened_ms = rng.randrange(_OPENED_FROM_MS, _OPENED_UNTIL_MS) // 1000 * 1000
    account = Account(id=account_id, name=name, user_id=1_000_000 + rng.randrange(3_000_000),
                      created_at_ms=opened_ms, seed=seed, now_ms=INITIAL_NOW_MS)
    simulator = _Simulator(account, rng, INITIAL_NOW_MS)
    main, tail = _generation_plan(rng, executions)
    tail_start = INITIAL_NOW_MS - TAIL_MS
    simulator.play(_interleave(rng, main, _history_withdrawals(rng, executions)), opened_ms + HOUR_MS, tail_start)
    simulator.play(tail, tail_start, INITIAL_NOW_MS - MINUTE_MS)
    account.version += 1
    return account


def advance_account(account: Account, until_ms: int) -> None:
    """Extend the history from the account's clock to ``until_ms`` and move the clock there.

    Open orders older than a week are filled or cancelled (younger ones maybe), pending
    withdrawals older than three days are processed or fail (younger ones maybe), and new
    activity arrives at the account's historical pace. Deterministic for a given account state
    and ``until_ms``; a no-op when ``until_ms`` is not after the clock. ``ValueError`` past
    ``LIQUID_END_MS`` (Liquid shut down in November 2022).
    """
    if until_ms > LIQUID_END_MS:
        raise ValueError(f"account {account.name!r}: cannot advance to {until_ms} ms, past Liquid's "
                         f"shutdown ({LIQUID_END_MS} ms = 2022-11-15)")
    if until_ms <= account.now_ms:
        return
    rng = random.Random(f"advance:{account.seed}:{account.id}:{account.now_ms}:{until_ms}")
    window = until_ms - account.now_ms
    closing_start = account.now_ms + 1
    closing_end = closing_start + window // 10
    tail_start = until_ms - min(TAIL_MS, window // 10)
    simulator = _Simulator(account, rng, until_ms)
    pending = [w for w in account.crypto_withdrawals + account.fiat_withdrawals
               if w.state not in FINAL_WITHDRAWAL_STATES]
    simulator.finalise_withdrawals(_due(rng, pending, until_ms, _MAX_PENDING_WITHDRAWAL_MS, window),
                                   closing_start, closing_end)
    open_orders = [order for order in account.orders if order.status in _OPEN_STATUSES]
    simulator.play([("close", order) for order in _due(rng, open_orders, until_ms, _MAX_OPEN_ORDER_MS, window)],
                   closing_start, closing_end)
    span = tail_start - closing_end
    main = _random_episodes(rng, _advance_budget(rng, account, span))
    simulator.play(_interleave(rng, main, _advance_withdrawals(rng, account, span)), closing_end, tail_start)
    simulator.play(_advance_tail(rng, window), tail_start, until_ms)
    account.now_ms = until_ms
    account.version += 1


def _due(rng: random.Random, open_records: list, until_ms: int, max_age_ms: int, window: int) -> list:
    """The open records to close in a window of ``window`` ms: all older than ``max_age_ms``
    at ``until_ms``, and younger ones with a chance growing with the window."""
    chance = window / max_age_ms
    return [record for record in open_records
            if until_ms - record.created_at_ms > max_age_ms or rng.random() < chance]


# --- planning ---------------------------------------------------------------------------------


def _fill_count(rng: random.Random) -> int:
    count = 1
    while count < _MAX_FILLS and rng.random() < _MORE_FILLS_CHANCE:
        count += 1
    return count


def _records(kind: str, fills: int) -> int:
    return 2 * fills if kind == "self_match" else fills


def _random_episodes(rng: random.Random, budget: int) -> list[Episode]:
    """Closed-order episodes whose execution records add up to exactly ``budget``."""
    episodes: list[Episode] = []
    while budget > 0:
        kind = rng.choice(_EPISODE_DECK)
        fills = 0 if kind == "cancelled_empty" else _fill_count(rng)
        if kind == "self_match":
            fills = min(fills, budget // 2)
            if not fills:
                kind, fills = "market", 1
        else:
            fills = min(fills, budget)
        budget -= _records(kind, fills)
        episodes.append((kind, fills))
    return episodes


def _generation_plan(rng: random.Random, executions: int) -> tuple[list[Episode], list[Episode]]:
    """(main, tail) episodes with exactly ``executions`` records; the tail holds the open orders."""
    budget = executions
    tail: list[Episode] = [("open_live", 0)] * (1 + rng.randrange(3))
    showcase: list[Episode] = [("cancelled_empty", 0)]
    for kind, fills in _SHOWCASE:
        if _records(kind, fills) <= budget:
            budget -= _records(kind, fills)
            (tail if kind in _OPEN_KINDS else showcase).append((kind, fills))
    main = _random_episodes(rng, budget)
    for episode in showcase:
        main.insert(rng.randrange(len(main) + 1), episode)
    tail += [("crypto_withdrawal", state) for state in _PENDING_CRYPTO_STATES]
    tail.append(("fiat_withdrawal", "pending"))
    rng.shuffle(tail)
    return main, tail


def _final_state(rng: random.Random) -> str:
    return "processed" if rng.random() < _PROCESSED_SHARE else rng.choice(_FAILED_STATES)


def _withdrawal_events(rng: random.Random, kind: str, count: int, showcase: bool) -> list[Episode]:
    states = list(_SHOWCASE_FINAL_STATES) if showcase else []
    states += [_final_state(rng) for _ in range(count - len(states))]
    return [(kind, state) for state in states]


def _history_withdrawals(rng: random.Random, executions: int) -> list[Episode]:
    """Withdrawals in final states, at least one per state and kind, more for bigger accounts."""
    crypto = max(len(_SHOWCASE_FINAL_STATES), executions // _EXECUTIONS_PER_CRYPTO_WITHDRAWAL)
    fiat = max(len(_SHOWCASE_FINAL_STATES), executions // _EXECUTIONS_PER_FIAT_WITHDRAWAL)
    events = (_withdrawal_events(rng, "crypto_withdrawal", crypto, True)
              + _withdrawal_events(rng, "fiat_withdrawal", fiat, True))
    rng.shuffle(events)
    return events


def _interleave(rng: random.Random, episodes: list[Episode], extras: list[Episode]) -> list[Episode]:
    """``episodes`` with ``extras`` inserted at random places, each list keeping its order."""
    positions = sorted(rng.randrange(len(episodes) + 1) for _ in extras)
    merged: list[Episode] = []
    start = 0
    for position, extra in zip(positions, extras):
        merged.extend(episodes[start:position])
        merged.append(extra)
        start = position
    merged.extend(episodes[start:])
    return merged


def _pace(account: Account, count: int, span_ms: int, rng: random.Random) -> int:
    """How many of something the account does in ``span_ms``, at the pace of its history so far."""
    history_ms = max(account.now_ms - account.created_at_ms, 1)
    expected = count * max(span_ms, 0) / history_ms * rng.uniform(*_ADVANCE_BUDGET_SPREAD)
    whole = int(expected)
    return whole + (rng.random() < expected - whole)


def _advance_budget(rng: random.Random, account: Account, span_ms: int) -> int:
    records = sum(len(account.executions(pid)) for pid in account.traded_product_ids())
    return _pace(account, records, span_ms, rng)


def _advance_withdrawals(rng: random.Random, account: Account, span_ms: int) -> list[Episode]:
    crypto = _pace(account, len(account.crypto_withdrawals), span_ms, rng)
    fiat = _pace(account, len(account.fiat_withdrawals), span_ms, rng)
    events = (_withdrawal_events(rng, "crypto_withdrawal", crypto, False)
              + _withdrawal_events(rng, "fiat_withdrawal", fiat, False))
    rng.shuffle(events)
    return events


def _advance_tail(rng: random.Random, window_ms: int) -> list[Episode]:
    """New open orders and pending withdrawals, about one of each per day of the window."""
    chance = min(1.0, window_ms / DAY_MS)
    tail: list[Episode] = []
    if rng.random() < chance:
        tail.append(("open_live", 0))
    if rng.random() < chance / 2:
        tail.append(("open_partial", 1))
    if rng.random() < chance / 2:
        tail.append(("crypto_withdrawal", rng.choice(_PENDING_CRYPTO_STATES)))
    if rng.random() < chance / 4:
        tail.append(("fiat_withdrawal", "pending"))
    rng.shuffle(tail)
    return tail


def _slot_bounds(rng: random.Random, count: int, start: int, end: int) -> list[int]:
    """``count + 1`` non-decreasing times from ``start`` to ``end`` with bursty gaps."""
    gaps = [rng.lognormvariate(0.0, _BURSTINESS) for _ in range(count)]
    scale = max(end - start, 0) / (sum(gaps) or 1.0)
    bounds = [start]
    elapsed = 0.0
    for gap in gaps:
        elapsed += gap
        bounds.append(min(end, start + int(elapsed * scale)))
    bounds[-1] = max(end, start)
    return bounds


def _split(rng: random.Random, total: int, parts: int) -> list[int]:
    """``parts`` positive ints adding up to ``total`` (``total >= parts``)."""
    if parts <= 1:
        return [total] * parts
    cuts = sorted(rng.sample(range(1, total), parts - 1))
    return [high - low for low, high in zip([0, *cuts], [*cuts, total])]


def _traded_product_ids(account: Account) -> list[int]:
    """The 5-8 products the account trades, chosen by its seed and id."""
    rng = random.Random(f"products:{account.seed}:{account.id}")
    by_code = {p.currency_pair_code: p.id for p in catalog.products()}
    chosen = [rng.choice(_FIAT_ANCHORS), rng.choice(_CRYPTO_QUOTED)]
    others = [code for code in _FIAT_ANCHORS + _CRYPTO_QUOTED + _POPULAR if code not in chosen]
    chosen += rng.sample(others, rng.randint(_MIN_TRADED, _MAX_TRADED) - len(chosen))
    return [by_code[code] for code in chosen]


# --- ids, addresses ---------------------------------------------------------------------------


class _Ids:
    """Issues ids per kind: at least the exchange-wide counter at that time, increasing."""

    def __init__(self, account: Account):
        self._last = account.last_ids
        self._residue = account.id % _ID_MODULUS

    def next(self, kind: str, at_ms: int) -> int:
        base, ms_per_id = _ID_RULES[kind]
        candidate = max(self._last.get(kind, 0) + 1, base + (at_ms - _ID_EPOCH_MS) // ms_per_id)
        issued = candidate + (self._residue - candidate) % _ID_MODULUS
        self._last[kind] = issued
        return issued


def _address(rng: random.Random, code: str) -> str:
    style = catalog.chain(code).address_style
    if style == "hex":
        return f"0x{rng.getrandbits(160):040x}"
    if style == "bech32":
        prefix = _BECH32_PREFIXES.get(code, "bc1q")
        return prefix + "".join(rng.choices(_BECH32, k=38))
    prefix = "r" if style == "ripple" else _BASE58_PREFIXES.get(code, rng.choice("13"))
    return prefix + "".join(rng.choices(_BASE58, k=33))


def _transaction_hash(rng: random.Random, code: str) -> str:
    digest = f"{rng.getrandbits(256):064x}"
    return f"0x{digest}" if catalog.chain(code).address_style == "hex" else digest


def _round_down(units: int, digits: int, precision: int) -> int:
    """``units`` cut to ``digits`` significant digits and to ``precision`` decimals."""
    magnitude = max(10 ** max(len(str(units)) - digits, 0), 10 ** (8 - precision))
    return units // magnitude * magnitude


def _round_up(units: int, digits: int, precision: int) -> int:
    magnitude = max(10 ** max(len(str(units)) - digits, 0), 10 ** (8 - precision))
    return -(-units // magnitude) * magnitude


def _usd_to_units(code: str, usd: float) -> int:
    return int(usd / float(catalog.usd_price(code)) * UNITS_PER_COIN)


def _units_to_usd(code: str, units: int) -> float:
    return units / UNITS_PER_COIN * float(catalog.usd_price(code))


# --- markets ----------------------------------------------------------------------------------


class _Market:
    """A traded product: its price walk, tick and lot sizes, and exact fee arithmetic."""

    def __init__(self, product_id: int, price_units: int, at_ms: int):
        product = catalog.product(product_id)
        self.product_id = product_id
        self.base = product.base_currency
        self.quote = product.quoted_currency
        self.tick = 10 ** (8 - product.price_decimals)
        self.step = 10 ** (8 - product.quantity_decimals)
        self.reference = float(product.last_traded_price)
        self.log_ratio = self._clamp(math.log(price_units / self.reference))
        self.at_ms = at_ms
        self.taker_ppm = int(product.taker_fee * 1_000_000)
        self.maker_ppm = int(product.maker_fee * 1_000_000)
        qash_per_quote = (Fraction(catalog.usd_price(self.quote)) / Fraction(catalog.usd_price("QASH"))
                          * Fraction(catalog.QASH_FEE_DISCOUNT))
        self.qash_numerator = qash_per_quote.numerator
        self.qash_denominator = qash_per_quote.denominator * 1_000_000
        self.quote_usd = float(catalog.usd_price(self.quote))

    @staticmethod
    def _clamp(log_ratio: float) -> float:
        return max(-_WALK_MAX_LOG_RATIO, min(_WALK_MAX_LOG_RATIO, log_ratio))

    def price_at(self, rng: random.Random, at_ms: int) -> int:
        """The walk's price at ``at_ms`` (not before its last step), on the tick grid."""
        days = (at_ms - self.at_ms) / DAY_MS
        if days > 0:
            decay = math.exp(-_WALK_REVERSION_PER_DAY * days)
            spread = _WALK_DAILY_SIGMA * math.sqrt((1 - decay * decay) / (2 * _WALK_REVERSION_PER_DAY))
            self.log_ratio = self._clamp(self.log_ratio * decay + spread * rng.gauss(0.0, 1.0))
            self.at_ms = at_ms
        return self.on_grid(self.reference * math.exp(self.log_ratio))

    def on_grid(self, price: float) -> int:
        return max(self.tick, round(price / self.tick) * self.tick)

    def order_steps(self, rng: random.Random, price: int) -> int:
        """A realistic order size in lots at ``price``, at least one lot, amount < 1e15 units."""
        usd = max(_ORDER_USD_MIN, min(catalog.MAX_ORDER_USD, rng.lognormvariate(math.log(_ORDER_USD_MEDIAN),
                                                                                 _ORDER_USD_SIGMA)))
        quantity_units = usd / self.quote_usd / price * UNITS_PER_COIN * UNITS_PER_COIN
        largest = (_MAX_AMOUNT_UNITS - 1) // (price // self.tick)
        return max(1, min(largest, round(quantity_units / self.step)))

    def fee(self, amount: int, taker: bool, fee_currency: str) -> int:
        """Gross fee of a fill of ``amount`` quote units, in ``fee_currency`` (quote or QASH)."""
        ppm = self.taker_ppm if taker else self.maker_ppm
        if not ppm:
            return 0
        if fee_currency == self.quote:
            return max(1, amount * ppm // 1_000_000)
        return max(1, amount * ppm * self.qash_numerator // self.qash_denominator)

    def hold(self, side: str, remaining: int, price: int, fee_currency: str) -> dict[str, int]:
        """Funds an open order holds: its ``remaining`` quantity's value and worst-case fee."""
        amount = remaining * price // UNITS_PER_COIN
        held = {self.quote: amount} if side == "buy" else {self.base: remaining}
        if side == "buy" or fee_currency != self.quote:
            held[fee_currency] = held.get(fee_currency, 0) + self.fee(amount, True, fee_currency)
        return held


def _open_market(account: Account, rng: random.Random, product_id: int) -> _Market:
    """A market resuming at the account's last fill, or at a random opening price."""
    fills = account.executions(product_id)
    if fills:
        return _Market(product_id, fills[-1].price, fills[-1].created_at_ms)
    reference = catalog.product(product_id).last_traded_price
    opening = reference * math.exp(rng.gauss(*_WALK_OPENING_LOG_RATIO))
    return _Market(product_id, max(1, round(opening)), account.created_at_ms)


# --- simulation -------------------------------------------------------------------------------


class _Simulator:
    """Plays episodes in time order on one account, keeping balances funded.

    ``horizon`` is the clock the history is built up to: no record is dated after it.
    """

    def __init__(self, account: Account, rng: random.Random, horizon: int):
        self.account = account
        self.rng = rng
        self.horizon = horizon
        self.ids = _Ids(account)
        self.balances = dict(account.balances())
        self.held: dict[str, int] = {}
        self.markets = {pid: _open_market(account, rng, pid) for pid in _traded_product_ids(account)}
        self.self_match_markets = [m for m in self.markets.values() if m.maker_ppm]
        self.currencies = list(dict.fromkeys(c for m in self.markets.values() for c in (m.base, m.quote)))
        for order in account.orders:
            if order.status in _OPEN_STATUSES:
                self._change_hold(order, +1)

    def play(self, episodes: list[Episode], start: int, end: int) -> None:
        """Play ``episodes`` one per consecutive slot of [start, end]."""
        bounds = _slot_bounds(self.rng, len(episodes), start, end)
        for index, (kind, argument) in enumerate(episodes):
            slot_start, slot_end = bounds[index], bounds[index + 1]
            if kind in ("crypto_withdrawal", "fiat_withdrawal"):
                self._withdraw(kind, argument, (slot_start + slot_end) // 2)
            elif kind == "close":
                self._close(argument, slot_start, slot_end)
            elif kind == "self_match":
                self._self_match(argument, slot_start, slot_end)
            else:
                self._order(kind, argument, slot_start, slot_end)

    # balances

    def _available(self, code: str) -> int:
        return self.balances.get(code, 0) - self.held.get(code, 0)

    def _change_hold(self, order: Order, sign: int) -> None:
        market = self.markets[order.product_id]
        held = market.hold(order.side, order.quantity - order.filled_quantity, order.price, order.fee_currency)
        for code, amount in held.items():
            self.held[code] = self.held.get(code, 0) + sign * amount

    def _post(self, at_ms: int, code: str, transaction_type: str, amount: int, source_type: str,
              source_id: int, execution_id: int | None = None, state: str | None = None,
              transaction_hash: str | None = None, from_address: str | None = None,
              to_address: str | None = None, updated_ms: int | None = None) -> None:
        entry = LedgerEntry(self.ids.next("ledger", at_ms), at_ms, at_ms if updated_ms is None else updated_ms,
                            code, transaction_type, amount, source_type, source_id, execution_id, state,
                            transaction_hash, from_address, to_address)
        self.account.ledger.append(entry)
        self.balances[code] = self.balances.get(code, 0) + amount

    def _fund(self, needs: dict[str, int], at_ms: int) -> None:
        """Deposit whatever is missing so that ``needs`` are available at ``at_ms``."""
        for code, need in needs.items():
            shortfall = need - self._available(code)
            if shortfall > 0:
                self._deposit(code, shortfall, at_ms)

    def _deposit(self, code: str, at_least: int, at_ms: int) -> None:
        """A deposit crediting at least ``at_least`` net of its fee, in a round amount.

        The account's first deposit and a share of the others are charged a fee.
        """
        rng = self.rng
        currency = catalog.currency(code)
        crypto = currency.currency_type == "crypto"
        charged = not self.account.deposits or rng.random() < _DEPOSIT_FEE_CHANCE[currency.currency_type]
        fee = currency.withdrawal_fee // 4 if charged else 0
        buffer = _usd_to_units(code, rng.uniform(*_DEPOSIT_BUFFER_USD))
        amount = _round_up(at_least + fee + buffer, 3 if crypto else 2, currency.assets_precision)
        transaction_hash = _transaction_hash(rng, code) if crypto else None
        from_address = _address(rng, code) if crypto else None
        deposit = Deposit(self.ids.next("deposit", at_ms), code, amount, fee, at_ms, transaction_hash, from_address)
        self.account.deposits.append(deposit)
        self._post(at_ms, code, "funding", amount, "Deposit", deposit.id,
                   transaction_hash=transaction_hash, from_address=from_address)
        if fee:
            self._post(at_ms, code, "funding_fee", -fee, "Deposit", deposit.id,
                       transaction_hash=transaction_hash, from_address=from_address)

    # orders

    def _client_order_id(self, at_ms: int) -> str | None:
        rng = self.rng
        if at_ms < _CLIENT_ORDER_IDS_FROM_MS or rng.random() >= _CLIENT_ORDER_ID_SHARE:
            return None
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))

    def _fee_currency(self, market: _Market) -> str:
        if market.quote != "QASH" and self.rng.random() < _QASH_FEE_SHARE:
            return "QASH"
        return market.quote

    def _new_order(self, market: _Market, side: str, order_type: str, quantity: int, price: int, status: str,
                   created_ms: int, fee_currency: str) -> Order:
        order = Order(self.ids.next("order", created_ms), market.product_id, side, order_type, quantity, price,
                      status, created_ms, created_ms, market.base, market.quote, fee_currency,
                      self._client_order_id(created_ms))
        self.account.add_order(order)
        return order

    def _fill(self, order: Order, market: _Market, execution_id: int, quantity: int, price: int, at_ms: int,
              taker_side: str, fee: int, rebate: int) -> None:
        """Record one execution of ``order`` and its ledger rows."""
        self.account.add_execution(order, Execution(
            execution_id, order.id, market.product_id, order.side, taker_side, quantity, price, at_ms, fee,
            rebate, order.fee_currency, order.client_order_id))
        amount = quantity * price // UNITS_PER_COIN
        if order.side == "buy":
            legs = ((market.quote, -amount), (market.base, quantity))
        else:
            legs = ((market.base, -quantity), (market.quote, amount))
        for code, delta in legs:
            self._post(at_ms, code, "trade", delta, "Execution", execution_id, execution_id)
        if fee:
            self._post(at_ms, order.fee_currency, "trade_fee", -fee, "Execution", execution_id, execution_id)
        if rebate:
            self._post(at_ms, order.fee_currency, "rebate_trade_fee", rebate, "Execution", execution_id,
                       execution_id)
        order.updated_at_ms = at_ms

    @staticmethod
    def _needs(market: _Market, side: str, fee_currency: str, fills: list[tuple]) -> dict[str, int]:
        """Funds a side's ``fills`` (quantity, price, fee, ...) take; sell fees in quote come from proceeds."""
        needs: dict[str, int] = {}
        if side == "buy":
            needs[market.quote] = sum(q * p // UNITS_PER_COIN for q, p, *_ in fills)
        else:
            needs[market.base] = sum(q for q, *_ in fills)
        if side == "buy" or fee_currency != market.quote:
            needs[fee_currency] = needs.get(fee_currency, 0) + sum(fill[2] for fill in fills)
        return needs

    def _order(self, kind: str, fill_count: int, start: int, end: int) -> None:
        """One order of ``kind`` with ``fill_count`` fills, played in [start, end]."""
        rng = self.rng
        market = self.markets[rng.choice(list(self.markets))]
        length = end - start
        created = start + length // 10
        price = market.price_at(rng, created)
        side = "buy" if rng.random() < 0.5 else "sell"
        direction = 1 if side == "buy" else -1
        taker = kind == "market" or (kind == "filled" and rng.random() < _TAKER_LIMIT_SHARE)
        steps = market.order_steps(rng, price)
        if kind in ("market", "filled"):
            steps = filled = max(steps, fill_count)
        elif fill_count:
            steps = max(steps, fill_count + 1)
            filled = rng.randint(fill_count, steps - 1)
        else:
            filled = 0
        if taker:
            slippage = _MAX_SLIPPAGE_TICKS if kind == "market" else rng.randint(1, _MAX_SLIPPAGE_TICKS)
            limit = market.on_grid(price + direction * slippage * market.tick)
            prices = [market.on_grid(price + direction * min(i, slippage) * market.tick) for i in range(fill_count)]
            times = [created] * fill_count
        else:
            limit = market.on_grid(price - direction * rng.randint(0, _MAKER_OFFSET_TICKS) * market.tick)
            prices = [limit] * fill_count
            times = sorted(rng.randint(created, created + length * 6 // 10) for _ in range(fill_count))
        fee_currency = self._fee_currency(market)
        rebate_percent = (rng.choice(_REBATE_PERCENTS)
                          if not taker and market.maker_ppm and rng.random() < _REBATE_SHARE else 0)
        fills = []
        for lots, fill_price in zip(_split(rng, filled, fill_count), prices):
            quantity = lots * market.step
            fee = market.fee(quantity * fill_price // UNITS_PER_COIN, taker, fee_currency)
            fills.append((quantity, fill_price, fee, fee * rebate_percent // 100))
        order_type = "market" if kind == "market" else "limit"
        order_price = price if kind == "market" else limit
        status = _STATUS_OF_KIND[kind]
        needs = self._needs(market, side, fee_currency, fills)
        if kind in _OPEN_KINDS:
            for code, amount in market.hold(side, (steps - filled) * market.step, order_price, fee_currency).items():
                needs[code] = needs.get(code, 0) + amount
        self._fund(needs, start)
        order = self._new_order(market, side, order_type, steps * market.step, order_price, status, created,
                                fee_currency)
        taker_side = side if taker else ("sell" if side == "buy" else "buy")
        for (quantity, fill_price, fee, rebate), at_ms in zip(fills, times):
            self._fill(order, market, self.ids.next("execution", at_ms), quantity, fill_price, at_ms, taker_side,
                       fee, rebate)
        if status == "cancelled":
            order.updated_at_ms = start + length * 8 // 10
        if kind in _OPEN_KINDS:
            self._change_hold(order, +1)
        self._skim(market, start + length * 9 // 10)

    def _self_match(self, fill_count: int, start: int, end: int) -> None:
        """A resting limit order filled ``fill_count`` times by the account's own opposite order."""
        rng = self.rng
        market = rng.choice(self.self_match_markets)
        length = end - start
        created = start + length // 10
        crossed = start + length * 3 // 10
        price = market.price_at(rng, created)
        maker_side = "buy" if rng.random() < 0.5 else "sell"
        taker_side = "sell" if maker_side == "buy" else "buy"
        steps = max(market.order_steps(rng, price), fill_count)
        quantities = [lots * market.step for lots in _split(rng, steps, fill_count)]
        rebate_percent = rng.choice(_REBATE_PERCENTS) if rng.random() < _REBATE_SHARE else 0
        sides = {}
        for side, taker in ((maker_side, False), (taker_side, True)):
            fee_currency = self._fee_currency(market)
            fees = [market.fee(q * price // UNITS_PER_COIN, taker, fee_currency) for q in quantities]
            sides[side] = (fee_currency, [(q, price, fee, fee * rebate_percent // 100)
                                          for q, fee in zip(quantities, fees)])
        needs: dict[str, int] = {}
        for side, (fee_currency, fills) in sides.items():
            for code, amount in self._needs(market, side, fee_currency, fills).items():
                needs[code] = needs.get(code, 0) + amount
        self._fund(needs, start)
        quantity = steps * market.step
        maker = self._new_order(market, maker_side, "limit", quantity, price, "filled", created, sides[maker_side][0])
        taker_type = "market" if rng.random() < 0.5 else "limit"
        taker = self._new_order(market, taker_side, taker_type, quantity, price, "filled", crossed,
                                sides[taker_side][0])
        for maker_fill, taker_fill in zip(sides[maker_side][1], sides[taker_side][1]):
            execution_id = self.ids.next("execution", crossed)
            for order, (fill_quantity, fill_price, fee, rebate) in ((maker, maker_fill), (taker, taker_fill)):
                self._fill(order, market, execution_id, fill_quantity, fill_price, crossed, taker_side, fee, rebate)
        self._skim(market, start + length * 9 // 10)

    def _close(self, order: Order, start: int, end: int) -> None:
        """Fill the rest of an open order at its price (as maker), or cancel it, within [start, end]."""
        rng = self.rng
        market = self.markets[order.product_id]
        self._change_hold(order, -1)
        if rng.random() >= _OPEN_FILL_SHARE:
            order.status = "cancelled"
            order.updated_at_ms = (start + end) // 2
            return
        lots = (order.quantity - order.filled_quantity) // market.step
        parts = min(lots, rng.randint(1, 3))
        times = sorted(rng.randint(start, end) for _ in range(parts))
        taker_side = "sell" if order.side == "buy" else "buy"
        for part, at_ms in zip(_split(rng, lots, parts), times):
            quantity = part * market.step
            fee = market.fee(quantity * order.price // UNITS_PER_COIN, False, order.fee_currency)
            self._fill(order, market, self.ids.next("execution", at_ms), quantity, order.price, at_ms, taker_side,
                       fee, 0)
        order.status = "filled"

    # withdrawals

    def _skim(self, market: _Market, at_ms: int) -> None:
        """Withdraw (processed) whatever of the market's currencies exceeds ``_SKIM_ABOVE_USD``."""
        for code in (market.base, market.quote):
            available = self._available(code)
            if _units_to_usd(code, available) <= _SKIM_ABOVE_USD:
                continue
            currency = catalog.currency(code)
            keep = _usd_to_units(code, self.rng.uniform(*_SKIM_TARGET_USD))
            net = _round_down(available - keep - currency.withdrawal_fee, 2, currency.assets_precision)
            self._record_withdrawal(code, net, "processed", at_ms)

    def _withdraw(self, kind: str, state: str, at_ms: int) -> None:
        """A withdrawal of part of a funded currency (``kind`` crypto/fiat) in ``state``."""
        rng = self.rng
        currency_type = "crypto" if kind == "crypto_withdrawal" else "fiat"
        candidates = [c for c in self.currencies if catalog.currency(c).currency_type == currency_type]
        funded = [c for c in candidates if self._available(c) >= self._smallest_withdrawal(c) * 2]
        code = rng.choice(funded or candidates)
        currency = catalog.currency(code)
        self._fund({code: self._smallest_withdrawal(code)}, at_ms)
        room = self._available(code) - currency.withdrawal_fee
        wanted = int(room * rng.uniform(*_WITHDRAWAL_SHARE))
        net = max(currency.minimum_withdrawal, _round_down(wanted, 3, currency.assets_precision))
        self._record_withdrawal(code, net, state, at_ms)

    @staticmethod
    def _smallest_withdrawal(code: str) -> int:
        currency = catalog.currency(code)
        return currency.minimum_withdrawal + currency.withdrawal_fee

    def _settled_at(self, state: str, at_ms: int) -> int:
        low, high = _STATE_DELAYS_MS[state]
        return min(self.horizon, at_ms + self.rng.randint(low, high))

    def _record_withdrawal(self, code: str, net: int, state: str, at_ms: int) -> None:
        """Record a withdrawal of ``net`` plus the currency's fee, and its ledger rows unless failed."""
        currency = catalog.currency(code)
        fee = currency.withdrawal_fee
        updated = self._settled_at(state, at_ms)
        if currency.currency_type == "fiat":
            record = FiatWithdrawal(self.ids.next("fiat_withdrawal", at_ms), code, net + fee, fee, state,
                                    _BANKS[code], at_ms, updated)
            self.account.fiat_withdrawals.append(record)
            source_type, transaction_hash, address = "FiatWithdrawal", None, None
        else:
            address, payment_id = self._withdrawal_address(code)
            transaction_hash = _transaction_hash(self.rng, code) if state in _BROADCAST_STATES else None
            chain = catalog.chain(code)
            record = CryptoWithdrawal(self.ids.next("crypto_withdrawal", at_ms), code, net + fee, fee, state,
                                      address, at_ms, updated, transaction_hash, chain.chain_name, chain.network,
                                      payment_id)
            self.account.crypto_withdrawals.append(record)
            source_type = "CryptoWithdrawal"
        if state in FAILED_WITHDRAWAL_STATES:
            return
        for transaction_type, amount in (("withdrawal", -net), ("withdrawal_fee", -fee)):
            self._post(at_ms, code, transaction_type, amount, source_type, record.id, state=state,
                       transaction_hash=transaction_hash, to_address=address, updated_ms=updated)

    def _withdrawal_address(self, code: str) -> tuple[str, str | None]:
        """One of the account's few stable withdrawal addresses for ``code`` (and its XRP tag)."""
        choice = self.rng.randrange(_ADDRESSES_PER_CURRENCY)
        rng = random.Random(f"address:{self.account.seed}:{self.account.id}:{code}:{choice}")
        address = _address(rng, code)
        tag = str(rng.randrange(10**6, 10**9)) if catalog.chain(code).address_style == "ripple" else None
        return address, tag

    def finalise_withdrawals(self, withdrawals: list, start: int, end: int) -> None:
        """Move ``withdrawals`` to a final state within [start, end]; failed ones lose their rows."""
        if not withdrawals:
            return
        changed = {}
        for record in withdrawals:
            crypto = isinstance(record, CryptoWithdrawal)
            record.state = _final_state(self.rng)
            record.updated_at_ms = self.rng.randint(start, end)
            if crypto and record.state == "processed" and record.transaction_hash is None:
                record.transaction_hash = _transaction_hash(self.rng, record.currency)
            changed[("CryptoWithdrawal" if crypto else "FiatWithdrawal", record.id)] = record
        self._restate_ledger(changed, min(record.created_at_ms for record in withdrawals))

    def _restate_ledger(self, changed: dict, oldest_ms: int) -> None:
        ledger = self.account.ledger
        cut = len(ledger)
        while cut and ledger[cut - 1].created_at_ms >= oldest_ms:
            cut -= 1
        kept = []
        for entry in ledger[cut:]:
            record = changed.get((entry.source_type, entry.source_id))
            if record is None:
                kept.append(entry)
            elif record.state in FAILED_WITHDRAWAL_STATES:
                self.balances[entry.currency] -= entry.amount
            else:
                kept.append(replace(entry, state=record.state, updated_at_ms=record.updated_at_ms,
                                    transaction_hash=getattr(record, "transaction_hash", None)))
        ledger[cut:] = kept
