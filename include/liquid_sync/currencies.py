"""The currencies listed on Liquid, by code: what validation accepts as a known currency.

This is data, kept in the pipeline so that it never depends on the emulator. It was generated
once from the emulator's catalog (``liquid_emulator.catalog.currencies()``), which lists
Liquid's fiat currencies and its main crypto assets; Liquid listed more tokens over its life.
A batch holding a code missing here fails validation, naming the code: add the code here
(with its type) when it is a genuine Liquid currency.
"""

from __future__ import annotations

FIAT = frozenset({"AUD", "CNY", "EUR", "HKD", "IDR", "INR", "JPY", "PHP", "SGD", "USD"})

CRYPTO = frozenset({
    "AAVE", "ADA", "ALGO", "ATOM", "BAT", "BCH", "BNB", "BTC", "COMP", "DAI", "DASH", "DOGE", "DOT", "ENJ",
    "EOS", "ETC", "ETH", "FIL", "FTT", "LCX", "LINK", "LTC", "MANA", "MKR", "NEO", "OMG", "QASH", "SAND",
    "SGN", "SNX", "SOL", "TRX", "UNI", "USDC", "USDT", "XEM", "XLM", "XRP", "XTZ", "ZEC", "ZRX",
})

LISTED = FIAT | CRYPTO
