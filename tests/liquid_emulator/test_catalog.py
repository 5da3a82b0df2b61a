from __future__ import annotations

from decimal import Decimal

import pytest

from liquid_emulator import catalog
from liquid_emulator.model import UNITS_PER_COIN


def test_hundreds_of_products_with_unique_int_ids_and_pairs():
    products = catalog.products()
    assert len(products) >= 300
    ids = [p.id for p in products]
    assert all(type(i) is int for i in ids)
    assert len(set(ids)) == len(ids) and ids == sorted(ids)
    pairs = [p.currency_pair_code for p in products]
    assert len(set(pairs)) == len(pairs)


def test_well_known_ids():
    assert catalog.product(1).currency_pair_code == "BTCUSD"
    assert catalog.product(5).currency_pair_code == "BTCJPY"
    assert catalog.product(37).currency_pair_code == "ETHBTC"


def test_no_perpetuals_and_every_currency_listed():
    codes = {c.code for c in catalog.currencies()}
    for product in catalog.products():
        assert not product.base_currency.startswith("P-")
        assert {product.base_currency, product.quoted_currency} <= codes
        assert product.base_currency != product.quoted_currency


def test_quantity_times_price_is_exact_and_within_15_digits():
    for product in catalog.products():
        assert product.price_decimals + product.quantity_decimals <= 8, product
        tick = 10 ** (8 - product.price_decimals)
        assert product.last_traded_price > 0 and product.last_traded_price % tick == 0
        assert product.last_traded_price // tick >= 100, product  # at least 3 significant digits
        largest_lots = int(Decimal(catalog.MAX_ORDER_USD) / catalog.usd_price(product.base_currency)
                           * 10**product.quantity_decimals) + 1
        largest_price = 4 * product.last_traded_price // tick
        assert largest_lots * largest_price < 10**15, product


def test_realistic_fee_rates():
    for product in catalog.products():
        assert Decimal("0.001") <= product.taker_fee <= Decimal("0.003")
        assert Decimal(0) <= product.maker_fee <= product.taker_fee
        if catalog.currency(product.quoted_currency).currency_type == "crypto":
            assert product.maker_fee > 0
    assert {p.maker_fee for p in catalog.products()} >= {Decimal(0), Decimal("0.0005"), Decimal("0.001")}
    assert catalog.QASH_FEE_DISCOUNT == Decimal("0.5")


def test_dozens_of_currencies_with_fees_and_minimums():
    currencies = catalog.currencies()
    codes = [c.code for c in currencies]
    assert len(currencies) >= 30 and len(set(codes)) == len(codes)
    fiat = {c.code for c in currencies if c.currency_type == "fiat"}
    crypto = {c.code for c in currencies if c.currency_type == "crypto"}
    assert {"USD", "JPY", "SGD", "EUR", "AUD", "HKD"} <= fiat
    assert {"BTC", "ETH", "XRP", "QASH", "BCH", "LTC", "USDT"} <= crypto
    assert fiat | crypto == set(codes)
    for currency in currencies:
        assert currency.withdrawal_fee > 0 and currency.minimum_withdrawal > 0
        assert 0 <= currency.assets_precision <= 8
        assert catalog.usd_price(currency.code) > 0
    assert catalog.currency("BTC").withdrawal_fee < UNITS_PER_COIN // 100


def test_chains_of_crypto_currencies():
    assert catalog.chain("BTC").chain_name == "Bitcoin"
    assert catalog.chain("QASH").network == "ERC20"
    for currency in catalog.currencies():
        if currency.currency_type == "crypto":
            assert catalog.chain(currency.code).address_style in ("base58", "bech32", "hex", "ripple")
    with pytest.raises(KeyError, match="USD"):
        catalog.chain("USD")


def test_unknown_lookups_name_the_key():
    with pytest.raises(KeyError, match="999999"):
        catalog.product(999999)
    with pytest.raises(KeyError, match="NOPE"):
        catalog.currency("NOPE")


def test_some_products_are_disabled_but_not_the_well_known_ones():
    assert any(p.disabled for p in catalog.products())
    assert not catalog.product(1).disabled and not catalog.product(5).disabled
