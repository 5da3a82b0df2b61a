"""The emulated exchange's listed currencies and spot products.

Contracts:

* Deterministic: the same lists on every call and in every process.
* Currencies: fiat (USD, JPY, SGD, EUR, ...) and dozens of crypto currencies, each with a
  positive ``withdrawal_fee`` and ``minimum_withdrawal`` (1e-8 units).
* Products: hundreds of spot ``CurrencyPair`` products with int ids (1 = BTCUSD, 5 = BTCJPY,
  and a few other ids Liquid really used); no perpetuals. For every product
  ``price_decimals + quantity_decimals <= 8`` (so quantity x price is exact in 1e-8 units) and
  an order of up to ``MAX_ORDER_USD`` at up to 4x the reference price has an amount of at most
  15 significant digits. Taker fees are 0.1-0.3 %, maker fees 0-0.1 % (never 0 when the quote
  is a crypto currency); fees paid in QASH get ``QASH_FEE_DISCOUNT``.
* ``usd_price(code)`` is a reference USD value (about October 2021) used to derive prices,
  fees and sensible amounts.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_DOWN, Decimal
from functools import cache
from typing import NamedTuple

from liquid_emulator.model import Currency, Product, decimal_to_units

QASH_FEE_DISCOUNT = Decimal("0.5")
MAX_ORDER_USD = 20_000


class Chain(NamedTuple):
    """How a crypto currency is withdrawn: ``network`` is None on the coin's own chain."""

    chain_name: str
    network: str | None
    address_style: str  # "base58" | "bech32" | "hex" | "ripple"


# code, name, symbol, assets_precision, usd price, withdrawal fee, minimum withdrawal
_FIAT = (
    ("USD", "United States Dollar", "$", 2, "1", "5", "15"),
    ("JPY", "Japanese Yen", "¥", 0, "0.009", "300", "1000"),
    ("SGD", "Singapore Dollar", "S$", 2, "0.74", "5", "20"),
    ("EUR", "Euro", "€", 2, "1.16", "5", "15"),
    ("AUD", "Australian Dollar", "A$", 2, "0.72", "5", "20"),
    ("HKD", "Hong Kong Dollar", "HK$", 2, "0.128", "40", "100"),
    ("IDR", "Indonesian Rupiah", "Rp", 0, "0.00007", "50000", "200000"),
    ("PHP", "Philippine Peso", "₱", 2, "0.0196", "250", "1000"),
    ("INR", "Indian Rupee", "₹", 2, "0.0135", "350", "1000"),
    ("CNY", "Chinese Yuan", "CN¥", 2, "0.155", "30", "100"),
)

_ETHEREUM = ("Ethereum", "ERC20", "hex")
# code, name, usd price, (chain name, network, address style)
_CRYPTO = (
    ("BTC", "Bitcoin", "43800", ("Bitcoin", None, "bech32")),
    ("ETH", "Ethereum", "3000", ("Ethereum", None, "hex")),
    ("XRP", "Ripple", "0.95", ("Ripple", None, "ripple")),
    ("QASH", "QASH", "0.07", _ETHEREUM),
    ("BCH", "Bitcoin Cash", "500", ("Bitcoin Cash", None, "base58")),
    ("LTC", "Litecoin", "160", ("Litecoin", None, "base58")),
    ("USDT", "Tether", "1", _ETHEREUM),
    ("USDC", "USD Coin", "1", _ETHEREUM),
    ("XLM", "Stellar", "0.28", ("Stellar", None, "base58")),
    ("ETC", "Ethereum Classic", "50", ("Ethereum Classic", None, "hex")),
    ("TRX", "TRON", "0.09", ("TRON", None, "base58")),
    ("ADA", "Cardano", "2.1", ("Cardano", None, "bech32")),
    ("EOS", "EOS", "4", ("EOS", None, "base58")),
    ("NEO", "NEO", "40", ("NEO", None, "base58")),
    ("DASH", "Dash", "180", ("Dash", None, "base58")),
    ("XEM", "NEM", "0.17", ("NEM", None, "base58")),
    ("ZEC", "Zcash", "120", ("Zcash", None, "base58")),
    ("LINK", "Chainlink", "24", _ETHEREUM),
    ("DOT", "Polkadot", "28", ("Polkadot", None, "base58")),
    ("SOL", "Solana", "140", ("Solana", None, "base58")),
    ("UNI", "Uniswap", "22", _ETHEREUM),
    ("AAVE", "Aave", "280", _ETHEREUM),
    ("MKR", "Maker", "2500", _ETHEREUM),
    ("COMP", "Compound", "300", _ETHEREUM),
    ("SNX", "Synthetix", "10", _ETHEREUM),
    ("BAT", "Basic Attention Token", "0.65", _ETHEREUM),
    ("OMG", "OMG Network", "11", _ETHEREUM),
    ("ZRX", "0x", "0.95", _ETHEREUM),
    ("ENJ", "Enjin Coin", "1.4", _ETHEREUM),
    ("MANA", "Decentraland", "0.65", _ETHEREUM),
    ("SAND", "The Sandbox", "0.6", _ETHEREUM),
    ("LCX", "LCX", "0.06", _ETHEREUM),
    ("SGN", "Stacktical", "0.9", _ETHEREUM),
    ("FTT", "FTX Token", "50", _ETHEREUM),
    ("DAI", "Dai", "1", _ETHEREUM),
    ("BNB", "Binance Coin", "380", ("BNB Smart Chain", "BEP20", "hex")),
    ("XTZ", "Tezos", "6", ("Tezos", None, "base58")),
    ("ALGO", "Algorand", "1.8", ("Algorand", "Algorand", "base58")),
    ("ATOM", "Cosmos", "34", ("Cosmos", None, "bech32")),
    ("FIL", "Filecoin", "57", ("Filecoin", None, "base58")),
    ("DOGE", "Dogecoin", "0.2", ("Dogecoin", None, "base58")),
)
_CRYPTO_SYMBOLS = {"BTC": "₿", "ETH": "Ξ"}

