from __future__ import annotations

from liquid_emulator import catalog
from liquid_sync.currencies import CRYPTO, FIAT, LISTED


def test_every_catalog_currency_is_listed_with_its_type():
    for currency in catalog.currencies():
        assert currency.code in (FIAT if currency.currency_type == "fiat" else CRYPTO), currency.code
    assert not FIAT & CRYPTO and LISTED == FIAT | CRYPTO


def test_every_product_trades_listed_currencies():
    for product in catalog.products():
        assert {product.base_currency, product.quoted_currency} <= LISTED, product.id