# Quote currencies, most used first; the order fixes the ids of products that are not pinned.
_QUOTES = ("USD", "JPY", "SGD", "EUR", "BTC", "ETH", "QASH", "USDT", "USDC", "AUD", "HKD", "IDR", "PHP", "INR", "CNY")
_DISABLED_QUOTES = ("CNY",)
_PINNED_IDS = {
    ("BTC", "USD"): 1, ("BTC", "EUR"): 3, ("BTC", "JPY"): 5, ("BTC", "SGD"): 7, ("BTC", "HKD"): 9,
    ("BTC", "IDR"): 11, ("BTC", "AUD"): 13, ("BTC", "PHP"): 15, ("BTC", "CNY"): 17, ("BTC", "INR"): 18,
    ("ETH", "USD"): 27, ("ETH", "EUR"): 28, ("ETH", "JPY"): 29, ("ETH", "SGD"): 30, ("ETH", "BTC"): 37,
    ("QASH", "JPY"): 50, ("QASH", "ETH"): 51, ("QASH", "BTC"): 52, ("XRP", "JPY"): 83, ("XRP", "USD"): 84,
}
_FIRST_FREE_ID = 19
_TAKER_FEES = ("0.001", "0.0015", "0.002", "0.0025", "0.003")
_FIAT_MAKER_FEES = ("0.0", "0.0005", "0.001")
_CRYPTO_MAKER_FEES = ("0.0005", "0.001")
_MIN_PRICE_UNITS = 100  # a listed price has at least 3 significant digits
_MAX_PRICE_FACTOR = 4
_MAX_AMOUNT_DIGITS = 15
_WITHDRAWAL_FEE_USD = Decimal(4)
_MINIMUM_WITHDRAWAL_USD = Decimal(20)


def _round_significant(value: Decimal, digits: int, rounding: str) -> Decimal:
    """``value`` rounded to ``digits`` significant digits (never below 1e-8)."""
    exponent = max(value.adjusted() - digits + 1, -8)
    return value.quantize(Decimal(1).scaleb(exponent), rounding=rounding)


def _crypto_currency(code: str, name: str, usd: Decimal) -> Currency:
    fee = _round_significant(_WITHDRAWAL_FEE_USD / usd, 2, ROUND_CEILING)
    minimum = _round_significant(_MINIMUM_WITHDRAWAL_USD / usd, 1, ROUND_CEILING)
    return Currency(code, "crypto", name, _CRYPTO_SYMBOLS.get(code, code), 8,
                    decimal_to_units(fee), decimal_to_units(minimum))


@cache
def _currency_table() -> dict[str, tuple[Currency, Decimal]]:
    table: dict[str, tuple[Currency, Decimal]] = {}
    for code, name, symbol, precision, usd, fee, minimum in _FIAT:
        fiat = Currency(code, "fiat", name, symbol, precision, decimal_to_units(fee), decimal_to_units(minimum))
        table[code] = (fiat, Decimal(usd))
    for code, name, usd, _chain in _CRYPTO:
        table[code] = (_crypto_currency(code, name, Decimal(usd)), Decimal(usd))
    return table


def currencies() -> list[Currency]:
    """Every listed currency, fiat first."""
    return [entry[0] for entry in _currency_table().values()]


def currency(code: str) -> Currency:
    """The listed currency ``code``; raises ``KeyError`` naming it when it is not listed."""
    try:
        return _currency_table()[code][0]
    except KeyError:
        raise KeyError(f"currency {code!r} is not listed") from None


def usd_price(code: str) -> Decimal:
    """Reference value of one unit of ``code`` in USD."""
    currency(code)
    return _currency_table()[code][1]


def chain(code: str) -> Chain:
    """Withdrawal chain of the crypto currency ``code``; ``KeyError`` for fiat or unknown codes."""
    for crypto_code, _name, _usd, chain_fields in _CRYPTO:
        if crypto_code == code:
            return Chain(*chain_fields)
    raise KeyError(f"{code!r} is not a listed crypto currency")


def _decimals(base: str, quote: str) -> tuple[int, int, Decimal] | None:
    """``(price_decimals, quantity_decimals, reference price)`` of a pair, None if unlisted."""
    price = usd_price(base) / usd_price(quote)
    coarsest_quantity_decimals = max(0, usd_price(base).adjusted())
    price_decimals = min(8 - coarsest_quantity_decimals, max(0, 5 - price.adjusted()))
    if price.scaleb(price_decimals) < _MIN_PRICE_UNITS:
        return None
    biggest_price_units = (price * _MAX_PRICE_FACTOR).scaleb(price_decimals)
    biggest_quantity = Decimal(MAX_ORDER_USD) / usd_price(base)
    quantity_room = _MAX_AMOUNT_DIGITS - (biggest_price_units.adjusted() + 1) - (biggest_quantity.adjusted() + 1)
    useful = 4 + usd_price(base).adjusted()
    quantity_decimals = max(0, min(8 - price_decimals, useful, quantity_room))
    return price_decimals, quantity_decimals, price


def _fee_rates(product_id: int, quote: str) -> tuple[Decimal, Decimal]:
    taker = Decimal(_TAKER_FEES[product_id % len(_TAKER_FEES)])
    makers = _FIAT_MAKER_FEES if currency(quote).currency_type == "fiat" else _CRYPTO_MAKER_FEES
    maker = Decimal(makers[product_id % len(makers)])
    return taker, min(maker, taker)


def _pairs() -> list[tuple[str, str]]:
    pairs = []
    for quote in _QUOTES:
        for base, _name, _usd, _chain in _CRYPTO:
            if base != quote and _decimals(base, quote) is not None:
                pairs.append((base, quote))
    return pairs


def _product(product_id: int, base: str, quote: str) -> Product:
    price_decimals, quantity_decimals, price = _decimals(base, quote)
    taker, maker = _fee_rates(product_id, quote)
    last_price = price.quantize(Decimal(1).scaleb(-price_decimals), rounding=ROUND_DOWN)
    return Product(
        id=product_id,
        base_currency=base,
        quoted_currency=quote,
        price_decimals=price_decimals,
        quantity_decimals=quantity_decimals,
        taker_fee=taker,
        maker_fee=maker,
        last_traded_price=decimal_to_units(last_price),
        disabled=quote in _DISABLED_QUOTES,
    )


@cache
def _product_table() -> dict[int, Product]:
    pinned = set(_PINNED_IDS.values())
    free_ids = (i for i in range(_FIRST_FREE_ID, 10**6) if i not in pinned)
    table = {}
    for base, quote in _pairs():
        product_id = _PINNED_IDS.get((base, quote)) or next(free_ids)
        table[product_id] = _product(product_id, base, quote)
    return dict(sorted(table.items()))


def products() -> list[Product]:
    """Every listed spot product, by id."""
    return list(_product_table().values())


def product(product_id: int) -> Product:
    """The product with id ``product_id``; raises ``KeyError`` naming it when unknown."""
    try:
        return _product_table()[product_id]
    except KeyError:
        raise KeyError(f"product {product_id} is not listed") from None
